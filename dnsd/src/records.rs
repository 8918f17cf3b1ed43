//! Resource-record sets kept in precomputed wire form.
//!
//! Every RR of an [`Rrset`] is stored exactly as it goes into an answer
//! section whose owner is the query name: the owner is the compression pointer
//! `0xC00C` (the question name at offset 12 of every DNS message), followed by
//! TYPE, CLASS, TTL, RDLENGTH and uncompressed RDATA. Answering is a copy.

use hickory_proto::{
    rr::{RData, RecordType},
    serialize::binary::{BinEncodable, BinEncoder},
};

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_IXFR: u16 = 251;
pub const TYPE_AXFR: u16 = 252;
pub const TYPE_ANY: u16 = 255;
pub const CLASS_IN: u16 = 1;

/// Pointer to the question name, the owner of every answer we give.
pub const OWNER_IS_QNAME: [u8; 2] = [0xC0, 0x0C];
/// Bytes of one RR before its RDATA: owner pointer, type, class, TTL, length.
pub const RR_HEADER_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("unsupported record type {0}")]
    UnsupportedType(String),
    #[error("invalid {rtype} value `{value}`: {reason}")]
    BadValue {
        rtype: String,
        value: String,
        reason: String,
    },
    #[error("TXT value longer than 255 bytes")]
    TxtTooLong,
}

/// All records of one type at one name, in answer-section wire form (owned,
/// used while building nodes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrset {
    rtype: u16,
    count: u16,
    wire: Box<[u8]>,
}

/// A borrowed RRset, as stored inside an index node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrsetRef<'a> {
    rtype: u16,
    count: u16,
    wire: &'a [u8],
}

impl Rrset {
    /// Builds the set from RDATA values; all RRs share `ttl`.
    pub fn new<'a>(rtype: u16, ttl: u32, rdatas: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut wire = Vec::new();
        let mut count = 0u16;
        for rdata in rdatas {
            write_rr(&mut wire, rtype, ttl, rdata);
            count += 1;
        }
        Self {
            rtype,
            count,
            wire: wire.into_boxed_slice(),
        }
    }

    /// One TXT RR per value, each value a single character-string.
    pub fn txt<S: AsRef<str>>(ttl: u32, values: &[S]) -> Result<Self, RecordError> {
        let rdatas = values
            .iter()
            .map(|v| txt_rdata(v.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(TYPE_TXT, ttl, rdatas.iter().map(Vec::as_slice)))
    }

    pub fn rtype(&self) -> u16 {
        self.rtype
    }

    pub fn as_ref(&self) -> RrsetRef<'_> {
        RrsetRef {
            rtype: self.rtype,
            count: self.count,
            wire: &self.wire,
        }
    }
}

impl<'a> RrsetRef<'a> {
    pub fn from_parts(rtype: u16, count: u16, wire: &'a [u8]) -> Self {
        Self { rtype, count, wire }
    }

    pub fn rtype(&self) -> u16 {
        self.rtype
    }

    /// Number of RRs.
    pub fn count(&self) -> u16 {
        self.count
    }

    /// The RRs exactly as they go into an answer section.
    pub fn wire(&self) -> &'a [u8] {
        self.wire
    }

    pub fn ttl(&self) -> u32 {
        self.wire
            .get(6..10)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The RDATA of each RR.
    pub fn rdatas(&self) -> impl Iterator<Item = &'a [u8]> {
        self.records().map(|rr| &rr[RR_HEADER_LEN - 2..])
    }

    /// Each RR without its owner: TYPE, CLASS, TTL, RDLENGTH and RDATA, as
    /// zone transfers write them after an owner name of their own.
    pub fn records(&self) -> impl Iterator<Item = &'a [u8]> {
        let mut rest: &'a [u8] = self.wire;
        std::iter::from_fn(move || {
            let header = rest.get(..RR_HEADER_LEN)?;
            let len = usize::from(u16::from_be_bytes([header[10], header[11]]));
            let record = rest.get(2..RR_HEADER_LEN + len)?;
            rest = &rest[RR_HEADER_LEN + len..];
            Some(record)
        })
    }
}

/// Appends one RR in answer form (owner = pointer to the question name).
pub fn write_rr(out: &mut Vec<u8>, rtype: u16, ttl: u32, rdata: &[u8]) {
    out.extend_from_slice(&OWNER_IS_QNAME);
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

/// A TXT RDATA holding one character-string.
pub fn txt_rdata(value: &str) -> Result<Vec<u8>, RecordError> {
    let len = u8::try_from(value.len()).map_err(|_| RecordError::TxtTooLong)?;
    let mut rdata = Vec::with_capacity(value.len() + 1);
    rdata.push(len);
    rdata.extend_from_slice(value.as_bytes());
    Ok(rdata)
}

/// Parses a zone-file RDATA value and encodes it without name compression (so
/// it can be copied into any message).
pub fn rdata_from_text(rtype: &str, value: &str) -> Result<(u16, Vec<u8>), RecordError> {
    let record_type: RecordType = rtype
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| RecordError::UnsupportedType(rtype.to_owned()))?;
    if matches!(
        record_type,
        RecordType::SOA
            | RecordType::OPT
            | RecordType::ANY
            | RecordType::AXFR
            | RecordType::IXFR
            | RecordType::NULL
    ) {
        return Err(RecordError::UnsupportedType(rtype.to_owned()));
    }
    let bad = |reason: String| RecordError::BadValue {
        rtype: rtype.to_owned(),
        value: value.to_owned(),
        reason,
    };
    let rdata = RData::try_from_str(record_type, value).map_err(|e| bad(e.to_string()))?;
    Ok((u16::from(record_type), encode_rdata(&rdata).map_err(bad)?))
}

/// Encodes RDATA uncompressed (canonical form lowercases names too, which is
/// harmless for configured data).
pub fn encode_rdata(rdata: &RData) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let mut encoder = BinEncoder::new(&mut buf);
    encoder.set_canonical_form(true);
    rdata.emit(&mut encoder).map_err(|e| e.to_string())?;
    Ok(buf)
}

/// A domain name in uncompressed wire form, preserving case.
pub fn name_wire(dotted: &str) -> Vec<u8> {
    let name = dotted.strip_suffix('.').unwrap_or(dotted);
    let mut out = Vec::with_capacity(name.len() + 2);
    if !name.is_empty() {
        for label in name.split('.') {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
    }
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrset_wire_has_pointer_owner_and_reads_back() {
        let owned = Rrset::new(TYPE_A, 60, [&[192u8, 0, 2, 1][..], &[192, 0, 2, 2][..]]);
        let set = owned.as_ref();
        assert_eq!(set.count(), 2);
        assert_eq!(set.ttl(), 60);
        assert_eq!(&set.wire()[..2], &OWNER_IS_QNAME);
        let rdatas: Vec<&[u8]> = set.rdatas().collect();
        assert_eq!(rdatas, vec![&[192, 0, 2, 1][..], &[192, 0, 2, 2][..]]);
    }

    #[test]
    fn text_rdata_is_encoded_without_compression() {
        let (rtype, rdata) = rdata_from_text("mx", "10 mail.example.net.").unwrap();
        assert_eq!(rtype, 15);
        assert_eq!(&rdata[..2], &[0, 10]);
        assert_eq!(&rdata[2..], &name_wire("mail.example.net")[..]);
        assert!(rdata_from_text("A", "not-an-ip").is_err());
        assert!(rdata_from_text("SOA", "x").is_err());
        assert!(rdata_from_text("BOGUS", "x").is_err());
    }

    #[test]
    fn txt_values_over_255_bytes_are_refused() {
        assert!(Rrset::txt(60, &["x".repeat(255)]).is_ok());
        assert!(matches!(
            Rrset::txt(60, &["x".repeat(256)]),
            Err(RecordError::TxtTooLong)
        ));
    }
}
