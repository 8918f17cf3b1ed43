//! The outbox drainer: writes the host states that updates queued in sled to
//! Postgres in batches, and removes each only after Postgres confirmed it.
//!
//! Postgres merges each state last-writer-wins per family
//! (`dnsd_apply_host_states`, see the migrations) and appends a `host.state`
//! feed entry so every other node learns the change; sending a state twice is
//! harmless, so a retry after a lost answer is too.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use sqlx::PgPool;

use super::{SyncError, SyncStatus, merge, next_backoff};
use crate::store::Store;

/// Host states per Postgres round trip (one set-based call: its fixed
/// cost is a few ms, each state ~0.07 ms).
const BATCH: usize = 1000;
/// Look for work at least this often (a commit usually wakes us sooner).
const IDLE_WAKE: Duration = Duration::from_secs(1);
/// Pause before sending a batch again that Postgres aborted.
const RETRY_SOON: Duration = Duration::from_millis(20);

/// True when Postgres aborted the transaction as a deadlock (40P01) or a
/// serialization failure (40001).
fn is_retryable(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| spdyn_common::postgres::is_retryable_sqlstate(&code))
}

pub(super) async fn drain(pool: PgPool, store: Store, status: Arc<SyncStatus>) {
    let mut backoff = Duration::from_millis(250);
    loop {
        match send_batch(&pool, &store).await {
            Ok(0) => {
                backoff = Duration::from_millis(250);
                tokio::select! {
                    () = store.outbox_queued() => {}
                    () = tokio::time::sleep(IDLE_WAKE) => {}
                }
            }
            Ok(_) => backoff = Duration::from_millis(250),
            // Postgres aborted the batch as a deadlock or serialization
            // failure: nothing is wrong with the connection, send it again.
            Err(SyncError::Postgres(error)) if is_retryable(&error) => {
                tracing::info!(%error, "outbox: batch aborted by postgres; sending it again");
                tokio::time::sleep(RETRY_SOON).await;
            }
            Err(error) => {
                status.connected.store(false, Ordering::Relaxed);
                tracing::warn!(%error, pending = store.outbox_len(), retry_in = ?backoff, "outbox: cannot write to postgres");
                tokio::time::sleep(backoff).await;
                backoff = next_backoff(backoff);
            }
        }
    }
}

/// Sends one batch; returns how many states were confirmed.
async fn send_batch(pool: &PgPool, store: &Store) -> Result<usize, SyncError> {
    let pending = store.outbox(BATCH)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let states: Vec<merge::HostState> = pending
        .iter()
        .map(|(host, _)| merge::state_of(host))
        .collect();
    let payload = serde_json::to_string(&states).map_err(|e| SyncError::Feed(e.to_string()))?;
    sqlx::query("SELECT dnsd_apply_host_states($1::jsonb)")
        .bind(payload)
        .execute(pool)
        .await?;
    for (host, raw) in &pending {
        store.outbox_sent(&host.name, raw)?;
    }
    Ok(pending.len())
}
