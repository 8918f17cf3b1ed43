//! How a group commit moves zone serials and the IXFR history.
//!
//! **Standalone:** a group that writes any host of a zone adds one to its
//! serial (a `nochg` too), and its record-level change is one history entry.
//!
//! **Fed from Postgres:** the serial is derived from the change feed, so
//! every node fed by one database publishes the same serial for the same
//! content and a secondary may follow any of them: the serial of a zone is
//! `2^31 + seq` (mod 2^32) for the last feed entry `seq` that changed the
//! zone's *transfer view*, and each such entry is one history entry. The
//! transfer view is what the feed says: an update this node accepted is
//! served at once but enters the transfer view only when it comes back
//! through the feed (its echo), as on every other node — until then the
//! host's feed view (`fview/`) stands in for it. A bootstrap ends at the
//! feed head: every zone takes that head's serial and forgets its history.
//! Serials never go backwards (RFC 1982): Unix-time serials of a standalone
//! start are below `2^31 + seq` for the next decades, and a feed that
//! restarts lower (a restored database) gets +1 and an error in the log.

use std::collections::HashMap;

use super::{
    Index, StoreError,
    history::{self, Change, History},
    index::host_nodes,
    node::Node,
    txn::Parts,
    zone_key,
};
use crate::{names::Fqdn, serial, store::HostRecord, zone::Zone};

/// Fed serials start half the circle above zero.
const FED_BASE: u64 = 1 << 31;

/// The serial of a fed zone whose last change came with feed entry `seq`.
pub fn fed(seq: u64) -> u32 {
    (FED_BASE + seq) as u32
}

/// `candidate`, unless it is behind `current`: serials never go back.
fn advance(current: u32, candidate: u32) -> u32 {
    if candidate == current || serial::gt(candidate, current) {
        candidate
    } else {
        tracing::error!(
            current,
            candidate,
            "the change feed is behind this zone's serial (a restored database?); counting on"
        );
        current.wrapping_add(1)
    }
}

/// Works out each changed zone's new serial and adds the zones' states and
/// history entries to the group's writes. The index still holds the state
/// before the group.
pub(super) fn plan<'i>(
    index: &'i Index,
    db: &sled::Db,
    history: &mut History,
    feed_views: &HashMap<Fqdn, HostRecord>,
    is_fed: bool,
    parts: &mut Parts,
) -> Result<Vec<(&'i Zone, u32)>, StoreError> {
    let mut serials: Vec<(&Zone, u32)> = if is_fed {
        fed_serials(index, history, feed_views, parts)?
    } else {
        standalone_serials(index, history, parts)?
    };
    if let Some(head) = parts.bootstrapped_at {
        for zone in index.zones() {
            let current = serials
                .iter()
                .find(|(z, _)| std::ptr::eq(*z, zone))
                .map_or(zone.serial(), |(_, s)| *s);
            history.forget(&zone.apex, &mut parts.changes);
            set(&mut serials, zone, advance(current, fed(head)));
        }
    }
    for (zone, serial) in &serials {
        let key = zone_key(&zone.name);
        let mut state = db
            .get(&key)?
            .map(|v| v.to_vec())
            .unwrap_or_else(|| vec![0; 36]);
        state[..4].copy_from_slice(&serial.to_be_bytes());
        parts.changes.push((key, Some(state)));
    }
    Ok(serials)
}

fn set<'i>(serials: &mut Vec<(&'i Zone, u32)>, zone: &'i Zone, serial: u32) {
    match serials.iter_mut().find(|(z, _)| std::ptr::eq(*z, zone)) {
        Some(entry) => entry.1 = serial,
        None => serials.push((zone, serial)),
    }
}

fn standalone_serials<'i>(
    index: &'i Index,
    history: &mut History,
    parts: &mut Parts,
) -> Result<Vec<(&'i Zone, u32)>, StoreError> {
    let view = index.view();
    // One pass over the group's hosts: each zone written gets its serial
    // (+1) and, if it keeps a history, the records that changed.
    let mut touched: Vec<(&Zone, u32, Option<Change>)> = Vec::new();
    for (name, host) in &parts.hosts {
        let key = name.key();
        let Some(zone) = index.zone_of(&key) else {
            continue;
        };
        let at = match touched.iter().position(|(z, ..)| std::ptr::eq(*z, zone)) {
            Some(at) => at,
            None => {
                let serial = zone.serial().wrapping_add(1);
                let change = history
                    .keeps(&zone.apex)
                    .then(|| Change::new(zone.serial(), serial));
                touched.push((zone, serial, change));
                touched.len() - 1
            }
        };
        if let Some(change) = &mut touched[at].2 {
            host_nodes(&key, host.as_ref(), |key, new| {
                history::diff(key, view.node(key), new.as_ref(), change);
            });
        }
    }
    let mut serials = Vec::with_capacity(touched.len());
    for (zone, serial, change) in touched {
        if let Some(change) = change {
            history.record(&zone.apex, change, &mut parts.changes)?;
        }
        serials.push((zone, serial));
    }
    Ok(serials)
}

fn fed_serials<'i>(
    index: &'i Index,
    history: &mut History,
    feed_views: &HashMap<Fqdn, HostRecord>,
    parts: &mut Parts,
) -> Result<Vec<(&'i Zone, u32)>, StoreError> {
    let view = index.view();
    // Each touched name's transfer view so far in this group.
    let mut current: HashMap<Vec<u8>, Option<Node>> = HashMap::new();
    let mut serials: Vec<(&Zone, u32)> = Vec::new();
    for (seq, name, after) in &parts.views {
        let key = name.key();
        let Some(zone) = index.zone_of(&key) else {
            continue;
        };
        if !current.contains_key(&key) {
            // Before the group: the feed view if the host has one, else
            // what is served.
            match feed_views.get(name) {
                Some(before) => host_nodes(&key, Some(before), |k, node| {
                    current.insert(k.to_vec(), node);
                }),
                None => host_nodes(&key, None, |k, _| {
                    let served = view.node(k).filter(|n| n.is_owned()).cloned();
                    current.insert(k.to_vec(), served);
                }),
            }
        }
        let from = serials
            .iter()
            .find(|(z, _)| std::ptr::eq(*z, zone))
            .map_or(zone.serial(), |(_, s)| *s);
        let mut change = Change::new(from, 0);
        host_nodes(&key, after.as_ref(), |k, new| {
            let old = current.insert(k.to_vec(), new.clone()).flatten();
            history::diff(k, old.as_ref(), new.as_ref(), &mut change);
        });
        if change.is_empty() {
            continue;
        }
        change.to = advance(from, fed(*seq));
        set(&mut serials, zone, change.to);
        history.record(&zone.apex, change, &mut parts.changes)?;
    }
    Ok(serials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fed_serials_are_ahead_of_unix_time_serials_and_never_go_back() {
        let unix_now = 1_800_000_000u32;
        assert!(serial::gt(fed(1), unix_now));
        assert!(serial::gt(fed(100_000_000), unix_now));
        assert_eq!(advance(fed(5), fed(9)), fed(9));
        assert_eq!(
            advance(fed(9), fed(9)),
            fed(9),
            "the same position, the same serial"
        );
        assert_eq!(advance(fed(9), fed(5)), fed(9) + 1, "behind: one more");
        assert_eq!(fed(u64::from(u32::MAX)), (FED_BASE as u32).wrapping_sub(1));
    }
}
