//! The setup guide on a host's page: ready-to-copy settings for the common
//! update clients, filled in with the host's name and the update URL
//! (`hosts.update_url`), the token left as `<token>` (it is stored only as
//! a hash), and the records DNS answers for the host.
//!
//! The settings follow docs/UPDATE-PROTOCOL.md; the placeholders each
//! client replaces (`<ipaddr>`, `%IP%`, `[IP]`, …) are the ones dnsd
//! understands, and a placeholder left unreplaced counts as "not given".

use crate::db::hosts::Host;

/// Where the update endpoint is, split the way the clients want it.
struct Endpoint<'a> {
    https: bool,
    /// `host[:port]`
    server: &'a str,
    /// `/nic/update`
    path: &'a str,
    url: &'a str,
}

impl<'a> Endpoint<'a> {
    fn parse(url: &'a str) -> Self {
        let (https, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme.eq_ignore_ascii_case("https"), rest),
            None => (false, url),
        };
        let (server, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/nic/update"),
        };
        Self {
            https,
            server,
            path,
            url,
        }
    }

    fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }
}

/// One client's settings: an id for the page, its name, the text to copy.
pub struct ClientSetup {
    pub id: &'static str,
    pub name: &'static str,
    pub text: String,
}

/// The settings of every client the guide covers, for `host`.
pub fn clients(host: &str, update_url: &str) -> Vec<ClientSetup> {
    let e = Endpoint::parse(update_url);
    let (url, server, path, scheme) = (e.url, e.server, e.path, e.scheme());
    let yes_no = if e.https { "yes" } else { "no" };
    let true_false = if e.https { "true" } else { "false" };
    let one_zero = if e.https { "1" } else { "0" };
    vec![
        ClientSetup {
            id: "curl",
            name: "curl",
            text: format!("curl -u '{host}:<token>' '{url}?hostname={host}'"),
        },
        ClientSetup {
            id: "fritzbox",
            name: "FRITZ!Box",
            text: format!(
                "Update URL:  {url}?hostname=<domain>&myip=<ipaddr>,<ip6addr>\n\
                 Domain name: {host}\n\
                 Username:    {host}\n\
                 Password:    <token>"
            ),
        },
        ClientSetup {
            id: "opnsense",
            name: "OPNsense / pfSense",
            text: format!(
                "Service:      Custom\n\
                 Update URL:   {url}?hostname=%h&myip=%IP%\n\
                 Hostname:     {host}\n\
                 Username:     {host}\n\
                 Password:     <token>\n\
                 Result match: good|nochg"
            ),
        },
        ClientSetup {
            id: "openwrt",
            name: "OpenWrt (ddns-scripts)",
            text: format!(
                "config service 'spdyn'\n\
                 \toption enabled '1'\n\
                 \toption lookup_host '{host}'\n\
                 \toption domain '{host}'\n\
                 \toption username '{host}'\n\
                 \toption password '<token>'\n\
                 \toption use_https '{one_zero}'\n\
                 \toption update_url '{scheme}://[USERNAME]:[PASSWORD]@{server}{path}?hostname=[DOMAIN]&myip=[IP]'"
            ),
        },
        ClientSetup {
            id: "ddclient",
            name: "ddclient",
            text: format!(
                "protocol=dyndns2\n\
                 ssl={yes_no}\n\
                 server={server}\n\
                 script={path}\n\
                 use=web, web={scheme}://{server}/checkip\n\
                 login={host}\n\
                 password='<token>'\n\
                 {host}"
            ),
        },
        ClientSetup {
            id: "inadyn",
            name: "inadyn",
            text: format!(
                "custom spdyn {{\n    \
                 ssl            = {true_false}\n    \
                 username       = {host}\n    \
                 password       = <token>\n    \
                 ddns-server    = {server}\n    \
                 ddns-path      = \"{path}?hostname=%h&myip=%i\"\n    \
                 checkip-server = {server}\n    \
                 checkip-path   = /checkip\n    \
                 hostname       = {host}\n\
                 }}"
            ),
        },
    ]
}

/// The records DNS answers for the host now, zone-file style; empty when it
/// answers none (disabled, or no address yet).
pub fn records(host: &Host) -> Vec<String> {
    if !host.enabled {
        return Vec::new();
    }
    let owners: Vec<String> = std::iter::once(format!("{}.", host.name))
        .chain(host.wildcard.then(|| format!("*.{}.", host.name)))
        .collect();
    let addresses: Vec<(&str, String)> = host
        .ipv4
        .map(|ip| ("A", ip.to_string()))
        .into_iter()
        .chain(host.ipv6.map(|ip| ("AAAA", ip.to_string())))
        .collect();
    owners
        .iter()
        .flat_map(|owner| {
            addresses
                .iter()
                .map(move |(kind, ip)| format!("{owner} {} IN {kind} {ip}", host.ttl))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_split_for_the_clients() {
        let e = Endpoint::parse("https://update.example.net:8443/nic/update");
        assert!(e.https);
        assert_eq!(
            (e.server, e.path),
            ("update.example.net:8443", "/nic/update")
        );
        let e = Endpoint::parse("http://127.0.0.1:8245");
        assert!(!e.https);
        assert_eq!((e.server, e.path), ("127.0.0.1:8245", "/nic/update"));
    }

    #[test]
    fn every_client_is_filled_in_with_the_host_and_the_endpoint() {
        let host = "home.dyn.example.net";
        let setups = clients(host, "https://update.example.net/nic/update");
        let ids: Vec<_> = setups.iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            [
                "curl", "fritzbox", "opnsense", "openwrt", "ddclient", "inadyn"
            ]
        );
        for setup in &setups {
            assert!(setup.text.contains(host), "{}", setup.text);
            assert!(setup.text.contains("<token>"), "{}", setup.text);
            assert!(setup.text.contains("update.example.net"), "{}", setup.text);
        }
        assert_eq!(
            setups[0].text,
            "curl -u 'home.dyn.example.net:<token>' \
             'https://update.example.net/nic/update?hostname=home.dyn.example.net'"
        );
        assert!(
            setups[4]
                .text
                .contains("ssl=yes\nserver=update.example.net\n")
        );
    }
}
