//! The UDP fast path on arbitrary datagrams: `wire::parse`, `resolve` and
//! `write_response` against the fixture index. Every answer must decode as
//! a response to the query, echo the question, keep to the client's size
//! limit, and say TC exactly when it was cut.
#![no_main]

use dnsd::dns::{
    resolve::resolve,
    wire::{self, HEADER_LEN, MAX_WIRE_NAME, Parsed},
};
use hickory_proto::op::ResponseCode;
use libfuzzer_sys::fuzz_target;
use spdyn_fuzz::{OUR_PAYLOAD, decode_answer, index};

fuzz_target!(|packet: &[u8]| {
    let mut key = [0u8; MAX_WIRE_NAME];
    let mut out = Vec::new();
    match wire::parse(packet, &mut key) {
        Parsed::Query(query) => {
            let qname = &key[..query.qname_len];
            assert!(qname.eq_ignore_ascii_case(&query.question[..query.qname_len]));
            let view = index().view();
            let resolution = resolve(&view, qname, query.qtype);

            let limit = query.udp_limit(OUR_PAYLOAD);
            assert!((wire::PLAIN_UDP_LIMIT..=usize::from(OUR_PAYLOAD)).contains(&limit));
            let truncated =
                wire::write_response(&query, &resolution, OUR_PAYLOAD, Some(limit), &mut out);
            assert!(
                out.len() <= limit,
                "{} bytes over a limit of {limit}",
                out.len()
            );
            assert_eq!(&out[HEADER_LEN..][..query.question.len()], query.question);
            let udp = decode_answer(&out, query.id);
            assert_eq!(udp.metadata.truncation, truncated);
            assert_eq!(udp.edns.is_some(), query.edns.is_some());

            // Over TCP (no limit) the same resolution is never cut.
            assert!(!wire::write_response(
                &query,
                &resolution,
                OUR_PAYLOAD,
                None,
                &mut out
            ));
            let tcp = decode_answer(&out, query.id);
            assert_eq!(tcp.metadata.response_code, udp.metadata.response_code);
            assert!(!tcp.metadata.truncation);
            if !truncated {
                assert_eq!(tcp.answers, udp.answers);
                assert_eq!(tcp.authorities, udp.authorities);
            }
        }
        Parsed::Drop => assert!(packet.len() < HEADER_LEN || packet[2] & 0x80 != 0),
        Parsed::Fallback => {
            // What an unparseable body gets on the slow path.
            if wire::format_error(packet, &mut out) {
                let id = u16::from_be_bytes([packet[0], packet[1]]);
                let answer = decode_answer(&out, id);
                assert_eq!(answer.metadata.response_code, ResponseCode::FormErr);
            }
        }
    }
});
