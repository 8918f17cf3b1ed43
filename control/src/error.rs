//! One error type for every handler, with two adapters: JSON for the API
//! (`IntoResponse` of [`Error`]) and pages for the web UI ([`HtmlError`]).
//! Server errors are logged with their detail and answered without it.

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Serialize;

/// Where the web UI sends an account that must enrol in 2FA.
pub const ENROLMENT_PAGE: &str = "/2fa/enrol";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    #[error("the form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("the host quota of this account is used up")]
    QuotaExceeded,
    #[error("too many attempts; try again later")]
    TooManyRequests,
    /// The account has 2FA: the password alone is not enough.
    #[error(
        "this account uses two-factor sign-in: send the code from the authenticator app (or a recovery code) too"
    )]
    SecondFactorRequired,
    /// Administrators must use 2FA from the configured date; nothing but the
    /// enrolment is open to them until it is on.
    #[error("two-factor sign-in is mandatory for this account: enable it in the portal first")]
    TwoFactorRequired,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl ToString) -> Self {
        Error::Invalid {
            field,
            message: message.to_string(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Unauthorized | Error::SecondFactorRequired => StatusCode::UNAUTHORIZED,
            Error::Forbidden | Error::Csrf | Error::TwoFactorRequired => StatusCode::FORBIDDEN,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict(_) | Error::QuotaExceeded => StatusCode::CONFLICT,
            Error::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Error::Db(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "not_found",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::Csrf => "csrf",
            Error::BadRequest(_) => "bad_request",
            Error::Invalid { .. } => "invalid",
            Error::Conflict(_) => "conflict",
            Error::QuotaExceeded => "quota_exceeded",
            Error::TooManyRequests => "too_many_requests",
            Error::SecondFactorRequired => "second_factor_required",
            Error::TwoFactorRequired => "two_factor_required",
            Error::Db(_) | Error::Internal(_) => "internal",
        }
    }

    /// The text shown to the client: the detail of 5xx errors stays in the log.
    fn public_message(&self) -> String {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "request failed");
            "internal error".into()
        } else {
            self.to_string()
        }
    }
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: not_found, unauthorized, second_factor_required, forbidden,
    /// two_factor_required, bad_request, invalid, conflict, quota_exceeded,
    /// too_many_requests, internal.
    pub error: &'static str,
    pub message: String,
    /// The offending input field, for `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = ErrorBody {
            error: self.code(),
            message: self.public_message(),
            field: match &self {
                Error::Invalid { field, .. } => Some(*field),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"spdyn\""),
            );
        }
        response
    }
}

/// The web UI's adapter: sign-in redirects and a small bilingual error page
/// (the page has no session context to pick one language).
#[derive(Debug)]
pub struct HtmlError(pub Error);

impl<E: Into<Error>> From<E> for HtmlError {
    fn from(error: E) -> Self {
        HtmlError(error.into())
    }
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        match self.0 {
            Error::Unauthorized | Error::SecondFactorRequired => {
                return Redirect::to("/login").into_response();
            }
            Error::TwoFactorRequired => return Redirect::to(ENROLMENT_PAGE).into_response(),
            _ => {}
        }
        let status = self.0.status_code();
        let (en, de) = match &self.0 {
            Error::NotFound => ("Not found.", "Nicht gefunden."),
            Error::Forbidden => ("Not allowed.", "Nicht erlaubt."),
            Error::Csrf => (
                "The form has expired or did not come from this site. Go back, reload the page and try again.",
                "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte zurückgehen, die Seite neu laden und erneut versuchen.",
            ),
            Error::TooManyRequests => (
                "Too many attempts. Try again later.",
                "Zu viele Versuche. Bitte später erneut versuchen.",
            ),
            _ if status.is_server_error() => (
                "Something went wrong on our side. Try again later.",
                "Bei uns ist ein Fehler aufgetreten. Bitte später erneut versuchen.",
            ),
            _ => (
                "The request could not be processed.",
                "Die Anfrage konnte nicht verarbeitet werden.",
            ),
        };
        let detail = self.0.public_message();
        let page = crate::routes::web::pages::ErrorPage {
            status: status.as_u16(),
            en,
            de,
            detail: if status.is_server_error() {
                String::new()
            } else {
                detail
            },
        };
        (status, crate::routes::web::render(&page)).into_response()
    }
}
