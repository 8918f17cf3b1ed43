//! The client's address: the TCP peer, or what a trusted proxy says.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use super::address::canonical;

/// Where the effective client address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress {
    /// The TCP peer (REMOTE_ADDR).
    pub peer: IpAddr,
    /// The address a trusted proxy forwarded, if any.
    pub forwarded: Option<IpAddr>,
}

impl ClientAddress {
    /// The address updates and checkip use.
    pub fn effective(&self) -> IpAddr {
        self.forwarded.unwrap_or(self.peer)
    }
}

/// Believes `X-Forwarded-For` (the right-most address that is not itself a
/// trusted proxy) or `X-Real-IP` only when the peer is a trusted proxy.
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

    #[test]
    fn untrusted_peers_cannot_forward() {
        let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
        let c = client_address("192.0.2.9:1000".parse().unwrap(), &h, &[]);
        assert_eq!(c.effective(), "192.0.2.9".parse::<IpAddr>().unwrap());
        assert_eq!(c.forwarded, None);
    }

    #[test]
    fn trusted_proxies_forward_the_rightmost_untrusted_hop() {
        let trusted: Vec<IpNet> = vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let h = headers(&[("x-forwarded-for", "203.0.113.7, 198.51.100.1, 10.1.1.1")]);
        let c = client_address("127.0.0.1:1000".parse().unwrap(), &h, &trusted);
        assert_eq!(c.effective(), "198.51.100.1".parse::<IpAddr>().unwrap());
        let real = headers(&[("x-real-ip", "2001:db8::5")]);
        let c = client_address("[::ffff:127.0.0.1]:1".parse().unwrap(), &real, &trusted);
        assert_eq!(c.effective(), "2001:db8::5".parse::<IpAddr>().unwrap());
        assert_eq!(c.peer, "127.0.0.1".parse::<IpAddr>().unwrap());
    }
}
