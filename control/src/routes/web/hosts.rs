//! Host and update-token pages.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done, actor,
    i18n::{Tr, error_text},
    pages::{Chrome, HostPage, HostsPage, TokenPage},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser},
    db::{self, hosts::HostChanges},
    domain::{hosts::valid_ttl, names::HostName},
    error::{Error, HtmlError},
    ops,
    routes::{csv_download, host_id},
    state::AppState,
};

async fn hosts_page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
    label: String,
) -> Result<HostsPage, Error> {
    let mut conn = state.db.acquire().await?;
    let hosts = db::hosts::list(&mut conn, user.account).await?;
    let account = db::accounts::by_id(&mut conn, user.account)
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok(HostsPage {
        c,
        hosts,
        quota: account.host_quota,
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
    let c = Chrome::signed_in(&user).with_done(done.done.as_deref());
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
        .ok_or_else(|| Error::invalid("ttl", "the TTL must be between 30 and 86400 seconds"))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_create(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<CreateHostForm>,
) -> Result<Response, HtmlError> {
    let result = async {
        let name = HostName::new(&form.label, &form.zone, &state.zones)
            .map_err(|e| Error::invalid("label", e))?;
        let ttl = parse_ttl(form.ttl.as_deref(), state.config.hosts.default_ttl)?;
        ops::hosts::create(
            &state.db,
            &actor(&user, &client),
            &name,
            ttl,
            form.wildcard.is_some(),
        )
        .await
    }
    .await;
    match result {
        Ok(host) => Ok(Redirect::to(&format!("/hosts/{}?done=created", host.id)).into_response()),
        Err(error) if !error.status_code().is_server_error() => {
            let c = Chrome::signed_in(&user).with_error(error_text(Tr(user.language), &error));
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

async fn host_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    c: Chrome,
) -> Result<HostPage, Error> {
    let mut conn = state.db.acquire().await?;
    let host = db::hosts::get(&mut conn, user.account, host_id(id)?)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(HostPage { c, host })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = Chrome::signed_in(&user).with_done(done.done.as_deref());
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
    let result = match changes {
        Ok(changes) => {
            ops::hosts::update(&state.db, &actor(user, client), host_id(id)?, changes).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(host) => Ok(Redirect::to(&format!("/hosts/{}?done=saved", host.id)).into_response()),
        Err(error @ Error::Invalid { .. }) => {
            let c = Chrome::signed_in(user).with_error(error_text(Tr(user.language), &error));
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
    ops::hosts::delete(&state.db, &actor(&user, &client), host_id(&id)?).await?;
    Ok(Redirect::to("/hosts?done=deleted").into_response())
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn token_set(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let (host, token) =
        ops::hosts::set_token(&state.db, &actor(&user, &client), host_id(&id)?).await?;
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
    let host = ops::hosts::revoke_token(&state.db, &actor(&user, &client), host_id(&id)?).await?;
    Ok(Redirect::to(&format!("/hosts/{}?done=revoked", host.id)).into_response())
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn tokens_missing(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
) -> Result<Response, HtmlError> {
    let tokens = ops::hosts::create_missing_tokens(&state.db, &actor(&user, &client)).await?;
    if tokens.is_empty() {
        return Ok(Redirect::to("/hosts?done=no_missing").into_response());
    }
    Ok(csv_download(
        "spdyn_update_token.csv",
        ops::hosts::tokens_csv(&tokens),
    ))
}
