//! The fast path: parse an ordinary query straight from the datagram and write
//! the answer straight into the send buffer, with no allocation.
//!
//! Only the common case is handled here: one question, class IN, a data
//! type, optionally one well-formed EDNS(0) OPT. Anything else (other
//! opcodes, EDNS versions, meta types, compression in the question, extra
//! records) is handed to the hickory-server path ([`super::handler`]), which
//! shares the lookup ([`super::resolve`]) and so gives the same answers.

use super::resolve::{Answer, Resolution};
use crate::records::{CLASS_IN, TYPE_OPT};

pub const HEADER_LEN: usize = 12;
/// Longest wire name (RFC 1035 §3.1).
pub const MAX_WIRE_NAME: usize = 255;
/// Payload size every client may receive without EDNS.
pub const PLAIN_UDP_LIMIT: usize = 512;

const FLAG_QR: u16 = 0x8000;
const FLAG_AA: u16 = 0x0400;
const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;
const FLAG_CD: u16 = 0x0010;
const OPCODE_MASK: u16 = 0x7800;

pub const RCODE_NOERROR: u16 = 0;
pub const RCODE_FORMERR: u16 = 1;
pub const RCODE_NXDOMAIN: u16 = 3;
pub const RCODE_REFUSED: u16 = 5;

/// EDNS(0) data of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub payload: u16,
    pub dnssec_ok: bool,
}

/// A query the fast path can answer.
#[derive(Debug)]
pub struct Query<'p> {
    pub id: u16,
    flags: u16,
    /// Question name, type and class exactly as asked (echoed back).
    pub question: &'p [u8],
    /// Length of the question name in wire form.
    pub qname_len: usize,
    pub qtype: u16,
    pub edns: Option<Edns>,
}

#[derive(Debug)]
pub enum Parsed<'p> {
    Query(Query<'p>),
    /// Not something to answer at all (a response, or shorter than a header).
    Drop,
    /// Valid or not, it needs the full parser.
    Fallback,
}

/// Parses `packet`, writing the lowercase question name key into `key`.
pub fn parse<'p>(packet: &'p [u8], key: &mut [u8; MAX_WIRE_NAME]) -> Parsed<'p> {
    let Some(header) = packet.get(..HEADER_LEN) else {
        return Parsed::Drop;
    };
    let word = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
    let flags = word(2);
    if flags & FLAG_QR != 0 {
        return Parsed::Drop;
    }
    let (qdcount, ancount, nscount, arcount) = (word(4), word(6), word(8), word(10));
    if flags & OPCODE_MASK != 0 || qdcount != 1 || ancount != 0 || nscount != 0 || arcount > 1 {
        return Parsed::Fallback;
    }
    let Some(qname_len) = read_name(&packet[HEADER_LEN..], key) else {
        return Parsed::Fallback;
    };
    let question_end = HEADER_LEN + qname_len + 4;
    let Some(tail) = packet.get(HEADER_LEN + qname_len..question_end) else {
        return Parsed::Fallback;
    };
    let qtype = u16::from_be_bytes([tail[0], tail[1]]);
    let qclass = u16::from_be_bytes([tail[2], tail[3]]);
    // Meta and transfer types (OPT, TSIG, TKEY, IXFR, AXFR, MAILB, MAILA) need
    // the full path; ANY (255) and data types are ours.
    if qclass != CLASS_IN || qtype == TYPE_OPT || (249..=254).contains(&qtype) || qtype == 0 {
        return Parsed::Fallback;
    }
    let edns = if arcount == 1 {
        match parse_opt(&packet[question_end..]) {
            Some(edns) => Some(edns),
            None => return Parsed::Fallback,
        }
    } else if packet.len() != question_end {
        return Parsed::Fallback;
    } else {
        None
    };
    Parsed::Query(Query {
        id: word(0),
        flags,
        question: &packet[HEADER_LEN..question_end],
        qname_len,
        qtype,
        edns,
    })
}

/// Reads an uncompressed name, lowercasing it into `key`. Returns its length.
fn read_name(data: &[u8], key: &mut [u8; MAX_WIRE_NAME]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let len = usize::from(*data.get(pos)?);
        if len > 63 {
            return None; // compression pointer or reserved label type
        }
        if pos + len + 1 > MAX_WIRE_NAME {
            return None;
        }
        let label = data.get(pos..=pos + len)?;
        for (dst, src) in key[pos..=pos + len].iter_mut().zip(label) {
            *dst = src.to_ascii_lowercase();
        }
        pos += len + 1;
        if len == 0 {
            return Some(pos);
        }
    }
}

/// Parses the OPT RR that must be the whole rest of the packet.
fn parse_opt(rest: &[u8]) -> Option<Edns> {
    // root name, TYPE, CLASS (payload), TTL (ext-rcode, version, flags), RDLEN
    let fixed = rest.get(..11)?;
    if fixed[0] != 0 || u16::from_be_bytes([fixed[1], fixed[2]]) != TYPE_OPT {
        return None;
    }
    let payload = u16::from_be_bytes([fixed[3], fixed[4]]);
    let version = fixed[6];
    if version != 0 {
        return None; // BADVERS is answered by the full path
    }
    let dnssec_ok = fixed[7] & 0x80 != 0;
    let rdlen = usize::from(u16::from_be_bytes([fixed[9], fixed[10]]));
    let mut options = rest.get(11..)?;
    if options.len() != rdlen {
        return None;
    }
    while !options.is_empty() {
        let header = options.get(..4)?;
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        options = options.get(4 + len..)?;
    }
    Some(Edns { payload, dnssec_ok })
}

impl Query<'_> {
    /// Largest UDP response this client accepts, within our own ceiling.
    pub fn udp_limit(&self, ours: u16) -> usize {
        match self.edns {
            Some(edns) => usize::from(edns.payload.clamp(PLAIN_UDP_LIMIT as u16, ours)),
            None => PLAIN_UDP_LIMIT,
        }
    }
}

/// Writes the response to `query` for `resolution` into `out` (cleared first).
/// `limit` is the UDP size limit, or `None` over TCP. Returns true when the
/// answer did not fit and was sent truncated (TC).
pub fn write_response(
    query: &Query<'_>,
    resolution: &Resolution<'_>,
    our_payload: u16,
    limit: Option<usize>,
    out: &mut Vec<u8>,
) -> bool {
    out.clear();
    let (rcode, authoritative) = match resolution {
        Resolution::Refused => (RCODE_REFUSED, false),
        Resolution::Found { .. } | Resolution::NoData { .. } => (RCODE_NOERROR, true),
        Resolution::NxDomain { .. } => (RCODE_NXDOMAIN, true),
    };
    let mut flags = FLAG_QR | (query.flags & (FLAG_RD | FLAG_CD)) | rcode;
    if authoritative {
        flags |= FLAG_AA;
    }
    let (mut ancount, mut nscount) = (0u16, 0u16);
    write_header(out, query.id, flags, [1, 0, 0, 0]);
    out.extend_from_slice(query.question);
    match resolution {
        Resolution::Found {
            answer: Answer::Rrset(set),
            ..
        } => {
            out.extend_from_slice(set.wire());
            ancount = set.count();
        }
        Resolution::Found {
            zone,
            answer: Answer::Soa,
        } => {
            zone.write_soa_rr(out, [0xC0, 0x0C], zone.soa_ttl());
            ancount = 1;
        }
        Resolution::NoData { zone } | Resolution::NxDomain { zone } => {
            // The apex is a suffix of the question name: point into it.
            let offset = HEADER_LEN + query.qname_len - zone.apex.len();
            let pointer = 0xC000 | offset as u16;
            zone.write_soa_rr(out, pointer.to_be_bytes(), zone.negative_ttl());
            nscount = 1;
        }
        Resolution::Refused => {}
    }
    let opt_len = if query.edns.is_some() { 11 } else { 0 };
    let truncated = limit.is_some_and(|limit| out.len() + opt_len > limit);
    if truncated {
        out.truncate(HEADER_LEN + query.question.len());
        flags |= FLAG_TC;
        ancount = 0;
        nscount = 0;
    }
    let arcount: u16 = match query.edns {
        Some(edns) => {
            write_opt(out, our_payload, edns.dnssec_ok);
            1
        }
        None => 0,
    };
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    out[6..8].copy_from_slice(&ancount.to_be_bytes());
    out[8..10].copy_from_slice(&nscount.to_be_bytes());
    out[10..12].copy_from_slice(&arcount.to_be_bytes());
    truncated
}

/// Cuts a response written by [`write_response`] down to header, question
/// and OPT with TC set: rate limiting's "slip", which sends a real resolver
/// to TCP while giving a spoofed victim no more bytes than the query had.
pub fn slip(query: &Query<'_>, our_payload: u16, out: &mut Vec<u8>) {
    out.truncate(HEADER_LEN + query.question.len());
    let flags = u16::from_be_bytes([out[2], out[3]]) | FLAG_TC;
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    out[6..10].fill(0);
    let arcount: u16 = match query.edns {
        Some(edns) => {
            write_opt(out, our_payload, edns.dnssec_ok);
            1
        }
        None => 0,
    };
    out[10..12].copy_from_slice(&arcount.to_be_bytes());
}

/// [`slip`] for an answer the slow path encoded: header and question with
/// TC, every other section (OPT too, as NSD does) left out. False when its
/// question cannot be read; then it is not sent at all.
pub fn slip_encoded(out: &mut Vec<u8>) -> bool {
    let Some(header) = out.get(..HEADER_LEN) else {
        return false;
    };
    let questions = u16::from_be_bytes([header[4], header[5]]);
    let mut end = HEADER_LEN;
    for _ in 0..questions {
        let Some(name) = out.get(end..).and_then(encoded_name_len) else {
            return false;
        };
        end += name + 4;
    }
    if end > out.len() {
        return false;
    }
    out.truncate(end);
    let flags = u16::from_be_bytes([out[2], out[3]]) | FLAG_TC;
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    out[6..12].fill(0);
    true
}

/// Length of the encoded name at the start of `data`: labels up to the root
/// or a compression pointer.
fn encoded_name_len(data: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        match *data.get(pos)? {
            0 => return Some(pos + 1),
            0xC0.. => return (pos + 2 <= data.len()).then_some(pos + 2),
            len @ 1..=63 => pos += usize::from(len) + 1,
            _ => return None,
        }
    }
}

fn write_header(out: &mut Vec<u8>, id: u16, flags: u16, counts: [u16; 4]) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
}

fn write_opt(out: &mut Vec<u8>, payload: u16, dnssec_ok: bool) {
    out.push(0);
    out.extend_from_slice(&TYPE_OPT.to_be_bytes());
    out.extend_from_slice(&payload.to_be_bytes());
    out.extend_from_slice(&[0, 0, if dnssec_ok { 0x80 } else { 0 }, 0]);
    out.extend_from_slice(&[0, 0]);
}

/// An answer with `rcode` and nothing but the query's first question (if it
/// can be read); `None` for a response or less than a header.
pub fn error_reply(query: &[u8], rcode: u16) -> Option<Vec<u8>> {
    let header = query.get(..HEADER_LEN)?;
    let flags = u16::from_be_bytes([header[2], header[3]]);
    if flags & FLAG_QR != 0 {
        return None;
    }
    let question = match u16::from_be_bytes([header[4], header[5]]) {
        0 => None,
        _ => query
            .get(HEADER_LEN..)
            .and_then(encoded_name_len)
            .and_then(|len| query.get(HEADER_LEN..HEADER_LEN + len + 4)),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + question.map_or(0, <[u8]>::len) + 64);
    let id = u16::from_be_bytes([header[0], header[1]]);
    let flags = FLAG_QR | (flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (rcode & 0xF);
    write_header(
        &mut out,
        id,
        flags,
        [u16::from(question.is_some()), 0, 0, 0],
    );
    out.extend_from_slice(question.unwrap_or_default());
    Some(out)
}

/// A bare FORMERR for a packet whose header is readable but whose body is not.
pub fn format_error(packet: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(header) = packet.get(..HEADER_LEN) else {
        return false;
    };
    let flags = u16::from_be_bytes([header[2], header[3]]);
    if flags & FLAG_QR != 0 {
        return false;
    }
    out.clear();
    let id = u16::from_be_bytes([header[0], header[1]]);
    let flags = FLAG_QR | (flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | RCODE_FORMERR;
    write_header(out, id, flags, [0; 4]);
    true
}
