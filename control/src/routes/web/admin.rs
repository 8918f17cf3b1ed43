//! Operator pages: accounts (enable, disable, quota) and moving hosts.

use axum::{
    Form,
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    actor,
    i18n::{Tr, error_text},
    pages::{AdminPage, Chrome},
    render,
};
use crate::{
    auth::{ClientAddr, RequireAdmin},
    db,
    domain::accounts::AccountId,
    error::{Error, HtmlError},
    ops,
    state::AppState,
};

async fn page(state: &AppState, c: Chrome) -> Result<AdminPage, Error> {
    let mut conn = state.db.acquire().await?;
    Ok(AdminPage {
        c,
        accounts: db::accounts::list(&mut conn).await?,
    })
}

#[tracing::instrument(skip_all)]
pub async fn admin_get(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
) -> Result<Response, HtmlError> {
    Ok(render(&page(&state, Chrome::signed_in(&user)).await?))
}

/// Shows the result of an operator action: back to the page, or the page
/// with the error.
async fn outcome(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    result: Result<(), Error>,
    done: &str,
) -> Result<Response, HtmlError> {
    match result {
        Ok(()) => {
            let c = Chrome::signed_in(user).with_done(Some(done));
            Ok(render(&page(state, c).await?))
        }
        Err(error) if !error.status_code().is_server_error() => {
            let c = Chrome::signed_in(user).with_error(error_text(Tr(user.language), &error));
            Ok((error.status_code(), render(&page(state, c).await?)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    host: String,
    account: String,
}

#[tracing::instrument(skip_all)]
pub async fn move_post(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    client: ClientAddr,
    Form(form): Form<MoveForm>,
) -> Result<Response, HtmlError> {
    let result =
        ops::hosts::move_host(&state.db, &actor(&user, &client), &form.host, &form.account).await;
    outcome(&state, &user, result, "moved").await
}

#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    enabled: String,
}

fn account_id(raw: &str) -> Result<AccountId, Error> {
    raw.parse().map(AccountId).map_err(|_| Error::NotFound)
}

#[tracing::instrument(skip_all)]
pub async fn enabled_post(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<EnabledForm>,
) -> Result<Response, HtmlError> {
    let result = ops::accounts::set_enabled(
        &state.db,
        &actor(&user, &client),
        account_id(&id)?,
        form.enabled == "true",
    )
    .await;
    outcome(&state, &user, result, "saved").await
}

#[derive(Debug, Deserialize)]
pub struct QuotaForm {
    quota: String,
}

#[tracing::instrument(skip_all)]
pub async fn quota_post(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<QuotaForm>,
) -> Result<Response, HtmlError> {
    let result = match form.quota.trim().parse::<i32>() {
        Ok(quota) => {
            ops::accounts::set_quota(&state.db, &actor(&user, &client), account_id(&id)?, quota)
                .await
        }
        Err(_) => Err(Error::invalid("quota", "not a number")),
    };
    outcome(&state, &user, result, "saved").await
}
