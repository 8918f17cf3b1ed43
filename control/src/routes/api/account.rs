//! The calling account and its action log.

use axum::{
    Json,
    extract::{Query, State},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    auth::ApiUser,
    db::{self, scope::Tx},
    domain::scopes::Scope,
    error::{Error, ErrorBody, Invalid},
    routes::{log_query::LogQuery, rfc3339},
    state::AppState,
};

/// The account a token belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub name: String,
    pub email: String,
    /// `en` or `de`.
    pub language: String,
    /// `standalone`, `tenant_user` or `reseller_user`.
    pub kind: String,
    /// `admin` or `read_only`.
    pub role: String,
    /// The tenant's host quota (standalone accounts; a customer's quota is
    /// its licences').
    pub host_quota: Option<i32>,
    /// Hosts of the tenant (none for reseller users).
    pub hosts: i64,
    /// Scopes of the token used for this request.
    pub scopes: Vec<String>,
}

/// The calling account.
#[utoipa::path(get, path = "/account", tag = "account",
    responses(
        (status = 200, body = AccountView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "token lacks account:read", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn get_account(
    State(state): State<AppState>,
    api: ApiUser,
) -> Result<Json<AccountView>, Error> {
    api.require(Scope::ReadAccount)?;
    let mut tx = Tx::begin(&state.db, api.home()?).await?;
    let account = db::accounts::by_id(&mut tx, api.account)
        .await?
        .ok_or(Error::Unauthorized)?;
    drop(tx);
    let (host_quota, hosts) = match api.tenant() {
        Ok(tenant) => {
            let mut tx = Tx::begin(&state.db, tenant).await?;
            let quota = db::tenants::get(&mut tx, tenant.0)
                .await?
                .and_then(|t| t.host_quota);
            (quota, db::hosts::list(&mut tx).await?.len() as i64)
        }
        Err(_) => (None, 0),
    };
    Ok(Json(AccountView {
        name: account.name,
        email: account.email,
        language: account.language,
        kind: account.kind,
        role: account.role,
        host_quota,
        hosts,
        scopes: api.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
    }))
}

/// One action-log entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryView {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// The account that acted.
    pub actor: String,
    /// The reseller a reseller user acted for.
    pub actor_reseller: Option<String>,
    /// What the action came through: `api:<token name>`, `cli`.
    pub actor_via: Option<String>,
    /// e.g. `host.create`, `token.exchange`, `signin.failure`.
    pub action: String,
    pub target: String,
    pub detail: String,
    pub source_addr: Option<String>,
}

/// The tenant's action log, newest first, filtered by actor, action and
/// days.
#[utoipa::path(get, path = "/log", tag = "log", params(LogQuery),
    responses(
        (status = 200, body = [LogEntryView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "token lacks log:read", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn get_log(
    State(state): State<AppState>,
    api: ApiUser,
    query: Result<Query<LogQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<LogEntryView>>, Error> {
    api.require(Scope::ReadLog)?;
    let Query(query) = query.map_err(|e| Error::BadRequest(e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Invalid::Limit.into());
    }
    let filter = query.filter()?;
    let mut tx = Tx::begin(&state.db, api.tenant()?).await?;
    let entries = db::log::list(&mut tx, &filter, limit).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| LogEntryView {
                id: e.id,
                at: rfc3339(e.at),
                actor: e.actor,
                actor_reseller: e.actor_reseller,
                actor_via: e.actor_via,
                action: e.action,
                target: e.target,
                detail: e.detail,
                source_addr: e.source_addr.map(|a| a.to_string()),
            })
            .collect(),
    ))
}
