//! Fixtures shared by the fuzz targets: a small served index (two zones, one
//! nested in the other, static records, hosts of every shape dnsd serves) and
//! the checks every DNS answer must pass.

use std::sync::{Arc, OnceLock};

use dnsd::{
    config::ZoneConfig,
    names::Fqdn,
    store::{HostRecord, Index},
    zone::Zone,
};
use hickory_proto::op::{Message, MessageType};

/// Our EDNS payload size (dnsd's default `dns.udp_payload`).
pub const OUR_PAYLOAD: u16 = 1232;

/// The served zones, as in a configuration file. `big` (three strings of 200
/// bytes) does not fit 512 bytes, so truncation is reachable; `sub.dyn.test` is a zone inside
/// `dyn.test`.
const ZONES: [&str; 3] = [
    r#"
    name = "dyn.test"
    ns = ["ns1.dyn.test.", "ns2.example.net."]
    hostmaster = "hostmaster.example.net"
    negative_ttl = 30
    [[record]]
    name = "@"
    type = "TXT"
    value = "\"v=spf1 -all\""
    [[record]]
    name = "@"
    type = "MX"
    value = "10 mail.example.net."
    [[record]]
    name = "ns1"
    type = "A"
    value = "192.0.2.53"
    [[record]]
    name = "www"
    type = "CNAME"
    value = "h1.dyn.test."
    [[record]]
    name = "*.static"
    type = "A"
    value = "192.0.2.80"
    [[record]]
    name = "big"
    type = "TXT"
    value = "\"BIG\" \"BIG\" \"BIG\""
    "#,
    r#"
    name = "sub.dyn.test"
    ns = ["ns1.dyn.test."]
    hostmaster = "hostmaster.example.net"
    "#,
    r#"
    name = "home.test"
    ns = ["ns1.dyn.test."]
    hostmaster = "hostmaster.example.net"
    "#,
];

/// An index of the fixture zones (with their static records) and no hosts.
pub fn zone_index() -> Index {
    let zones = ZONES
        .iter()
        .map(|text| {
            let text = text.replace("BIG", &"x".repeat(200));
            let config: ZoneConfig = toml::from_str(&text).expect("zone config");
            Zone::from_config(&config).expect("zone")
        })
        .collect();
    Index::new(zones)
}

/// The index every DNS target answers from, built once per process: the
/// fixture zones and hosts of every shape (both families, one family,
/// wildcard, ACME TXT, deep names with empty non-terminals, a host in the
/// nested zone, a disabled host, long labels).
pub fn index() -> &'static Arc<Index> {
    static INDEX: OnceLock<Arc<Index>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = zone_index();
        let long = format!("{}.{}.dyn.test", "l".repeat(63), "m".repeat(63));
        for (name, v4, v6, wildcard, txt, enabled) in [
            ("h1.dyn.test", true, true, false, &[][..], true),
            ("v6only.dyn.test", false, true, false, &[], true),
            ("wild.dyn.test", true, false, true, &[], true),
            (
                "acme.dyn.test",
                true,
                false,
                false,
                &["token-1", "token-2"],
                true,
            ),
            ("a.b.c.dyn.test", true, true, false, &[], true),
            ("x.sub.dyn.test", true, false, true, &["t"], true),
            ("h2.home.test", true, false, false, &[], true),
            ("off.dyn.test", true, false, false, &[], false),
            (long.as_str(), true, true, true, &[], true),
        ] {
            let mut host = HostRecord::new(&Fqdn::parse(name).expect("host name"), None, 60, 0);
            host.ipv4 = v4.then(|| "192.0.2.7".parse().expect("v4"));
            host.ipv6 = v6.then(|| "2001:db8::7".parse().expect("v6"));
            host.wildcard = wildcard;
            host.txt = txt.iter().map(|t| t.to_string()).collect();
            host.enabled = enabled;
            index.apply_host(&host);
        }
        Arc::new(index)
    })
}

/// Decodes an answer we produced; it must be a well-formed response to `id`.
pub fn decode_answer(bytes: &[u8], id: u16) -> Message {
    let message = Message::from_vec(bytes)
        .unwrap_or_else(|e| panic!("our answer does not decode: {e}\n{bytes:02x?}"));
    assert_eq!(message.metadata.id, id, "answer id");
    assert_eq!(message.metadata.message_type, MessageType::Response);
    message
}

/// A fresh directory for the file targets, in memory where the machine
/// offers it (the journal syncs every commit).
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).expect("scratch dir")
    } else {
        tempfile::tempdir().expect("scratch dir")
    }
}
