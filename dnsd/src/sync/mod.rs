//! Following Postgres: the change feed in ([`feed`]) and accepted updates out
//! through the durable outbox ([`outbox`]). Neither is on the DNS or update
//! hot path: a node keeps answering DNS and accepting updates while Postgres
//! is away, and catches up in both directions when it is back.

pub mod feed;
pub mod merge;
pub mod outbox;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{config::SyncConfig, store::Store};

/// Postgres channel the control plane notifies on after appending to the feed.
pub const CHANNEL: &str = "spdyn_feed";
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("invalid database url: {0}")]
    Url(String),
    #[error("change feed: {0}")]
    Feed(String),
}

/// What monitoring and readiness need to know about the sync.
#[derive(Debug, Default)]
pub struct SyncStatus {
    /// The first snapshot is applied: this node may take updates.
    pub bootstrapped: AtomicBool,
    pub connected: AtomicBool,
    /// Last feed sequence applied, and the newest one seen announced.
    pub applied_seq: AtomicU64,
    pub head_seq: AtomicU64,
    /// When the last applied entry was written in Postgres (ms since epoch).
    pub applied_at_ms: AtomicU64,
}

impl SyncStatus {
    /// Entries announced but not applied yet.
    pub fn lag(&self) -> u64 {
        self.head_seq
            .load(Ordering::Relaxed)
            .saturating_sub(self.applied_seq.load(Ordering::Relaxed))
    }

    pub fn is_bootstrapped(&self) -> bool {
        self.bootstrapped.load(Ordering::Acquire)
    }

    fn saw_head(&self, seq: u64) {
        self.head_seq.fetch_max(seq, Ordering::Relaxed);
    }
}

/// Starts the feed follower and the outbox drainer; they run (and reconnect)
/// for the life of the process.
pub fn spawn(config: &SyncConfig, store: Store) -> Result<Arc<SyncStatus>, SyncError> {
    let url = config
        .database_url()
        .map_err(|e| SyncError::Url(e.to_string()))?;
    let options: PgConnectOptions = url
        .parse()
        .map_err(|e: sqlx::Error| SyncError::Url(e.to_string()))?;
    let role = config.role.clone();
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _| {
            let role = role.clone();
            Box::pin(async move {
                if !role.is_empty() {
                    sqlx::query("SELECT set_config('role', $1, false)")
                        .bind(role)
                        .execute(conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect_lazy_with(options);
    let status = Arc::new(SyncStatus::default());
    if let Ok(Some(seq)) = store.feed_seq() {
        status.bootstrapped.store(true, Ordering::Release);
        status.applied_seq.store(seq, Ordering::Relaxed);
        status.saw_head(seq);
    }
    tokio::spawn(feed::follow(pool.clone(), store.clone(), status.clone()));
    tokio::spawn(outbox::drain(pool, store, status.clone()));
    Ok(status)
}

/// Doubling backoff with a ceiling.
fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}
