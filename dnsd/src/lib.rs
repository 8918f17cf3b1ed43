//! dnsd: authoritative DNS for dynamic hosts plus the dyndns2 update endpoint,
//! answering from a local sled store with an in-memory index.
//!
//! [`start`] builds and binds everything from a [`Config`] and reports the
//! bound addresses, so tests and the binary share one code path.

pub mod admin;
pub mod config;
pub mod dns;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod names;
pub mod records;
pub mod serial;
pub mod store;
pub mod sync;
pub mod untrusted;
pub mod update;
pub mod zone;

pub use spdyn_common::tokens;

use std::{net::SocketAddr, sync::Arc, time::Duration};

pub use config::Config;
pub use spdyn_common::log_listening;

use crate::{
    store::{Store, StoreError, now_millis},
    zone::{Zone, ZoneError},
};

/// How often the in-memory abuse windows are pruned.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);
/// How often sled is flushed and the journal emptied (bounds replay time).
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Tls(#[from] http::TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("DNS listeners: {0}")]
    Dns(std::io::Error),
    #[error(transparent)]
    Sync(#[from] sync::SyncError),
}

/// A started dnsd and where it listens.
#[derive(Debug)]
pub struct Running {
    pub store: Store,
    pub dns: dns::DnsListeners,
    pub update_http: Vec<SocketAddr>,
    pub update_https: Vec<SocketAddr>,
    pub checkip: Vec<SocketAddr>,
    pub admin: SocketAddr,
    pub metrics: Option<SocketAddr>,
}

/// Opens the store, binds every listener and starts serving.
pub async fn start(config: &Config) -> Result<Running, StartError> {
    let zones = config
        .zones
        .iter()
        .map(Zone::from_config)
        .collect::<Result<Vec<_>, _>>()?;
    let path = config.store.path.clone();
    let cache_mb = config.store.cache_mb;
    let fed = config.sync.is_some();
    let transfers = config.transfers()?;
    let history = store::history::Settings {
        zones: transfers
            .zones
            .iter()
            .filter(|zone| zone.is_served())
            .map(|zone| names::key_of(&zone.zone).into_boxed_slice())
            .collect(),
        limits: store::history::Limits {
            changes: config.xfr.history_changes,
            bytes: config.xfr.history_bytes,
        },
    };
    let store =
        tokio::task::spawn_blocking(move || Store::open(&path, cache_mb, zones, fed, history))
            .await
            .map_err(|e| StoreError::Io(e.to_string()))??;
    let sync = match &config.sync {
        Some(sync_config) => Some(sync::spawn(sync_config, store.clone())?),
        None => None,
    };

    let metrics = Arc::new(metrics::Metrics::default());
    let notify_targets = transfers
        .zones
        .iter()
        .map(|zone| (zone.zone.clone(), zone.secondaries.clone()))
        .collect();
    let transfers = Arc::new(dns::xfr::Service::new(
        transfers,
        store.clone(),
        config.xfr.max_transfers,
        sync.clone(),
        metrics.clone(),
    ));
    let dns = dns::start(
        &config.dns,
        store.index().clone(),
        transfers,
        metrics.clone(),
    )
    .await
    .map_err(StartError::Dns)?;
    dns::xfr::notify::spawn(
        store.index().clone(),
        notify_targets,
        dns::xfr::notify::Pace {
            interval: Duration::from_millis(config.xfr.notify_interval_ms),
            retry: Duration::from_millis(config.xfr.notify_retry_ms),
        },
        metrics.clone(),
    );

    let state =
        update::UpdateState::new(store.clone(), &config.update, metrics.clone(), sync.clone());
    let update_router = update::router(state.clone());
    let tls = match (&config.update.tls_cert, &config.update.tls_key) {
        (Some(cert), Some(key)) if !config.update.tls_listen.is_empty() => {
            Some(http::tls_acceptor(cert, key)?)
        }
        _ => None,
    };
    let request_timeout = Duration::from_secs(config.update.request_timeout_secs);
    // The public listeners share one budget; each source gets its share of it.
    let public = http::HttpLimits {
        connections: limits::ConnectionLimits::new(
            http::MAX_CONNECTIONS,
            config.update.max_connections_per_source,
            config.update.trusted_proxies.clone(),
        ),
        request_timeout,
    };
    // Loopback and monitoring only: no share per source.
    let private = || http::HttpLimits {
        connections: limits::ConnectionLimits::new(
            http::MAX_CONNECTIONS,
            http::MAX_CONNECTIONS,
            Vec::new(),
        ),
        request_timeout,
    };
    let update_http = serve_all(
        &config.update.listen,
        "update-http",
        &update_router,
        None,
        &public,
    )?;
    let update_https = serve_all(
        &config.update.tls_listen,
        "update-https",
        &update_router,
        tls,
        &public,
    )?;
    let checkip = serve_all(
        &config.checkip.listen,
        "checkip",
        &update::checkip_router(state.clone()),
        None,
        &public,
    )?;
    let admin_router = admin::router(store.clone(), config.admin.secret()?, fed);
    let admin = serve_all(
        &[config.admin.listen],
        "admin",
        &admin_router,
        None,
        &private(),
    )?
    .first()
    .copied()
    .unwrap_or(config.admin.listen);

    let ops = match config.metrics.listen {
        Some(addr) => serve_all(
            &[addr],
            "metrics",
            &metrics::router(metrics, store.clone(), sync.clone()),
            None,
            &private(),
        )?,
        None => Vec::new(),
    };

    let checkpointed = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
        loop {
            tick.tick().await;
            if let Err(error) = checkpointed.checkpoint().await {
                tracing::warn!(%error, "checkpoint failed");
            }
        }
    });

    let policy = state.policy.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_INTERVAL);
        loop {
            tick.tick().await;
            policy.prune(now_millis());
        }
    });

    Ok(Running {
        store,
        dns,
        update_http,
        update_https,
        checkip,
        admin,
        metrics: ops.first().copied(),
    })
}

fn serve_all(
    addrs: &[SocketAddr],
    service: &str,
    router: &axum::Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: &http::HttpLimits,
) -> Result<Vec<SocketAddr>, StartError> {
    let mut bound = Vec::with_capacity(addrs.len());
    for &addr in addrs {
        let listener = http::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        log_listening(service, local);
        http::spawn(listener, router.clone(), tls.clone(), limits.clone());
        bound.push(local);
    }
    Ok(bound)
}
