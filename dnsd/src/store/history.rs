//! The IXFR history (RFC 1995): per zone, what each commit changed, record by
//! record, kept in sled under `ixfr/<len><apex><number>` in the same journaled
//! group as the change itself, so it survives a crash exactly as the data
//! does. Bounded per zone by a number of changes and a number of bytes (like
//! Knot's journal); a secondary further behind gets the whole zone.
//!
//! Commits that change no record (an update answered `nochg`) still move the
//! serial; consecutive ones share one entry whose `from..to` covers them all,
//! so a flood of them does not push real changes out of the history.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::{StoreError, journal::Changes};
use crate::{serial, store::node::Node};

pub(super) const HISTORY_PREFIX: &[u8] = b"ixfr/";

/// One record: owner key and the RR after its owner (type, class, TTL,
/// length, data).
pub type Record = (Vec<u8>, Vec<u8>);

/// What one commit (or a run of empty ones) changed in a zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub from: u32,
    pub to: u32,
    pub removed: Vec<Record>,
    pub added: Vec<Record>,
}

impl Change {
    pub fn new(from: u32, to: u32) -> Self {
        Self {
            from,
            to,
            removed: Vec::new(),
            added: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }
}

/// How much history a zone keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub changes: usize,
    pub bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            changes: 1000,
            bytes: 16 << 20,
        }
    }
}

/// Which zones keep a history (apex keys), and how much.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub zones: Vec<Box<[u8]>>,
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    number: u64,
    from: u32,
    to: u32,
    bytes: u64,
    empty: bool,
}

/// The writer's view of every zone's history; readers take it through a
/// writer job, so it always matches the zone's serial.
#[derive(Debug)]
pub struct History {
    limits: Limits,
    /// Zones that keep a history (those with transfer clients), by apex.
    zones: HashMap<Box<[u8]>, VecDeque<Entry>>,
}

impl History {
    /// Reads the entries of `apexes` from sled; entries of other zones (no
    /// longer transferred) are deleted.
    pub fn load(db: &sled::Db, apexes: &[Box<[u8]>], limits: Limits) -> Result<Self, StoreError> {
        let mut zones: HashMap<Box<[u8]>, VecDeque<Entry>> = apexes
            .iter()
            .map(|apex| (apex.clone(), VecDeque::new()))
            .collect();
        for item in db.scan_prefix(HISTORY_PREFIX) {
            let (key, value) = item?;
            let parsed = parse_key(&key).and_then(|(apex, number)| {
                let change: Change = postcard::from_bytes(&value).ok()?;
                Some((apex, number, change))
            });
            let Some((apex, number, change)) = parsed else {
                return Err(StoreError::Corrupt {
                    key: String::from_utf8_lossy(&key).into_owned(),
                    reason: "unreadable IXFR history entry".into(),
                });
            };
            match zones.get_mut(apex) {
                Some(entries) => entries.push_back(Entry {
                    number,
                    from: change.from,
                    to: change.to,
                    bytes: value.len() as u64,
                    empty: change.is_empty(),
                }),
                None => {
                    db.remove(&key)?;
                }
            }
        }
        Ok(Self { limits, zones })
    }

    pub fn keeps(&self, apex: &[u8]) -> bool {
        self.zones.contains_key(apex)
    }

    /// Adds what a commit changed in the zone at `apex` to `changes` (the
    /// commit's journaled writes), trimming the oldest entries past the limits.
    pub fn record(&mut self, apex: &[u8], change: Change, changes: &mut Changes) {
        let limits = self.limits;
        let Some(entries) = self.zones.get_mut(apex) else {
            return;
        };
        if change.is_empty()
            && let Some(last) = entries.back_mut()
            && last.empty
            && last.to == change.from
        {
            last.to = change.to;
            let extended = Change {
                from: last.from,
                ..change
            };
            changes.push((entry_key(apex, last.number), Some(encode(&extended))));
            return;
        }
        let number = entries.back().map_or(0, |last| last.number + 1);
        let value = encode(&change);
        entries.push_back(Entry {
            number,
            from: change.from,
            to: change.to,
            bytes: value.len() as u64,
            empty: change.is_empty(),
        });
        changes.push((entry_key(apex, number), Some(value)));
        let mut bytes: u64 = entries.iter().map(|e| e.bytes).sum();
        while entries.len() > limits.changes || bytes > limits.bytes {
            let Some(oldest) = entries.pop_front() else {
                break;
            };
            bytes -= oldest.bytes;
            changes.push((entry_key(apex, oldest.number), None));
        }
    }

    /// The changes that lead from `serial` to the zone's current version, in
    /// order; `None` when the history does not reach back that far.
    pub fn since(
        &self,
        db: &sled::Db,
        apex: &[u8],
        serial: u32,
    ) -> Result<Option<Vec<Change>>, StoreError> {
        let Some(entries) = self.zones.get(apex) else {
            return Ok(None);
        };
        // An empty run covers every serial inside it: all are one content.
        let Some(start) = entries.iter().position(|e| {
            e.from == serial || (e.empty && serial::gt(serial, e.from) && serial::gt(e.to, serial))
        }) else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(entries.len() - start);
        let mut at = serial;
        for entry in entries.iter().skip(start) {
            if entry.from != at && !(entry.empty && out.is_empty()) {
                return Ok(None);
            }
            let key = entry_key(apex, entry.number);
            let value = db.get(&key)?.ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(&key).into_owned(),
                reason: "IXFR history entry missing".into(),
            })?;
            let mut change: Change =
                postcard::from_bytes(&value).map_err(|e| StoreError::Corrupt {
                    key: String::from_utf8_lossy(&key).into_owned(),
                    reason: e.to_string(),
                })?;
            change.from = at;
            at = change.to;
            out.push(change);
        }
        Ok(Some(out))
    }

    /// Drops every entry of a zone within a group (a bootstrap replaced its
    /// content without entries).
    pub fn forget(&mut self, apex: &[u8], changes: &mut Changes) {
        if let Some(entries) = self.zones.get_mut(apex) {
            for entry in entries.drain(..) {
                changes.push((entry_key(apex, entry.number), None));
            }
        }
    }

    /// Forgets a zone's history at open (its static part changed: no entry
    /// says so).
    pub fn clear(db: &sled::Db, apex: &[u8]) -> Result<(), StoreError> {
        for item in db.scan_prefix(zone_prefix(apex)) {
            db.remove(item?.0)?;
        }
        Ok(())
    }
}

/// The record-level difference between two versions of one name's node.
pub fn diff(key: &[u8], old: Option<&Node>, new: Option<&Node>, change: &mut Change) {
    let records = |node: Option<&Node>| -> Vec<Vec<u8>> {
        node.filter(|n| n.is_owned())
            .map(|n| {
                n.rrsets()
                    .flat_map(|set| set.records().map(<[u8]>::to_vec).collect::<Vec<_>>())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (records(old), records(new));
    for record in &old {
        if !new.contains(record) {
            change.removed.push((key.to_vec(), record.clone()));
        }
    }
    for record in new {
        if !old.contains(&record) {
            change.added.push((key.to_vec(), record));
        }
    }
}

fn encode(change: &Change) -> Vec<u8> {
    postcard::to_allocvec(change).expect("a history entry serializes")
}

fn zone_prefix(apex: &[u8]) -> Vec<u8> {
    let mut key = HISTORY_PREFIX.to_vec();
    key.push(apex.len() as u8);
    key.extend_from_slice(apex);
    key
}

fn entry_key(apex: &[u8], number: u64) -> Vec<u8> {
    let mut key = zone_prefix(apex);
    key.extend_from_slice(&number.to_be_bytes());
    key
}

fn parse_key(key: &[u8]) -> Option<(&[u8], u64)> {
    let rest = key.strip_prefix(HISTORY_PREFIX)?;
    let (&len, rest) = rest.split_first()?;
    let apex = rest.get(..usize::from(len))?;
    let number = rest.get(usize::from(len)..)?.try_into().ok()?;
    Some((apex, u64::from_be_bytes(number)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::key_of;

    fn db() -> sled::Db {
        sled::Config::new().temporary(true).open().unwrap()
    }

    fn change(from: u32, to: u32, added: &[&str]) -> Change {
        Change {
            from,
            to,
            removed: Vec::new(),
            added: added.iter().map(|a| (key_of(a), vec![1])).collect(),
        }
    }

    fn apply(db: &sled::Db, changes: Changes) {
        for (key, value) in changes {
            match value {
                Some(value) => db.insert(key, value).unwrap(),
                None => db.remove(key).unwrap(),
            };
        }
    }

    #[test]
    fn a_chain_is_read_from_any_kept_serial_and_empty_runs_are_one_entry() {
        let db = db();
        let apex: Box<[u8]> = key_of("dyn.example").into();
        let limits = Limits {
            changes: 10,
            bytes: 1 << 20,
        };
        let mut history = History::load(&db, std::slice::from_ref(&apex), limits).unwrap();
        let mut changes = Vec::new();
        history.record(&apex, change(10, 11, &["a.dyn.example"]), &mut changes);
        for serial in 11..20 {
            history.record(&apex, change(serial, serial + 1, &[]), &mut changes);
        }
        history.record(&apex, change(20, 21, &["b.dyn.example"]), &mut changes);
        apply(&db, changes);
        assert_eq!(
            history.zones[&apex].len(),
            3,
            "nine empty commits are one entry"
        );
        let chain = history.since(&db, &apex, 10).unwrap().unwrap();
        assert_eq!(
            chain.iter().map(|c| (c.from, c.to)).collect::<Vec<_>>(),
            [(10, 11), (11, 20), (20, 21)]
        );
        let chain = history.since(&db, &apex, 15).unwrap().unwrap();
        assert_eq!(
            chain.iter().map(|c| (c.from, c.to)).collect::<Vec<_>>(),
            [(15, 20), (20, 21)]
        );
        assert!(history.since(&db, &apex, 9).unwrap().is_none());
        // Read back after a restart.
        let reloaded = History::load(&db, std::slice::from_ref(&apex), limits).unwrap();
        assert_eq!(
            reloaded.since(&db, &apex, 15).unwrap(),
            history.since(&db, &apex, 15).unwrap()
        );
    }

    #[test]
    fn the_oldest_changes_go_when_a_limit_is_reached() {
        let db = db();
        let apex: Box<[u8]> = key_of("dyn.example").into();
        let mut history = History::load(
            &db,
            std::slice::from_ref(&apex),
            Limits {
                changes: 3,
                bytes: 1 << 20,
            },
        )
        .unwrap();
        let mut changes = Vec::new();
        for serial in 0..5 {
            history.record(
                &apex,
                change(serial, serial + 1, &["a.dyn.example"]),
                &mut changes,
            );
        }
        apply(&db, changes);
        assert!(history.since(&db, &apex, 1).unwrap().is_none());
        assert_eq!(history.since(&db, &apex, 2).unwrap().unwrap().len(), 3);
        assert_eq!(db.scan_prefix(HISTORY_PREFIX).count(), 3);
        let mut small = History::load(
            &db,
            std::slice::from_ref(&apex),
            Limits {
                changes: 100,
                bytes: 40,
            },
        )
        .unwrap();
        let mut changes = Vec::new();
        small.record(
            &apex,
            change(5, 6, &["a.dyn.example", "b.dyn.example"]),
            &mut changes,
        );
        assert!(small.zones[&apex].iter().map(|e| e.bytes).sum::<u64>() <= 40);
    }

    #[test]
    fn diffs_name_only_the_records_that_changed() {
        let key = key_of("a.dyn.example");
        let old = Node::addresses(
            60,
            Some("192.0.2.1".parse().unwrap()),
            Some("2001:db8::1".parse().unwrap()),
        );
        let new = Node::addresses(
            60,
            Some("192.0.2.2".parse().unwrap()),
            Some("2001:db8::1".parse().unwrap()),
        );
        let mut change = change(1, 2, &[]);
        diff(&key, Some(&old), Some(&new), &mut change);
        assert_eq!((change.removed.len(), change.added.len()), (1, 1));
        assert_eq!(
            &change.added[0].1[..2],
            &crate::records::TYPE_A.to_be_bytes()
        );
        let mut gone = self::change(1, 2, &[]);
        diff(&key, Some(&old), None, &mut gone);
        assert_eq!((gone.removed.len(), gone.added.len()), (2, 0));
    }
}
