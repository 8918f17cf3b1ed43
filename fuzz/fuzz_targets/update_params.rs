//! Update parameters as an update request carries them: the input is a query
//! string, optionally followed by a newline and an `Authorization` header
//! value. Parsing (`update/params.rs`, `update/address.rs`) must never panic,
//! what it accepts must keep its promises (TXT printable and short, no
//! unusable address ever set), and every host name it accepts must be one
//! the index can serve (the same parser takes names for `dnsd host add`).
#![no_main]

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    sync::OnceLock,
};

use dnsd::{
    dns::resolve::{Resolution, resolve},
    names::{Fqdn, key_to_dotted},
    store::{HostRecord, Index},
    update::{
        address::{Spec, Spec6},
        params::{BadParam, Credentials, TxtOp, UpdateParams},
    },
};
use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;

/// Client addresses an update may come from: public and private IPv4,
/// IPv6, and IPv4 mapped into IPv6 (a dual-stack socket).
const CLIENTS: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9)),
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9)),
    IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0xc633, 0x6409)),
];

fuzz_target!(|data: &[u8]| {
    let (query, authorization) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query).into_owned().collect();
    let params = match UpdateParams::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(params) => params,
        Err(BadParam(name)) => {
            assert!(
                ["myip", "myipv4", "myipv6", "txt", "clear"].contains(&name),
                "{name}"
            );
            return;
        }
    };

    match &params.txt {
        Some(TxtOp::Set(value) | TxtOp::Clear(Some(value))) => {
            assert!(!value.is_empty() && value.len() <= 255);
            assert!(value.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
        }
        Some(TxtOp::Clear(None)) | None => {}
    }

    let mut headers = HeaderMap::new();
    if let Some(value) = authorization.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(header::AUTHORIZATION, value);
    }
    let credentials = Credentials::from_request(&headers, &params);
    if headers.is_empty() && params.query_token.is_some() {
        assert!(credentials.is_some(), "a query token is a credential");
    }

    let current = (
        Some(Ipv4Addr::new(192, 0, 2, 1)),
        Some(Ipv6Addr::new(
            0x2001, 0xdb8, 1, 2, 0x1122, 0x33ff, 0xfe44, 0x5566,
        )),
    );
    for client in CLIENTS {
        let addresses = params.addresses.with_client(client);
        if params.addresses.is_empty() {
            assert!(!addresses.is_empty(), "the client address fills in");
        }
        if let Spec::Set(v4) = addresses.v4 {
            assert!(!(v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast()));
        }
        if let Spec6::Set(v6) = addresses.v6 {
            assert!(!(v6.is_unspecified() || v6.is_multicast()), "{v6}");
        }
        for (v4, v6) in [current, (None, None)] {
            let (new_v4, new_v6) = addresses.resolve(v4, v6);
            if addresses.v4 == Spec::NotGiven {
                assert_eq!(new_v4, v4, "a family not given is kept");
            }
            if addresses.v6 == Spec6::NotGiven {
                assert_eq!(new_v6, v6, "a family not given is kept");
            }
        }
    }

    for hostname in &params.hostnames {
        assert!(!hostname.is_empty() && !hostname.contains(','));
        if let Ok(name) = Fqdn::parse(hostname) {
            assert_eq!(key_to_dotted(&name.key()), name.as_str());
            assert_servable(&name);
        }
    }
});

/// A host of this name, once created, answers in DNS: apply it to an index
/// of the fixture zones, look it up, and take it away again.
fn assert_servable(name: &Fqdn) {
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(spdyn_fuzz::zone_index);
    let key = name.key();
    // What `dnsd host add` refuses: names outside the zones, apexes, static names.
    let Some(zone) = index.zone_of(&key) else {
        return;
    };
    if key.len() == zone.apex.len() || index.is_static(&key) {
        return;
    }
    let mut host = HostRecord::new(name, None, 60, 0);
    host.ipv4 = Some(Ipv4Addr::new(192, 0, 2, 99));
    host.wildcard = true;
    host.txt = vec!["challenge".into()];
    index.apply_host(&host);
    let view = index.view();
    assert!(
        matches!(resolve(&view, &key, 1), Resolution::Found { .. }),
        "{name} does not resolve"
    );
    drop(view);
    index.remove_name(name);
}
