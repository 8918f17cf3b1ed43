//! Reading an AXFR or IXFR request: the zone asked for, and for IXFR the
//! serial of the client's copy.

use super::Kind;
use crate::{
    dns::wire::HEADER_LEN,
    records::{TYPE_AXFR, TYPE_IXFR, TYPE_SOA},
};

/// True for a query (not a response) whose one question asks AXFR or IXFR.
pub fn classify(query: &[u8]) -> Option<Kind> {
    Request::parse(query).map(|request| request.kind)
}

/// An AXFR or IXFR request.
pub(super) struct Request<'q> {
    pub kind: Kind,
    pub id: u16,
    pub flags: u16,
    /// Lowercase apex key asked for.
    pub apex: Vec<u8>,
    /// The question as sent (name, type, class).
    pub question: &'q [u8],
    /// IXFR: the serial of the client's copy (from the authority SOA).
    pub client_serial: Option<u32>,
}

impl<'q> Request<'q> {
    pub fn parse(query: &'q [u8]) -> Option<Self> {
        let header = query.get(..HEADER_LEN)?;
        let field = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
        let flags = field(2);
        // A query (QR clear) with opcode QUERY and one question.
        if flags & 0xF800 != 0 || field(4) != 1 {
            return None;
        }
        let name_end = HEADER_LEN + name_len(&query[HEADER_LEN..])?;
        let question = query.get(HEADER_LEN..name_end + 4)?;
        let qtype = u16::from_be_bytes([query[name_end], query[name_end + 1]]);
        let kind = match qtype {
            TYPE_AXFR => Kind::Axfr,
            TYPE_IXFR => Kind::Ixfr,
            _ => return None,
        };
        let apex: Vec<u8> = query[HEADER_LEN..name_end]
            .iter()
            .map(u8::to_ascii_lowercase)
            .collect();
        let client_serial = match kind {
            Kind::Axfr => None,
            // RFC 1995 §3: exactly the client's SOA in the authority section.
            Kind::Ixfr => {
                if field(6) != 0 || field(8) != 1 {
                    return None;
                }
                Some(authority_serial(query, name_end + 4)?)
            }
        };
        Some(Self {
            kind,
            id: field(0),
            flags,
            apex,
            question,
            client_serial,
        })
    }
}

/// The serial of the SOA record at `at` (its owner a name or a pointer).
fn authority_serial(query: &[u8], at: usize) -> Option<u32> {
    let fixed = at + name_len(query.get(at..)?)?;
    let rtype = u16::from_be_bytes([*query.get(fixed)?, *query.get(fixed + 1)?]);
    let rdlen = usize::from(u16::from_be_bytes([
        *query.get(fixed + 8)?,
        *query.get(fixed + 9)?,
    ]));
    let rdata = query.get(fixed + 10..fixed + 10 + rdlen)?;
    if rtype != TYPE_SOA {
        return None;
    }
    // MNAME and RNAME, then SERIAL.
    let mut p = name_len(rdata)?;
    p += name_len(rdata.get(p..)?)?;
    let serial = rdata.get(p..p + 4)?;
    Some(u32::from_be_bytes([
        serial[0], serial[1], serial[2], serial[3],
    ]))
}

/// Length of the name at the start of `data` (up to the root or a pointer);
/// uncompressed names in questions only, as every client sends them.
fn name_len(data: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        match *data.get(at)? {
            0 => return Some(at + 1),
            len if len & 0xC0 == 0xC0 => return Some(at + 2),
            len if len < 64 => at += 1 + usize::from(len),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::key_of;

    /// A query for `Dyn.Example` of `qtype`, with an SOA of `serial` in the
    /// authority section when given (owner: a pointer to the question).
    fn query(qtype: u16, serial: Option<u32>) -> Vec<u8> {
        let mut msg = vec![0, 9, 0, 0, 0, 1, 0, 0, 0, u8::from(serial.is_some()), 0, 0];
        msg.extend_from_slice(b"\x03Dyn\x07Example\x00");
        msg.extend_from_slice(&qtype.to_be_bytes());
        msg.extend_from_slice(&[0, 1]);
        if let Some(serial) = serial {
            let mut rdata = key_of("ns.example");
            rdata.extend_from_slice(&key_of("h.example"));
            rdata.extend_from_slice(&serial.to_be_bytes());
            rdata.extend_from_slice(&[0; 16]);
            msg.extend_from_slice(&[0xC0, 0x0C, 0, 6, 0, 1, 0, 0, 0, 0]);
            msg.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            msg.extend_from_slice(&rdata);
        }
        msg
    }

    #[test]
    fn axfr_and_ixfr_requests_are_read_and_nothing_else_is() {
        let axfr = query(TYPE_AXFR, None);
        let request = Request::parse(&axfr).unwrap();
        assert_eq!((request.kind, request.id), (Kind::Axfr, 9));
        assert_eq!(request.apex, key_of("dyn.example"), "lowercased");
        assert_eq!(request.question.len(), 13 + 4);
        let ixfr = query(TYPE_IXFR, Some(4_000_000_000));
        let request = Request::parse(&ixfr).unwrap();
        assert_eq!(request.client_serial, Some(4_000_000_000));

        assert!(classify(&query(TYPE_SOA, None)).is_none());
        assert!(
            classify(&query(TYPE_IXFR, None)).is_none(),
            "IXFR needs the client's SOA"
        );
        let mut response = axfr.clone();
        response[2] |= 0x80;
        assert!(classify(&response).is_none());
        for cut in 0..ixfr.len() {
            assert!(Request::parse(&ixfr[..cut]).is_none(), "cut at {cut}");
        }
    }
}
