//! The hickory-server fallback handler on arbitrary bytes, as UDP (first
//! input byte even) or TCP (odd): whatever hickory parses must get a
//! well-formed answer within the size limit, and where the fast path would
//! have taken the query too, both paths must answer alike.
#![no_main]

use std::{net::SocketAddr, sync::OnceLock};

use dnsd::{
    dns::{
        encoded,
        handler::Handler,
        resolve::resolve,
        wire::{self, MAX_WIRE_NAME, Parsed},
    },
    metrics::Metrics,
};
use hickory_proto::op::{Message, MessageType};
use hickory_server::{net::xfer::Protocol, server::Request};
use libfuzzer_sys::fuzz_target;
use spdyn_fuzz::{OUR_PAYLOAD, decode_answer, index};

fn handler() -> &'static Handler {
    static HANDLER: OnceLock<Handler> = OnceLock::new();
    HANDLER.get_or_init(|| {
        Handler::new(
            index().clone(),
            OUR_PAYLOAD,
            Metrics::default().dns_counters(),
        )
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, packet)) = data.split_first() else {
        return;
    };
    let udp = mode & 1 == 0;
    let protocol = if udp { Protocol::Udp } else { Protocol::Tcp };
    let peer = SocketAddr::from(([192, 0, 2, 1], 5353));
    let Ok(request) = Request::from_bytes(packet.to_vec(), peer, protocol) else {
        return;
    };
    if request.metadata.message_type == MessageType::Response {
        return; // the UDP path drops these before the handler
    }
    let bytes = runtime()
        .block_on(encoded::answer(handler(), packet, peer, protocol))
        .expect("every request is answered");
    if udp {
        let limit = request
            .edns
            .as_ref()
            .map_or(wire::PLAIN_UDP_LIMIT, |edns| {
                usize::from(edns.max_payload().clamp(512, OUR_PAYLOAD))
            });
        assert!(bytes.len() <= limit, "answer over {limit} bytes");
    }
    let slow = decode_answer(&bytes, request.metadata.id);

    let mut key = [0u8; MAX_WIRE_NAME];
    if let Parsed::Query(query) = wire::parse(packet, &mut key) {
        let view = index().view();
        let resolution = resolve(&view, &key[..query.qname_len], query.qtype);
        let limit = udp.then(|| query.udp_limit(OUR_PAYLOAD));
        let mut out = Vec::new();
        wire::write_response(&query, &resolution, OUR_PAYLOAD, limit, &mut out);
        let fast = decode_answer(&out, query.id);
        assert_same(&fast, &slow);
    }
});

/// The parts of an answer both encoders must agree on.
fn assert_same(fast: &Message, slow: &Message) {
    let (f, s) = (&fast.metadata, &slow.metadata);
    assert_eq!(f.response_code, s.response_code, "rcode");
    assert_eq!(f.authoritative, s.authoritative, "AA");
    assert_eq!(f.recursion_desired, s.recursion_desired, "RD");
    assert_eq!(f.checking_disabled, s.checking_disabled, "CD");
    assert_eq!(fast.queries, slow.queries, "question");
    assert_eq!(fast.edns.is_some(), slow.edns.is_some(), "OPT");
    if !f.truncation && !s.truncation {
        assert_eq!(fast.answers, slow.answers, "answers");
        assert_eq!(fast.authorities, slow.authorities, "authorities");
    }
}
