//! Authoritative DNS behaviour over real UDP and TCP sockets. UDP answers come
//! from the fast path, TCP answers from the hickory-server path: every check
//! runs over both, so the two cannot drift apart.

use std::{net::SocketAddr, process::Command};

use hickory_proto::{
    op::{Message, ResponseCode},
    rr::{RData, RecordType},
};

use crate::harness::{self, Dnsd, ZONE, query, query_edns, update};

#[derive(Clone, Copy, Debug)]
enum Transport {
    Udp,
    Tcp,
}

const BOTH: [Transport; 2] = [Transport::Udp, Transport::Tcp];

fn ask(dnsd: &Dnsd, transport: Transport, message: &Message) -> Message {
    match transport {
        Transport::Udp => harness::udp(dnsd.udp(), message),
        Transport::Tcp => harness::tcp(dnsd.tcp(), message),
    }
}

fn raw(dnsd: &Dnsd, transport: Transport, packet: &[u8]) -> Option<Vec<u8>> {
    match transport {
        Transport::Udp => harness::udp_raw(dnsd.udp(), packet),
        Transport::Tcp => harness::tcp_raw(dnsd.tcp(), packet),
    }
}

/// A server with `home` (A + AAAA), `v4only` (A), `deep.a.b` (A, so `a.b` and
/// `b` are empty non-terminals) and a wildcard host `wild`.
async fn populated() -> Dnsd {
    let dnsd = Dnsd::start();
    for (name, myip, extra) in [
        ("home", "192.0.2.10,2001:db8::10", &[][..]),
        ("v4only", "192.0.2.11", &[][..]),
        ("deep.a.b", "192.0.2.12", &[][..]),
        ("wild", "192.0.2.13", &["--wildcard"][..]),
    ] {
        let fqdn = format!("{name}.{ZONE}");
        let token = dnsd.add_host(&fqdn, extra);
        let answer = update(&dnsd, &fqdn, &token, &[("myip", myip)]).await;
        assert!(answer.body.starts_with("good"), "{fqdn}: {answer:?}");
    }
    dnsd
}

fn soa_serial(message: &Message) -> u32 {
    message
        .answers
        .iter()
        .chain(&message.authorities)
        .find_map(|r| match &r.data {
            RData::SOA(soa) => Some(soa.serial),
            _ => None,
        })
        .expect("an SOA record")
}

#[tokio::test]
async fn answers_are_authoritative_and_echo_the_question_as_asked() {
    let dnsd = populated().await;
    for transport in BOTH {
        let asked = "HoMe.DyN.TeSt.".to_owned();
        let answer = ask(&dnsd, transport, &query(&asked, RecordType::A));
        assert_eq!(
            answer.metadata.response_code,
            ResponseCode::NoError,
            "{transport:?}"
        );
        assert!(answer.metadata.authoritative, "{transport:?}: AA");
        assert!(!answer.metadata.recursion_available);
        assert_eq!(
            answer.queries[0].name().to_string(),
            asked,
            "{transport:?}: question echoed"
        );
        assert_eq!(harness::answer_ips(&answer), vec!["192.0.2.10"]);
        assert_eq!(answer.answers[0].ttl, 60, "default host TTL");

        let aaaa = ask(&dnsd, transport, &query("home.dyn.test.", RecordType::AAAA));
        assert_eq!(harness::answer_ips(&aaaa), vec!["2001:db8::10"]);
    }
}

#[tokio::test]
async fn nodata_nxdomain_and_empty_non_terminals() {
    let dnsd = populated().await;
    for transport in BOTH {
        let nodata = ask(
            &dnsd,
            transport,
            &query("v4only.dyn.test.", RecordType::AAAA),
        );
        assert_eq!(nodata.metadata.response_code, ResponseCode::NoError);
        assert!(nodata.metadata.authoritative);
        assert!(
            nodata.answers.is_empty(),
            "{transport:?}: NODATA has no answers"
        );
        let soa = &nodata.authorities[0];
        assert_eq!(soa.record_type(), RecordType::SOA);
        assert_eq!(soa.name.to_string().to_lowercase(), "dyn.test.");
        assert_eq!(soa.ttl, 30, "negative TTL = min(SOA TTL, MINIMUM)");

        let nx = ask(&dnsd, transport, &query("missing.dyn.test.", RecordType::A));
        assert_eq!(
            nx.metadata.response_code,
            ResponseCode::NXDomain,
            "{transport:?}"
        );
        assert!(nx.metadata.authoritative);
        assert_eq!(nx.authorities[0].record_type(), RecordType::SOA);

        for ent in ["a.b.dyn.test.", "b.dyn.test."] {
            let answer = ask(&dnsd, transport, &query(ent, RecordType::A));
            assert_eq!(
                answer.metadata.response_code,
                ResponseCode::NoError,
                "{ent} is an ENT"
            );
            assert!(answer.answers.is_empty());
        }
        let below_ent = ask(&dnsd, transport, &query("x.b.dyn.test.", RecordType::A));
        assert_eq!(below_ent.metadata.response_code, ResponseCode::NXDomain);
    }
}

#[tokio::test]
async fn names_outside_our_zones_are_refused() {
    let dnsd = populated().await;
    for transport in BOTH {
        for name in ["example.com.", "test.", "xdyn.test."] {
            let answer = ask(&dnsd, transport, &query(name, RecordType::A));
            assert_eq!(
                answer.metadata.response_code,
                ResponseCode::Refused,
                "{name}"
            );
            assert!(!answer.metadata.authoritative);
            assert!(answer.answers.is_empty());
        }
    }
}

#[tokio::test]
async fn wildcard_hosts_answer_for_names_below_them() {
    let dnsd = populated().await;
    for transport in BOTH {
        let answer = ask(
            &dnsd,
            transport,
            &query("any.thing.wild.dyn.test.", RecordType::A),
        );
        assert_eq!(harness::answer_ips(&answer), vec!["192.0.2.13"]);
        assert_eq!(
            answer.answers[0].name.to_string(),
            "any.thing.wild.dyn.test."
        );
        let not_wild = ask(
            &dnsd,
            transport,
            &query("any.home.dyn.test.", RecordType::A),
        );
        assert_eq!(not_wild.metadata.response_code, ResponseCode::NXDomain);
    }
}

#[tokio::test]
async fn apex_serves_soa_ns_and_static_records_in_every_zone() {
    let dnsd = populated().await;
    for transport in BOTH {
        let soa = ask(&dnsd, transport, &query("dyn.test.", RecordType::SOA));
        assert_eq!(soa.answers.len(), 1);
        assert!(soa.metadata.authoritative);
        let ns = ask(&dnsd, transport, &query("dyn.test.", RecordType::NS));
        let mut names: Vec<String> = ns
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::NS(ns) => Some(ns.0.to_string()),
                _ => None,
            })
            .collect();
        names.sort();
        assert_eq!(names, vec!["ns1.dyn.test.", "ns2.example.net."]);
        let txt = ask(&dnsd, transport, &query("dyn.test.", RecordType::TXT));
        assert_eq!(txt.answers.len(), 1, "static apex TXT");
        let glue = ask(&dnsd, transport, &query("ns1.dyn.test.", RecordType::A));
        assert_eq!(harness::answer_ips(&glue), vec!["192.0.2.53"]);
        let other = ask(&dnsd, transport, &query("home.test.", RecordType::SOA));
        assert_eq!(other.metadata.response_code, ResponseCode::NoError);
        assert_eq!(other.answers.len(), 1, "second zone is served");
    }
}

#[tokio::test]
async fn soa_serial_increases_with_every_change() {
    let dnsd = Dnsd::start();
    let name = format!("serial.{ZONE}");
    let before = soa_serial(&harness::udp(
        dnsd.udp(),
        &query("dyn.test.", RecordType::SOA),
    ));
    let token = dnsd.add_host(&name, &[]);
    let after_add = soa_serial(&harness::udp(
        dnsd.udp(),
        &query("dyn.test.", RecordType::SOA),
    ));
    assert!(after_add > before, "adding a host bumps the serial");
    update(&dnsd, &name, &token, &[("myip", "192.0.2.1")]).await;
    let after_update = soa_serial(&harness::udp(
        dnsd.udp(),
        &query("dyn.test.", RecordType::SOA),
    ));
    assert!(after_update > after_add, "an update bumps the serial");
    let tcp = soa_serial(&harness::tcp(
        dnsd.tcp(),
        &query("dyn.test.", RecordType::SOA),
    ));
    assert_eq!(tcp, after_update, "TCP sees the same serial");
}

#[tokio::test]
async fn any_is_answered_minimally() {
    let dnsd = populated().await;
    for transport in BOTH {
        let answer = ask(&dnsd, transport, &query("home.dyn.test.", RecordType::ANY));
        assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
        let types: std::collections::HashSet<_> =
            answer.answers.iter().map(|r| r.record_type()).collect();
        assert_eq!(
            types.len(),
            1,
            "{transport:?}: one RRset for ANY (RFC 8482), got {types:?}"
        );
    }
}

#[tokio::test]
async fn edns_is_echoed_with_our_payload_size() {
    let dnsd = populated().await;
    for transport in BOTH {
        let answer = ask(
            &dnsd,
            transport,
            &query_edns("home.dyn.test.", RecordType::A, 4096),
        );
        let edns = answer.edns.as_ref().expect("OPT in the answer");
        assert_eq!(edns.max_payload(), 1232, "{transport:?}: our UDP size");
        assert_eq!(edns.version(), 0);
        let plain = ask(&dnsd, transport, &query("home.dyn.test.", RecordType::A));
        assert!(plain.edns.is_none(), "no OPT without EDNS in the query");
    }
}

#[tokio::test]
async fn large_answers_truncate_over_udp_and_come_whole_over_tcp() {
    let dnsd = populated().await;
    let udp = harness::udp(dnsd.udp(), &query("big.dyn.test.", RecordType::TXT));
    assert!(udp.metadata.truncation, "over 512 bytes without EDNS: TC");
    assert!(udp.answers.is_empty());
    let edns = harness::udp(
        dnsd.udp(),
        &query_edns("big.dyn.test.", RecordType::TXT, 4096),
    );
    assert!(!edns.metadata.truncation, "fits in 1232 with EDNS");
    assert_eq!(edns.answers.len(), 2);
    let small_edns = harness::udp(
        dnsd.udp(),
        &query_edns("big.dyn.test.", RecordType::TXT, 512),
    );
    assert!(small_edns.metadata.truncation, "client said 512");
    let tcp = harness::tcp(dnsd.tcp(), &query("big.dyn.test.", RecordType::TXT));
    assert!(!tcp.metadata.truncation);
    assert_eq!(tcp.answers.len(), 2);
}

#[tokio::test]
async fn unsupported_and_malformed_requests_get_errors_and_the_server_keeps_serving() {
    let dnsd = populated().await;
    for transport in BOTH {
        // EDNS version 1: BADVERS.
        let mut badvers = query_edns("home.dyn.test.", RecordType::A, 1232);
        if let Some(edns) = badvers.edns.as_mut() {
            edns.set_version(1);
        }
        let answer = ask(&dnsd, transport, &badvers);
        // BADVERS is 16; hickory decodes 16 as its alias BADSIG.
        assert_eq!(
            u16::from(answer.metadata.response_code),
            16,
            "{transport:?}: BADVERS"
        );

        // Opcode STATUS (2): NOTIMP.
        let mut packet = query("home.dyn.test.", RecordType::A).to_vec().unwrap();
        packet[2] = (packet[2] & 0x87) | (2 << 3);
        let answer = Message::from_vec(&raw(&dnsd, transport, &packet).expect("answer")).unwrap();
        assert_eq!(
            answer.metadata.response_code,
            ResponseCode::NotImp,
            "{transport:?}"
        );

        // Two questions: FORMERR.
        let mut two = query("home.dyn.test.", RecordType::A);
        two.add_query(hickory_proto::op::Query::query(
            "v4only.dyn.test.".parse().unwrap(),
            RecordType::A,
        ));
        assert_eq!(
            ask(&dnsd, transport, &two).metadata.response_code,
            ResponseCode::FormErr
        );

        // A header that promises a question and then garbage: FORMERR.
        let mut garbage = query("home.dyn.test.", RecordType::A).to_vec().unwrap();
        garbage.truncate(14);
        garbage.extend_from_slice(&[0xff; 7]);
        let answer = raw(&dnsd, transport, &garbage).expect("FORMERR answer");
        let header_flags = u16::from_be_bytes([answer[2], answer[3]]);
        assert_eq!(header_flags & 0x000f, 1, "{transport:?}: FORMERR");

        // Zone transfers are refused (not offered yet).
        let axfr = ask(&dnsd, transport, &query("dyn.test.", RecordType::AXFR));
        assert_eq!(axfr.metadata.response_code, ResponseCode::Refused);
    }
    // A response, or a runt, gets no answer at all (no reflection).
    let mut response = query("home.dyn.test.", RecordType::A).to_vec().unwrap();
    response[2] |= 0x80;
    assert!(harness::udp_raw(dnsd.udp(), &response).is_none());
    assert!(harness::udp_raw(dnsd.udp(), &[1, 2, 3]).is_none());
    // Still serving.
    assert_eq!(
        harness::resolve(&dnsd, "home.dyn.test.", RecordType::A),
        vec!["192.0.2.10"]
    );
}

#[tokio::test]
async fn random_garbage_never_takes_the_server_down() {
    let dnsd = populated().await;
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let valid = query("home.dyn.test.", RecordType::A).to_vec().unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..5000 {
        let len = (next() % 600) as usize;
        let mut packet: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if i % 2 == 0 && len > valid.len() {
            // Mutations of a valid query reach deeper into the parser.
            packet[..valid.len()].copy_from_slice(&valid);
            let at = (next() as usize) % valid.len();
            packet[at] = next() as u8;
            packet.truncate(valid.len() + (next() % 40) as usize);
        }
        let _ = socket.send_to(&packet, dnsd.udp());
    }
    for _ in 0..200 {
        let len = (next() % 300) as usize;
        let packet: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = harness::tcp_raw(dnsd.tcp(), &packet);
    }
    assert_eq!(
        harness::resolve(&dnsd, "home.dyn.test.", RecordType::A),
        vec!["192.0.2.10"]
    );
    let tcp = harness::tcp(dnsd.tcp(), &query("home.dyn.test.", RecordType::A));
    assert_eq!(harness::answer_ips(&tcp), vec!["192.0.2.10"]);
    assert!(!dnsd.log_text().contains("panicked"), "no panic in the log");
}

fn dig(server: SocketAddr, args: &[&str]) -> String {
    harness::run(
        Command::new("dig")
            .arg(format!("@{}", server.ip()))
            .arg("-p")
            .arg(server.port().to_string())
            .args(["+norecurse", "+time=2", "+tries=1"])
            .args(args),
    )
}

#[tokio::test]
async fn dig_sees_authoritative_answers_over_udp_and_tcp() {
    if !harness::require("dig") {
        return;
    }
    let dnsd = populated().await;
    let out = dig(dnsd.udp(), &["home.dyn.test", "A"]);
    assert!(out.contains("status: NOERROR"), "{out}");
    assert!(out.contains("flags: qr aa"), "{out}");
    assert!(out.contains("192.0.2.10"), "{out}");
    assert!(out.contains("udp: 1232"), "EDNS echoed: {out}");
    let out = dig(dnsd.tcp(), &["+tcp", "home.dyn.test", "AAAA"]);
    assert!(out.contains("2001:db8::10"), "{out}");
    let out = dig(dnsd.udp(), &["nope.dyn.test", "A"]);
    assert!(out.contains("status: NXDOMAIN"), "{out}");
    let out = dig(dnsd.udp(), &["big.dyn.test", "TXT", "+ignore", "+noedns"]);
    assert!(out.contains("flags: qr aa tc"), "{out}");
    // dig retries over TCP on TC by default.
    let out = dig(dnsd.udp(), &["big.dyn.test", "TXT", "+noedns"]);
    assert!(out.contains("ANSWER: 2"), "{out}");
}

#[tokio::test]
async fn ipv6_listeners_answer_dns_and_updates_from_ipv6_clients_set_aaaa() {
    let dnsd = Dnsd::start_with(crate::harness::Options {
        ipv6: true,
        ..crate::harness::Options::default()
    });
    let v6 = |service: &str| {
        *dnsd.addrs[service]
            .iter()
            .find(|a| a.is_ipv6())
            .unwrap_or_else(|| panic!("no IPv6 {service} listener"))
    };
    let host = format!("six.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    // No address given, client on IPv6: the AAAA is set, nothing else.
    let answer = crate::harness::send(
        crate::harness::http_client()
            .get(format!("http://{}/nic/update", v6("update-http")))
            .basic_auth(&host, Some(&token)),
    )
    .await;
    assert_eq!(answer.body, "good ::1");
    for transport in BOTH {
        let message = query(&format!("{host}."), RecordType::AAAA);
        let answer = match transport {
            Transport::Udp => harness::udp(v6("dns-udp"), &message),
            Transport::Tcp => harness::tcp(v6("dns-tcp"), &message),
        };
        assert_eq!(
            harness::answer_ips(&answer),
            vec!["::1"],
            "{transport:?} over IPv6"
        );
    }
    assert!(harness::resolve(&dnsd, &host, RecordType::A).is_empty());
}
