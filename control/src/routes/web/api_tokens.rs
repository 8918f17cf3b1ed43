//! Personal API tokens: list, create (shown once), revoke.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use super::{
    actor,
    i18n::{Tr, error_text},
    pages::{ApiTokensPage, Chrome},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser},
    db::{self, log::Action},
    domain::{scopes::Scope, tokens},
    error::{Error, HtmlError},
    state::AppState,
};

async fn page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
    created: Option<String>,
) -> Result<ApiTokensPage, Error> {
    let mut conn = state.db.acquire().await?;
    Ok(ApiTokensPage {
        c,
        tokens: db::api_tokens::list(&mut conn, user.account).await?,
        scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        created,
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn list_get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, HtmlError> {
    Ok(render(
        &page(&state, &user, Chrome::signed_in(&user), None).await?,
    ))
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
            "name" => name = value.trim().chars().take(100).collect(),
            "scope" => scopes.extend(Scope::parse(&value)),
            _ => {}
        }
    }
    scopes.dedup();
    if name.is_empty() || scopes.is_empty() {
        let error = Error::invalid("scopes", "a name and at least one scope are needed");
        let c = Chrome::signed_in(&user).with_error(error_text(Tr(user.language), &error));
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&page(&state, &user, c, None).await?),
        )
            .into_response());
    }
    let token = tokens::api_token();
    let scope_names: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let mut tx = state.db.begin().await.map_err(Error::from)?;
    db::api_tokens::create(
        &mut tx,
        user.account,
        &name,
        &tokens::hash(&token),
        &scope_names,
    )
    .await
    .map_err(Error::from)?;
    let detail = scope_names.join(" ");
    let actor = actor(&user, &client);
    db::log::add(
        &mut tx,
        &actor.entry(Action::ApiTokenCreate, &name, &detail),
    )
    .await
    .map_err(Error::from)?;
    tx.commit().await.map_err(Error::from)?;
    Ok(render(
        &page(&state, &user, Chrome::signed_in(&user), Some(token)).await?,
    ))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn revoke_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    let mut tx = state.db.begin().await.map_err(Error::from)?;
    let name = db::api_tokens::delete(&mut tx, user.account, id)
        .await
        .map_err(Error::from)?
        .ok_or(Error::NotFound)?;
    let actor = actor(&user, &client);
    db::log::add(&mut tx, &actor.entry(Action::ApiTokenRevoke, &name, ""))
        .await
        .map_err(Error::from)?;
    tx.commit().await.map_err(Error::from)?;
    Ok(Redirect::to("/api-tokens").into_response())
}
