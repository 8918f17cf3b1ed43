//! The hickory-server path: TCP, and UDP queries the fast path does not take
//! (other opcodes, EDNS versions, meta types, odd sections). Lookups go
//! through the same [`resolve`] as the fast path; only the encoding differs.

use std::sync::Arc;

use hickory_proto::{
    op::{Edns, Header, HeaderCounts, Metadata, OpCode, ResponseCode},
    rr::{DNSClass, Name, RData, Record, RecordType},
    serialize::binary::{BinDecoder, Restrict},
};
use hickory_server::{
    net::{runtime::Time, xfer::Protocol},
    server::{Request, RequestHandler, ResponseHandler, ResponseInfo},
    zone_handler::{MessageResponseBuilder, Queries},
};

use super::{
    resolve::{Answer, Resolution, resolve},
    xfr,
};
use crate::{
    metrics::{Answered, DnsCounters},
    records::TYPE_SOA,
    store::Index,
};

/// Answers from the index through hickory's message types.
#[derive(Clone)]
pub struct Handler {
    index: Arc<Index>,
    udp_payload: u16,
    counters: Arc<DnsCounters>,
    /// TSIG keys and zone transfers; without it both are refused.
    transfers: Option<Arc<xfr::Service>>,
}

impl Handler {
    pub fn new(index: Arc<Index>, udp_payload: u16, counters: Arc<DnsCounters>) -> Self {
        Self {
            index,
            udp_payload,
            counters,
            transfers: None,
        }
    }

    pub fn with_transfers(self, transfers: Arc<xfr::Service>) -> Self {
        Self {
            transfers: Some(transfers),
            ..self
        }
    }

    pub fn transfers(&self) -> Option<&xfr::Service> {
        self.transfers.as_deref()
    }

    /// Our EDNS payload (the UDP limit of IXFR answers).
    pub fn udp_payload(&self) -> u16 {
        self.udp_payload
    }
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let edns = request.edns.as_ref().map(|query_edns| {
            let mut edns = Edns::new();
            // Over UDP hickory's encoder treats the OPT payload as the size
            // limit, so it must be what the client can take; over TCP we
            // advertise our own.
            let payload = match request.protocol() {
                Protocol::Udp => query_edns.max_payload().clamp(512, self.udp_payload),
                _ => self.udp_payload,
            };
            edns.set_max_payload(payload);
            edns.set_dnssec_ok(query_edns.flags().dnssec_ok);
            edns
        });
        let unechoed = unechoed(request);
        let queries = unechoed.as_ref().unwrap_or(&request.queries);
        let builder = MessageResponseBuilder::new(queries, edns.as_ref());

        let rcode = precheck(request);
        let records = match rcode {
            Some(rcode) => {
                metadata.response_code = rcode;
                Records::default()
            }
            None => self.lookup(request, &mut metadata),
        };
        self.counters.answered(match metadata.response_code {
            ResponseCode::NoError => Answered::NoError,
            ResponseCode::NXDomain => Answered::NxDomain,
            ResponseCode::Refused => Answered::Refused,
            _ => Answered::Other,
        });
        let response = builder.build(
            metadata,
            records.answers.iter(),
            records.authorities.iter(),
            std::iter::empty(),
            std::iter::empty(),
        );
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(error) => {
                tracing::debug!(%error, "sending a DNS response failed");
                let mut metadata = Metadata::response_from_request(&request.metadata);
                metadata.response_code = ResponseCode::ServFail;
                Header {
                    metadata,
                    counts: HeaderCounts::default(),
                }
                .into()
            }
        }
    }
}

#[derive(Default)]
struct Records {
    answers: Vec<Record>,
    authorities: Vec<Record>,
}

/// The error answer a request gets before any lookup, if any.
fn precheck(request: &Request) -> Option<ResponseCode> {
    if request.edns.as_ref().is_some_and(|edns| edns.version() > 0) {
        return Some(ResponseCode::BADVERS);
    }
    if request.metadata.op_code != OpCode::Query {
        return Some(ResponseCode::NotImp);
    }
    let [query] = request.queries.queries() else {
        return Some(ResponseCode::FormErr);
    };
    if question_is_compressed(&request.queries) {
        return Some(ResponseCode::FormErr);
    }
    if !request.answers.is_empty() || !request.authorities.is_empty() {
        return Some(ResponseCode::FormErr);
    }
    match query.query_type() {
        // Meta types that cannot be asked for. SIG (24) is not one of them: as
        // a question it is a data type like any other, as on the fast path.
        RecordType::OPT | RecordType::TSIG => Some(ResponseCode::FormErr),
        // Zone transfers are not offered (yet): refuse rather than pretend.
        RecordType::AXFR | RecordType::IXFR => Some(ResponseCode::Refused),
        RecordType::ZERO => Some(ResponseCode::NotImp),
        RecordType::Unknown(253 | 254) => Some(ResponseCode::NotImp), // MAILB, MAILA
        _ if query.query_class() != DNSClass::IN => Some(ResponseCode::Refused),
        _ => None,
    }
}

/// An empty question section for the answer when the request's cannot be
/// echoed. hickory echoes it byte for byte, which is wrong for a name
/// compressed into the header (it would point at other bytes in our answer's
/// header) and for several questions (they may not fit a UDP answer, which
/// then went unanswered); both get FORMERR without it.
fn unechoed(request: &Request) -> Option<Queries> {
    (request.queries.len() > 1 || question_is_compressed(&request.queries))
        .then(|| Queries::read(&mut BinDecoder::new(&[]), 0).ok())
        .flatten()
}

/// True when a question name uses a compression pointer. The first question
/// can only point into the header (more than one question is refused
/// anyway); no resolver compresses its question.
fn question_is_compressed(queries: &Queries) -> bool {
    let bytes = queries.as_bytes();
    let mut at = 0;
    for _ in 0..queries.len() {
        loop {
            let Some(&len) = bytes.get(at) else {
                return false;
            };
            if len & 0xC0 != 0 {
                return true;
            }
            at += 1 + usize::from(len);
            if len == 0 {
                break;
            }
        }
        at += 4; // type and class
    }
    false
}

impl Handler {
    fn lookup(&self, request: &Request, metadata: &mut Metadata) -> Records {
        let mut records = Records::default();
        let Some(query) = request.queries.queries().first() else {
            return records;
        };
        let qname = query.original().name();
        let key = wire_key(qname);
        let view = self.index.view();
        let resolution = resolve(&view, &key, u16::from(query.query_type()));
        match resolution {
            Resolution::Refused => metadata.response_code = ResponseCode::Refused,
            Resolution::Found { zone, answer } => {
                metadata.authoritative = true;
                match answer {
                    Answer::Rrset(set) => {
                        let rtype = RecordType::from(set.rtype());
                        for rdata in set.rdatas() {
                            if let Some(rdata) = decode_rdata(rtype, rdata) {
                                records.answers.push(Record::from_rdata(
                                    qname.clone(),
                                    set.ttl(),
                                    rdata,
                                ));
                            }
                        }
                    }
                    Answer::Soa => records.answers.extend(soa_record(
                        qname.clone(),
                        zone.soa_ttl(),
                        &zone.soa_rdata(),
                    )),
                }
            }
            Resolution::NoData { zone } | Resolution::NxDomain { zone } => {
                metadata.authoritative = true;
                if matches!(resolution, Resolution::NxDomain { .. }) {
                    metadata.response_code = ResponseCode::NXDomain;
                }
                if let Ok(apex) = Name::from_ascii(format!("{}.", zone.name)) {
                    records.authorities.extend(soa_record(
                        apex,
                        zone.negative_ttl(),
                        &zone.soa_rdata(),
                    ));
                }
            }
        }
        records
    }
}

fn soa_record(owner: Name, ttl: u32, rdata: &[u8]) -> Option<Record> {
    decode_rdata(RecordType::from(TYPE_SOA), rdata)
        .map(|rdata| Record::from_rdata(owner, ttl, rdata))
}

fn decode_rdata(rtype: RecordType, rdata: &[u8]) -> Option<RData> {
    let mut decoder = BinDecoder::new(rdata);
    RData::read(&mut decoder, rtype, Restrict::new(rdata.len() as u16)).ok()
}

/// Lowercase wire key of a hickory name.
fn wire_key(name: &Name) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 2);
    for label in name.iter() {
        key.push(label.len() as u8);
        key.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    key.push(0);
    key
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{Message, MessageType, Query};

    use super::*;
    use crate::dns::wire::{self, MAX_WIRE_NAME, Parsed};

    fn packet(rtype: RecordType) -> Vec<u8> {
        let mut message = Message::new(7, MessageType::Query, OpCode::Query);
        let name = Name::from_ascii("h.dyn.test.").unwrap();
        message.add_query(Query::query(name, rtype));
        message.to_vec().unwrap()
    }

    fn precheck_of(packet: Vec<u8>) -> Option<ResponseCode> {
        let peer = "192.0.2.1:5353".parse().unwrap();
        precheck(&Request::from_bytes(packet, peer, Protocol::Tcp).unwrap())
    }

    /// Found by the `dns_handler` fuzz target: a question name compressed
    /// into the header (here at offset 2, the flags' first byte: a root name
    /// in the query, QR and so no label at all in the answer) came back
    /// echoed and undecodable.
    #[test]
    fn a_question_compressed_into_the_header_is_not_echoed() {
        let peer = "192.0.2.1:5353".parse().unwrap();
        let mut compressed = packet(RecordType::A);
        compressed.truncate(wire::HEADER_LEN);
        compressed.extend_from_slice(b"\x02h1\xc0\x02\x00\x01\x00\x01");
        let request = Request::from_bytes(compressed, peer, Protocol::Udp).unwrap();
        assert!(question_is_compressed(&request.queries));
        assert_eq!(precheck(&request), Some(ResponseCode::FormErr));
        assert!(unechoed(&request).is_some_and(|queries| queries.is_empty()));
        let plain = Request::from_bytes(packet(RecordType::A), peer, Protocol::Udp).unwrap();
        assert!(!question_is_compressed(&plain.queries));
        assert!(unechoed(&plain).is_none());
    }

    /// Found by the `dns_handler` fuzz target: thirteen long questions over
    /// UDP without EDNS; their echo alone passed 512 bytes, the answer could
    /// not be encoded and the query went unanswered.
    #[test]
    fn several_questions_are_refused_without_their_echo() {
        let mut message = Message::new(7, MessageType::Query, OpCode::Query);
        for i in 0..13 {
            let name = Name::from_ascii(format!("{i}.{}.dyn.test.", "x".repeat(60))).unwrap();
            message.add_query(Query::query(name, RecordType::A));
        }
        let peer = "192.0.2.1:5353".parse().unwrap();
        let request = Request::from_bytes(message.to_vec().unwrap(), peer, Protocol::Udp).unwrap();
        assert_eq!(precheck(&request), Some(ResponseCode::FormErr));
        assert!(unechoed(&request).is_some_and(|queries| queries.is_empty()));
    }

    /// Found by the `dns_handler` fuzz target: a SIG question was answered
    /// NODATA on the UDP fast path but FORMERR here (TCP, slow path).
    #[test]
    fn a_sig_question_is_looked_up_as_on_the_fast_path() {
        let sig = packet(RecordType::SIG);
        let mut key = [0u8; MAX_WIRE_NAME];
        assert!(matches!(wire::parse(&sig, &mut key), Parsed::Query(_)));
        assert_eq!(precheck_of(sig), None);
        for meta in [RecordType::OPT, RecordType::TSIG] {
            assert_eq!(precheck_of(packet(meta)), Some(ResponseCode::FormErr));
        }
    }
}
