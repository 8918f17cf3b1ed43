//! Personal API tokens: list, create (shown once), revoke.

use axum::{
    Form,
    body::Bytes,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};

use super::{
    Done, Show,
    confirm::{self, Ask, Confirm, Subject},
    pages::{ApiTokensPage, Chrome},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser},
    db::{self, scope::Tx},
    domain::scopes::Scope,
    error::Error,
    html::HtmlError,
    ops,
    shown_once::Shown,
    state::AppState,
};

async fn page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
    created: Option<String>,
) -> Result<ApiTokensPage, Error> {
    let mut tx = Tx::begin(&state.db, user.home()?).await?;
    let holder = user.holder();
    Ok(ApiTokensPage {
        c,
        tokens: db::api_tokens::list(&mut tx, user.account).await?,
        scopes: Scope::ALL
            .iter()
            .filter(|s| s.grantable_by(holder))
            .map(|s| s.as_str())
            .collect(),
        created,
    })
}

/// The list, and after a creation the new token, once; a reload of that
/// page says the token was shown already.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn list_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<Show>,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let mut c = Chrome::signed_in(&user).with_done(done.done.as_deref());
    let mut created = None;
    if query.show.is_some() {
        match query.take(&state, &user) {
            Some(Shown::ApiToken(token)) => created = Some(token),
            _ => c = c.with_done(Some("shown_once")),
        }
    }
    Ok(render(&page(&state, &user, c, created).await?))
}

/// Creates a token from a form with a name and repeated `scope` fields.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn create_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    body: Bytes,
) -> Result<Response, HtmlError> {
    let mut name = String::new();
    let mut scopes = Vec::new();
    for (key, value) in form_urlencoded::parse(&body) {
        match key.as_ref() {
            "name" => name = value.into_owned(),
            "scope" => scopes.extend(Scope::parse(&value)),
            _ => {}
        }
    }
    let actor = user.actor(&client)?;
    match ops::api_tokens::create(&state.db, &actor, user.holder(), &name, &scopes).await {
        Ok((token, _)) => {
            let key = state
                .shown_once
                .put(&user.session.id_hash, Shown::ApiToken(token));
            Ok(Redirect::to(&format!("/api-tokens?show={key}")).into_response())
        }
        Err(error @ Error::Invalid(_)) => {
            let c = Chrome::signed_in(&user).with_error(&error);
            let page = page(&state, &user, c, None).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

const REVOKE: Ask = Ask {
    title: "confirm.api_revoke_title",
    consequence: "confirm.api_revoke_consequence",
    submit: "api.revoke",
    type_subject: false,
};

/// Revokes one of the user's tokens once confirmed.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn revoke_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<Confirm>,
) -> Result<Response, HtmlError> {
    let id: i64 = raw.parse().map_err(|_| Error::NotFound)?;
    if !form.yes() {
        let mut tx = Tx::begin(&state.db, user.home()?).await?;
        let token = db::api_tokens::list(&mut tx, user.account)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(Error::NotFound)?;
        let action = format!("/api-tokens/{id}/revoke");
        let subject = Subject::new(token.name, action, "/api-tokens");
        return Ok(confirm::ask(&user, &REVOKE, subject));
    }
    ops::api_tokens::revoke(&state.db, &user.actor(&client)?, id).await?;
    Ok(Redirect::to("/api-tokens?done=revoked").into_response())
}
