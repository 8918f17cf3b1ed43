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
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use tokio::sync::mpsc;

use super::{
    HOST_PREFIX, Index, Job, META_SNAPSHOT, StoreError, Txn,
    history::{self, Change, History},
    index::host_nodes,
    journal::{Changes, Journal},
    model::HostRecord,
    now_millis, snapshot, zone_key,
};
use crate::{names::Fqdn, zone::Zone};

/// Most jobs in one group; bounds the latency a full queue adds to one commit.
const MAX_GROUP: usize = 1024;
/// A journal this large is checkpointed even before the next periodic one.
const CHECKPOINT_BYTES: u64 = 64 << 20;

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
            let mut txn = Txn::new(&self.db, now_millis(), self.outbox.is_some());
            let completions: Vec<_> = jobs.drain(..).map(|job| job(&mut txn)).collect();
            let queued = txn.queued_outbox();
            let checkpoint = txn.checkpoint_requested();
            let snapshot = txn.snapshot_requested();
            let result = commit(
                &self.db,
                &self.index,
                &mut self.journal,
                &mut self.snapshot_marked,
                &self.history,
                txn,
            )
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
        }
        if let Err(error) = self.checkpoint(true) {
            tracing::error!(%error, "final checkpoint failed");
        }
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

fn commit(
    db: &sled::Db,
    index: &Index,
    journal: &mut Journal,
    snapshot_marked: &mut bool,
    history: &Mutex<History>,
    mut txn: Txn<'_>,
) -> Result<(), StoreError> {
    if txn.is_empty() {
        return Ok(());
    }
    let mut zones = BTreeSet::new();
    for name in txn.changed_hosts() {
        if let Some(zone) = index.zone_of(&name.key()) {
            zones.insert(zone.name.clone());
        }
    }
    let mut serials = Vec::with_capacity(zones.len());
    for zone in index.zones().iter().filter(|z| zones.contains(&z.name)) {
        let key = zone_key(&zone.name);
        let mut state = db
            .get(&key)?
            .map(|v| v.to_vec())
            .unwrap_or_else(|| vec![0; 36]);
        let serial = zone.serial().wrapping_add(1);
        state[..4].copy_from_slice(&serial.to_be_bytes());
        txn.write_raw(key, state);
        serials.push((zone, serial));
    }
    let (mut changes, hosts) = txn.into_parts();
    record_history(index, history, &serials, &hosts, &mut changes);
    if *snapshot_marked {
        // From this group on sled holds what the snapshot lacks.
        changes.push((META_SNAPSHOT.to_vec(), None));
    }
    // Durable first. After any failure here the store refuses further
    // changes until restarted (sled's own errors are sticky too), so a group
    // is never half-applied and read back; a restart replays the journal.
    let before = journal.len();
    let written = journal
        .append(&changes)
        .map_err(|e| StoreError::Io(e.to_string()))
        .and_then(|()| super::apply_changes(db, &changes));
    if let Err(error) = written {
        // Answered as failed, so it must not come back in a replay.
        if let Err(undo) = journal.truncate(before) {
            tracing::error!(%undo, "could not take a failed group back out of the journal");
        }
        return Err(error);
    }
    *snapshot_marked = false;
    for (name, host) in &hosts {
        match host {
            Some(host) => index.apply_host(host),
            None => index.remove_name(name),
        }
    }
    for (zone, serial) in serials {
        zone.set_serial(serial);
    }
    Ok(())
}

/// Adds to the group's writes what it changes, record by record, in each
/// zone that keeps an IXFR history. The index still holds the state before
/// the group, which is what the records are compared against.
fn record_history(
    index: &Index,
    history: &Mutex<History>,
    serials: &[(&Zone, u32)],
    hosts: &BTreeMap<Fqdn, Option<HostRecord>>,
    changes: &mut Changes,
) {
    let mut history = history.lock().unwrap_or_else(|e| e.into_inner());
    let view = index.view();
    for (zone, serial) in serials {
        if !history.keeps(&zone.apex) {
            continue;
        }
        let mut change = Change {
            from: zone.serial(),
            to: *serial,
            removed: Vec::new(),
            added: Vec::new(),
        };
        for (name, host) in hosts {
            let key = name.key();
            if !index.zone_of(&key).is_some_and(|z| std::ptr::eq(z, *zone)) {
                continue;
            }
            host_nodes(&key, host.as_ref(), |key, new| {
                history::diff(key, view.node(key), new.as_ref(), &mut change);
            });
        }
        history.record(&zone.apex, change, changes);
    }
}
