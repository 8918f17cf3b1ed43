//! The packing of a zone at a new serial made from its packing at an older
//! serial and the history between the two. Walking the index for a fresh copy
//! visits names in hash order, two cache misses each; this is one sequential
//! pass over the old bodies, so while updates keep moving the serial, every
//! full transfer does not pay for a walk again.

use std::collections::{HashMap, HashSet};

use super::pack::{self, Body, Packer};
use crate::{records::TYPE_SOA, store::history::Change};

/// The zone at the serial `changes` end at: `old` (SOA, records, SOA at
/// the serial they start from) without what they removed and with what they
/// added, between two copies of `soa` (the record after its owner). `None`
/// when `old` does not hold what the changes say was there: the caller
/// copies the zone instead.
pub fn derive(
    old: &[Body],
    apex_len: usize,
    limit: usize,
    soa: &[u8],
    changes: &[Change],
) -> Option<Vec<Body>> {
    let (removed, added) = net(apex_len, changes);
    let mut removed = Removed::new(removed);
    let soa = pack::packed(&[], 0, soa);
    let mut packer = Packer::new(apex_len, limit);
    packer.push_packed(&soa);
    for body in old {
        for rr in pack::records(body) {
            let rr = rr?;
            if !is_apex_soa(rr) && !removed.take(rr) {
                packer.push_packed(rr);
            }
        }
    }
    if !removed.set.is_empty() {
        return None;
    }
    for rr in added {
        packer.push_packed(&rr);
    }
    packer.push_packed(&soa);
    Some(packer.finish())
}

/// What `changes` remove from and add to the zone they start from, packed;
/// the added ones in the order they were added.
fn net(apex_len: usize, changes: &[Change]) -> (Set, Vec<Vec<u8>>) {
    let mut removed = Set::default();
    // Each added RR with when it was added.
    let mut added: HashMap<Vec<u8>, usize, Hasher> = HashMap::default();
    let mut order = 0;
    for change in changes {
        for (owner, record) in &change.removed {
            let rr = pack::packed(owner, apex_len, record);
            if added.remove(&rr).is_none() {
                removed.insert(rr);
            }
        }
        for (owner, record) in &change.added {
            let rr = pack::packed(owner, apex_len, record);
            if !removed.remove(&rr) {
                added.insert(rr, order);
                order += 1;
            }
        }
    }
    let mut added: Vec<_> = added.into_iter().collect();
    added.sort_unstable_by_key(|(_, at)| *at);
    (removed, added.into_iter().map(|(rr, _)| rr).collect())
}

type Hasher = foldhash::fast::RandomState;
type Set = HashSet<Vec<u8>, Hasher>;

/// The removed RRs, found and taken out as the pass meets them. Nearly every
/// RR of the zone was not removed: a bitmap over a hash of an RR's last 8
/// bytes (its data, which tells records of one name apart) says so before
/// the RR is hashed whole.
struct Removed {
    set: Set,
    filter: Vec<u64>,
}

impl Removed {
    const BITS: u32 = 16;

    fn new(set: Set) -> Self {
        let mut filter = vec![0u64; 1 << (Self::BITS - 6)];
        for rr in &set {
            let tag = Self::tag(rr);
            filter[tag >> 6] |= 1 << (tag & 63);
        }
        Self { set, filter }
    }

    fn tag(rr: &[u8]) -> usize {
        let mut tail = [0u8; 8];
        let n = rr.len().min(8);
        tail[8 - n..].copy_from_slice(&rr[rr.len() - n..]);
        let mixed = u64::from_le_bytes(tail).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> (64 - Self::BITS)) as usize
    }

    /// True when `rr` was removed (and is now taken out of the set).
    fn take(&mut self, rr: &[u8]) -> bool {
        let tag = Self::tag(rr);
        self.filter[tag >> 6] & (1 << (tag & 63)) != 0 && self.set.remove(rr)
    }
}

/// The zone's SOA: the owner is the apex (the pointer alone), type SOA.
fn is_apex_soa(rr: &[u8]) -> bool {
    rr.len() > 4 && rr[0] & 0xC0 == 0xC0 && u16::from_be_bytes([rr[2], rr[3]]) == TYPE_SOA
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::key_of;

    const APEX: &str = "dyn.example";

    fn a(ip: u8) -> Vec<u8> {
        vec![0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, ip]
    }

    fn soa(serial: u32) -> Vec<u8> {
        let mut record = vec![0, 6, 0, 1, 0, 0, 0, 60, 0, 22, 0, 0];
        record.extend_from_slice(&serial.to_be_bytes());
        record.extend_from_slice(&[0; 16]);
        record
    }

    /// A whole packing of `records` at `serial`, as a copy of the zone makes it.
    fn packing(serial: u32, records: &[(String, Vec<u8>)], limit: usize) -> Vec<Body> {
        let apex = key_of(APEX);
        let mut packer = Packer::new(apex.len(), limit);
        packer.push(&apex, &soa(serial));
        for (owner, record) in records {
            packer.push(&key_of(owner), record);
        }
        packer.push(&apex, &soa(serial));
        packer.finish()
    }

    /// The RRs of a packing, sorted, the SOAs apart (first, last).
    fn contents(bodies: &[Body]) -> (Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
        let mut rrs: Vec<Vec<u8>> = bodies
            .iter()
            .flat_map(pack::records)
            .map(|rr| rr.unwrap().to_vec())
            .collect();
        let last = rrs.pop().unwrap();
        let first = rrs.remove(0);
        rrs.sort();
        (first, rrs, last)
    }

    fn record(owner: &str, ip: u8) -> (Vec<u8>, Vec<u8>) {
        (key_of(owner), a(ip))
    }

    #[test]
    fn the_derived_packing_equals_a_fresh_one_of_the_new_content() {
        let apex_len = key_of(APEX).len();
        let host = |n: usize| format!("h{n}.{APEX}");
        let before: Vec<(String, Vec<u8>)> = (0..500).map(|n| (host(n), a(n as u8))).collect();
        let old = packing(7, &before, 1000);
        assert!(old.len() > 10, "many bodies");
        // h1 moves twice, h2 goes, h3 goes and comes back, h500 is new and
        // then moves: the net change is what the new packing must show.
        let changes = vec![
            Change {
                from: 7,
                to: 8,
                removed: vec![
                    record(&host(1), 1),
                    record(&host(2), 2),
                    record(&host(3), 3),
                ],
                added: vec![record(&host(1), 201), record(&host(500), 250)],
            },
            Change {
                from: 8,
                to: 9,
                removed: vec![record(&host(1), 201), record(&host(500), 250)],
                added: vec![
                    record(&host(1), 202),
                    record(&host(3), 3),
                    record(&host(500), 251),
                ],
            },
        ];
        let derived = derive(&old, apex_len, 1000, &soa(9), &changes).unwrap();
        let mut after = before.clone();
        after.retain(|(owner, _)| *owner != host(1) && *owner != host(2));
        after.push((host(1), a(202)));
        after.push((host(500), a(251)));
        let fresh = packing(9, &after, 1000);
        assert_eq!(contents(&derived), contents(&fresh));
        assert!(derived.iter().all(|body| body.bytes.len() <= 1000));
        let (first, _, last) = contents(&derived);
        assert_eq!(
            first,
            pack::packed(&[], 0, &soa(9)),
            "SOA first, at the new serial"
        );
        assert_eq!(first, last, "and last");
    }

    #[test]
    fn a_removed_record_the_old_packing_lacks_means_copying_instead() {
        let apex_len = key_of(APEX).len();
        let old = packing(1, &[(format!("x.{APEX}"), a(1))], 1000);
        let changes = vec![Change {
            from: 1,
            to: 2,
            removed: vec![record(&format!("y.{APEX}"), 1)],
            added: Vec::new(),
        }];
        assert!(derive(&old, apex_len, 1000, &soa(2), &changes).is_none());
        let broken = [Body {
            count: old[0].count,
            bytes: old[0].bytes[..old[0].bytes.len() - 3].to_vec(),
        }];
        assert!(
            derive(&broken, apex_len, 1000, &soa(2), &[]).is_none(),
            "a cut RR"
        );
    }
}
