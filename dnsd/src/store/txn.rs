//! The view a writer job gets: reads see the writes of earlier jobs in the same
//! group commit; writes go into the group's batch.

use std::collections::{BTreeMap, HashMap};

use super::{AccountRecord, HostRecord, Millis, StoreError, account_key, decode, encode, host_key};
use crate::names::Fqdn;

pub struct Txn<'a> {
    db: &'a sled::Db,
    now: Millis,
    batch: sled::Batch,
    overlay: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// Final state of every host written in this group (`None` = deleted).
    hosts: BTreeMap<Fqdn, Option<HostRecord>>,
}

impl<'a> Txn<'a> {
    pub(super) fn new(db: &'a sled::Db, now: Millis) -> Self {
        Self {
            db,
            now,
            batch: sled::Batch::default(),
            overlay: HashMap::new(),
            hosts: BTreeMap::new(),
        }
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

    pub(super) fn is_empty(&self) -> bool {
        self.overlay.is_empty()
    }

    pub(super) fn changed_hosts(&self) -> impl Iterator<Item = &Fqdn> {
        self.hosts.keys()
    }

    pub(super) fn into_parts(self) -> (sled::Batch, BTreeMap<Fqdn, Option<HostRecord>>) {
        (self.batch, self.hosts)
    }

    pub(super) fn write_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.write(key, Some(value));
    }

    fn write(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        match &value {
            Some(v) => self.batch.insert(key.clone(), v.clone()),
            None => self.batch.remove(key.clone()),
        }
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
