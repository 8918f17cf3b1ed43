//! Durable state (sled) and the in-memory index served to DNS.
//!
//! One sled tree holds everything under key prefixes, so a single `Batch` is
//! atomic across hosts, accounts and zone serials. All writes go through one
//! writer thread ([`writer`]) that commits in groups: run every queued job
//! against an overlay, apply one batch, fsync once, then update the index and
//! wake the callers. Reads of sled (listings, account look-ups) happen
//! anywhere; DNS reads only the index.

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod history;
pub mod index;
mod journal;
pub mod model;
pub mod node;
mod serials;
mod snapshot;
mod transfer;
mod trim;
mod txn;
mod writer;

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use tokio::sync::{mpsc, oneshot};

pub use self::{
    index::Index,
    model::{AccountRecord, ClientInfo, HostRecord, Millis, TokenRecord},
    transfer::{Since, Visit},
    trim::release_freed_memory_soon,
    txn::Txn,
};
use crate::{
    names::Fqdn,
    zone::{StaticNodes, Zone},
};

/// Layout version of the keys and values below. Bump it with a migration
/// (see [`check_schema`]). 2: accounts carry `two_factor`.
pub const SCHEMA_VERSION: u32 = 2;

const META_SCHEMA: &[u8] = b"meta/schema";
const HOST_PREFIX: &[u8] = b"host/";
const ACCOUNT_PREFIX: &[u8] = b"acct/";
const ZONE_PREFIX: &[u8] = b"zone/";
/// Host states waiting to be written to Postgres (latest per host).
const OUTBOX_PREFIX: &[u8] = b"outbox/";
/// Fed nodes: a host as the change feed alone made it (see `feed_view.rs`).
const FEED_VIEW_PREFIX: &[u8] = b"fview/";
/// Sequence number of the last change-feed entry applied.
const META_FEED_SEQ: &[u8] = b"meta/feed_seq";
/// Generation of the host snapshot that matches sled (absent: none does).
const META_SNAPSHOT: &[u8] = b"meta/snapshot";

/// The commit journal, inside the sled directory.
const JOURNAL_FILE: &str = "spdyn-journal";

/// Jobs waiting for the writer; senders wait when it is full (back-pressure).
const QUEUE_DEPTH: usize = 16 * 1024;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Io(String),
    #[error("stored data is corrupt at {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("store schema version {found} is not supported (expected {SCHEMA_VERSION})")]
    Schema { found: u32 },
    #[error("the store writer has stopped")]
    Closed,
    /// An earlier commit failed on storage; sled refuses writes until the
    /// process restarts.
    #[error("the store failed earlier and takes no more changes until restarted")]
    Failed,
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        Self::Io(e.to_string())
    }
}

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn FnOnce(&mut Txn<'_>) -> Completion + Send>;

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    index: Arc<Index>,
    jobs: mpsc::Sender<Job>,
    /// Set by the writer when a commit fails (sled's I/O errors are sticky).
    failed: Arc<AtomicBool>,
    /// Wakes the outbox drainer after a commit that queued host states.
    outbox_ready: Arc<tokio::sync::Notify>,
    /// Read and written on the writer thread only (the locks are uncontended).
    history: Arc<Mutex<history::History>>,
    feed_views: Arc<Mutex<HashMap<Fqdn, HostRecord>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("index", &self.inner.index)
            .finish()
    }
}

/// Wall-clock milliseconds since the Unix epoch. The one place time is read
/// for stored data.
pub fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

impl Store {
    /// Opens (or creates) the database, loads every host into the index and
    /// starts the writer thread.
    /// With `outbox`, every accepted update also queues the host's new state
    /// for Postgres in the same commit (nodes fed from Postgres).
    pub fn open(
        path: &Path,
        cache_mb: u64,
        zones: Vec<(Zone, StaticNodes)>,
        outbox: bool,
        history: history::Settings,
    ) -> Result<Self, StoreError> {
        // sled is flushed at checkpoints only; the journal makes commits durable.
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(cache_mb.saturating_mul(1 << 20))
            .flush_every_ms(None)
            .open()?;
        let io = |e: std::io::Error| StoreError::Io(format!("journal: {e}"));
        let (mut journal, pending) =
            journal::Journal::open(&path.join(JOURNAL_FILE)).map_err(io)?;
        if !pending.is_empty() {
            tracing::info!(commits = pending.len(), "replaying the journal");
            for changes in &pending {
                apply_changes(&db, changes)?;
            }
            db.flush()?;
            journal.clear().map_err(io)?;
        }
        check_schema(&db)?;
        let fingerprints: Vec<(Box<[u8]>, [u8; 32])> = zones
            .iter()
            .map(|(zone, nodes)| (zone.apex.clone(), zone.fingerprint(nodes)))
            .collect();
        let index = Arc::new(Index::new(zones));
        restore_serials(&db, &index, &fingerprints)?;
        let history = Arc::new(Mutex::new(history::History::load(
            &db,
            &history.zones,
            history.limits,
        )?));
        let feed_views = Arc::new(Mutex::new(load_feed_views(&db)?));
        let marker = read_u64(&db, META_SNAPSHOT)?;
        let snapshot = match marker {
            // An unreadable snapshot never stops a start: sled has everything.
            Some(generation) => snapshot::read(path, generation).unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read the host snapshot");
                None
            }),
            None => None,
        };
        let from_snapshot = snapshot.is_some();
        let hosts = match snapshot {
            Some(snapshot) => load_hosts(snapshot.entries().map(Ok), &index)?,
            None => {
                if marker.is_some() {
                    tracing::warn!("the host snapshot is missing or damaged; reading sled instead");
                }
                load_hosts(
                    db.scan_prefix(HOST_PREFIX)
                        .map(|e| e.map_err(StoreError::from)),
                    &index,
                )?
            }
        };
        trim::release_free_memory();
        tracing::info!(hosts, names = index.len(), from_snapshot, path = %path.display(), "store loaded");

        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let failed = Arc::new(AtomicBool::new(false));
        let outbox_ready = Arc::new(tokio::sync::Notify::new());
        let writer = writer::Writer {
            db: db.clone(),
            index: index.clone(),
            failed: failed.clone(),
            outbox: outbox.then(|| outbox_ready.clone()),
            journal,
            dir: path.to_path_buf(),
            snapshot_marked: marker.is_some(),
            history: history.clone(),
            feed_views: feed_views.clone(),
            changed_since_trim: 0,
            trimmed_at: std::time::Instant::now(),
        };
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer.run(queue))
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                index,
                jobs,
                failed,
                outbox_ready,
                history,
                feed_views,
            }),
        })
    }

    pub fn index(&self) -> &Arc<Index> {
        &self.inner.index
    }

    /// Runs `f` on the writer thread inside a group commit and returns its
    /// result once everything it wrote is on disk and visible in the index.
    /// `f` must be quick and must not block: it shares the commit with others.
    pub async fn transact<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Txn<'_>) -> R + Send + 'static,
    {
        if !self.is_healthy() {
            return Err(StoreError::Failed);
        }
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |txn| {
            let value = f(txn);
            Box::new(move |committed| {
                let _ = tx.send(committed.map(|()| value));
            })
        });
        self.inner
            .jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// False once a commit has failed on storage (see [`StoreError::Failed`]).
    pub fn is_healthy(&self) -> bool {
        !self.inner.failed.load(Ordering::Acquire)
    }

    /// Flushes sled and empties the journal (shorter replays after a crash).
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.transact(|txn| txn.request_checkpoint()).await
    }

    /// For a clean stop: checkpoints and writes the host snapshot, so the
    /// next start replays nothing and reads no sled pages.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.transact(|txn| {
            txn.request_checkpoint();
            txn.request_snapshot();
        })
        .await
    }

    /// Reads a host straight from sled (not for the DNS path).
    pub fn host(&self, name: &Fqdn) -> Result<Option<HostRecord>, StoreError> {
        get(&self.inner.db, &host_key(name))
    }

    pub fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
        get(&self.inner.db, &account_key(name))
    }

    /// Every account, in name order.
    pub fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.inner
            .db
            .scan_prefix(ACCOUNT_PREFIX)
            .map(|entry| {
                let (key, value) = entry?;
                decode(&key, &value)
            })
            .collect()
    }

    /// Every host, in name order.
    pub fn hosts(&self) -> Result<Vec<HostRecord>, StoreError> {
        self.scan_hosts().collect()
    }

    /// Every host, one at a time (for passes over millions of them).
    pub fn scan_hosts(&self) -> impl Iterator<Item = Result<HostRecord, StoreError>> + use<> {
        self.inner.db.scan_prefix(HOST_PREFIX).map(|entry| {
            let (key, value) = entry?;
            decode(&key, &value)
        })
    }

    /// The last change-feed sequence applied, `None` before the first snapshot.
    pub fn feed_seq(&self) -> Result<Option<u64>, StoreError> {
        read_u64(&self.inner.db, META_FEED_SEQ)
    }

    /// Up to `limit` queued host states for Postgres, with their raw values
    /// (to remove exactly what was sent, see [`Store::outbox_sent`]).
    pub fn outbox(&self, limit: usize) -> Result<Vec<(HostRecord, sled::IVec)>, StoreError> {
        self.inner
            .db
            .scan_prefix(OUTBOX_PREFIX)
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                Ok((decode(&key, &value)?, value))
            })
            .collect()
    }

    /// Removes an outbox entry Postgres confirmed, unless a newer state for the
    /// host was queued meanwhile (then that one is still to be sent).
    pub fn outbox_sent(&self, host: &Fqdn, sent: &sled::IVec) -> Result<(), StoreError> {
        let key = outbox_key(host);
        // A failed compare-and-swap means a newer state is waiting: keep it.
        let _ = self
            .inner
            .db
            .compare_and_swap(key, Some(sent), None::<&[u8]>)?;
        Ok(())
    }

    /// Number of host states waiting for Postgres.
    pub fn outbox_len(&self) -> usize {
        self.inner.db.scan_prefix(OUTBOX_PREFIX).count()
    }

    /// Resolves once a commit queued host states for Postgres.
    pub async fn outbox_queued(&self) {
        self.inner.outbox_ready.notified().await;
    }

    /// Bytes the database takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.inner.db.size_on_disk().unwrap_or(0)
    }
}

/// Reads every host into the index. The source (a sled scan or the snapshot)
/// is sequential, so one thread reads and the decoding and indexing are
/// spread over the others.
fn load_hosts<K, V>(
    entries: impl Iterator<Item = Result<(K, V), StoreError>>,
    index: &Index,
) -> Result<usize, StoreError>
where
    K: AsRef<[u8]> + Send,
    V: AsRef<[u8]> + Send,
{
    const CHUNK: usize = 4096;
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(K, V)>>(4);
            senders.push(tx);
            handles.push(scope.spawn(move || -> Result<usize, StoreError> {
                let mut loaded = 0;
                for chunk in rx {
                    for (key, value) in chunk {
                        let host: HostRecord = decode(key.as_ref(), value.as_ref())?;
                        index.apply_host(&host);
                        loaded += 1;
                    }
                }
                Ok(loaded)
            }));
        }
        let mut scan_error = None;
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut next = 0;
        for entry in entries {
            match entry {
                Ok(entry) => chunk.push(entry),
                Err(error) => {
                    scan_error = Some(error);
                    break;
                }
            }
            if chunk.len() == CHUNK {
                // A worker that stopped early kept its error; collect it below.
                if senders[next].send(std::mem::take(&mut chunk)).is_err() {
                    break;
                }
                next = (next + 1) % workers;
            }
        }
        if !chunk.is_empty() {
            let _ = senders[next].send(chunk);
        }
        drop(senders);
        let mut loaded = 0;
        for handle in handles {
            match handle.join() {
                Ok(Ok(count)) => loaded += count,
                Ok(Err(error)) => scan_error = scan_error.or(Some(error)),
                Err(_) => {
                    scan_error =
                        scan_error.or(Some(StoreError::Io("a load thread panicked".into())));
                }
            }
        }
        scan_error.map_or(Ok(loaded), Err)
    })
}

fn check_schema(db: &sled::Db) -> Result<(), StoreError> {
    match db.get(META_SCHEMA)? {
        Some(raw) => {
            let found = <[u8; 4]>::try_from(raw.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Corrupt {
                    key: "meta/schema".into(),
                    reason: "not a u32".into(),
                })?;
            match found {
                SCHEMA_VERSION => {}
                1 => migrate_from_v1(db)?,
                _ => return Err(StoreError::Schema { found }),
            }
        }
        None => {
            db.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
            db.flush()?;
        }
    }
    Ok(())
}

/// Schema 1 → 2, in one atomic sled batch: accounts get `two_factor` (off).
/// A node that follows Postgres also forgets its feed position, so it reads
/// everything again from a snapshot: the feed entries it applied under
/// schema 1 carried no 2FA flag, and an account with 2FA must not keep
/// taking password updates until control happens to republish it.
fn migrate_from_v1(db: &sled::Db) -> Result<(), StoreError> {
    let mut batch = sled::Batch::default();
    let mut accounts = 0;
    for entry in db.scan_prefix(ACCOUNT_PREFIX) {
        let (key, value) = entry?;
        let old: model::AccountRecordV1 = decode(&key, &value)?;
        batch.insert(key, encode(&AccountRecord::from(old)));
        accounts += 1;
    }
    let refeed = db.contains_key(META_FEED_SEQ)?;
    if refeed {
        batch.remove(META_FEED_SEQ);
    }
    batch.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes());
    db.apply_batch(batch)?;
    db.flush()?;
    tracing::info!(accounts, refeed, "store migrated from schema 1 to 2");
    Ok(())
}

/// Loads each zone's serial. A zone seen for the first time starts at the
/// current Unix time (so a re-created store never goes backwards for
/// secondaries); a zone whose configuration changed gets the next serial.
fn restore_serials(
    db: &sled::Db,
    index: &Index,
    fingerprints: &[(Box<[u8]>, [u8; 32])],
) -> Result<(), StoreError> {
    for zone in index.zones() {
        let fingerprint = fingerprints
            .iter()
            .find(|(apex, _)| *apex == zone.apex)
            .map_or([0; 32], |(_, fp)| *fp);
        let key = zone_key(&zone.name);
        let serial = match db.get(&key)?.as_deref() {
            Some(raw) if raw.len() == 36 => {
                let serial = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
                if raw[4..] == fingerprint[..] {
                    serial
                } else {
                    // Static records are not in the IXFR history.
                    history::History::clear(db, &zone.apex)?;
                    serial.wrapping_add(1)
                }
            }
            Some(_) => {
                return Err(StoreError::Corrupt {
                    key: zone.name.clone(),
                    reason: "zone state is not 36 bytes".into(),
                });
            }
            None => (now_millis() / 1000) as u32,
        };
        zone.set_serial(serial);
        db.insert(key, zone_state(serial, &fingerprint))?;
    }
    db.flush()?;
    Ok(())
}

/// Every stored feed view (fed nodes; see `serials.rs`).
fn load_feed_views(db: &sled::Db) -> Result<HashMap<Fqdn, HostRecord>, StoreError> {
    let mut views = HashMap::new();
    for item in db.scan_prefix(FEED_VIEW_PREFIX) {
        let (key, value) = item?;
        let host: HostRecord = decode(&key, &value)?;
        views.insert(host.name.clone(), host);
    }
    Ok(views)
}

fn zone_state(serial: u32, fingerprint: &[u8; 32]) -> Vec<u8> {
    let mut value = serial.to_be_bytes().to_vec();
    value.extend_from_slice(fingerprint);
    value
}

/// Writes final values into sled key by key. No sled batch: atomicity comes
/// from the journal (a crash mid-group is healed by the replay), and each
/// `apply_batch` would make sled seal and write out its log buffer.
fn apply_changes(db: &sled::Db, changes: &journal::Changes) -> Result<(), StoreError> {
    for (key, value) in changes {
        match value {
            Some(value) => db.insert(key.as_slice(), value.as_slice())?,
            None => db.remove(key.as_slice())?,
        };
    }
    Ok(())
}

fn read_u64(db: &sled::Db, key: &[u8]) -> Result<Option<u64>, StoreError> {
    db.get(key)?
        .map(|raw| {
            <[u8; 8]>::try_from(raw.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::Corrupt {
                    key: String::from_utf8_lossy(key).into_owned(),
                    reason: "not a u64".into(),
                })
        })
        .transpose()
}

fn outbox_key(name: &Fqdn) -> Vec<u8> {
    [OUTBOX_PREFIX, name.as_str().as_bytes()].concat()
}

fn feed_view_key(name: &Fqdn) -> Vec<u8> {
    [FEED_VIEW_PREFIX, name.as_str().as_bytes()].concat()
}

fn host_key(name: &Fqdn) -> Vec<u8> {
    [HOST_PREFIX, name.as_str().as_bytes()].concat()
}

fn account_key(name: &str) -> Vec<u8> {
    [ACCOUNT_PREFIX, name.as_bytes()].concat()
}

fn zone_key(apex: &str) -> Vec<u8> {
    [ZONE_PREFIX, apex.as_bytes()].concat()
}

fn get<T: serde::de::DeserializeOwned>(db: &sled::Db, key: &[u8]) -> Result<Option<T>, StoreError> {
    db.get(key)?.map(|value| decode(key, &value)).transpose()
}

fn decode<T: serde::de::DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(value).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Serialising our own plain structs into a Vec cannot fail.
    postcard::to_stdvec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// What schema 1 wrote for an account (the layout before `two_factor`).
    #[derive(Serialize)]
    struct V1Account<'a> {
        name: &'a str,
        password_hash: &'a str,
        linked: bool,
        enabled: bool,
        created: Millis,
    }

    fn zones() -> Vec<(Zone, StaticNodes)> {
        vec![crate::zone::test_zone()]
    }

    #[test]
    fn a_schema_1_store_is_migrated_and_a_fed_node_reads_its_snapshot_again() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path()).unwrap();
            db.insert(META_SCHEMA, &1u32.to_be_bytes()).unwrap();
            let old = V1Account {
                name: "alice",
                password_hash: "$argon2id$…",
                linked: false,
                enabled: true,
                created: 7,
            };
            db.insert(account_key("alice"), encode(&old)).unwrap();
            db.insert(META_FEED_SEQ, &42u64.to_be_bytes()).unwrap();
            db.flush().unwrap();
        }
        // sled lets go of its file lock only when its flusher thread has
        // ended, a moment after the last handle is dropped.
        let started = std::time::Instant::now();
        let store = loop {
            match Store::open(dir.path(), 8, zones(), true, Default::default()) {
                Ok(store) => break store,
                Err(error) if started.elapsed() < std::time::Duration::from_secs(10) => {
                    assert!(error.to_string().contains("lock"), "{error}");
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(error) => panic!("{error}"),
            }
        };
        let alice = store.account("alice").unwrap().expect("kept");
        assert_eq!(alice.created, 7);
        assert!(!alice.two_factor);
        assert!(alice.takes_password_updates());
        assert_eq!(store.feed_seq().unwrap(), None, "bootstraps again");
        let schema = store.inner.db.get(META_SCHEMA).unwrap().unwrap();
        assert_eq!(schema.as_ref(), SCHEMA_VERSION.to_be_bytes());
    }
}
