//! The client's address, as dnsd and control both determine it: the TCP
//! peer, or — only when the peer is a trusted proxy — the right-most
//! forwarded address that is not itself a trusted proxy. The left-most
//! `X-Forwarded-For` entry is whatever the client wrote, so believing it
//! would let a client choose its own address (and escape every per-source
//! throttle). Also the unit per-source limits count: an IPv4 address or an
//! IPv6 /64 (one subscriber's LAN).

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use ipnet::IpNet;
use serde::{Deserialize, Deserializer};

/// Where the effective client address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress {
    /// The TCP peer (REMOTE_ADDR).
    pub peer: IpAddr,
    /// The address a trusted proxy forwarded, if any.
    pub forwarded: Option<IpAddr>,
}

impl ClientAddress {
    /// The address the request is attributed to.
    pub fn effective(&self) -> IpAddr {
        self.forwarded.unwrap_or(self.peer)
    }
}

/// Believes `X-Forwarded-For` (the right-most address that is not itself a
/// trusted proxy) or `X-Real-IP` only when the peer is a trusted proxy.
/// IPv4-mapped IPv6 addresses are given as IPv4.
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> ClientAddress {
    let peer = canonical(peer.ip());
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return ClientAddress {
            peer,
            forwarded: None,
        };
    }
    let from_xff = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| item.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip));
    let forwarded = from_xff.or_else(|| {
        headers
            .get("x-real-ip")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<IpAddr>().ok())
            .map(canonical)
    });
    ClientAddress { peer, forwarded }
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the IPv4 address.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// What per-source limits count as one source: an IPv4 address singly, an
/// IPv6 address by its /64 (a subscriber gets a whole /64 or more, so
/// counting single addresses would give each client 2^64 fresh budgets).
pub fn source_key(addr: IpAddr) -> IpAddr {
    match canonical(addr) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

/// Deserializes a list of trusted proxies given as networks
/// (`"10.0.0.0/8"`) or single addresses (`"192.0.2.1"`).
pub fn deserialize_proxies<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|text| {
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| serde::de::Error::custom(format!("{text}: not an address or network")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_forward() {
        let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
        let c = client_address("192.0.2.9:1000".parse().unwrap(), &h, &[]);
        assert_eq!(c.effective(), ip("192.0.2.9"));
        assert_eq!(c.forwarded, None);
    }

    #[test]
    fn trusted_proxies_forward_the_rightmost_untrusted_hop() {
        let trusted: Vec<IpNet> = vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        // The client wrote the first entry itself; the proxy appended the
        // address it saw, and an inner proxy its own.
        let h = headers(&[("x-forwarded-for", "203.0.113.7, 198.51.100.1, 10.1.1.1")]);
        let c = client_address("127.0.0.1:1000".parse().unwrap(), &h, &trusted);
        assert_eq!(c.effective(), ip("198.51.100.1"));
        // Several headers are one list, in order.
        let split = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-for", "198.51.100.2"),
        ]);
        let c = client_address("127.0.0.1:1000".parse().unwrap(), &split, &trusted);
        assert_eq!(c.effective(), ip("198.51.100.2"));
        let real = headers(&[("x-real-ip", "2001:db8::5")]);
        let c = client_address("[::ffff:127.0.0.1]:1".parse().unwrap(), &real, &trusted);
        assert_eq!(c.effective(), ip("2001:db8::5"));
        assert_eq!(c.peer, ip("127.0.0.1"));
    }

    #[test]
    fn sources_are_ipv4_addresses_and_ipv6_slash_64s() {
        assert_eq!(source_key(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(source_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(source_key(ip("2001:db8:1:2:a:b:c:d")), ip("2001:db8:1:2::"));
        assert_ne!(source_key(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
    }

    #[test]
    fn proxies_are_networks_or_single_addresses() {
        #[derive(Deserialize)]
        struct Config {
            #[serde(deserialize_with = "deserialize_proxies")]
            proxies: Vec<IpNet>,
        }
        let config: Config =
            toml::from_str(r#"proxies = ["10.0.0.0/8", "192.0.2.1", "2001:db8::1"]"#).unwrap();
        assert!(config.proxies[0].contains(&ip("10.9.9.9")));
        assert!(config.proxies[1].contains(&ip("192.0.2.1")));
        assert!(!config.proxies[1].contains(&ip("192.0.2.2")));
        assert!(config.proxies[2].contains(&ip("2001:db8::1")));
        assert!(toml::from_str::<Config>(r#"proxies = ["nonsense"]"#).is_err());
    }
}
