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

/// What a zone copy hands its visitor, in this order: the serial, then
/// every record (owner key, record after its owner), SOA aside.
pub enum Visit<'a> {
    Serial(u32),
    Record(&'a [u8], &'a [u8]),
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
    /// Shows `visit` the zone at `apex` as it is at one serial (on the
    /// writer, between two commits) and gives it back; `None` for no such
    /// zone. On a fed node, hosts with a feed view are shown as that view.
    pub async fn visit_zone<S: Send + 'static>(
        &self,
        apex: &[u8],
        mut state: S,
        visit: fn(&mut S, Visit<'_>),
    ) -> Result<Option<S>, StoreError> {
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
            visit(&mut state, Visit::Serial(zone.serial()));
            index.zone_records(zone, |owner, record| {
                if !views.contains_key(owner) {
                    visit(&mut state, Visit::Record(owner, record));
                }
            });
            for (owner, node) in &views {
                for set in node.iter().flat_map(Node::rrsets) {
                    for record in set.records() {
                        visit(&mut state, Visit::Record(owner, record));
                    }
                }
            }
            Some(state)
        })
        .await
    }

    /// What a secondary at `serial` needs to reach the zone's current serial.
    pub async fn changes_since(&self, apex: &[u8], serial: u32) -> Result<Since, StoreError> {
        let index = self.inner.index.clone();
        let history = self.inner.history.clone();
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
            Ok(match history.since(&apex, serial)? {
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
