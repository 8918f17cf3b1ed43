//! Packs the records of a transfer into message bodies of at most a given
//! size. Every message repeats the question (RFC 5936 §2.2.1 allows it), so
//! the apex is always at offset 12 and every owner is its labels below the
//! apex followed by a pointer there: a body fits any header and question of
//! the zone, which lets one packing of a zone serve every transfer of it.

use crate::dns::wire::HEADER_LEN;

/// Pointer to the question name, which is the zone's apex.
const APEX: [u8; 2] = [0xC0, 0x0C];

/// The answer records of one message.
#[derive(Debug, Default, Clone)]
pub struct Body {
    pub count: u16,
    pub bytes: Vec<u8>,
}

pub struct Packer {
    apex_len: usize,
    limit: usize,
    current: Body,
    done: Vec<Body>,
}

impl Packer {
    /// Bodies of at most `limit` bytes for a zone whose apex key is
    /// `apex_len` long.
    pub fn new(apex_len: usize, limit: usize) -> Self {
        Self {
            apex_len,
            limit,
            current: Body::default(),
            done: Vec::new(),
        }
    }

    /// Adds one RR: its owner key (inside the zone) and the record after it.
    pub fn push(&mut self, owner: &[u8], record: &[u8]) {
        let labels = &owner[..owner.len().saturating_sub(self.apex_len)];
        let bytes = self.room(labels.len() + APEX.len() + record.len());
        bytes.extend_from_slice(labels);
        bytes.extend_from_slice(&APEX);
        bytes.extend_from_slice(record);
    }

    /// Adds one RR as a body holds it (see [`packed`]).
    pub fn push_packed(&mut self, rr: &[u8]) {
        self.room(rr.len()).extend_from_slice(rr);
    }

    /// The body an RR of `size` bytes goes into (counted already).
    fn room(&mut self, size: usize) -> &mut Vec<u8> {
        if self.current.count > 0 && self.current.bytes.len() + size > self.limit {
            // A zone that filled one body fills more: give the next one its
            // whole size at once instead of growing it step by step.
            let next = Body {
                count: 0,
                bytes: Vec::with_capacity(self.limit),
            };
            self.done.push(std::mem::replace(&mut self.current, next));
        }
        self.current.count += 1;
        &mut self.current.bytes
    }

    /// The bodies, in order.
    pub fn finish(mut self) -> Vec<Body> {
        if self.current.count > 0 || self.done.is_empty() {
            self.done.push(self.current);
        }
        self.done
    }
}

/// An RR as a body holds it: the owner's labels below the apex, a pointer to
/// the apex, the record.
pub fn packed(owner: &[u8], apex_len: usize, record: &[u8]) -> Vec<u8> {
    let labels = &owner[..owner.len().saturating_sub(apex_len)];
    [labels, &APEX, record].concat()
}

/// The packed RRs of a body, in order; `None` for an RR that does not parse
/// (never in a body this module made).
pub fn records(body: &Body) -> impl Iterator<Item = Option<&[u8]>> {
    let mut rest = &body.bytes[..];
    (0..body.count).map(move |_| {
        let len = packed_len(rest)?;
        let (rr, after) = rest.split_at_checked(len)?;
        rest = after;
        Some(rr)
    })
}

/// Length of the packed RR at the start of `bytes`: labels up to a pointer
/// (or the root), type, class, TTL, data length, data.
fn packed_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let len = *bytes.get(at)?;
        if len & 0xC0 == 0xC0 {
            at += 2;
            break;
        }
        at += 1 + usize::from(len);
        if len == 0 {
            break;
        }
    }
    let rdlen = bytes.get(at + 8..at + 10)?;
    Some(at + 10 + usize::from(u16::from_be_bytes([rdlen[0], rdlen[1]])))
}

/// The header of a transfer answer followed by the question: the query's ID
/// and RD, QR and AA set, one question; the answer count is set per message.
pub fn answer_head(query_id: u16, query_flags: u16, question: &[u8]) -> Vec<u8> {
    let flags: u16 = 0x8000 | 0x0400 | (query_flags & 0x0100);
    let mut head = Vec::with_capacity(HEADER_LEN + question.len());
    head.extend_from_slice(&query_id.to_be_bytes());
    head.extend_from_slice(&flags.to_be_bytes());
    head.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    head.extend_from_slice(question);
    head
}

/// Appends one whole message to `out`: `head` with the body's answer count,
/// then the body.
pub fn assemble(out: &mut Vec<u8>, head: &[u8], body: &Body) {
    let start = out.len();
    out.extend_from_slice(head);
    out[start + 6..start + 8].copy_from_slice(&body.count.to_be_bytes());
    out.extend_from_slice(&body.bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::key_of;

    #[test]
    fn bodies_stay_under_the_limit_and_owners_point_at_the_apex() {
        let apex = key_of("dyn.example");
        let mut question = apex.clone();
        question.extend_from_slice(&[0, 252, 0, 1]);
        let head = answer_head(7, 0x0100, &question);
        let record = [0u8, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
        let mut packer = Packer::new(apex.len(), 1000);
        let owner = key_of("host.dyn.example");
        for _ in 0..200 {
            packer.push(&owner, &record);
        }
        let bodies = packer.finish();
        assert!(bodies.len() > 1);
        let mut total = 0;
        for body in &bodies {
            assert!(body.bytes.len() <= 1000);
            let mut message = Vec::new();
            assemble(&mut message, &head, body);
            assert_eq!(&message[..2], &7u16.to_be_bytes());
            assert_eq!(message[2] & 0x85, 0x85, "QR, AA and RD");
            total += usize::from(u16::from_be_bytes([message[6], message[7]]));
            let first = &message[head.len()..];
            assert_eq!(&first[..5], b"\x04host");
            assert_eq!(&first[5..7], &APEX);
        }
        assert_eq!(total, 200);
    }
}
