//! Operator pages: resellers (create with their first user), standalone
//! accounts (enable, disable, quota) and moving hosts.

use axum::{
    Form,
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    confirm::{self, Ask, Confirm, Subject},
    pages::{AdminPage, Chrome},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser, RequireAdmin},
    db::{self, scope::Tx},
    domain::{accounts::AccountId, tenants::TenantId},
    error::{Error, Invalid},
    html::HtmlError,
    ops::{self, resellers::NewResellerUser},
    state::AppState,
};

async fn page(state: &AppState, user: &CurrentUser, c: Chrome) -> Result<AdminPage, Error> {
    let mut tx = Tx::begin(&state.db, user.operator()?).await?;
    Ok(AdminPage {
        c,
        accounts: db::accounts::list(&mut tx).await?,
        resellers: db::resellers::list(&mut tx).await?,
        applications: db::oauth::clients(&mut tx).await?,
        authorize_url: format!(
            "{}{}",
            state.config.http.public_url.trim_end_matches('/'),
            crate::routes::oauth::AUTHORIZE_PATH
        ),
    })
}

#[tracing::instrument(skip_all)]
pub async fn admin_get(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
) -> Result<Response, HtmlError> {
    Ok(render(
        &page(&state, &user, Chrome::signed_in(&user)).await?,
    ))
}

/// Shows the result of an operator action: back to the page, or the page
/// with the error.
pub(super) async fn outcome(
    state: &AppState,
    user: &CurrentUser,
    result: Result<(), Error>,
    done: &str,
) -> Result<Response, HtmlError> {
    match result {
        Ok(()) => {
            let c = Chrome::signed_in(user).with_done(Some(done));
            Ok(render(&page(state, user, c).await?))
        }
        Err(error) if !error.status_code().is_server_error() => {
            let c = Chrome::signed_in(user).with_error(&error);
            Ok((error.status_code(), render(&page(state, user, c).await?)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ResellerForm {
    name: String,
    user: String,
    email: String,
}

#[tracing::instrument(skip_all)]
pub async fn reseller_create(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    client: ClientAddr,
    Form(form): Form<ResellerForm>,
) -> Result<Response, HtmlError> {
    let result = async {
        let first = NewResellerUser {
            name: &form.user,
            email: &form.email,
            language: user.language,
        };
        let actor = user.actor(&client)?;
        ops::resellers::create(&state.db, &state.config, &actor, &form.name, first).await?;
        state.mail_wake.notify_one();
        Ok(())
    }
    .await;
    outcome(&state, &user, result, "reseller_created").await
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
    let result = match user.actor(&client) {
        Ok(actor) => ops::hosts::move_host(&state.db, &actor, &form.host, &form.account).await,
        Err(error) => Err(error),
    };
    outcome(&state, &user, result, "moved").await
}

#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    enabled: String,
    #[serde(flatten)]
    confirm: Confirm,
}

const DISABLE: Ask = Ask {
    title: "confirm.account_disable_title",
    consequence: "confirm.account_disable_consequence",
    submit: "admin.disable",
    type_subject: false,
};

/// An id from a path segment; anything unparseable is simply not found.
fn id(raw: &str) -> Result<i64, Error> {
    raw.parse().map_err(|_| Error::NotFound)
}

#[tracing::instrument(skip_all)]
pub async fn enabled_post(
    State(state): State<AppState>,
    RequireAdmin(user): RequireAdmin,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<EnabledForm>,
) -> Result<Response, HtmlError> {
    let account = AccountId(id(&raw)?);
    let enable = form.enabled == "true";
    // Disabling asks first, unless it would be refused anyway (oneself).
    if !enable && !form.confirm.yes() && account != user.account {
        let mut tx = Tx::begin(&state.db, user.operator()?).await?;
        let name = db::accounts::by_id(&mut tx, account)
            .await?
            .ok_or(Error::NotFound)?
            .name;
        let action = format!("/admin/accounts/{raw}/enabled");
        let subject = Subject::new(name, action, "/admin").with_hidden("enabled", "false");
        return Ok(confirm::ask(&user, &DISABLE, subject));
    }
    let actor = user.actor(&client)?;
    let result = ops::accounts::set_enabled(&state.db, &actor, account, enable).await;
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
    Path(raw): Path<String>,
    Form(form): Form<QuotaForm>,
) -> Result<Response, HtmlError> {
    let tenant = TenantId(id(&raw)?);
    let actor = user.actor(&client)?;
    let result = match form.quota.trim().parse::<i32>() {
        Ok(quota) => ops::accounts::set_quota(&state.db, &actor, tenant, quota).await,
        Err(_) => Err(Invalid::Quota.into()),
    };
    outcome(&state, &user, result, "saved").await
}
