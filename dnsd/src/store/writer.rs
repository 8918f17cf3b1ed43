//! The single writer thread: group commit.
//!
//! Take every queued job (up to [`MAX_GROUP`]), run each against one [`Txn`],
//! bump the serial of every zone that changed, append the group to the
//! journal and `fdatasync` it, apply it to sled (in memory), then publish the
//! new host state to the index and complete the jobs. A caller is woken only
//! after its write is durable and served. sled is flushed only at
//! checkpoints, which then empty the journal. At a clean stop the writer
//! also writes the host snapshot (see `snapshot.rs`).

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use tokio::sync::mpsc;

use super::{
    HOST_PREFIX, Index, Job, META_SNAPSHOT, StoreError, Txn, history::History, journal::Journal,
    model::HostRecord, now_millis, serials, snapshot, trim,
};
use crate::names::Fqdn;

/// Most jobs in one group; bounds the latency a full queue adds to one commit.
const MAX_GROUP: usize = 1024;
/// A journal this large is checkpointed even before the next periodic one.
const CHECKPOINT_BYTES: u64 = 64 << 20;
/// Every change frees the host's old record and sled's old leaf, and glibc
/// keeps those pages: after this many changed hosts (and at most every
/// [`TRIM_INTERVAL`]) they are handed back. 60,000 updates at 100,000 hosts
/// left ~15 MiB that a trim returns (docs/PERFORMANCE.md, "States").
const TRIM_AFTER_CHANGES: usize = 10_000;
const TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// What the writer thread owns.
pub(super) struct Writer {
    pub db: sled::Db,
    pub index: Arc<Index>,
    /// Raised when a commit fails, so callers are refused up front.
    pub failed: Arc<AtomicBool>,
    /// Set on nodes fed from Postgres: updates queue outbox entries, and the
    /// drainer is woken after each commit that did.
    pub outbox: Option<Arc<tokio::sync::Notify>>,
    pub journal: Journal,
    /// The store directory (journal and host snapshot live there).
    pub dir: PathBuf,
    /// sled names a host snapshot as current: the next commit must unname it.
    pub snapshot_marked: bool,
    pub history: Arc<Mutex<History>>,
    /// Fed nodes: hosts whose transfer view is their feed view.
    pub feed_views: Arc<Mutex<HashMap<Fqdn, HostRecord>>>,
    /// Hosts changed since memory was last handed back, and when that was.
    pub changed_since_trim: usize,
    pub trimmed_at: Instant,
}

impl Writer {
    pub(super) fn run(mut self, mut queue: mpsc::Receiver<Job>) {
        let mut jobs = Vec::with_capacity(MAX_GROUP);
        while let Some(first) = queue.blocking_recv() {
            jobs.push(first);
            while jobs.len() < MAX_GROUP {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let db = self.db.clone();
            let mut txn = Txn::new(&db, now_millis(), self.outbox.is_some());
            let completions: Vec<_> = jobs.drain(..).map(|job| job(&mut txn)).collect();
            let queued = txn.queued_outbox();
            let checkpoint = txn.checkpoint_requested();
            let snapshot = txn.snapshot_requested();
            let result = commit(&mut self, txn)
                .and_then(|()| self.checkpoint(checkpoint || snapshot))
                .and_then(|()| {
                    if snapshot {
                        self.write_snapshot()
                    } else {
                        Ok(())
                    }
                });
            if let (Ok(()), true, Some(ready)) = (&result, queued, &self.outbox) {
                ready.notify_one();
            }
            if let Err(error) = &result {
                tracing::error!(%error, "group commit failed; no more changes until restart");
                self.failed.store(true, Ordering::Release);
            }
            for complete in completions {
                complete(result.clone());
            }
            self.trim_when_due();
        }
        if let Err(error) = self.checkpoint(true) {
            tracing::error!(%error, "final checkpoint failed");
        }
    }

    fn trim_when_due(&mut self) {
        if self.changed_since_trim < TRIM_AFTER_CHANGES || self.trimmed_at.elapsed() < TRIM_INTERVAL
        {
            return;
        }
        self.changed_since_trim = 0;
        self.trimmed_at = Instant::now();
        trim::release_free_memory_aside();
    }

    /// Makes sled durable and empties the journal, when asked to or when the
    /// journal has grown large.
    fn checkpoint(&mut self, requested: bool) -> Result<(), StoreError> {
        if self.journal.is_empty() || !(requested || self.journal.len() > CHECKPOINT_BYTES) {
            return Ok(());
        }
        self.db.flush()?;
        self.journal
            .clear()
            .map_err(|e| StoreError::Io(e.to_string()))
    }

    /// Writes every host from sled (just checkpointed) into the snapshot,
    /// then names its generation in sled.
    fn write_snapshot(&mut self) -> Result<(), StoreError> {
        let generation = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        snapshot::write(&self.dir, generation, self.db.scan_prefix(HOST_PREFIX))
            .map_err(|e| StoreError::Io(format!("host snapshot: {e}")))?;
        self.db.insert(META_SNAPSHOT, &generation.to_be_bytes())?;
        self.db.flush()?;
        self.snapshot_marked = true;
        Ok(())
    }
}

fn commit(writer: &mut Writer, txn: Txn<'_>) -> Result<(), StoreError> {
    if txn.is_empty() {
        return Ok(());
    }
    let mut parts = txn.into_parts();
    let mut history = writer.history.lock().unwrap_or_else(|e| e.into_inner());
    let mut feed_views = writer.feed_views.lock().unwrap_or_else(|e| e.into_inner());
    let fed = writer.outbox.is_some();
    let serials = serials::plan(
        &writer.index,
        &writer.db,
        &mut history,
        &feed_views,
        fed,
        &mut parts,
    )?;
    let changes = &mut parts.changes;
    if writer.snapshot_marked {
        // From this group on sled holds what the snapshot lacks.
        changes.push((META_SNAPSHOT.to_vec(), None));
    }
    // Durable first. After any failure here the store refuses further
    // changes until restarted (sled's own errors are sticky too), so a group
    // is never half-applied and read back; a restart replays the journal.
    let before = writer.journal.len();
    let written = writer
        .journal
        .append(changes)
        .map_err(|e| StoreError::Io(e.to_string()))
        .and_then(|()| super::apply_changes(&writer.db, changes));
    if let Err(error) = written {
        // Answered as failed, so it must not come back in a replay.
        if let Err(undo) = writer.journal.truncate(before) {
            tracing::error!(%undo, "could not take a failed group back out of the journal");
        }
        return Err(error);
    }
    writer.snapshot_marked = false;
    writer.changed_since_trim += parts.hosts.len();
    for (name, host) in &parts.hosts {
        match host {
            Some(host) => writer.index.apply_host(host),
            None => writer.index.remove_name(name),
        }
    }
    for (name, view) in parts.feed_views {
        match view {
            Some(view) => feed_views.insert(name, view),
            None => feed_views.remove(&name),
        };
    }
    for (zone, serial) in serials {
        zone.set_serial(serial);
    }
    Ok(())
}
