//! Which addresses an update sets: parsing `myip`/`myipv4`/`myipv6`, router
//! placeholders, `preserve`, IPv6 prefix updates, the client-address fallback
//! and the private-address substitution.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::Ipv6Net;

/// What a request says about one address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spec<A> {
    /// Not mentioned (or an unreplaced placeholder): keep the current value.
    #[default]
    NotGiven,
    /// Explicitly `preserve`: keep the current value.
    Preserve,
    Set(A),
}

/// IPv6 may also be given as a prefix that replaces the network part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spec6 {
    #[default]
    NotGiven,
    Preserve,
    Set(Ipv6Addr),
    Prefix(Ipv6Net),
}

/// The address part of an update request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressRequest {
    pub v4: Spec<Ipv4Addr>,
    pub v6: Spec6,
}

/// A malformed address parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid address")]
pub struct BadAddress;

/// Shortest IPv6 prefix accepted for a prefix update.
pub const MIN_PREFIX_LEN: u8 = 8;

impl AddressRequest {
    /// True when no family was mentioned at all.
    pub fn is_empty(&self) -> bool {
        self.v4 == Spec::NotGiven && self.v6 == Spec6::NotGiven
    }

    /// `myip`: one IPv4, one IPv6, or both comma-separated in either order.
    pub fn apply_myip(&mut self, value: &str) -> Result<(), BadAddress> {
        let items: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect();
        if items.len() > 2 {
            return Err(BadAddress);
        }
        for item in items {
            if is_placeholder(item) {
                continue;
            }
            if item.eq_ignore_ascii_case("preserve") {
                self.v4 = Spec::Preserve;
                self.v6 = Spec6::Preserve;
                continue;
            }
            if item.contains('/') {
                self.v6 = parse_prefix(item)?;
                continue;
            }
            match item.parse::<IpAddr>().map_err(|_| BadAddress)? {
                IpAddr::V4(v4) => self.v4 = Spec::Set(checked_v4(v4)?),
                IpAddr::V6(v6) => self.v6 = Spec6::Set(checked_v6(v6)?),
            }
        }
        Ok(())
    }

    /// `myipv4`: an IPv4 address, `preserve`, or empty/placeholder.
    pub fn apply_myipv4(&mut self, value: &str) -> Result<(), BadAddress> {
        let value = value.trim();
        if value.is_empty() || is_placeholder(value) {
            return Ok(());
        }
        self.v4 = if value.eq_ignore_ascii_case("preserve") {
            Spec::Preserve
        } else {
            Spec::Set(checked_v4(value.parse().map_err(|_| BadAddress)?)?)
        };
        Ok(())
    }

    /// `myipv6`: an IPv6 address, a prefix `addr/len`, `preserve`, or empty/placeholder.
    pub fn apply_myipv6(&mut self, value: &str) -> Result<(), BadAddress> {
        let value = value.trim();
        if value.is_empty() || is_placeholder(value) {
            return Ok(());
        }
        self.v6 = if value.eq_ignore_ascii_case("preserve") {
            Spec6::Preserve
        } else if value.contains('/') {
            parse_prefix(value)?
        } else {
            Spec6::Set(checked_v6(value.parse().map_err(|_| BadAddress)?)?)
        };
        Ok(())
    }

    /// Fills in the client's own address when nothing was given, and replaces a
    /// private IPv4 by the client's public IPv4.
    pub fn with_client(mut self, client: IpAddr) -> Self {
        let client = canonical(client);
        if self.is_empty() {
            match client {
                IpAddr::V4(v4) => self.v4 = Spec::Set(v4),
                IpAddr::V6(v6) => self.v6 = Spec6::Set(v6),
            }
        }
        if let (Spec::Set(given), IpAddr::V4(client_v4)) = (self.v4, client)
            && given.is_private()
            && is_public_v4(client_v4)
        {
            self.v4 = Spec::Set(client_v4);
        }
        self
    }

    /// The addresses after the update, given the current ones.
    pub fn resolve(
        &self,
        current_v4: Option<Ipv4Addr>,
        current_v6: Option<Ipv6Addr>,
    ) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
        let v4 = match self.v4 {
            Spec::Set(v4) => Some(v4),
            Spec::NotGiven | Spec::Preserve => current_v4,
        };
        let v6 = match self.v6 {
            Spec6::Set(v6) => Some(v6),
            // A prefix keeps the interface identifier of the current address;
            // without one there is nothing to keep, so the family is preserved.
            Spec6::Prefix(net) => current_v6.map(|old| replace_prefix(old, net)),
            Spec6::NotGiven | Spec6::Preserve => current_v6,
        };
        (v4, v6)
    }
}

/// Keeps the host bits of `old` and takes the network bits of `net`.
pub fn replace_prefix(old: Ipv6Addr, net: Ipv6Net) -> Ipv6Addr {
    let mask = u128::from(net.netmask());
    let bits = (u128::from(net.network()) & mask) | (u128::from(old) & !mask);
    Ipv6Addr::from(bits)
}

fn parse_prefix(value: &str) -> Result<Spec6, BadAddress> {
    let net: Ipv6Net = value.parse().map_err(|_| BadAddress)?;
    if net.prefix_len() < MIN_PREFIX_LEN {
        return Err(BadAddress);
    }
    Ok(Spec6::Prefix(net))
}

fn checked_v4(addr: Ipv4Addr) -> Result<Ipv4Addr, BadAddress> {
    if addr.is_unspecified() || addr.is_multicast() || addr.is_broadcast() {
        Err(BadAddress)
    } else {
        Ok(addr)
    }
}

fn checked_v6(addr: Ipv6Addr) -> Result<Ipv6Addr, BadAddress> {
    // A mapped IPv4 address in an AAAA record helps nobody.
    if addr.is_unspecified() || addr.is_multicast() || addr.to_ipv4_mapped().is_some() {
        Err(BadAddress)
    } else {
        Ok(addr)
    }
}

/// Unreplaced template variables from router firmware: `<ipaddr>`,
/// `%IP%`, `${IP}`, `[IP]`, `__MYIP__`.
pub fn is_placeholder(value: &str) -> bool {
    let wrapped = |open: &str, close: &str| {
        value.len() > open.len() + close.len() && value.starts_with(open) && value.ends_with(close)
    };
    wrapped("<", ">")
        || wrapped("%", "%")
        || wrapped("${", "}")
        || wrapped("__", "__")
        || (wrapped("[", "]") && value[1..value.len() - 1].parse::<Ipv6Addr>().is_err())
}

/// IPv4-mapped IPv6 peers (dual-stack sockets) are IPv4 clients.
pub use spdyn_common::client_ip::canonical;

/// Routable on the internet as far as substitution is concerned: not
/// private, loopback, link-local, shared (CGN, 100.64/10) or unspecified.
pub fn is_public_v4(addr: Ipv4Addr) -> bool {
    let shared = addr.octets()[0] == 100 && (addr.octets()[1] & 0xC0) == 64;
    !(addr.is_private()
        || addr.is_loopback()
        || addr.is_link_local()
        || addr.is_unspecified()
        || addr.is_broadcast()
        || addr.is_multicast()
        || shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> AddressRequest {
        AddressRequest::default()
    }

    #[test]
    fn myip_takes_one_or_both_families_in_any_order() {
        let mut r = req();
        r.apply_myip(" 2001:db8::5 , 192.0.2.5 ").unwrap();
        assert_eq!(r.v4, Spec::Set("192.0.2.5".parse().unwrap()));
        assert_eq!(r.v6, Spec6::Set("2001:db8::5".parse().unwrap()));
        let mut r = req();
        r.apply_myip("192.0.2.5").unwrap();
        assert_eq!(r.v6, Spec6::NotGiven);
    }

    #[test]
    fn malformed_addresses_are_errors() {
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "example.com",
            "1.1.1.1,2.2.2.2,3.3.3.3",
            "0.0.0.0",
            "224.0.0.1",
            "::ffff:1.2.3.4",
        ] {
            assert_eq!(req().apply_myip(bad), Err(BadAddress), "{bad}");
        }
        assert_eq!(req().apply_myipv4("2001:db8::1"), Err(BadAddress));
        assert_eq!(req().apply_myipv6("192.0.2.1"), Err(BadAddress));
        assert_eq!(req().apply_myipv6("2001:db8::/4"), Err(BadAddress));
    }

    #[test]
    fn placeholders_count_as_not_given() {
        let mut r = req();
        r.apply_myip("<ipaddr>,<ip6addr>").unwrap();
        r.apply_myipv6("%IPV6%").unwrap();
        r.apply_myipv4("${IP}").unwrap();
        assert!(r.is_empty());
        assert!(is_placeholder("[IP]"));
        assert!(!is_placeholder("[2001:db8::1]"));
    }

    #[test]
    fn nothing_given_means_the_client_address() {
        let r = req().with_client("::ffff:198.51.100.9".parse().unwrap());
        assert_eq!(r.v4, Spec::Set("198.51.100.9".parse().unwrap()));
        assert_eq!(r.v6, Spec6::NotGiven);
        let r = req().with_client("2001:db8::9".parse().unwrap());
        assert_eq!(r.v6, Spec6::Set("2001:db8::9".parse().unwrap()));
    }

    #[test]
    fn preserve_blocks_the_client_fallback_and_keeps_values() {
        let mut r = req();
        r.apply_myip("preserve").unwrap();
        let r = r.with_client("198.51.100.9".parse().unwrap());
        let current = (
            Some("192.0.2.1".parse().unwrap()),
            Some("2001:db8::1".parse().unwrap()),
        );
        assert_eq!(r.resolve(current.0, current.1), current);
    }

    #[test]
    fn private_ipv4_is_replaced_only_for_public_clients() {
        let mut r = req();
        r.apply_myip("192.168.1.10").unwrap();
        let public = r.with_client("198.51.100.9".parse().unwrap());
        assert_eq!(public.v4, Spec::Set("198.51.100.9".parse().unwrap()));
        let private = r.with_client("10.0.0.1".parse().unwrap());
        assert_eq!(private.v4, Spec::Set("192.168.1.10".parse().unwrap()));
        let cgn = r.with_client("100.64.1.1".parse().unwrap());
        assert_eq!(cgn.v4, Spec::Set("192.168.1.10".parse().unwrap()));
    }

    #[test]
    fn prefix_update_keeps_the_interface_identifier() {
        let mut r = req();
        r.apply_myipv6("2001:db8:aaaa:bbbb::/64").unwrap();
        let old: Ipv6Addr = "2001:db8:1:2:1122:33ff:fe44:5566".parse().unwrap();
        let (_, v6) = r.resolve(None, Some(old));
        assert_eq!(
            v6,
            Some("2001:db8:aaaa:bbbb:1122:33ff:fe44:5566".parse().unwrap())
        );
        assert_eq!(
            r.resolve(None, None),
            (None, None),
            "no AAAA: nothing to keep"
        );
    }

    #[test]
    fn a_family_not_given_is_never_deleted() {
        let mut r = req();
        r.apply_myipv6("2001:db8::2").unwrap();
        let (v4, v6) = r.resolve(Some("192.0.2.1".parse().unwrap()), None);
        assert_eq!(v4, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(v6, Some("2001:db8::2".parse().unwrap()));
    }
}
