//! HTML answers that layers below the web routes need too: rendering a
//! template, and the error page with the redirects errors mean in a browser
//! ([`HtmlError`], the rejection of the session extractors).

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};

use crate::{domain::accounts::Language, error::Error, i18n::Tr, paths};

/// Renders a template as an HTML response; a template error is a 500.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Which error a page is about, on the response: the web routes' error
/// layer renders it again in the page frame of the request (its language,
/// its navigation). Without that layer (e.g. outside the web routes) the
/// plain page below stands.
#[derive(Debug, Clone, Copy)]
pub struct ErrorKey(pub &'static str);

/// The error page without a frame: English and German side by side (it has
/// no session to choose one by).
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub en: String,
    pub de: String,
}

/// The web UI's adapter of [`Error`]: sign-in redirects and the error page.
#[derive(Debug)]
pub struct HtmlError(pub Error);

impl<E: Into<Error>> From<E> for HtmlError {
    fn from(error: E) -> Self {
        HtmlError(error.into())
    }
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let to = match self.0 {
            Error::Unauthorized | Error::SecondFactorRequired => Some(paths::LOGIN),
            Error::TwoFactorRequired => Some(paths::ENROLMENT_PAGE),
            Error::NoCustomerSelected => Some(paths::SELECT_CUSTOMER),
            _ => None,
        };
        if let Some(to) = to {
            return Redirect::to(to).into_response();
        }
        let status = self.0.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            en: self.0.message(Language::En),
            de: Tr(Language::De).t(self.0.text_key()).to_owned(),
        };
        let mut response = (status, render(&page)).into_response();
        if !matches!(self.0, Error::BadRequest(_)) && !status.is_server_error() {
            response
                .extensions_mut()
                .insert(ErrorKey(self.0.text_key()));
        }
        response
    }
}
