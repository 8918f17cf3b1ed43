//! The change-feed follower: bootstrap a fresh node from a consistent
//! snapshot, then apply feed entries in sequence order, each batch in one
//! store commit together with the new feed position, so a restart or a lost
//! connection resumes exactly where it stopped.

use std::{
    collections::HashSet,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use futures_util::TryStreamExt;
use sqlx::{PgPool, Row, postgres::PgListener};

use super::{
    CHANNEL, SyncError, SyncStatus,
    merge::{self, FeedEntry},
    next_backoff,
};
use crate::{
    names::Fqdn,
    store::{HostRecord, Store, Txn},
};

/// Feed entries fetched and applied per commit.
const BATCH: i64 = 1000;
/// Snapshot rows applied per commit while bootstrapping.
const SNAPSHOT_CHUNK: usize = 5000;
/// Poll even without a notification (notifications sent while the listener
/// reconnects are lost).
const POLL: Duration = Duration::from_secs(1);

pub(super) async fn follow(pool: PgPool, store: Store, status: Arc<SyncStatus>) {
    let mut backoff = Duration::from_millis(250);
    loop {
        match session(&pool, &store, &status).await {
            Ok(()) => return,
            Err(error) => {
                status.connected.store(false, Ordering::Relaxed);
                tracing::warn!(%error, retry_in = ?backoff, "change feed: connection lost");
                tokio::time::sleep(backoff).await;
                backoff = next_backoff(backoff);
            }
        }
        if status.connected.load(Ordering::Relaxed) {
            backoff = Duration::from_millis(250);
        }
    }
}

async fn session(pool: &PgPool, store: &Store, status: &SyncStatus) -> Result<(), SyncError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    status.connected.store(true, Ordering::Relaxed);
    if store.feed_seq()?.is_none() {
        bootstrap(pool, store, status).await?;
    }
    loop {
        while apply_next(pool, store, status).await? == BATCH as usize {}
        match tokio::time::timeout(POLL, listener.recv()).await {
            Ok(Ok(notification)) => {
                if let Ok(seq) = notification.payload().parse() {
                    status.saw_head(seq);
                }
            }
            Ok(Err(error)) => return Err(error.into()),
            Err(_) => {}
        }
    }
}

/// Applies the next batch of entries; returns how many there were.
async fn apply_next(pool: &PgPool, store: &Store, status: &SyncStatus) -> Result<usize, SyncError> {
    let last = store.feed_seq()?.unwrap_or(0);
    let rows = sqlx::query(
        "SELECT seq, kind, payload::text AS payload, \
         (extract(epoch FROM at) * 1000)::bigint AS at_ms \
         FROM change_feed WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(last as i64)
    .bind(BATCH)
    .fetch_all(pool)
    .await?;
    let Some(last_row) = rows.last() else {
        return Ok(0);
    };
    let newest: i64 = last_row.try_get("seq")?;
    let newest_at: i64 = last_row.try_get("at_ms")?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let seq: i64 = row.try_get("seq")?;
        let kind: String = row.try_get("kind")?;
        let payload: String = row.try_get("payload")?;
        match FeedEntry::parse(&kind, &payload) {
            Ok(entry) => entries.push((seq as u64, entry)),
            // A malformed entry must not stall every later change: skip it loudly.
            Err(error) => tracing::error!(seq, %error, "change feed: skipping an entry"),
        }
    }
    let count = rows.len();
    store
        .transact(move |txn| {
            for (seq, entry) in &entries {
                if let Err(error) = apply_entry(txn, entry, Source::Feed(*seq)) {
                    tracing::error!(%error, "change feed: entry not applied");
                }
            }
            txn.set_feed_seq(newest as u64);
        })
        .await?;
    status.applied_seq.store(newest as u64, Ordering::Relaxed);
    status.saw_head(newest as u64);
    status
        .applied_at_ms
        .store(newest_at as u64, Ordering::Relaxed);
    Ok(count)
}

/// Where an entry comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The change feed, at this position.
    Feed(u64),
    /// A row of the bootstrap snapshot.
    Snapshot,
}

/// Applies one entry inside a commit. Writes only when something changed, so
/// a node's own updates coming back through the feed cost nothing. A host's
/// feed view (an update of this node not yet back) takes the entry too, and
/// is dropped once it gives the same records as the host.
pub fn apply_entry(txn: &mut Txn<'_>, entry: &FeedEntry, source: Source) -> Result<(), SyncError> {
    let feed_error = |e: merge::FeedError| SyncError::Feed(e.to_string());
    let now = txn.now();
    let name = match entry {
        FeedEntry::HostUpsert(upsert) => {
            let name = parse_name(&upsert.state.name)?;
            let local = txn.host(&name)?;
            let merged =
                merge::upsert_host(local.clone(), &name, upsert, now).map_err(feed_error)?;
            if local.as_ref() != Some(&merged) {
                txn.put_host(merged.clone());
            }
            let view = match source {
                // The snapshot row alone is what the feed says.
                Source::Snapshot => Some(merge::upsert_host(None, &name, upsert, now)),
                Source::Feed(_) => txn
                    .feed_view(&name)?
                    .map(|view| merge::upsert_host(Some(view), &name, upsert, now)),
            };
            settle_feed_view(
                txn,
                &name,
                view.transpose().map_err(feed_error)?,
                Some(&merged),
            )?;
            Some(name)
        }
        FeedEntry::HostState(state) => {
            let name = parse_name(&state.name)?;
            if let Some(local) = txn.host(&name)? {
                let mut merged = local.clone();
                merge::merge_state(&mut merged, state);
                if merged != local {
                    txn.put_host(merged.clone());
                }
                let view = txn.feed_view(&name)?.map(|mut view| {
                    merge::merge_state(&mut view, state);
                    view
                });
                settle_feed_view(txn, &name, view, Some(&merged))?;
            }
            Some(name)
        }
        FeedEntry::HostDelete(host) => {
            let name = parse_name(&host.name)?;
            if txn.host(&name)?.is_some() {
                txn.delete_host(&name);
            }
            settle_feed_view(txn, &name, None, None)?;
            Some(name)
        }
        FeedEntry::AccountUpsert(account) => {
            let local = txn.account(&account.name)?;
            let mut record = merge::account_record(account, now);
            if let Some(local) = &local {
                record.created = local.created;
            }
            if local.as_ref() != Some(&record) {
                txn.put_account(&record);
            }
            None
        }
        FeedEntry::AccountDelete(account) => {
            if txn.account(&account.name)?.is_some() {
                txn.delete_account(&account.name);
            }
            None
        }
        FeedEntry::Unknown => None,
    };
    if let (Some(name), Source::Feed(seq)) = (name, source) {
        txn.entry_applied(seq, &name)?;
    }
    Ok(())
}

/// Keeps `view` as the host's feed view only while its records differ from
/// the host's; writes only what changes.
fn settle_feed_view(
    txn: &mut Txn<'_>,
    name: &Fqdn,
    view: Option<HostRecord>,
    host: Option<&HostRecord>,
) -> Result<(), SyncError> {
    let view = view.filter(|view| host.is_none_or(|host| !view.same_records(host)));
    if txn.feed_view(name)? != view {
        txn.set_feed_view(name, view);
    }
    Ok(())
}

fn parse_name(name: &str) -> Result<Fqdn, SyncError> {
    Fqdn::parse(name).map_err(|e| SyncError::Feed(format!("host name {name}: {e}")))
}

/// Replaces this node's hosts and accounts with a consistent snapshot of
/// Postgres and starts following the feed right after it.
async fn bootstrap(pool: &PgPool, store: &Store, status: &SyncStatus) -> Result<(), SyncError> {
    let started = std::time::Instant::now();
    let mut tx = pool.begin().await?;
    // One snapshot for the feed head and every row: nothing committed after
    // the head is in it, nothing before it is missing (feed appends are
    // serialised, so sequence order is commit order).
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let head: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM change_feed")
        .fetch_one(&mut *tx)
        .await?;

    let mut seen_hosts = HashSet::new();
    let mut chunk = Vec::with_capacity(SNAPSHOT_CHUNK);
    {
        let mut rows =
            sqlx::query_scalar::<_, String>("SELECT payload::text FROM dnsd_host_payloads")
                .fetch(&mut *tx);
        while let Some(payload) = rows.try_next().await? {
            let entry = FeedEntry::parse("host.upsert", &payload)
                .map_err(|e| SyncError::Feed(e.to_string()))?;
            if let FeedEntry::HostUpsert(upsert) = &entry {
                seen_hosts.insert(upsert.state.name.clone());
            }
            chunk.push(entry);
            if chunk.len() == SNAPSHOT_CHUNK {
                apply_chunk(store, std::mem::take(&mut chunk)).await?;
            }
        }
    }
    let accounts: Vec<String> =
        sqlx::query_scalar("SELECT payload::text FROM dnsd_account_payloads")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    let mut seen_accounts = HashSet::new();
    for payload in &accounts {
        let entry = FeedEntry::parse("account.upsert", payload)
            .map_err(|e| SyncError::Feed(e.to_string()))?;
        if let FeedEntry::AccountUpsert(account) = &entry {
            seen_accounts.insert(account.name.clone());
        }
        chunk.push(entry);
    }
    apply_chunk(store, chunk).await?;

    // Whatever this node has that Postgres does not is gone.
    let stale_hosts: Vec<Fqdn> = store
        .hosts()?
        .into_iter()
        .map(|h| h.name)
        .filter(|name| !seen_hosts.contains(name.as_str()))
        .collect();
    let stale_accounts: Vec<String> = store
        .accounts()?
        .into_iter()
        .map(|a| a.name)
        .filter(|name| !seen_accounts.contains(name))
        .collect();
    let hosts = seen_hosts.len();
    store
        .transact(move |txn| {
            for name in &stale_hosts {
                txn.delete_host(name);
                txn.set_feed_view(name, None);
            }
            for name in &stale_accounts {
                txn.delete_account(name);
            }
            txn.finish_bootstrap(head as u64);
        })
        .await?;
    status.applied_seq.store(head as u64, Ordering::Relaxed);
    status.saw_head(head as u64);
    status.bootstrapped.store(true, Ordering::Release);
    tracing::info!(hosts, head, elapsed = ?started.elapsed(), "change feed: bootstrapped from a snapshot");
    Ok(())
}

async fn apply_chunk(store: &Store, entries: Vec<FeedEntry>) -> Result<(), SyncError> {
    store
        .transact(move |txn| {
            for entry in &entries {
                if let Err(error) = apply_entry(txn, entry, Source::Snapshot) {
                    tracing::error!(%error, "snapshot: row not applied");
                }
            }
        })
        .await?;
    Ok(())
}
