//! Hosts and update tokens over JSON.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    auth::{ApiUser, ClientAddr},
    db::{
        self,
        hosts::{Host, HostChanges},
        scope::{Tenant, Tx},
    },
    domain::{
        hosts::valid_ttl, licences::Licensing, names::HostName, scopes::Scope, tenants::TenantId,
    },
    error::{Error, ErrorBody, Invalid},
    ops::{self, hosts::NewToken},
    routes::{host_id, rfc3339},
    state::AppState,
};

/// A host as the API shows it. Addresses, update times and token use are
/// written by the DNS servers.
#[derive(Debug, Serialize, ToSchema)]
pub struct HostView {
    pub id: i64,
    /// Fully qualified name, lowercase.
    pub name: String,
    pub zone: String,
    pub ttl: i32,
    pub wildcard: bool,
    pub enabled: bool,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub ipv4_changed_at: Option<String>,
    pub ipv6_changed_at: Option<String>,
    /// Last accepted update (RFC 3339).
    pub last_update_at: Option<String>,
    pub last_client_addr: Option<String>,
    pub last_user_agent: Option<String>,
    pub token: TokenView,
    /// A customer's host: the state of its licence (`valid`, `expiring`,
    /// `expired`, `past_grace`, `pending`); absent for standalone accounts.
    pub licence: Option<String>,
    pub created_at: String,
}

/// The state of a host's update token (never the token).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub present: bool,
    pub created_at: Option<String>,
    pub first_used_at: Option<String>,
    pub last_used_at: Option<String>,
    pub last_client_addr: Option<String>,
    pub last_user_agent: Option<String>,
}

impl HostView {
    fn new(h: Host, licensing: Licensing) -> Self {
        let ip = |a: Option<std::net::IpAddr>| a.map(|a| a.to_string());
        let licence = h
            .licence_state(licensing.today, licensing.rules)
            .map(|state| state.code().to_owned());
        Self {
            id: h.id,
            name: h.name,
            zone: h.zone,
            ttl: h.ttl,
            wildcard: h.wildcard,
            enabled: h.enabled,
            ipv4: ip(h.ipv4),
            ipv6: ip(h.ipv6),
            ipv4_changed_at: h.ipv4_changed_at.map(rfc3339),
            ipv6_changed_at: h.ipv6_changed_at.map(rfc3339),
            last_update_at: h.updated_at.map(rfc3339),
            last_client_addr: ip(h.last_client_addr),
            last_user_agent: h.last_user_agent,
            token: TokenView {
                present: h.has_token,
                created_at: h.token_created_at.map(rfc3339),
                first_used_at: h.token_first_used_at.map(rfc3339),
                last_used_at: h.token_last_used_at.map(rfc3339),
                last_client_addr: ip(h.token_last_client_addr),
                last_user_agent: h.token_last_user_agent,
            },
            licence,
            created_at: rfc3339(h.created_at),
        }
    }
}

/// The tenant a host route works in: the token's own, or (reseller tokens,
/// under `/customers/{customer}/…`) one of the reseller's customers.
async fn tenant(
    state: &AppState,
    api: &ApiUser,
    customer: Option<&str>,
    change: bool,
) -> Result<Tenant, Error> {
    match customer {
        None if change => api.tenant_to_change(),
        None => api.tenant(),
        Some(raw) => {
            let id = TenantId(raw.parse().map_err(|_| Error::NotFound)?);
            let detail = ops::customers::get(&state.db, api.reseller()?, id).await?;
            Ok(Tenant(detail.customer.tenant_id()))
        }
    }
}

async fn list(state: &AppState, tenant: Tenant) -> Result<Json<Vec<HostView>>, Error> {
    let mut tx = Tx::begin(&state.db, tenant).await?;
    let hosts = db::hosts::list(&mut tx).await?;
    let licensing = state.licensing();
    Ok(Json(
        hosts
            .into_iter()
            .map(|h| HostView::new(h, licensing))
            .collect(),
    ))
}

async fn create(
    state: &AppState,
    api: &ApiUser,
    client: &ClientAddr,
    tenant: Tenant,
    input: CreateHost,
) -> Result<(StatusCode, Json<HostView>), Error> {
    let name = match (&input.name, &input.label, &input.zone) {
        (Some(name), None, None) => HostName::parse(name, &state.zones)?,
        (None, Some(label), Some(zone)) => HostName::new(label, zone, &state.zones)?,
        _ => return Err(Invalid::HostName.into()),
    };
    let ttl = ttl(input.ttl)?.unwrap_or(state.config.hosts.default_ttl);
    let licensing = state.licensing();
    let actor = api.actor(client)?;
    let host = ops::hosts::create(
        &state.db,
        &actor,
        tenant,
        licensing,
        &name,
        ttl,
        input.wildcard,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(HostView::new(host, licensing))))
}

/// The account's hosts.
#[utoipa::path(get, path = "/hosts", tag = "hosts",
    responses(
        (status = 200, body = [HostView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "token lacks hosts:read", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_hosts(
    State(state): State<AppState>,
    api: ApiUser,
) -> Result<Json<Vec<HostView>>, Error> {
    api.require(Scope::ReadHosts)?;
    list(&state, tenant(&state, &api, None, false).await?).await
}

/// A new host: either `name` (the full name) or `label` and `zone`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHost {
    /// e.g. `home.dyn.example.net`.
    pub name: Option<String>,
    pub label: Option<String>,
    pub zone: Option<String>,
    /// Seconds, 30–86400 (default from the configuration).
    pub ttl: Option<i64>,
    #[serde(default)]
    pub wildcard: bool,
}

/// Creates a host.
#[utoipa::path(post, path = "/hosts", tag = "hosts", request_body = CreateHost,
    responses(
        (status = 201, body = HostView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "token lacks hosts:write", body = ErrorBody),
        (status = 409, description = "name taken or quota used up", body = ErrorBody),
        (status = 422, description = "invalid name or TTL", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_host(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    ApiJson(input): ApiJson<CreateHost>,
) -> Result<(StatusCode, Json<HostView>), Error> {
    api.require(Scope::WriteHosts)?;
    let tenant = tenant(&state, &api, None, true).await?;
    create(&state, &api, &client, tenant, input).await
}

/// A reseller's customer's hosts.
#[utoipa::path(get, path = "/customers/{id}/hosts", tag = "customers", params(("id" = i64, Path)),
    responses(
        (status = 200, body = [HostView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reseller token, or it lacks read:hosts", body = ErrorBody),
        (status = 404, description = "no such customer of this reseller", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_customer_hosts(
    State(state): State<AppState>,
    api: ApiUser,
    Path(customer): Path<String>,
) -> Result<Json<Vec<HostView>>, Error> {
    api.require(Scope::ReadHosts)?;
    list(&state, tenant(&state, &api, Some(&customer), false).await?).await
}

/// Creates a host for one of the reseller's customers (under its licence).
#[utoipa::path(post, path = "/customers/{id}/hosts", tag = "customers", params(("id" = i64, Path)),
    request_body = CreateHost,
    responses(
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 201, body = HostView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reseller token, lacks write:hosts, or no running licence (`licence_expired`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_customer_host(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(customer): Path<String>,
    ApiJson(input): ApiJson<CreateHost>,
) -> Result<(StatusCode, Json<HostView>), Error> {
    api.require(Scope::WriteHosts)?;
    let tenant = tenant(&state, &api, Some(&customer), true).await?;
    create(&state, &api, &client, tenant, input).await
}

fn ttl(ttl: Option<i64>) -> Result<Option<u32>, Error> {
    match ttl {
        None => Ok(None),
        Some(t) if valid_ttl(t) => Ok(u32::try_from(t).ok()),
        Some(_) => Err(Invalid::Ttl.into()),
    }
}

/// One host.
#[utoipa::path(get, path = "/hosts/{id}", tag = "hosts", params(("id" = i64, Path)),
    responses(
        (status = 200, body = HostView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such host in this account", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn get_host(
    State(state): State<AppState>,
    api: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<HostView>, Error> {
    api.require(Scope::ReadHosts)?;
    let mut tx = Tx::begin(&state.db, api.tenant()?).await?;
    let host = db::hosts::get(&mut tx, host_id(&id)?)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(HostView::new(host, state.licensing())))
}

/// Changes to a host; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateHost {
    pub ttl: Option<i64>,
    pub wildcard: Option<bool>,
    /// Disabled hosts stop resolving and their updates answer `fatal`.
    pub enabled: Option<bool>,
}

/// Changes TTL, wildcard or enabled state.
#[utoipa::path(patch, path = "/hosts/{id}", tag = "hosts", params(("id" = i64, Path)), request_body = UpdateHost,
    responses(
        (status = 200, body = HostView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn update_host(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UpdateHost>,
) -> Result<Json<HostView>, Error> {
    api.require(Scope::WriteHosts)?;
    let id = host_id(&id)?;
    let changes = HostChanges {
        ttl: ttl(input.ttl)?,
        wildcard: input.wildcard,
        enabled: input.enabled,
    };
    let (tenant, licensing) = (api.tenant_to_change()?, state.licensing());
    let actor = api.actor(&client)?;
    let host = ops::hosts::update(&state.db, &actor, tenant, licensing, id, changes).await?;
    Ok(Json(HostView::new(host, licensing)))
}

/// Deletes a host and its token.
#[utoipa::path(delete, path = "/hosts/{id}", tag = "hosts", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn delete_host(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    api.require(Scope::WriteHosts)?;
    let (tenant, actor) = (api.tenant_to_change()?, api.actor(&client)?);
    ops::hosts::delete(&state.db, &actor, tenant, state.licensing(), host_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates the host's update token, or exchanges it: the old token stops at
/// once. The token is in this answer only.
#[utoipa::path(post, path = "/hosts/{id}/token", tag = "tokens", params(("id" = i64, Path)),
    responses(
        (status = 201, body = NewToken),
        (status = 401, body = ErrorBody),
        (status = 403, description = "token lacks tokens:write", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn set_token(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<NewToken>), Error> {
    api.require(Scope::WriteTokens)?;
    let (tenant, actor) = (api.tenant_to_change()?, api.actor(&client)?);
    let (host, token) =
        ops::hosts::set_token(&state.db, &actor, tenant, state.licensing(), host_id(&id)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewToken {
            hostname: host.name,
            token,
        }),
    ))
}

/// Revokes the host's update token.
#[utoipa::path(delete, path = "/hosts/{id}/token", tag = "tokens", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the host has no token", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn revoke_token(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    api.require(Scope::WriteTokens)?;
    let (tenant, actor) = (api.tenant_to_change()?, api.actor(&client)?);
    ops::hosts::revoke_token(&state.db, &actor, tenant, state.licensing(), host_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates update tokens for every host that has none. Answers JSON, or the
/// `spdyn_update_token.csv` file (hostname, token) with `Accept: text/csv`.
#[utoipa::path(post, path = "/tokens/missing", tag = "tokens",
    responses(
        (status = 200, description = "the new tokens; a CSV file with `Accept: text/csv`",
            content((Vec<NewToken> = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_missing_tokens(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    headers: HeaderMap,
) -> Result<Response, Error> {
    api.require(Scope::WriteTokens)?;
    let (tenant, actor) = (api.tenant_to_change()?, api.actor(&client)?);
    let tokens =
        ops::hosts::create_missing_tokens(&state.db, &actor, tenant, state.licensing()).await?;

    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        Ok(crate::routes::csv_download(
            "spdyn_update_token.csv",
            ops::hosts::tokens_csv(&tokens),
        ))
    } else {
        Ok(Json(tokens).into_response())
    }
}
