//! The view a writer job gets: reads see the writes of earlier jobs in the same
//! group commit; writes collect as the group's final value per key.

use std::collections::{BTreeMap, HashMap};

use super::{
    AccountRecord, HostRecord, META_FEED_SEQ, Millis, StoreError, account_key, decode, encode,
    feed_view_key, host_key, journal::Changes, outbox_key,
};
use crate::names::Fqdn;

pub struct Txn<'a> {
    db: &'a sled::Db,
    now: Millis,
    /// Queue accepted updates for Postgres.
    outbox: bool,
    /// Whether this group queued anything for Postgres.
    queued: bool,
    /// A job asked for a checkpoint after this group.
    checkpoint: bool,
    /// A job asked for the host snapshot after the checkpoint (clean stop).
    snapshot: bool,
    overlay: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// Final state of every host written in this group (`None` = deleted).
    hosts: BTreeMap<Fqdn, Option<HostRecord>>,
    /// Fed nodes: each host's transfer view after each feed entry that
    /// touched it, in order.
    views: Vec<(u64, Fqdn, Option<HostRecord>)>,
    /// Feed views set (`Some`) or dropped (`None`) in this group.
    feed_views: BTreeMap<Fqdn, Option<HostRecord>>,
    /// The bootstrap from a snapshot ends with this group, at this position.
    bootstrapped_at: Option<u64>,
}

/// What the writer takes from a finished group.
pub(super) struct Parts {
    pub changes: Changes,
    pub hosts: BTreeMap<Fqdn, Option<HostRecord>>,
    pub views: Vec<(u64, Fqdn, Option<HostRecord>)>,
    pub feed_views: BTreeMap<Fqdn, Option<HostRecord>>,
    pub bootstrapped_at: Option<u64>,
}

impl<'a> Txn<'a> {
    pub(super) fn new(db: &'a sled::Db, now: Millis, outbox: bool) -> Self {
        Self {
            db,
            now,
            outbox,
            queued: false,
            checkpoint: false,
            snapshot: false,
            overlay: HashMap::new(),
            hosts: BTreeMap::new(),
            views: Vec::new(),
            feed_views: BTreeMap::new(),
            bootstrapped_at: None,
        }
    }

    /// Nodes fed from Postgres keep a transfer view apart from what they serve.
    pub fn is_fed(&self) -> bool {
        self.outbox
    }

    /// The commit's clock: every job of one group sees the same time.
    pub fn now(&self) -> Millis {
        self.now
    }

    pub fn host(&self, name: &Fqdn) -> Result<Option<HostRecord>, StoreError> {
        self.read(&host_key(name))
    }

    pub fn put_host(&mut self, host: HostRecord) {
        self.write(host_key(&host.name), Some(encode(&host)));
        self.hosts.insert(host.name.clone(), Some(host));
    }

    /// Stores a host changed by an update (`good`/`nochg`): on nodes fed from
    /// Postgres its new state is also queued for the outbox, atomically, and
    /// the host's records as the feed made them are kept as its feed view
    /// until the update comes back through the feed (see `store/feed_view`).
    pub fn put_updated_host(&mut self, host: HostRecord) -> Result<(), StoreError> {
        if self.outbox {
            self.write(outbox_key(&host.name), Some(encode(&host)));
            self.queued = true;
            if self.feed_view(&host.name)?.is_none()
                && let Some(before) = self.host(&host.name)?
                && !before.same_records(&host)
            {
                self.set_feed_view(&host.name, Some(before));
            }
        }
        self.put_host(host);
        Ok(())
    }

    /// The host as the change feed alone made it, while this node has an
    /// update of it that has not come back through the feed yet.
    pub fn feed_view(&self, name: &Fqdn) -> Result<Option<HostRecord>, StoreError> {
        self.read(&feed_view_key(name))
    }

    pub fn set_feed_view(&mut self, name: &Fqdn, view: Option<HostRecord>) {
        self.write(feed_view_key(name), view.as_ref().map(encode));
        self.feed_views.insert(name.clone(), view);
    }

    /// Notes the host's transfer view after feed entry `seq` touched it.
    pub fn entry_applied(&mut self, seq: u64, name: &Fqdn) -> Result<(), StoreError> {
        let view = match self.feed_view(name)? {
            Some(view) => Some(view),
            None => self.host(name)?,
        };
        self.views.push((seq, name.clone(), view));
        Ok(())
    }

    /// Ends a bootstrap: the feed continues after `head`, and every zone's
    /// serial is taken from it.
    pub fn finish_bootstrap(&mut self, head: u64) {
        self.set_feed_seq(head);
        self.bootstrapped_at = Some(head);
    }

    /// The last change-feed sequence applied.
    pub fn feed_seq(&self) -> Result<Option<u64>, StoreError> {
        match self.overlay.get(META_FEED_SEQ) {
            Some(Some(raw)) => Ok(raw.as_slice().try_into().ok().map(u64::from_be_bytes)),
            Some(None) => Ok(None),
            None => super::read_u64(self.db, META_FEED_SEQ),
        }
    }

    /// Records the feed position in the same commit as the entries applied.
    pub fn set_feed_seq(&mut self, seq: u64) {
        self.write(META_FEED_SEQ.to_vec(), Some(seq.to_be_bytes().to_vec()));
    }

    pub fn delete_host(&mut self, name: &Fqdn) {
        self.write(host_key(name), None);
        self.hosts.insert(name.clone(), None);
    }

    pub fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
        self.read(&account_key(name))
    }

    pub fn put_account(&mut self, account: &AccountRecord) {
        self.write(account_key(&account.name), Some(encode(account)));
    }

    pub fn delete_account(&mut self, name: &str) {
        self.write(account_key(name), None);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.overlay.is_empty()
    }

    pub(super) fn queued_outbox(&self) -> bool {
        self.queued
    }

    pub(super) fn request_checkpoint(&mut self) {
        self.checkpoint = true;
    }

    pub(super) fn checkpoint_requested(&self) -> bool {
        self.checkpoint
    }

    pub(super) fn request_snapshot(&mut self) {
        self.snapshot = true;
    }

    pub(super) fn snapshot_requested(&self) -> bool {
        self.snapshot
    }

    /// The final value per written key, the final state per host and what
    /// a fed node needs for its serials.
    pub(super) fn into_parts(self) -> Parts {
        Parts {
            changes: self.overlay.into_iter().collect(),
            hosts: self.hosts,
            views: self.views,
            feed_views: self.feed_views,
            bootstrapped_at: self.bootstrapped_at,
        }
    }

    fn write(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.overlay.insert(key, value);
    }

    fn read<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.overlay.get(key) {
            Some(Some(value)) => decode(key, value).map(Some),
            Some(None) => Ok(None),
            None => super::get(self.db, key),
        }
    }
}
