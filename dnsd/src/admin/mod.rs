//! The loopback admin API behind the `dnsd host …`, `dnsd account …` and
//! `dnsd tokens …` commands. Every request carries the configured secret as a
//! bearer token; every change goes through the store's group commit.

pub mod client;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use serde::{Deserialize, Serialize};
use spdyn_common::{names::NameError, password};
use subtle::ConstantTimeEq;

use crate::{
    names::Fqdn,
    store::{AccountRecord, HostRecord, Store, StoreError, TokenRecord},
    tokens,
};

/// Request bodies up to this size (an import batch is about 1 MiB).
const IMPORT_BODY_LIMIT: usize = 8 << 20;

/// Longest TTL a host may ask for.
pub const MAX_TTL: u32 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("missing or wrong admin secret")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<NameError> for AdminError {
    fn from(e: NameError) -> Self {
        Self::BadRequest(format!("invalid host name: {e}"))
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Store(error) => {
                tracing::error!(%error, "admin request failed in the store");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (
            status,
            Json(ErrorBody {
                error: self.to_string(),
            }),
        )
            .into_response()
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[derive(Clone)]
struct AdminState {
    store: Store,
    secret: Arc<str>,
    /// Fed from Postgres: hosts and accounts are managed in control, so the
    /// commands that change them are refused (listing still works).
    managed: bool,
}

pub fn router(store: Store, secret: String, managed: bool) -> Router {
    let state = AdminState {
        store,
        secret: secret.into(),
        managed,
    };
    Router::new()
        .route("/hosts", get(list_hosts).post(add_host))
        .route("/hosts/import", post(import_hosts))
        .route("/hosts/{name}", delete(remove_host))
        .route("/hosts/{name}/token", post(exchange_token))
        .route("/hosts/{name}/enable", post(enable_host))
        .route("/hosts/{name}/disable", post(disable_host))
        .route("/hosts/{name}/licence", post(set_licence))
        .route("/accounts", post(add_account))
        .route("/tokens/export", post(export_tokens))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
        .with_state(state)
}

/// A host as the admin API shows it (no token material).
#[derive(Debug, Serialize, Deserialize)]
pub struct HostView {
    pub name: String,
    pub account: Option<String>,
    pub ttl: u32,
    pub wildcard: bool,
    pub enabled: bool,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    /// Milliseconds since the epoch of the last accepted update, 0 = never.
    pub updated: u64,
    pub last_client: Option<String>,
    pub has_token: bool,
    pub token_first_used: Option<u64>,
    pub token_last_used: Option<u64>,
    pub txt: Vec<String>,
}

impl From<&HostRecord> for HostView {
    fn from(host: &HostRecord) -> Self {
        Self {
            name: host.name.to_string(),
            account: host.account.clone(),
            ttl: host.ttl,
            wildcard: host.wildcard,
            enabled: host.enabled,
            ipv4: host.ipv4.map(|a| a.to_string()),
            ipv6: host.ipv6.map(|a| a.to_string()),
            updated: host.updated,
            last_client: host.last_client.as_ref().map(|c| c.addr.to_string()),
            has_token: host.token.is_some(),
            token_first_used: host.token.as_ref().and_then(|t| t.first_used),
            token_last_used: host.token.as_ref().and_then(|t| t.last_used),
            txt: host.txt.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AddHost {
    pub name: String,
    pub account: Option<String>,
    pub ttl: Option<u32>,
    #[serde(default)]
    pub wildcard: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NewToken {
    pub hostname: String,
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AddAccount {
    pub name: String,
    pub password: String,
}

fn authorize(state: &AdminState, headers: &HeaderMap) -> Result<(), AdminError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(presented.as_bytes().ct_eq(state.secret.as_bytes())) && !presented.is_empty() {
        Ok(())
    } else {
        Err(AdminError::Unauthorized)
    }
}

/// Like [`authorize`], and refuses changes on a node fed from Postgres.
fn authorize_change(state: &AdminState, headers: &HeaderMap) -> Result<(), AdminError> {
    authorize(state, headers)?;
    if state.managed {
        return Err(AdminError::Conflict(
            "this node follows the control plane: change hosts and accounts there".into(),
        ));
    }
    Ok(())
}

async fn list_hosts(
    State(state): State<AdminState>,
    headers: HeaderMap,
) -> Result<Json<Vec<HostView>>, AdminError> {
    authorize(&state, &headers)?;
    let hosts = state.store.hosts()?;
    Ok(Json(hosts.iter().map(HostView::from).collect()))
}

async fn add_host(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Json(body): Json<AddHost>,
) -> Result<(StatusCode, Json<NewToken>), AdminError> {
    authorize_change(&state, &headers)?;
    let name = Fqdn::parse(&body.name)?;
    let key = name.key();
    let index = state.store.index();
    let zone = index
        .zone_of(&key)
        .ok_or_else(|| AdminError::BadRequest(format!("{name} is not in a served zone")))?;
    if key.len() == zone.apex.len() {
        return Err(AdminError::BadRequest(
            "a host cannot be the zone apex".into(),
        ));
    }
    if index.is_static(&key) {
        return Err(AdminError::Conflict(format!("{name} is a static record")));
    }
    let ttl = body.ttl.unwrap_or(zone.host_ttl);
    if !(1..=MAX_TTL).contains(&ttl) {
        return Err(AdminError::BadRequest(format!("ttl must be 1–{MAX_TTL}")));
    }
    let account = body.account.map(|a| a.to_ascii_lowercase());
    let token = tokens::generate();
    let hash = tokens::hash(&token);
    let wildcard = body.wildcard;
    let created = name.clone();
    state
        .store
        .transact(move |txn| {
            if txn.host(&created)?.is_some() {
                return Err(AdminError::Conflict(format!("{created} exists")));
            }
            if let Some(account) = &account
                && txn.account(account)?.is_none()
            {
                return Err(AdminError::NotFound(format!("account {account}")));
            }
            let mut host = HostRecord::new(&created, account, ttl, txn.now());
            host.wildcard = wildcard;
            host.token = Some(TokenRecord::new(hash, txn.now()));
            txn.put_host(host);
            Ok(())
        })
        .await??;
    tracing::info!(host = %name, "host added");
    Ok((
        StatusCode::CREATED,
        Json(NewToken {
            hostname: name.to_string(),
            token,
        }),
    ))
}

/// One host of a bulk import.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImportHost {
    pub name: String,
    pub ipv4: Option<std::net::Ipv4Addr>,
    pub ipv6: Option<std::net::Ipv6Addr>,
}

/// Most hosts one import request may carry (the CLI sends batches).
pub const IMPORT_BATCH: usize = 10_000;

/// Creates many hosts (without tokens: `tokens export` makes those) in one
/// commit. Existing names are left alone; the answer is how many were new.
async fn import_hosts(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Json(body): Json<Vec<ImportHost>>,
) -> Result<Json<usize>, AdminError> {
    authorize_change(&state, &headers)?;
    if body.len() > IMPORT_BATCH {
        return Err(AdminError::BadRequest(format!(
            "at most {IMPORT_BATCH} hosts per request"
        )));
    }
    let index = state.store.index().clone();
    let mut hosts = Vec::with_capacity(body.len());
    for item in body {
        let name = Fqdn::parse(&item.name)?;
        let key = name.key();
        let zone = index
            .zone_of(&key)
            .filter(|zone| zone.apex.len() < key.len() && !index.is_static(&key))
            .ok_or_else(|| {
                AdminError::BadRequest(format!("{name} is not a free name in a served zone"))
            })?;
        hosts.push((name, zone.host_ttl, item.ipv4, item.ipv6));
    }
    let created = state
        .store
        .transact(move |txn| {
            let mut created = 0;
            for (name, ttl, ipv4, ipv6) in hosts {
                if txn.host(&name)?.is_some() {
                    continue;
                }
                let mut host = HostRecord::new(&name, None, ttl, txn.now());
                host.ipv4 = ipv4;
                host.ipv6 = ipv6;
                txn.put_host(host);
                created += 1;
            }
            Ok::<_, StoreError>(created)
        })
        .await??;
    Ok(Json(created))
}

/// Runs `change` on an existing host inside a commit.
async fn modify_host<R: Send + 'static>(
    state: &AdminState,
    name: &str,
    change: impl FnOnce(&mut HostRecord, u64) -> R + Send + 'static,
) -> Result<R, AdminError> {
    let name = Fqdn::parse(name)?;
    state
        .store
        .transact(move |txn| {
            let mut host = txn
                .host(&name)?
                .ok_or_else(|| AdminError::NotFound(format!("host {name}")))?;
            let result = change(&mut host, txn.now());
            txn.put_host(host);
            Ok(result)
        })
        .await?
}

async fn remove_host(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<StatusCode, AdminError> {
    authorize_change(&state, &headers)?;
    let name = Fqdn::parse(&name)?;
    state
        .store
        .transact(move |txn| {
            if txn.host(&name)?.is_none() {
                return Err(AdminError::NotFound(format!("host {name}")));
            }
            txn.delete_host(&name);
            Ok(())
        })
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn exchange_token(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<NewToken>, AdminError> {
    authorize_change(&state, &headers)?;
    let token = tokens::generate();
    let hash = tokens::hash(&token);
    let hostname = modify_host(&state, &name, move |host, now| {
        host.token = Some(TokenRecord::new(hash, now));
        host.name.to_string()
    })
    .await?;
    Ok(Json(NewToken { hostname, token }))
}

async fn enable_host(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<StatusCode, AdminError> {
    authorize_change(&state, &headers)?;
    modify_host(&state, &name, |host, _| host.enabled = true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disable_host(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<StatusCode, AdminError> {
    authorize_change(&state, &headers)?;
    modify_host(&state, &name, |host, _| host.enabled = false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Licence {
    /// True when the host's licence expired past its grace period.
    pub expired: bool,
}

async fn set_licence(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Json(body): Json<Licence>,
) -> Result<StatusCode, AdminError> {
    authorize_change(&state, &headers)?;
    modify_host(&state, &name, move |host, _| {
        host.licence_expired = body.expired
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Account names: 2–64 characters of `a-z 0-9 . _ @ -`, stored lowercase.
fn check_account_name(name: &str) -> Result<String, AdminError> {
    let name = name.trim().to_ascii_lowercase();
    let valid = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if valid {
        Ok(name)
    } else {
        Err(AdminError::BadRequest(
            "account names are 2–64 characters of a-z, 0-9, '.', '_', '@', '-'".into(),
        ))
    }
}

async fn add_account(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Json(body): Json<AddAccount>,
) -> Result<StatusCode, AdminError> {
    authorize_change(&state, &headers)?;
    let name = check_account_name(&body.name)?;
    if body.password.chars().count() < 10 {
        return Err(AdminError::BadRequest(
            "passwords need at least 10 characters".into(),
        ));
    }
    let password = body.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| AdminError::BadRequest(e.to_string()))?
        .map_err(|e| AdminError::BadRequest(e.to_string()))?;
    state
        .store
        .transact(move |txn| {
            if txn.account(&name)?.is_some() {
                return Err(AdminError::Conflict(format!("account {name} exists")));
            }
            txn.put_account(&AccountRecord {
                name,
                password_hash: hash,
                linked: false,
                enabled: true,
                created: txn.now(),
                // Standalone dnsd has no second factor.
                two_factor: false,
            });
            Ok(())
        })
        .await??;
    Ok(StatusCode::CREATED)
}

/// Hosts per commit of `tokens export`: one commit for a million hosts
/// would hold all their records in memory at once.
const EXPORT_CHUNK: usize = 1_000;

/// Creates a token for every host that has none and returns them, once.
async fn export_tokens(
    State(state): State<AdminState>,
    headers: HeaderMap,
) -> Result<Json<Vec<NewToken>>, AdminError> {
    authorize_change(&state, &headers)?;
    let mut without = Vec::new();
    for host in state.store.scan_hosts() {
        let host = host?;
        if host.token.is_none() {
            without.push(host.name);
        }
    }
    let mut created = Vec::with_capacity(without.len());
    for chunk in without.chunks(EXPORT_CHUNK) {
        let chunk = chunk.to_vec();
        let made = state
            .store
            .transact(move |txn| {
                let mut made = Vec::new();
                for name in chunk {
                    // Re-read inside the commit: a token may have appeared meanwhile.
                    let Some(mut host) = txn.host(&name)? else {
                        continue;
                    };
                    if host.token.is_some() {
                        continue;
                    }
                    let token = tokens::generate();
                    host.token = Some(TokenRecord::new(tokens::hash(&token), txn.now()));
                    txn.put_host(host);
                    made.push(NewToken {
                        hostname: name.to_string(),
                        token,
                    });
                }
                Ok::<_, StoreError>(made)
            })
            .await?;
        match made {
            Ok(made) => created.extend(made),
            // Tokens already committed are only shown now: hand them out
            // rather than lose them; a later export makes the rest.
            Err(error) if !created.is_empty() => {
                tracing::error!(%error, exported = created.len(), "tokens export stopped early");
                break;
            }
            Err(error) => return Err(error.into()),
        }
    }
    crate::store::release_freed_memory_soon();
    Ok(Json(created))
}
