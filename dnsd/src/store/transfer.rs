//! What zone transfers read from the store. Both run as writer jobs: between
//! two commits the index, the serial and the history agree, so a copy is the
//! zone at exactly one serial without stopping readers.

use std::collections::HashMap;

use super::{
    Store, StoreError,
    history::{Change, History},
    index::host_nodes,
    node::Node,
};
use crate::serial;

/// Every record of a zone at one serial, packed as
/// `[owner length u8][owner key][record length u16][record]…`.
#[derive(Debug)]
pub struct ZoneCopy {
    pub serial: u32,
    packed: Vec<u8>,
}

impl ZoneCopy {
    /// Owner key and record (after its owner) of each RR, SOA aside.
    pub fn records(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut rest = self.packed.as_slice();
        std::iter::from_fn(move || {
            let (&owner_len, tail) = rest.split_first()?;
            let (owner, tail) = tail.split_at(usize::from(owner_len));
            let len = usize::from(u16::from_be_bytes([tail[0], tail[1]]));
            let (record, tail) = tail[2..].split_at(len);
            rest = tail;
            Some((owner, record))
        })
    }
}

/// Where a secondary at some serial stands.
#[derive(Debug)]
pub enum Since {
    /// It is current (or ahead): nothing to send but the SOA.
    Current(u32),
    /// The changes from its serial to `serial`, in order.
    Changes { serial: u32, changes: Vec<Change> },
    /// The history does not reach back to its serial.
    TooOld,
}

impl Store {
    /// A copy of the zone at `apex` and its serial, or `None` for no such zone.
    /// On a fed node, hosts with a feed view are copied as that view.
    pub async fn zone_copy(&self, apex: &[u8]) -> Result<Option<ZoneCopy>, StoreError> {
        let index = self.inner.index.clone();
        let feed_views = self.inner.feed_views.clone();
        let apex = apex.to_vec();
        self.transact(move |_| {
            let zone = index.zones().iter().find(|z| *z.apex == *apex)?;
            // The names of hosts with a feed view, and what that view holds.
            let mut views: HashMap<Vec<u8>, Option<Node>> = HashMap::new();
            for (name, host) in feed_views.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                let key = name.key();
                if index.zone_of(&key).is_some_and(|z| std::ptr::eq(z, zone)) {
                    host_nodes(&key, Some(host), |k, node| {
                        views.insert(k.to_vec(), node);
                    });
                }
            }
            let mut packed = Vec::new();
            let mut pack = |owner: &[u8], record: &[u8]| {
                packed.push(owner.len() as u8);
                packed.extend_from_slice(owner);
                packed.extend_from_slice(&(record.len() as u16).to_be_bytes());
                packed.extend_from_slice(record);
            };
            index.zone_records(zone, |owner, record| {
                if !views.contains_key(owner) {
                    pack(owner, record);
                }
            });
            for (owner, node) in &views {
                for set in node.iter().flat_map(Node::rrsets) {
                    set.records().for_each(|record| pack(owner, record));
                }
            }
            Some(ZoneCopy {
                serial: zone.serial(),
                packed,
            })
        })
        .await
    }

    /// What a secondary at `serial` needs to reach the zone's current serial.
    pub async fn changes_since(&self, apex: &[u8], serial: u32) -> Result<Since, StoreError> {
        let index = self.inner.index.clone();
        let history = self.inner.history.clone();
        let db = self.inner.db.clone();
        let apex = apex.to_vec();
        self.transact(move |_| {
            let Some(zone) = index.zones().iter().find(|z| *z.apex == *apex) else {
                return Ok(Since::TooOld);
            };
            let current = zone.serial();
            if !serial::gt(current, serial) {
                return Ok(Since::Current(current));
            }
            let history: &History = &history.lock().unwrap_or_else(|e| e.into_inner());
            Ok(match history.since(&db, &apex, serial)? {
                Some(changes) if changes.last().is_some_and(|c| c.to == current) => {
                    Since::Changes {
                        serial: current,
                        changes,
                    }
                }
                _ => Since::TooOld,
            })
        })
        .await?
    }
}
