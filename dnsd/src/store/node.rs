//! Compact index entries: a name key stored inline when short, and a node's
//! RRsets packed into one allocation. At a million hosts every allocation
//! and every pointer per name counts.

use std::{
    borrow::Borrow,
    hash::{Hash, Hasher},
};

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::records::{RR_HEADER_LEN, Rrset, RrsetRef, TYPE_A, TYPE_AAAA, write_rr};

/// Wire names up to this length live inside the key itself (most host
/// names: `router.dyn.example.net` is 24 bytes).
const INLINE: usize = 38;

/// A lowercase wire-format name as a map key.
#[derive(Clone)]
pub enum NodeKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl NodeKey {
    pub fn new(key: &[u8]) -> Self {
        if key.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..key.len()].copy_from_slice(key);
            Self::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            Self::Heap(key.into())
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Heap(bytes) => bytes,
        }
    }
}

impl Borrow<[u8]> for NodeKey {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

// Hash and Eq must agree with `[u8]`'s, since lookups borrow as `&[u8]`.
impl Hash for NodeKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialEq for NodeKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for NodeKey {}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::names::key_to_dotted(self.as_slice()))
    }
}

/// Byte 0 of a node: flags.
const OWNED: u8 = 1;
/// Bytes per RRset directory entry: type, RR count, wire length.
const DIRECTORY_ENTRY: usize = 6;

/// A directory entry for a one-RR set of `len` wire bytes.
fn directory_entry(bytes: &mut Vec<u8>, rtype: u16, len: usize) {
    bytes.extend_from_slice(&rtype.to_be_bytes());
    bytes.extend_from_slice(&1u16.to_be_bytes());
    bytes.extend_from_slice(&(len as u16).to_be_bytes());
}

/// The data at one name, packed as
/// `[flags][n] n × [type u16][count u16][len u16] wire…` (big-endian).
/// A node that is not *owned* is an empty non-terminal; an owned node without
/// RRsets is a name that exists without data (NODATA, not NXDOMAIN).
#[derive(Clone, PartialEq, Eq)]
pub struct Node(Box<[u8]>);

impl Node {
    /// A node with these RRsets (sorted by type here).
    pub fn owned(mut rrsets: Vec<Rrset>) -> Self {
        rrsets.sort_by_key(Rrset::rtype);
        let wire_len: usize = rrsets.iter().map(|set| set.as_ref().wire().len()).sum();
        let mut bytes = Vec::with_capacity(2 + DIRECTORY_ENTRY * rrsets.len() + wire_len);
        bytes.push(OWNED);
        bytes.push(rrsets.len() as u8);
        for set in &rrsets {
            let set = set.as_ref();
            bytes.extend_from_slice(&set.rtype().to_be_bytes());
            bytes.extend_from_slice(&set.count().to_be_bytes());
            bytes.extend_from_slice(&(set.wire().len() as u16).to_be_bytes());
        }
        for set in &rrsets {
            bytes.extend_from_slice(set.as_ref().wire());
        }
        Self(bytes.into_boxed_slice())
    }

    /// A host's node: its A and AAAA (if any) in one allocation, built
    /// directly (this runs for every host at start).
    pub fn addresses(ttl: u32, v4: Option<Ipv4Addr>, v6: Option<Ipv6Addr>) -> Self {
        let sets = usize::from(v4.is_some()) + usize::from(v6.is_some());
        let wire = v4.map_or(0, |_| RR_HEADER_LEN + 4) + v6.map_or(0, |_| RR_HEADER_LEN + 16);
        // Exact size: the boxed slice then needs no reallocation.
        let mut bytes = Vec::with_capacity(2 + DIRECTORY_ENTRY * sets + wire);
        bytes.push(OWNED);
        bytes.push(sets as u8);
        if v4.is_some() {
            directory_entry(&mut bytes, TYPE_A, RR_HEADER_LEN + 4);
        }
        if v6.is_some() {
            directory_entry(&mut bytes, TYPE_AAAA, RR_HEADER_LEN + 16);
        }
        if let Some(v4) = v4 {
            write_rr(&mut bytes, TYPE_A, ttl, &v4.octets());
        }
        if let Some(v6) = v6 {
            write_rr(&mut bytes, TYPE_AAAA, ttl, &v6.octets());
        }
        Self(bytes.into_boxed_slice())
    }

    pub fn empty_non_terminal() -> Self {
        Self(Box::new([0, 0]))
    }

    pub fn is_owned(&self) -> bool {
        self.0.first().is_some_and(|flags| flags & OWNED != 0)
    }

    /// The RRsets, in type order.
    pub fn rrsets(&self) -> impl Iterator<Item = RrsetRef<'_>> {
        let count = usize::from(self.0.get(1).copied().unwrap_or(0));
        let directory = self.0.get(2..2 + count * DIRECTORY_ENTRY).unwrap_or(&[]);
        let mut wire_at = 2 + count * DIRECTORY_ENTRY;
        directory
            .chunks_exact(DIRECTORY_ENTRY)
            .filter_map(move |entry| {
                let field = |i: usize| u16::from_be_bytes([entry[i], entry[i + 1]]);
                let len = usize::from(field(4));
                let wire = self.0.get(wire_at..wire_at + len)?;
                wire_at += len;
                Some(RrsetRef::from_parts(field(0), field(2), wire))
            })
    }

    pub fn rrset(&self, rtype: u16) -> Option<RrsetRef<'_>> {
        self.rrsets().find(|set| set.rtype() == rtype)
    }

    pub fn is_empty(&self) -> bool {
        self.0.get(1).is_none_or(|n| *n == 0)
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("owned", &self.is_owned())
            .field(
                "types",
                &self.rrsets().map(|s| s.rtype()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{TYPE_A, TYPE_AAAA, TYPE_TXT};

    #[test]
    fn keys_compare_and_hash_like_their_bytes() {
        use std::hash::BuildHasher;
        let short = crate::names::key_of("a.example");
        let long = crate::names::key_of(&format!("{}.example", "x".repeat(60)));
        for key in [short, long] {
            let node_key = NodeKey::new(&key);
            assert_eq!(node_key.as_slice(), &key[..]);
            let hasher = std::collections::hash_map::RandomState::new();
            assert_eq!(hasher.hash_one(&node_key), hasher.hash_one(&key[..]));
        }
    }

    #[test]
    fn nodes_pack_and_unpack_their_rrsets_in_type_order() {
        let v6 = Rrset::new(
            TYPE_AAAA,
            60,
            [&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1][..]],
        );
        let v4 = Rrset::new(TYPE_A, 60, [&[192, 0, 2, 1][..]]);
        let txt = Rrset::txt(30, &["hello"]).unwrap();
        let node = Node::owned(vec![v6.clone(), txt.clone(), v4.clone()]);
        let types: Vec<u16> = node.rrsets().map(|s| s.rtype()).collect();
        assert_eq!(types, vec![TYPE_A, TYPE_TXT, TYPE_AAAA]);
        assert_eq!(node.rrset(TYPE_AAAA), Some(v6.as_ref()));
        assert_eq!(node.rrset(TYPE_TXT).map(|s| s.ttl()), Some(30));
        assert!(node.is_owned() && !node.is_empty());
        let ent = Node::empty_non_terminal();
        assert!(!ent.is_owned() && ent.is_empty() && ent.rrsets().next().is_none());
        assert!(Node::owned(Vec::new()).is_empty());
        let direct = Node::addresses(
            60,
            Some("192.0.2.1".parse().unwrap()),
            Some("2001:db8::1".parse().unwrap()),
        );
        assert_eq!(
            direct,
            Node::owned(vec![v4, v6]),
            "the fast constructor builds the same node"
        );
    }
}
