//! Packs the records of a transfer into answer messages of at most a given
//! size. Every message repeats the question (RFC 5936 §2.2.1 allows it), so
//! the apex is always at offset 12 and every owner is its labels below the
//! apex followed by a pointer there.

use crate::dns::wire::HEADER_LEN;

/// Pointer to the question name, which is the zone's apex.
const APEX: [u8; 2] = [0xC0, 0x0C];

pub struct Packer {
    /// Header and question every message starts with.
    head: Vec<u8>,
    apex_len: usize,
    limit: usize,
    current: Vec<u8>,
    count: u16,
    done: Vec<Vec<u8>>,
}

impl Packer {
    /// `head`: the answer's header (counts are set here) and question;
    /// `limit`: the largest message.
    pub fn new(head: Vec<u8>, apex_len: usize, limit: usize) -> Self {
        Self {
            current: head.clone(),
            head,
            apex_len,
            limit,
            count: 0,
            done: Vec::new(),
        }
    }

    /// Adds one RR: its owner key (inside the zone) and the record after it.
    pub fn push(&mut self, owner: &[u8], record: &[u8]) {
        let labels = &owner[..owner.len().saturating_sub(self.apex_len)];
        let size = labels.len() + APEX.len() + record.len();
        if self.count > 0 && self.current.len() + size > self.limit {
            self.close();
        }
        self.current.extend_from_slice(labels);
        self.current.extend_from_slice(&APEX);
        self.current.extend_from_slice(record);
        self.count += 1;
    }

    fn close(&mut self) {
        let mut message = std::mem::replace(&mut self.current, self.head.clone());
        message[6..8].copy_from_slice(&self.count.to_be_bytes());
        self.done.push(message);
        self.count = 0;
    }

    /// The messages, in order.
    pub fn finish(mut self) -> Vec<Vec<u8>> {
        if self.count > 0 || self.done.is_empty() {
            self.close();
        }
        self.done
    }
}

/// The header of a transfer answer: the query's ID and RD, QR and AA set,
/// one question and no records yet.
pub fn answer_head(query_id: u16, query_flags: u16, question: &[u8]) -> Vec<u8> {
    let flags: u16 = 0x8000 | 0x0400 | (query_flags & 0x0100);
    let mut head = Vec::with_capacity(HEADER_LEN + question.len());
    head.extend_from_slice(&query_id.to_be_bytes());
    head.extend_from_slice(&flags.to_be_bytes());
    head.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    head.extend_from_slice(question);
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::key_of;

    #[test]
    fn messages_stay_under_the_limit_and_owners_point_at_the_apex() {
        let apex = key_of("dyn.example");
        let mut question = apex.clone();
        question.extend_from_slice(&[0, 252, 0, 1]);
        let head = answer_head(7, 0x0100, &question);
        let record = [0u8, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
        let mut packer = Packer::new(head.clone(), apex.len(), 1000);
        let owner = key_of("host.dyn.example");
        for _ in 0..200 {
            packer.push(&owner, &record);
        }
        let messages = packer.finish();
        assert!(messages.len() > 1);
        let mut total = 0;
        for message in &messages {
            assert!(message.len() <= 1000);
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
