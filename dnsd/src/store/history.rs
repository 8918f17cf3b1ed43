//! The IXFR history (RFC 1995): per zone, what each commit changed, record by
//! record, kept in sled under `ixfr/<len><apex><number>` in the same journaled
//! group as the change itself, so it survives a crash exactly as the data
//! does. Bounded per zone by a number of changes and a number of bytes (like
//! Knot's journal); a secondary further behind gets the whole zone.
//!
//! Commits that change no record (an update answered `nochg`) still move the
//! serial; consecutive ones share one entry whose `from..to` covers them all,
//! so a flood of them does not push real changes out of the history.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{StoreError, journal::Changes};
use crate::{serial, store::node::Node};

pub(super) const HISTORY_PREFIX: &[u8] = b"ixfr/";

/// A change bigger than this share of `history_bytes` ends the history
/// instead of entering it.
const BULK_SHARE: u64 = 8;

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
            bytes: 1 << 20,
        }
    }
}

/// Which zones keep a history (apex keys), and how much.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub zones: Vec<Box<[u8]>>,
    pub limits: Limits,
}

/// An entry as stored: where it starts in the zone's running count of
/// history bytes (so the oldest and newest entries alone give the total),
/// and the change.
#[derive(Serialize, Deserialize)]
struct Stored {
    start: u64,
    change: Change,
}

/// What the writer keeps in memory of a zone's history: its two ends. The
/// entries themselves stay in sled until an IXFR reads them, so a history
/// of many megabytes costs no memory at rest.
#[derive(Debug, Clone, Copy, Default)]
struct Ends {
    /// Number of the oldest entry (the next one's, when there is none).
    first: u64,
    /// Where the oldest entry starts in the byte count.
    first_start: u64,
    newest: Option<Newest>,
}

#[derive(Debug, Clone, Copy)]
struct Newest {
    number: u64,
    from: u32,
    to: u32,
    empty: bool,
    start: u64,
    end: u64,
}

/// Every kept zone's history; the writer changes it, readers take it
/// through a writer job, so it always matches the zone's serial.
#[derive(Debug)]
pub struct History {
    db: sled::Db,
    limits: Limits,
    /// Zones that keep a history (those with transfer clients), by apex.
    zones: HashMap<Box<[u8]>, Ends>,
}

impl History {
    /// Finds the ends of the histories of `apexes` in sled; entries of other
    /// zones (no longer transferred) are deleted.
    pub fn load(db: &sled::Db, apexes: &[Box<[u8]>], limits: Limits) -> Result<Self, StoreError> {
        remove_unkept(db, apexes)?;
        let mut zones = HashMap::new();
        for apex in apexes {
            // The history is derived data: one that cannot be read is
            // dropped (secondaries then get a full transfer), not fatal.
            let ends = read_ends(db, apex).or_else(|error| {
                tracing::warn!(%error, "IXFR history dropped");
                History::clear(db, apex).map(|()| Ends::default())
            })?;
            zones.insert(apex.clone(), ends);
        }
        Ok(Self {
            db: db.clone(),
            limits,
            zones,
        })
    }

    pub fn keeps(&self, apex: &[u8]) -> bool {
        self.zones.contains_key(apex)
    }

    /// Adds what a commit changed in the zone at `apex` to `changes` (the
    /// commit's journaled writes), trimming the oldest entries past the limits.
    pub fn record(
        &mut self,
        apex: &[u8],
        change: Change,
        changes: &mut Changes,
    ) -> Result<(), StoreError> {
        let limits = self.limits;
        let Some(ends) = self.zones.get_mut(apex) else {
            return Ok(());
        };
        if change.is_empty()
            && let Some(newest) = &mut ends.newest
            && newest.empty
            && newest.to == change.from
        {
            let extended = Stored {
                start: newest.start,
                change: Change {
                    from: newest.from,
                    ..change
                },
            };
            let value = encode(&extended);
            newest.to = extended.change.to;
            newest.end = newest.start + value.len() as u64;
            changes.push((entry_key(apex, newest.number), Some(value)));
            return Ok(());
        }
        let number = ends.newest.map_or(ends.first, |n| n.number + 1);
        let start = ends.newest.map_or(ends.first_start, |n| n.end);
        let (from, to, empty) = (change.from, change.to, change.is_empty());
        let value = encode(&Stored { start, change });
        if value.len() as u64 > limits.bytes / BULK_SHARE {
            // A bulk change (an import): a secondary is better served by the
            // whole zone, and keeping it would only push everything else out.
            self.forget(apex, changes);
            return Ok(());
        }
        ends.newest = Some(Newest {
            number,
            from,
            to,
            empty,
            start,
            end: start + value.len() as u64,
        });
        changes.push((entry_key(apex, number), Some(value)));
        while let Some(newest) = ends.newest {
            let count = newest.number - ends.first + 1;
            if count <= limits.changes as u64 && newest.end - ends.first_start <= limits.bytes {
                break;
            }
            changes.push((entry_key(apex, ends.first), None));
            ends.first += 1;
            if ends.first > newest.number {
                ends.newest = None;
                ends.first_start = newest.end;
            } else {
                ends.first_start = entry_start(&self.db, changes, apex, ends.first)?;
            }
        }
        Ok(())
    }

    /// The changes that lead from `serial` to the zone's current version, in
    /// order; `None` when the history does not reach back that far.
    pub fn since(&self, apex: &[u8], serial: u32) -> Result<Option<Vec<Change>>, StoreError> {
        if self
            .zones
            .get(apex)
            .is_none_or(|ends| ends.newest.is_none())
        {
            return Ok(None);
        }
        let mut out: Vec<Change> = Vec::new();
        let mut at = serial;
        for item in self.db.scan_prefix(zone_prefix(apex)) {
            let (key, value) = item?;
            let (_, Stored { mut change, .. }) = decode_entry(&key, &value)?;
            if out.is_empty() {
                // An empty run covers every serial inside it: all are one content.
                let starts_here = change.from == serial
                    || (change.is_empty()
                        && serial::gt(serial, change.from)
                        && serial::gt(change.to, serial));
                if !starts_here {
                    continue;
                }
            } else if change.from != at {
                return Ok(None);
            }
            change.from = at;
            at = change.to;
            out.push(change);
        }
        Ok((!out.is_empty()).then_some(out))
    }

    /// Drops every entry of a zone within a group (a bootstrap replaced its
    /// content without entries).
    pub fn forget(&mut self, apex: &[u8], changes: &mut Changes) {
        if let Some(ends) = self.zones.get_mut(apex)
            && let Some(newest) = ends.newest.take()
        {
            for number in ends.first..=newest.number {
                changes.push((entry_key(apex, number), None));
            }
            ends.first = newest.number + 1;
            ends.first_start = newest.end;
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

/// The two ends of a zone's history in sled.
fn read_ends(db: &sled::Db, apex: &[u8]) -> Result<Ends, StoreError> {
    let mut entries = db.scan_prefix(zone_prefix(apex));
    let oldest = entries.next().transpose()?;
    let newest = entries.next_back().transpose()?.or_else(|| oldest.clone());
    let (Some((old_key, old_value)), Some((new_key, new_value))) = (oldest, newest) else {
        return Ok(Ends::default());
    };
    let (first, oldest) = decode_entry(&old_key, &old_value)?;
    let (number, newest) = decode_entry(&new_key, &new_value)?;
    Ok(Ends {
        first,
        first_start: oldest.start,
        newest: Some(Newest {
            number,
            from: newest.change.from,
            to: newest.change.to,
            empty: newest.change.is_empty(),
            start: newest.start,
            end: newest.start + new_value.len() as u64,
        }),
    })
}

/// Deletes the histories of zones that no longer keep one, one zone at a
/// time (reading one key of each kept zone, not its entries).
fn remove_unkept(db: &sled::Db, apexes: &[Box<[u8]>]) -> Result<(), StoreError> {
    let mut cursor = HISTORY_PREFIX.to_vec();
    while let Some(item) = db.range(cursor.clone()..).next() {
        let key = item?.0;
        if !key.starts_with(HISTORY_PREFIX) {
            break;
        }
        let (apex, _) = parse_key(&key).ok_or_else(|| corrupt(&key, "unreadable key"))?;
        if !apexes.iter().any(|kept| **kept == *apex) {
            History::clear(db, apex)?;
        }
        cursor = zone_prefix(apex);
        cursor.extend_from_slice(&[0xFF; 9]);
    }
    Ok(())
}

/// Where entry `number` starts: from this group's writes if it is new, else
/// from sled.
fn entry_start(
    db: &sled::Db,
    changes: &Changes,
    apex: &[u8],
    number: u64,
) -> Result<u64, StoreError> {
    let key = entry_key(apex, number);
    let pending = changes.iter().rev().find(|(k, _)| *k == key);
    let value = match pending {
        Some((_, value)) => value.clone(),
        None => db.get(&key)?.map(|v| v.to_vec()),
    };
    let value = value.ok_or_else(|| corrupt(&key, "IXFR history entry missing"))?;
    Ok(decode_entry(&key, &value)?.1.start)
}

fn decode_entry(key: &[u8], value: &[u8]) -> Result<(u64, Stored), StoreError> {
    let (_, number) = parse_key(key).ok_or_else(|| corrupt(key, "unreadable key"))?;
    let stored = postcard::from_bytes(value).map_err(|e| corrupt(key, &e.to_string()))?;
    Ok((number, stored))
}

fn corrupt(key: &[u8], reason: &str) -> StoreError {
    StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: format!("IXFR history: {reason}"),
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

fn encode(stored: &Stored) -> Vec<u8> {
    postcard::to_allocvec(stored).expect("a history entry serializes")
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

    /// One single-record change per step of `serials`.
    fn record_steps(
        history: &mut History,
        apex: &[u8],
        serials: std::ops::Range<u32>,
        changes: &mut Changes,
    ) {
        for serial in serials {
            let step = change(serial, serial + 1, &["a.dyn.example"]);
            history.record(apex, step, changes).unwrap();
        }
    }

    fn spans(chain: Option<Vec<Change>>) -> Vec<(u32, u32)> {
        chain.unwrap().iter().map(|c| (c.from, c.to)).collect()
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
        history
            .record(&apex, change(10, 11, &["a.dyn.example"]), &mut changes)
            .unwrap();
        for serial in 11..20 {
            history
                .record(&apex, change(serial, serial + 1, &[]), &mut changes)
                .unwrap();
        }
        history
            .record(&apex, change(20, 21, &["b.dyn.example"]), &mut changes)
            .unwrap();
        apply(&db, changes);
        assert_eq!(
            db.scan_prefix(HISTORY_PREFIX).count(),
            3,
            "nine empty commits are one entry"
        );
        assert_eq!(
            spans(history.since(&apex, 10).unwrap()),
            [(10, 11), (11, 20), (20, 21)]
        );
        assert_eq!(
            spans(history.since(&apex, 15).unwrap()),
            [(15, 20), (20, 21)]
        );
        assert!(history.since(&apex, 9).unwrap().is_none());
        // Read back after a restart: the ends come from two keys.
        let mut reloaded = History::load(&db, std::slice::from_ref(&apex), limits).unwrap();
        assert_eq!(
            reloaded.since(&apex, 15).unwrap(),
            history.since(&apex, 15).unwrap()
        );
        let mut changes = Vec::new();
        reloaded
            .record(&apex, change(21, 22, &["c.dyn.example"]), &mut changes)
            .unwrap();
        apply(&db, changes);
        assert_eq!(
            spans(reloaded.since(&apex, 20).unwrap()),
            [(20, 21), (21, 22)]
        );
        // A zone no longer transferred loses its history at the next start.
        History::load(&db, &[], limits).unwrap();
        assert_eq!(db.scan_prefix(HISTORY_PREFIX).count(), 0);
    }

    #[test]
    fn the_oldest_changes_go_when_a_limit_is_reached() {
        let db = db();
        let apex: Box<[u8]> = key_of("dyn.example").into();
        let limits = Limits {
            changes: 3,
            bytes: 1 << 20,
        };
        let mut history = History::load(&db, std::slice::from_ref(&apex), limits).unwrap();
        // Several entries within one group (a fed node's feed entries).
        let mut changes = Vec::new();
        record_steps(&mut history, &apex, 0..5, &mut changes);
        apply(&db, changes);
        assert!(history.since(&apex, 1).unwrap().is_none());
        assert_eq!(history.since(&apex, 2).unwrap().unwrap().len(), 3);
        assert_eq!(db.scan_prefix(HISTORY_PREFIX).count(), 3);

        // A byte limit: the oldest go until the rest fits.
        let tight = Limits {
            changes: 100,
            bytes: 200,
        };
        let mut small = History::load(&db, std::slice::from_ref(&apex), tight).unwrap();
        let mut changes = Vec::new();
        record_steps(&mut small, &apex, 5..15, &mut changes);
        apply(&db, changes);
        let total: usize = db
            .scan_prefix(HISTORY_PREFIX)
            .map(|e| e.unwrap().1.len())
            .sum();
        assert!(total <= 200, "{total} bytes kept");
        assert!(small.since(&apex, 5).unwrap().is_none());
        assert_eq!(spans(small.since(&apex, 14).unwrap()), [(14, 15)]);

        // A bulk change (more than an eighth of the bytes) ends the history.
        let mut changes = Vec::new();
        let names = [
            "b.dyn.example",
            "c.dyn.example",
            "d.dyn.example",
            "e.dyn.example",
        ];
        small
            .record(&apex, change(15, 16, &names), &mut changes)
            .unwrap();
        apply(&db, changes);
        assert_eq!(db.scan_prefix(HISTORY_PREFIX).count(), 0);
        assert!(small.since(&apex, 14).unwrap().is_none());
        let mut changes = Vec::new();
        small
            .record(&apex, change(16, 17, &["f.dyn.example"]), &mut changes)
            .unwrap();
        apply(&db, changes);
        assert_eq!(spans(small.since(&apex, 16).unwrap()), [(16, 17)]);
    }

    #[test]
    fn diffs_name_only_the_records_that_changed() {
        let key = key_of("a.dyn.example");
        let v6 = Some("2001:db8::1".parse().unwrap());
        let old = Node::addresses(60, Some("192.0.2.1".parse().unwrap()), v6);
        let new = Node::addresses(60, Some("192.0.2.2".parse().unwrap()), v6);
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
