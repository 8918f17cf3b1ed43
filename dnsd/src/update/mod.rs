//! The dyndns2 update endpoint (spDYN-compatible) and checkip.
//!
//! The HTTP layer here only gathers the request: client address,
//! parameters, credentials, account password check. The decision per host is
//! [`apply::apply`], run inside a store group commit, so `good` is only sent
//! once the change is durable and served.

pub mod accounts;
pub mod address;
pub mod apply;
pub mod checkip;
pub mod client_ip;
pub mod params;
pub mod policy;
pub mod reply;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, RawQuery, State},
    http::{HeaderMap, Method, header},
    routing::get,
};
use ipnet::IpNet;

use self::{
    accounts::AccountVerifier,
    apply::{Authority, UpdateRequest},
    client_ip::client_address,
    params::{Credentials, UpdateParams},
    policy::{Policy, retry_secs},
    reply::{Reply, UpdateResponse},
};
use crate::{
    config::UpdateConfig,
    metrics::Metrics,
    names::Fqdn,
    store::{ClientInfo, Store, StoreError, now_millis},
    sync::SyncStatus,
    untrusted::Untrusted,
};

/// Longest form body accepted on POST.
const MAX_BODY: usize = 8 * 1024;
/// Longest User-Agent kept with a host.
const MAX_USER_AGENT: usize = 200;

#[derive(Clone)]
pub struct UpdateState {
    pub store: Store,
    pub policy: Arc<Policy>,
    pub accounts: Arc<AccountVerifier>,
    pub trusted_proxies: Arc<[IpNet]>,
    pub realm: Arc<str>,
    pub max_hosts: usize,
    pub metrics: Arc<Metrics>,
    /// Set on nodes fed from Postgres: no updates before the first snapshot.
    pub sync: Option<Arc<SyncStatus>>,
}

impl UpdateState {
    pub fn new(
        store: Store,
        config: &UpdateConfig,
        metrics: Arc<Metrics>,
        sync: Option<Arc<SyncStatus>>,
    ) -> Self {
        Self {
            store,
            policy: Arc::new(Policy::new(config.abuse.clone())),
            accounts: Arc::new(AccountVerifier::default()),
            trusted_proxies: config.trusted_proxies.clone().into(),
            realm: config.realm.as_str().into(),
            max_hosts: config.max_hosts_per_request,
            metrics,
            sync,
        }
    }
}

/// Update and checkip routes.
pub fn router(state: UpdateState) -> Router {
    Router::new()
        .route("/nic/update", get(update).post(update))
        .route("/update", get(update).post(update))
        .merge(checkip::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Only the checkip routes (for the IPv4-only / IPv6-only names).
pub fn checkip_router(state: UpdateState) -> Router {
    checkip::routes().with_state(state)
}

#[tracing::instrument(skip_all, fields(peer = %peer))]
async fn update(
    State(state): State<UpdateState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> UpdateResponse {
    let response = answer(&state, peer, method, headers, query, body).await;
    if let UpdateResponse::Lines(lines) = &response {
        for line in lines {
            state.metrics.update_answered(line);
        }
    }
    response
}

async fn answer(
    state: &UpdateState,
    peer: SocketAddr,
    method: Method,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
) -> UpdateResponse {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if method == Method::POST && is_form(&headers) {
        pairs.extend(form_urlencoded::parse(&body).into_owned());
    }
    if let Some(query) = &query {
        pairs.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    let params = match UpdateParams::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(params) => params,
        Err(bad) => return UpdateResponse::BadParam(bad.0),
    };
    let client = client_address(peer, &headers, &state.trusted_proxies).effective();
    let now = now_millis();
    let lines = params.hostnames.len().max(1);
    if let Some(ms) = state.policy.source_blocked(client, now) {
        let retry_after = retry_secs(ms);
        return UpdateResponse::Lines(vec![Reply::Abuse { retry_after }; lines]);
    }
    if state
        .sync
        .as_ref()
        .is_some_and(|sync| !sync.is_bootstrapped())
    {
        // Hosts and tokens are not here yet: ask the client to come back.
        return UpdateResponse::Lines(vec![Reply::ServerError; lines]);
    }
    let Some(credentials) = Credentials::from_request(&headers, &params) else {
        return UpdateResponse::Challenge {
            realm: state.realm.to_string(),
        };
    };

    let mut hostnames = params.hostnames.clone();
    let authority = match credentials {
        Credentials::UserSecret { user, secret } => match token_user(state, &user) {
            Some(host) => {
                if hostnames.is_empty() {
                    hostnames.push(host.to_string());
                }
                Authority::Token {
                    user_host: Some(host),
                    secret,
                }
            }
            None => {
                // Before argon2: guesses from many sources stop here too.
                if let Some(ms) = state.policy.account_blocked(&user, now) {
                    tracing::debug!(account = %Untrusted(&user), "update: account blocked");
                    let retry_after = retry_secs(ms);
                    return UpdateResponse::Lines(vec![Reply::Abuse { retry_after }; lines]);
                }
                if !state
                    .accounts
                    .verify(&state.store, &user, &secret, now)
                    .await
                {
                    let named: Vec<Fqdn> = hostnames
                        .iter()
                        .filter_map(|h| Fqdn::parse(h).ok())
                        .collect();
                    state.policy.auth_failed(client, &named, now);
                    state.policy.account_failed(&user, now);
                    tracing::info!(account = %Untrusted(&user), "update: bad account credentials");
                    return UpdateResponse::Lines(vec![Reply::BadAuth; lines]);
                }
                Authority::Account(user)
            }
        },
        Credentials::Token(secret) => Authority::Token {
            user_host: None,
            secret,
        },
    };
    let limit = match authority {
        Authority::Token { .. } => 1,
        Authority::Account(_) => state.max_hosts,
    };
    if hostnames.is_empty() {
        return UpdateResponse::Lines(vec![Reply::NotFqdn]);
    }
    if hostnames.len() > limit {
        return UpdateResponse::Lines(vec![Reply::NumHost; hostnames.len()]);
    }

    // A TXT-only request (ACME hooks) leaves the addresses alone.
    let addresses = if params.txt.is_some() && params.addresses.is_empty() {
        params.addresses
    } else {
        params.addresses.with_client(client)
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(MAX_USER_AGENT)
        .collect();
    let request = UpdateRequest {
        authority,
        hostnames,
        addresses,
        txt: params.txt,
        client: ClientInfo {
            addr: client,
            user_agent,
        },
    };
    let count = request.hostnames.len();
    let policy = state.policy.clone();
    let result = state
        .store
        .transact(move |txn| apply::apply(txn, &request, &policy))
        .await;
    match result {
        Ok(outcome) => {
            if !outcome.auth_failures.is_empty() {
                state
                    .policy
                    .auth_failed(client, &outcome.auth_failures, now);
            }
            tracing::debug!(replies = ?outcome.replies, "update answered");
            UpdateResponse::Lines(outcome.replies)
        }
        Err(StoreError::Closed | StoreError::Failed) => {
            UpdateResponse::Lines(vec![Reply::ServerError; count])
        }
        Err(error) => {
            tracing::error!(%error, "update could not be committed");
            UpdateResponse::Lines(vec![Reply::DnsErr; count])
        }
    }
}

/// A Basic user that is a host name in a served zone means token mode.
fn token_user(state: &UpdateState, user: &str) -> Option<Fqdn> {
    let host = Fqdn::parse(user).ok()?;
    state.store.index().zone_of(&host.key()).map(|_| host)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}
