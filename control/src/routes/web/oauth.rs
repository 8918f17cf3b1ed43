//! The pages of the OAuth flow: the consent page an application sends a
//! user to (*Authorize* / *Deny*), the user's granted applications (revoke
//! at once), and the operators' registration of applications.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done,
    confirm::{self, Ask, Confirm, Subject},
    pages::{ApplicationsPage, Chrome, ConsentPage},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser, RequireAdmin, extractors::Lang, session},
    error::Error,
    html::HtmlError,
    ops::{
        self,
        oauth::{Consent, Refusal, Request},
    },
    state::AppState,
};

/// The consent page, or the page that says why the request is refused
/// (unknown application or redirect address: never sent back), or back to
/// the application with its error.
fn shown(user: &CurrentUser, request: &Request, checked: Result<Consent, Refusal>) -> Response {
    let c = Chrome::signed_in(user);
    match checked {
        Ok(consent) => render(&ConsentPage::new(c, request, Some(consent), None)),
        Err(Refusal::Here(key)) => {
            let page = ConsentPage::new(c, request, None, Some(key));
            (StatusCode::BAD_REQUEST, render(&page)).into_response()
        }
        Err(Refusal::Back(url)) => Redirect::to(&url).into_response(),
    }
}

/// An application's authorization request. Signed out, the page asks to
/// sign in first and the sign-in comes back here.
#[tracing::instrument(skip_all)]
pub async fn authorize_get(
    State(state): State<AppState>,
    user: Result<CurrentUser, HtmlError>,
    Lang(lang): Lang,
    uri: Uri,
    Query(request): Query<Request>,
) -> Result<Response, HtmlError> {
    let Ok(user) = user else {
        let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or_default();
        let page = ConsentPage::new(Chrome::anonymous(lang, String::new()), &request, None, None);
        let mut response = render(&page);
        let cookie = session::return_cookie(Some(back), state.config.http.is_https());
        response.headers_mut().append(header::SET_COOKIE, cookie);
        return Ok(response);
    };
    let checked = ops::oauth::check(&state.db, &request, user.holder()).await;
    Ok(shown(&user, &request, checked))
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(flatten)]
    request: Request,
    decision: String,
}

/// *Authorize* or *Deny*: the request is checked again (it came back as
/// form fields), then the browser goes back to the application.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn authorize_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<DecisionForm>,
) -> Result<Response, HtmlError> {
    let consent = match ops::oauth::check(&state.db, &form.request, user.holder()).await {
        Ok(consent) => consent,
        refused => return Ok(shown(&user, &form.request, refused)),
    };
    let authorize = form.decision == "authorize";
    let actor = user.actor(&client)?;
    let back = ops::oauth::decide(&state.db, &actor, &consent, authorize).await?;
    Ok(Redirect::to(&back).into_response())
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn applications_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let actor = user.principal.actor(None, None)?;
    let page = ApplicationsPage {
        c: Chrome::signed_in(&user).with_done(done.done.as_deref()),
        grants: ops::oauth::grants(&state.db, &actor).await?,
    };
    Ok(render(&page))
}

const REVOKE: Ask = Ask {
    title: "confirm.app_revoke_title",
    consequence: "confirm.app_revoke_consequence",
    submit: "apps.revoke",
    type_subject: false,
};

/// Revokes an application's access once confirmed: every token it holds
/// for the user stops at once.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn revoke_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<Confirm>,
) -> Result<Response, HtmlError> {
    let id: i64 = raw.parse().map_err(|_| Error::NotFound)?;
    let actor = user.actor(&client)?;
    if !form.yes() {
        let grant = ops::oauth::grants(&state.db, &actor)
            .await?
            .into_iter()
            .find(|g| g.client_id == id)
            .ok_or(Error::NotFound)?;
        let action = format!("/applications/{id}/revoke");
        let subject = Subject::new(grant.name, action, "/applications");
        return Ok(confirm::ask(&user, &REVOKE, subject));
    }
    ops::oauth::revoke(&state.db, &actor, id).await?;
    Ok(Redirect::to("/applications?done=revoked").into_response())
}

#[derive(Debug, Deserialize)]
pub struct ApplicationForm {
    name: String,
    redirect_uri: String,
}

/// An operator registers an application; the admin page then shows its
/// client id.
#[tracing::instrument(skip_all)]
pub async fn register_post(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    client: ClientAddr,
    Form(form): Form<ApplicationForm>,
) -> Result<Response, HtmlError> {
    let actor = user.actor(&client)?;
    let result = ops::oauth::register(&state.db, &actor, &form.name, &form.redirect_uri)
        .await
        .map(drop);
    super::admin::outcome(&state, &user, result, "application_registered").await
}
