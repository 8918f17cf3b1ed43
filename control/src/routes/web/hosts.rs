//! Host and update-token pages of the tenant in view.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done, Show, chrome,
    confirm::{self, Ask, Confirm, Subject},
    guide,
    pages::{Chrome, HostPage, HostsPage, TokenPage},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser},
    db::{
        self,
        hosts::{Host, HostChanges},
        scope::{Tenant, Tx},
    },
    domain::{
        hosts::{HostId, valid_ttl},
        names::HostName,
        tenants::TenantId,
    },
    error::{Error, Invalid},
    html::HtmlError,
    ops,
    routes::{csv_download, host_id},
    shown_once::Shown,
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
    download: Option<(String, usize)>,
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
        download,
        stale_days: state.config.dashboard.stale_days,
    })
}

/// `?done=…`, and after the bulk action the key of its CSV file.
#[derive(Debug, Default, Deserialize)]
pub struct HostsQuery {
    done: Option<String>,
    download: Option<String>,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn hosts_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<HostsQuery>,
) -> Result<Response, HtmlError> {
    let c = chrome(&state, &user)
        .await?
        .with_done(query.done.as_deref());
    let download = query.download.and_then(|key| {
        let count = state.shown_once.csv_count(&user.session.id_hash, &key)?;
        Some((key, count))
    });
    Ok(render(
        &hosts_page(&state, &user, c, String::new(), download).await?,
    ))
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
            let c = chrome(&state, &user)
                .await?
                .with_field_error(&error, &[("name", "label"), ("ttl", "ttl")]);
            let label = form.label.chars().take(63).collect();
            Ok((
                error.status_code(),
                render(&hosts_page(&state, &user, c, label, None).await?),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// dnsd's update URL as configured, or a placeholder to replace.
fn update_url(state: &AppState) -> String {
    state
        .config
        .hosts
        .update_url
        .clone()
        .unwrap_or_else(|| "https://<update-server>/nic/update".into())
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
    let tenant = user.tenant()?;
    let host = host_in(state, tenant, id).await?;
    let move_targets = match user.tenant_to_change() {
        Ok(from) => {
            ops::moves::targets(&state.db, &user.principal.actor(None, None)?, from).await?
        }
        Err(_) => Vec::new(),
    };
    Ok(HostPage {
        c,
        move_targets,
        clients: guide::clients(&host.name, &update_url(state)),
        records: guide::records(&host),
        limits: state.config.hosts.update_limits,
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

/// What each destructive host action asks before it acts.
const DISABLE: Ask = Ask {
    title: "confirm.disable_title",
    consequence: "confirm.disable_consequence",
    submit: "host.disable",
    type_subject: false,
};
const DELETE: Ask = Ask {
    title: "confirm.delete_title",
    consequence: "host.delete_hint",
    submit: "host.delete",
    type_subject: true,
};
const EXCHANGE: Ask = Ask {
    title: "confirm.exchange_title",
    consequence: "host.token_exchange_hint",
    submit: "host.token_exchange",
    type_subject: false,
};
const REVOKE: Ask = Ask {
    title: "confirm.revoke_title",
    consequence: "confirm.revoke_consequence",
    submit: "host.token_revoke",
    type_subject: false,
};

/// The confirmation page of `ask` for the host (`path` under `/hosts/N`).
async fn ask_about(
    state: &AppState,
    user: &CurrentUser,
    host: &Host,
    ask: &Ask,
    path: &str,
    hidden: Vec<(&'static str, String)>,
    error: Option<Error>,
) -> Result<Response, HtmlError> {
    let subject = Subject {
        name: host.name.clone(),
        action: format!("/hosts/{}{path}", host.id),
        back: format!("/hosts/{}", host.id),
        hidden,
    };
    Ok(confirm::page(
        chrome(state, user).await?,
        ask,
        subject,
        error,
    ))
}

/// A host about to be changed, for its confirmation page: the tenant's
/// own, and only while it may be changed (no confirmation of what would be
/// refused anyway).
async fn host_of(state: &AppState, user: &CurrentUser, id: &str) -> Result<Host, Error> {
    let host = host_in(state, user.tenant_to_change()?, id).await?;
    ops::hosts::changeable(&host, state.licensing())?;
    Ok(host)
}

/// The tenant's host `id`; another tenant's id is unknown here as
/// everywhere.
async fn host_in(state: &AppState, tenant: Tenant, id: &str) -> Result<Host, Error> {
    let mut tx = Tx::begin(&state.db, tenant).await?;
    db::hosts::get(&mut tx, host_id(id)?)
        .await?
        .ok_or(Error::NotFound)
}

#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    enabled: String,
    #[serde(flatten)]
    confirm: Confirm,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_enabled(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<EnabledForm>,
) -> Result<Response, HtmlError> {
    let enable = form.enabled == "true";
    if !enable && !form.confirm.yes() {
        let host = host_of(&state, &user, &id).await?;
        let hidden = vec![("enabled", "false".into())];
        return ask_about(&state, &user, &host, &DISABLE, "/enabled", hidden, None).await;
    }
    let changes = HostChanges {
        enabled: Some(enable),
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
    Form(form): Form<Confirm>,
) -> Result<Response, HtmlError> {
    let host = host_of(&state, &user, &id).await?;
    let typed = form.typed();
    if !typed.is_some_and(|name| name.eq_ignore_ascii_case(&host.name)) {
        let error = typed.map(|_| Error::Invalid(Invalid::ConfirmName));
        return ask_about(&state, &user, &host, &DELETE, "/delete", Vec::new(), error).await;
    }
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    ops::hosts::delete(
        &state.db,
        &actor,
        tenant,
        state.licensing(),
        HostId(host.id),
    )
    .await?;
    Ok(Redirect::to("/hosts?done=deleted").into_response())
}

/// Creates the host's first update token, or exchanges it once confirmed;
/// the token is shown once on the page this redirects to.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn token_set(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<Confirm>,
) -> Result<Response, HtmlError> {
    let host = host_of(&state, &user, &id).await?;
    if host.has_token && !form.yes() {
        return ask_about(&state, &user, &host, &EXCHANGE, "/token", Vec::new(), None).await;
    }
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let (host, token) = ops::hosts::set_token(
        &state.db,
        &actor,
        tenant,
        state.licensing(),
        HostId(host.id),
    )
    .await?;
    let shown = Shown::UpdateToken {
        host_id: host.id,
        host: host.name,
        token,
    };
    let key = state.shown_once.put(&user.session.id_hash, shown);
    Ok(Redirect::to(&format!("/hosts/{}/token?show={key}", host.id)).into_response())
}

/// The new token, once; a reload (or a direct visit) goes back to the host
/// with a note that it was shown already.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn token_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<Show>,
) -> Result<Response, HtmlError> {
    let id = host_in(&state, user.tenant()?, &id).await?.id;
    let shown = query.take(&state, &user);
    let Some(Shown::UpdateToken {
        host_id,
        host,
        token,
    }) = shown.filter(|s| matches!(s, Shown::UpdateToken { host_id, .. } if *host_id == id))
    else {
        return Ok(Redirect::to(&format!("/hosts/{id}?done=shown_once")).into_response());
    };
    let page = TokenPage {
        c: Chrome::signed_in(&user),
        host,
        host_id,
        token,
        update_url: update_url(&state),
    };
    Ok(render(&page))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn token_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<Confirm>,
) -> Result<Response, HtmlError> {
    if !form.yes() {
        let host = host_of(&state, &user, &id).await?;
        let path = "/token/revoke";
        return ask_about(&state, &user, &host, &REVOKE, path, Vec::new(), None).await;
    }
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let host =
        ops::hosts::revoke_token(&state.db, &actor, tenant, state.licensing(), host_id(&id)?)
            .await?;
    Ok(Redirect::to(&format!("/hosts/{}?done=revoked", host.id)).into_response())
}

const MOVE: Ask = Ask {
    title: "confirm.move_title",
    consequence: "confirm.move_consequence",
    submit: "host.move",
    type_subject: false,
};

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    /// Missing: refused after the permission checks, like a wrong one.
    #[serde(default)]
    to: String,
    #[serde(flatten)]
    confirm: Confirm,
}

/// Moves the host into another customer (asks first): records, token and
/// history go along.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn host_move(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Response, HtmlError> {
    let host = host_of(&state, &user, &id).await?;
    let from = user.tenant_to_change()?;
    let to = TenantId(
        form.to
            .parse()
            .map_err(|_| Error::Invalid(Invalid::MoveTarget))?,
    );
    let actor = user.actor(&client)?;
    if !form.confirm.yes() {
        let target = ops::moves::targets(&state.db, &actor, from)
            .await?
            .into_iter()
            .find(|c| c.id == to.0)
            .ok_or(Error::Invalid(Invalid::MoveTarget))?;
        // The customer the host goes to, beside the host's name.
        let subject = Subject::new(
            format!("{} \u{2192} {}", host.name, target.name),
            format!("/hosts/{}/move", host.id),
            &format!("/hosts/{}", host.id),
        )
        .with_hidden("to", &form.to);
        return Ok(confirm::page(
            chrome(&state, &user).await?,
            &MOVE,
            subject,
            None,
        ));
    }
    ops::moves::move_to_customer(
        &state.db,
        &actor,
        state.licensing(),
        from,
        HostId(host.id),
        to,
    )
    .await?;
    Ok(Redirect::to("/hosts?done=moved").into_response())
}

/// Creates a token for every host without one; the hosts page this
/// redirects to says how many and offers their CSV file once.
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
    let shown = Shown::TokensCsv {
        csv: ops::hosts::tokens_csv(&tokens),
        count: tokens.len(),
    };
    let key = state.shown_once.put(&user.session.id_hash, shown);
    Ok(Redirect::to(&format!("/hosts?download={key}")).into_response())
}

/// The bulk action's CSV file, once.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn tokens_download(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<Show>,
) -> Result<Response, HtmlError> {
    let shown = query.take(&state, &user);
    match shown {
        Some(Shown::TokensCsv { csv, .. }) => Ok(csv_download("spdyn_update_token.csv", csv)),
        _ => Ok(Redirect::to("/hosts?done=shown_once").into_response()),
    }
}
