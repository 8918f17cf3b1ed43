//! The in-memory index every DNS answer comes from.
//!
//! A lock-free hash map (papaya) from lowercase wire key to [`Node`]. Readers
//! never take a lock and are never blocked by a write; the single store writer
//! replaces whole nodes after each durable commit. Empty non-terminals are
//! explicit empty nodes, reference-counted by the names below them, so the
//! resolver can tell NODATA from NXDOMAIN with one lookup.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use papaya::HashMap as LockFreeMap;

use crate::{
    names::{Fqdn, parent_key},
    records::Rrset,
    store::{
        model::HostRecord,
        node::{Node, NodeKey},
    },
    zone::{StaticNodes, Zone},
};

/// Label of the ACME DNS-01 challenge name below a host.
pub const ACME_LABEL: &str = "_acme-challenge";

type Hasher = foldhash::fast::RandomState;

/// State only the writer touches.
#[derive(Default)]
struct WriterState {
    /// Owned names below each name (counts only names strictly below an apex).
    descendants: HashMap<Box<[u8]>, u32>,
    /// Names defined by the configuration; hosts may not take them.
    static_names: HashSet<Box<[u8]>>,
}

pub struct Index {
    zones: Vec<Zone>,
    nodes: LockFreeMap<NodeKey, Node, Hasher>,
    writer: Mutex<WriterState>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("zones", &self.zones.len())
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

/// A read view; holding it pins the nodes it returns.
pub struct IndexView<'a> {
    index: &'a Index,
    guard: papaya::LocalGuard<'a>,
}

impl<'a> IndexView<'a> {
    pub fn zones(&self) -> &'a [Zone] {
        &self.index.zones
    }

    /// The zone whose apex is the longest suffix of `key`, with its position.
    pub fn zone_of(&self, key: &[u8]) -> Option<&'a Zone> {
        self.index.zone_of(key)
    }

    pub fn node(&self, key: &[u8]) -> Option<&Node> {
        self.index.nodes.get(key, &self.guard)
    }
}

/// Calls `f` with each name a host owns (the host, `*.host`,
/// `_acme-challenge.host`) and the node it should hold (`None`: no data), in
/// an order that keeps empty non-terminals right when applied: children
/// before the host when removing, the host's node before its TXT child.
pub fn host_nodes(key: &[u8], host: Option<&HostRecord>, mut f: impl FnMut(&[u8], Option<Node>)) {
    let (mut wildcard_buf, mut acme_buf) = ([0u8; 256], [0u8; 256]);
    // A name too long for a child has no wildcard or ACME name to serve.
    let wildcard_key = Fqdn::child_key_in(key, "*", &mut wildcard_buf);
    let acme_key = Fqdn::child_key_in(key, ACME_LABEL, &mut acme_buf);
    let Some(host) = host.filter(|host| host.enabled) else {
        for key in [wildcard_key, acme_key, Some(key)].into_iter().flatten() {
            f(key, None);
        }
        return;
    };
    let node = Node::addresses(host.ttl, host.ipv4, host.ipv6);
    if let Some(wildcard_key) = wildcard_key {
        f(wildcard_key, host.wildcard.then(|| node.clone()));
    }
    f(key, Some(node));
    if let Some(acme_key) = acme_key {
        let txt = match Rrset::txt(host.ttl, &host.txt) {
            Ok(set) if !host.txt.is_empty() => Some(Node::owned(vec![set])),
            _ => None,
        };
        f(acme_key, txt);
    }
}

impl Index {
    /// Builds the index with the zones and their static records.
    pub fn new(zones: Vec<(Zone, StaticNodes)>) -> Self {
        let index = Self {
            zones: Vec::with_capacity(zones.len()),
            nodes: LockFreeMap::builder()
                .hasher(Hasher::default())
                .resize_mode(papaya::ResizeMode::Blocking)
                .build(),
            writer: Mutex::new(WriterState::default()),
        };
        let mut index = index;
        let mut statics = Vec::new();
        for (zone, nodes) in zones {
            index.zones.push(zone);
            statics.extend(nodes);
        }
        // Longest apex first, so the first suffix match is the most specific zone.
        index
            .zones
            .sort_by_key(|zone| std::cmp::Reverse(zone.apex.len()));
        for zone in &index.zones {
            index.put(&zone.apex, Node::owned(Vec::new()));
        }
        for (key, rrsets) in statics {
            index.put(&key, Node::owned(rrsets));
            index.writer().static_names.insert(key.into_boxed_slice());
        }
        index
    }

    pub fn view(&self) -> IndexView<'_> {
        IndexView {
            index: self,
            guard: self.nodes.guard(),
        }
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    pub fn zone_of(&self, key: &[u8]) -> Option<&Zone> {
        self.zones.iter().find(|zone| is_suffix(key, &zone.apex))
    }

    /// Number of nodes (names) served, empty non-terminals included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// True when the name is taken by configured static data.
    pub fn is_static(&self, key: &[u8]) -> bool {
        self.writer().static_names.contains(key)
    }

    /// Brings the names a host owns (`host`, `*.host`, `_acme-challenge.host`)
    /// in line with the record. Writer only.
    pub fn apply_host(&self, host: &HostRecord) {
        self.sync_names(&host.name, Some(host));
    }

    /// Removes every name a host owned. Writer only.
    pub fn remove_name(&self, name: &Fqdn) {
        self.sync_names(name, None);
    }

    fn sync_names(&self, name: &Fqdn, host: Option<&HostRecord>) {
        let key = name.key();
        if self.zone_of(&key).is_none() {
            return;
        }
        host_nodes(&key, host, |key, node| match node {
            Some(node) => self.set(key, node),
            None => self.clear(key),
        });
    }

    /// Calls `f` with every RR of `zone` (owner key, RR after its owner),
    /// the SOA aside. On the writer thread, between commits, this is the
    /// zone at its current serial.
    pub fn zone_records(&self, zone: &Zone, mut f: impl FnMut(&[u8], &[u8])) {
        // The map's slots are in hash order, but its entries lie in the heap
        // in about the order they were made, each next to its node's bytes:
        // visited by address, the walk reads memory nearly in sequence
        // instead of missing the cache twice per name (a sort of the
        // references costs a fifth of what it saves).
        let guard = self.nodes.pin();
        let mut entries: Vec<(&NodeKey, &Node)> = guard.iter().collect();
        entries.sort_unstable_by_key(|(key, _)| std::ptr::from_ref(*key).addr());
        for (key, node) in entries {
            let key = key.as_slice();
            if !node.is_owned() || !self.zone_of(key).is_some_and(|z| std::ptr::eq(z, zone)) {
                continue;
            }
            for set in node.rrsets() {
                for record in set.records() {
                    f(key, record);
                }
            }
        }
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, WriterState> {
        // The state is a cache of counts; a panic elsewhere cannot leave it torn
        // in a way that matters more than refusing to serve, so recover it.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn put(&self, key: &[u8], node: Node) {
        self.nodes.pin().insert(NodeKey::new(key), node);
    }

    fn is_owned(&self, key: &[u8]) -> bool {
        self.nodes.pin().get(key).is_some_and(Node::is_owned)
    }

    /// Sets an owned node, creating empty non-terminals above it.
    fn set(&self, key: &[u8], node: Node) {
        let ancestors = self.ancestors_below_apex(key);
        // Most hosts sit right below an apex: no counts to keep, no lock.
        if !ancestors.is_empty() && !self.is_owned(key) {
            let mut state = self.writer();
            for ancestor in ancestors {
                let count = state.descendants.entry(ancestor.into()).or_insert(0);
                *count += 1;
                if *count == 1 && self.nodes.pin().get(ancestor).is_none() {
                    self.put(ancestor, Node::empty_non_terminal());
                }
            }
        }
        self.put(key, node);
    }

    /// Removes an owned node (leaving an empty non-terminal if names remain
    /// below it) and prunes empty non-terminals that no longer lead anywhere.
    fn clear(&self, key: &[u8]) {
        if !self.is_owned(key) {
            return;
        }
        let mut state = self.writer();
        if state.descendants.contains_key(key) {
            self.put(key, Node::empty_non_terminal());
        } else {
            self.nodes.pin().remove(key);
        }
        for ancestor in self.ancestors_below_apex(key) {
            let Some(count) = state.descendants.get_mut(ancestor) else {
                continue;
            };
            *count -= 1;
            if *count == 0 {
                state.descendants.remove(ancestor);
                if !self.is_owned(ancestor) {
                    self.nodes.pin().remove(ancestor);
                }
            }
        }
    }

    /// Proper ancestors of `key` strictly below its zone apex.
    fn ancestors_below_apex<'k>(&self, key: &'k [u8]) -> Vec<&'k [u8]> {
        let apex_len = self.zone_of(key).map_or(1, |zone| zone.apex.len());
        let mut out = Vec::new();
        let mut current = key;
        while let Some(parent) = parent_key(current) {
            if parent.len() <= apex_len {
                break;
            }
            out.push(parent);
            current = parent;
        }
        out
    }
}

/// True when `suffix` is `key` or a label-aligned suffix of it.
pub fn is_suffix(key: &[u8], suffix: &[u8]) -> bool {
    if suffix.len() > key.len() {
        return false;
    }
    let mut offset = 0;
    while offset < key.len() {
        if key.len() - offset == suffix.len() {
            return &key[offset..] == suffix;
        }
        offset += usize::from(key[offset]) + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::key_of;

    fn index() -> Index {
        Index::new(vec![crate::zone::test_zone()])
    }

    fn host(name: &str) -> HostRecord {
        let mut host = HostRecord::new(&Fqdn::parse(name).unwrap(), None, 60, 0);
        host.ipv4 = Some("192.0.2.7".parse().unwrap());
        host
    }

    #[test]
    fn hosts_outside_served_zones_are_not_indexed() {
        let index = index();
        let before = index.len();
        index.apply_host(&host("h.other.example"));
        assert_eq!(index.len(), before);
    }

    #[test]
    fn deep_hosts_create_and_prune_empty_non_terminals() {
        let index = index();
        let deep = host("a.b.c.dyn.example");
        index.apply_host(&deep);
        let view = index.view();
        assert!(
            view.node(&key_of("a.b.c.dyn.example"))
                .unwrap()
                .rrset(1)
                .is_some()
        );
        let ent = view.node(&key_of("b.c.dyn.example")).unwrap();
        assert!(ent.is_empty() && !ent.is_owned());
        assert!(view.node(&key_of("c.dyn.example")).is_some());
        drop(view);

        // A host at an empty non-terminal takes it over; removing it restores the ENT.
        let middle = host("b.c.dyn.example");
        index.apply_host(&middle);
        assert!(index.is_owned(&key_of("b.c.dyn.example")));
        index.remove_name(&middle.name);
        assert!(!index.is_owned(&key_of("b.c.dyn.example")));
        assert!(index.view().node(&key_of("b.c.dyn.example")).is_some());

        index.remove_name(&deep.name);
        let view = index.view();
        for name in ["a.b.c.dyn.example", "b.c.dyn.example", "c.dyn.example"] {
            assert!(view.node(&key_of(name)).is_none(), "{name} should be gone");
        }
        assert!(
            view.node(&key_of("dyn.example")).is_some(),
            "the apex stays"
        );
    }

    #[test]
    fn wildcard_and_acme_names_follow_the_host() {
        let index = index();
        let mut h = host("h.dyn.example");
        h.wildcard = true;
        h.txt = vec!["token-1".into()];
        index.apply_host(&h);
        assert!(index.view().node(&key_of("*.h.dyn.example")).is_some());
        assert!(
            index
                .view()
                .node(&key_of("_acme-challenge.h.dyn.example"))
                .is_some()
        );
        h.wildcard = false;
        h.txt.clear();
        index.apply_host(&h);
        assert!(index.view().node(&key_of("*.h.dyn.example")).is_none());
        assert!(
            index
                .view()
                .node(&key_of("_acme-challenge.h.dyn.example"))
                .is_none()
        );
        h.enabled = false;
        index.apply_host(&h);
        assert!(index.view().node(&key_of("h.dyn.example")).is_none());
    }

    /// Found by the `update_params` fuzz target: a host whose name leaves no
    /// room for `*.` or `_acme-challenge.` (253 characters, which `dnsd host
    /// add` accepts) panicked the store writer.
    #[test]
    fn a_host_with_the_longest_name_is_served_without_children() {
        let index = index();
        let label = "a".repeat(63);
        let name = format!("{label}.{label}.{label}.{}.dyn.example", "b".repeat(49));
        let mut h = host(&name);
        assert_eq!(h.name.key().len(), 255);
        h.wildcard = true;
        h.txt = vec!["token-1".into()];
        let before = index.len();
        index.apply_host(&h);
        let view = index.view();
        assert!(view.node(&key_of(&name)).unwrap().rrset(1).is_some());
        drop(view);
        index.remove_name(&h.name);
        assert_eq!(index.len(), before);
    }

    #[test]
    fn suffix_matching_is_label_aligned() {
        let key = key_of("a.dyn.example");
        assert!(is_suffix(&key, &key_of("dyn.example")));
        assert!(is_suffix(&key, &key));
        assert!(is_suffix(&key, b"\x00"));
        assert!(!is_suffix(&key, &key_of("yn.example")));
    }
}
