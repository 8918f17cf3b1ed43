//! Host and update-token pages of the tenant in view.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done, chrome,
    pages::{Chrome, HostPage, HostsPage, TokenPage},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser},
    db::{
        self,
        hosts::HostChanges,
        scope::{Tenant, Tx},
    },
    domain::{hosts::valid_ttl, names::HostName},
    error::{Error, Invalid},
    html::HtmlError,
    ops,
    routes::{csv_download, host_id},
    state::AppState,
};

/// Hosts the tenant may have: a standalone tenant's quota, or the hosts its
/// running licences cover.
async fn quota(state: &AppState, tenant: Tenant) -> Result<i64, Error> {
    let mut tx = Tx::begin(&state.db, tenant).await?;
    let row = db::tenants::get(&mut tx, tenant.0)
        .await?
        .ok_or(Error::Unauthorized)?;
    if let Some(quota) = row.host_quota {
        return Ok(i64::from(quota));
    }
    let licensing = state.licensing();
    Ok(db::licences::of_tenant(&mut tx)
        .await?
        .iter()
        .filter(|l| licensing.state(l.validity()).allows_changes())
        .map(|l| i64::from(l.quantity))
        .sum())
}

async fn hosts_page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
    label: String,
) -> Result<HostsPage, Error> {
    let tenant = user.tenant()?;
    let mut tx = Tx::begin(&state.db, tenant).await?;
    let hosts = db::hosts::list(&mut tx).await?;
    drop(tx);
    Ok(HostsPage {
        c,
        hosts,
        quota: quota(state, tenant).await?,
        licensing: state.licensing(),
        zones: state.zones.iter().map(|z| z.to_string()).collect(),
        default_ttl: state.config.hosts.default_ttl,
        label,
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn hosts_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = chrome(&state, &user).await?.with_done(done.done.as_deref());
    Ok(render(&hosts_page(&state, &user, c, String::new()).await?))
}

#[derive(Debug, Deserialize)]
pub struct CreateHostForm {
    label: String,
    zone: String,
    ttl: Option<String>,
    wildcard: Option<String>,
}

/// A TTL field: empty means the default.
fn parse_ttl(text: Option<&str>, default: u32) -> Result<u32, Error> {
    let text = text.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Ok(default);
    }
    text.parse::<i64>()
        .ok()
        .filter(|t| valid_ttl(*t))
        .and_then(|t| u32::try_from(t).ok())
        .ok_or(Error::Invalid(Invalid::Ttl))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_create(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<CreateHostForm>,
) -> Result<Response, HtmlError> {
    let result = async {
        let tenant = user.tenant_to_change()?;
        let name = HostName::new(&form.label, &form.zone, &state.zones)?;
        let ttl = parse_ttl(form.ttl.as_deref(), state.config.hosts.default_ttl)?;
        ops::hosts::create(
            &state.db,
            &user.actor(&client)?,
            tenant,
            state.licensing(),
            &name,
            ttl,
            form.wildcard.is_some(),
        )
        .await
    }
    .await;
    match result {
        Ok(host) => Ok(Redirect::to(&format!("/hosts/{}?done=created", host.id)).into_response()),
        Err(error) if shown_on_page(&error) => {
            let c = chrome(&state, &user).await?.with_error(&error);
            let label = form.label.chars().take(63).collect();
            Ok((
                error.status_code(),
                render(&hosts_page(&state, &user, c, label).await?),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// Errors a form page shows above itself (the rest get the error page or
/// a redirect).
fn shown_on_page(error: &Error) -> bool {
    matches!(
        error,
        Error::Invalid(_)
            | Error::Conflict(_)
            | Error::QuotaExceeded
            | Error::LicenceExpired
            | Error::ReadOnly
    )
}

async fn host_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    c: Chrome,
) -> Result<HostPage, Error> {
    let mut tx = Tx::begin(&state.db, user.tenant()?).await?;
    let host = db::hosts::get(&mut tx, host_id(id)?)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(HostPage {
        c,
        host,
        licensing: state.licensing(),
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = chrome(&state, &user).await?.with_done(done.done.as_deref());
    Ok(render(&host_page(&state, &user, &id, c).await?))
}

#[derive(Debug, Deserialize)]
pub struct HostSettingsForm {
    ttl: Option<String>,
    wildcard: Option<String>,
}

/// Applies a change and redirects to the host page with a notice, or shows
/// the host page with the error.
async fn change_host(
    state: &AppState,
    user: &CurrentUser,
    client: &ClientAddr,
    id: &str,
    changes: Result<HostChanges, Error>,
) -> Result<Response, HtmlError> {
    let result = async {
        let tenant = user.tenant_to_change()?;
        let (id, changes) = (host_id(id)?, changes?);
        let actor = user.actor(client)?;
        ops::hosts::update(&state.db, &actor, tenant, state.licensing(), id, changes).await
    }
    .await;
    match result {
        Ok(host) => Ok(Redirect::to(&format!("/hosts/{}?done=saved", host.id)).into_response()),
        Err(error) if shown_on_page(&error) => {
            let c = chrome(state, user).await?.with_error(&error);
            Ok((
                error.status_code(),
                render(&host_page(state, user, id, c).await?),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_update(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<HostSettingsForm>,
) -> Result<Response, HtmlError> {
    let changes =
        parse_ttl(form.ttl.as_deref(), state.config.hosts.default_ttl).map(|ttl| HostChanges {
            ttl: Some(ttl),
            wildcard: Some(form.wildcard.is_some()),
            enabled: None,
        });
    change_host(&state, &user, &client, &id, changes).await
}

#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    enabled: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_enabled(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<EnabledForm>,
) -> Result<Response, HtmlError> {
    let changes = HostChanges {
        enabled: Some(form.enabled == "true"),
        ..HostChanges::default()
    };
    change_host(&state, &user, &client, &id, Ok(changes)).await
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_delete(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    ops::hosts::delete(&state.db, &actor, tenant, state.licensing(), host_id(&id)?).await?;
    Ok(Redirect::to("/hosts?done=deleted").into_response())
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn token_set(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let (host, token) =
        ops::hosts::set_token(&state.db, &actor, tenant, state.licensing(), host_id(&id)?).await?;
    let page = TokenPage {
        c: Chrome::signed_in(&user),
        host: host.name,
        host_id: host.id,
        token,
        update_url: state
            .config
            .hosts
            .update_url
            .clone()
            .unwrap_or_else(|| "https://<update-server>/nic/update".into()),
    };
    Ok(render(&page))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn token_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let host =
        ops::hosts::revoke_token(&state.db, &actor, tenant, state.licensing(), host_id(&id)?)
            .await?;
    Ok(Redirect::to(&format!("/hosts/{}?done=revoked", host.id)).into_response())
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn tokens_missing(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
) -> Result<Response, HtmlError> {
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let tokens =
        ops::hosts::create_missing_tokens(&state.db, &actor, tenant, state.licensing()).await?;
    if tokens.is_empty() {
        return Ok(Redirect::to("/hosts?done=no_missing").into_response());
    }
    Ok(csv_download(
        "spdyn_update_token.csv",
        ops::hosts::tokens_csv(&tokens),
    ))
}
