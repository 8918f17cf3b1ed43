//! Personal API tokens: list, create (shown once), revoke.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};

use super::{
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
            "name" => name = value.into_owned(),
            "scope" => scopes.extend(Scope::parse(&value)),
            _ => {}
        }
    }
    let actor = user.actor(&client)?;
    match ops::api_tokens::create(&state.db, &actor, user.holder(), &name, &scopes).await {
        Ok((token, _)) => {
            let page = page(&state, &user, Chrome::signed_in(&user), Some(token)).await?;
            Ok(render(&page))
        }
        Err(error @ Error::Invalid(_)) => {
            let c = Chrome::signed_in(&user).with_error(&error);
            let page = page(&state, &user, c, None).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn revoke_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    ops::api_tokens::revoke(&state.db, &user.actor(&client)?, id).await?;
    Ok(Redirect::to("/api-tokens").into_response())
}
