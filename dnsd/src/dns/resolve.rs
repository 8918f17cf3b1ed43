//! Authoritative lookup semantics, independent of any encoding: which zone,
//! which RRset, or which kind of negative answer.

use super::wire::MAX_WIRE_NAME;
use crate::{
    names::parent_key,
    records::{RrsetRef, TYPE_ANY, TYPE_CNAME, TYPE_SOA},
    store::{index::IndexView, node::Node},
    zone::Zone,
};

/// What the answer section holds.
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    Rrset(RrsetRef<'a>),
    /// The zone's SOA (built on the fly because its serial changes).
    Soa,
}

#[derive(Debug, Clone, Copy)]
pub enum Resolution<'a> {
    /// The name is in no zone we serve.
    Refused,
    Found {
        zone: &'a Zone,
        answer: Answer<'a>,
    },
    /// The name exists (or is an empty non-terminal) but has no data of the type.
    NoData {
        zone: &'a Zone,
    },
    NxDomain {
        zone: &'a Zone,
    },
}

impl Resolution<'_> {
    /// How this answer is counted in the metrics.
    pub fn counted_as(&self) -> crate::metrics::Answered {
        use crate::metrics::Answered;
        match self {
            Self::Found { .. } | Self::NoData { .. } => Answered::NoError,
            Self::NxDomain { .. } => Answered::NxDomain,
            Self::Refused => Answered::Refused,
        }
    }
}

/// Looks up `qname` (lowercase wire key) and `qtype`.
pub fn resolve<'a>(view: &'a IndexView<'_>, qname: &[u8], qtype: u16) -> Resolution<'a> {
    let Some(zone) = view.zone_of(qname) else {
        return Resolution::Refused;
    };
    let at_apex = qname.len() == zone.apex.len();
    if let Some(node) = view.node(qname) {
        if at_apex && (qtype == TYPE_SOA || qtype == TYPE_ANY) {
            return Resolution::Found {
                zone,
                answer: Answer::Soa,
            };
        }
        return from_node(zone, node, qtype);
    }
    // Wildcard synthesis (RFC 4592): find the closest encloser; if `*.<it>`
    // exists, answer from it as if it were the query name.
    let mut ancestor = qname;
    while let Some(parent) = parent_key(ancestor) {
        if parent.len() < zone.apex.len() {
            break;
        }
        if view.node(parent).is_some() {
            // On the stack: NXDOMAIN answers allocate nothing either. The
            // parent is a strict suffix of a name of at most 255 bytes, so
            // `*.<parent>` fits.
            let mut wildcard = [0u8; MAX_WIRE_NAME];
            let len = parent.len() + 2;
            wildcard[..2].copy_from_slice(b"\x01*");
            wildcard[2..len].copy_from_slice(parent);
            return match view.node(&wildcard[..len]) {
                Some(node) => from_node(zone, node, qtype),
                None => Resolution::NxDomain { zone },
            };
        }
        ancestor = parent;
    }
    Resolution::NxDomain { zone }
}

fn from_node<'a>(zone: &'a Zone, node: &'a Node, qtype: u16) -> Resolution<'a> {
    let set = if qtype == TYPE_ANY {
        // RFC 8482: answer ANY with one RRset rather than everything.
        node.rrsets().next()
    } else {
        node.rrset(qtype).or_else(|| node.rrset(TYPE_CNAME))
    };
    match set {
        Some(set) => Resolution::Found {
            zone,
            answer: Answer::Rrset(set),
        },
        None => Resolution::NoData { zone },
    }
}
