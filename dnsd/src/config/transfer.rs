//! Zone transfers in the configuration: TSIG keys, the secondaries of a zone
//! (NOTIFY targets, allowed to transfer), further transfer clients, and the
//! limits of `[xfr]`.
//!
//! ```toml
//! [[key]]
//! name = "xfr-key"
//! algorithm = "hmac-sha256"      # or hmac-sha384, hmac-sha512
//! secret_file = "/etc/spdyn/xfr-key"   # base64, as tsig-keygen/keymgr print it
//!
//! [[zone]]
//! name = "dyn.example.net"
//!   [[zone.secondary]]
//!   address = "192.0.2.53"        # port 53 unless given: "192.0.2.53:5353"
//!   key = "xfr-key"
//!   [[zone.allow_transfer]]
//!   address = "198.51.100.0/24"   # address and/or key; all given must match
//! ```

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
};

use base64::Engine;
use ipnet::IpNet;
use serde::Deserialize;

use super::{Config, ConfigError};
use crate::dns::tsig::{Algorithm, Key, Keys};

/// Shortest secret accepted: RFC 8945 §6 asks for at least the MAC's length;
/// 16 bytes is the floor every tool's generator is well above.
const MIN_SECRET_BYTES: usize = 16;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TsigKeyConfig {
    pub name: String,
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    /// Base64; prefer `secret_file`.
    pub secret: Option<String>,
    pub secret_file: Option<PathBuf>,
}

fn default_algorithm() -> String {
    "hmac-sha256".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XfrConfig {
    /// Changes kept per zone for IXFR (older ones get a full transfer).
    #[serde(default = "default_history_changes")]
    pub history_changes: usize,
    /// Bytes of changes kept per zone.
    #[serde(default = "default_history_bytes")]
    pub history_bytes: u64,
    /// At most one round of NOTIFYs per zone in this time: bursts of
    /// updates are coalesced into one.
    #[serde(default = "default_notify_interval_ms")]
    pub notify_interval_ms: u64,
    /// Wait for a secondary's answer to the first NOTIFY; each of the five
    /// retries waits twice as long as the one before.
    #[serde(default = "default_notify_retry_ms")]
    pub notify_retry_ms: u64,
    /// Full transfers served at once; more wait for a free one.
    #[serde(default = "default_max_transfers")]
    pub max_transfers: usize,
}

impl Default for XfrConfig {
    fn default() -> Self {
        Self {
            history_changes: default_history_changes(),
            history_bytes: default_history_bytes(),
            notify_interval_ms: default_notify_interval_ms(),
            notify_retry_ms: default_notify_retry_ms(),
            max_transfers: default_max_transfers(),
        }
    }
}

fn default_history_changes() -> usize {
    1000
}
fn default_history_bytes() -> u64 {
    1 << 20
}
fn default_notify_interval_ms() -> u64 {
    1000
}
fn default_notify_retry_ms() -> u64 {
    1000
}
fn default_max_transfers() -> usize {
    4
}

/// A secondary of a zone: it gets NOTIFY and may transfer the zone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryConfig {
    pub address: String,
    /// Name of a `[[key]]`: NOTIFYs are signed with it, and transfers from
    /// this address must be.
    pub key: Option<String>,
}

/// A further client that may transfer the zone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowTransferConfig {
    /// An address or a network (`198.51.100.0/24`).
    pub address: Option<String>,
    pub key: Option<String>,
}

/// A secondary, compiled.
#[derive(Debug, Clone)]
pub struct Secondary {
    pub address: SocketAddr,
    pub key: Option<std::sync::Arc<Key>>,
}

/// Who may transfer a zone: an entry admits a client when every part it
/// sets matches (the source inside `network`, the request signed with `key`).
#[derive(Debug, Clone)]
pub struct AclEntry {
    pub network: Option<IpNet>,
    pub key: Option<std::sync::Arc<Key>>,
}

/// The transfer settings of one zone.
#[derive(Debug, Clone, Default)]
pub struct ZoneTransfer {
    /// Lowercase apex, as in `Zone::name`.
    pub zone: String,
    pub secondaries: Vec<Secondary>,
    pub acl: Vec<AclEntry>,
}

impl ZoneTransfer {
    /// True when a request from `source`, signed with `key` (if any), may
    /// transfer the zone.
    pub fn admits(&self, source: IpAddr, key: Option<&Key>) -> bool {
        self.acl.iter().any(|entry| {
            entry.network.is_none_or(|net| net.contains(&source))
                && entry
                    .key
                    .as_ref()
                    .is_none_or(|wanted| key.is_some_and(|key| key.name == wanted.name))
        })
    }

    pub fn is_served(&self) -> bool {
        !self.acl.is_empty()
    }
}

/// The keys and every zone's transfer settings, checked.
#[derive(Debug, Default)]
pub struct Transfers {
    pub keys: Keys,
    pub zones: Vec<ZoneTransfer>,
}

impl Config {
    /// Compiles `[[key]]` and each zone's secondaries and ACL: reads the
    /// secrets and reports the first mistake with where it is.
    pub fn transfers(&self) -> Result<Transfers, ConfigError> {
        let invalid = |what: String| Err(ConfigError::Invalid(what));
        let mut keys = Vec::new();
        for (n, key) in self.keys.iter().enumerate() {
            let at = format!("key[{n}] `{}`", key.name);
            if crate::names::check_domain(&key.name).is_err() {
                return invalid(format!("{at}: the name is not a domain name"));
            }
            let Some(algorithm) = Algorithm::parse(&key.algorithm) else {
                return invalid(format!(
                    "{at}: algorithm `{}` is not one of hmac-sha256, hmac-sha384, hmac-sha512",
                    key.algorithm
                ));
            };
            let text = spdyn_common::config::secret(
                key.secret.as_deref(),
                key.secret_file.as_deref(),
                &format!("{at}: secret"),
            )?;
            let Ok(secret) = base64::engine::general_purpose::STANDARD.decode(text.trim()) else {
                return invalid(format!("{at}: the secret is not base64"));
            };
            if secret.len() < MIN_SECRET_BYTES {
                return invalid(format!(
                    "{at}: the secret has {} bytes; at least {MIN_SECRET_BYTES} are needed",
                    secret.len()
                ));
            }
            let compiled = Key::new(&key.name, algorithm, &secret);
            if keys.iter().any(|k: &Key| k.name == compiled.name) {
                return invalid(format!("{at}: a second key of that name"));
            }
            keys.push(compiled);
        }
        let keys = Keys::new(keys);
        let find_key =
            |at: &str, name: &Option<String>| match name {
                None => Ok(None),
                Some(name) => keys.get(name).cloned().map(Some).ok_or_else(|| {
                    ConfigError::Invalid(format!("{at}: no [[key]] named `{name}`"))
                }),
            };
        let mut zones = Vec::new();
        for zone in &self.zones {
            let name = zone.name.trim_end_matches('.').to_ascii_lowercase();
            let mut transfer = ZoneTransfer {
                zone: name.clone(),
                ..ZoneTransfer::default()
            };
            for (n, secondary) in zone.secondaries.iter().enumerate() {
                let at = format!("zone `{name}` secondary[{n}]");
                let Some(address) = socket_address(&secondary.address) else {
                    return invalid(format!(
                        "{at}: `{}` is not an address (e.g. 192.0.2.53 or [2001:db8::53]:5353)",
                        secondary.address
                    ));
                };
                let key = find_key(&at, &secondary.key)?;
                transfer.acl.push(AclEntry {
                    network: Some(IpNet::from(address.ip())),
                    key: key.clone(),
                });
                transfer.secondaries.push(Secondary { address, key });
            }
            for (n, allow) in zone.allow_transfer.iter().enumerate() {
                let at = format!("zone `{name}` allow_transfer[{n}]");
                let network = match &allow.address {
                    None => None,
                    Some(text) => match network(text) {
                        Some(net) => Some(net),
                        None => {
                            return invalid(format!("{at}: `{text}` is not an address or network"));
                        }
                    },
                };
                if network.is_none() && allow.key.is_none() {
                    return invalid(format!("{at}: needs an address, a key or both"));
                }
                let key = find_key(&at, &allow.key)?;
                transfer.acl.push(AclEntry { network, key });
            }
            zones.push(transfer);
        }
        let x = &self.xfr;
        if x.history_changes == 0
            || x.history_bytes == 0
            || x.max_transfers == 0
            || x.notify_interval_ms == 0
            || x.notify_retry_ms == 0
        {
            return invalid(
                "xfr.history_changes, history_bytes, max_transfers, notify_interval_ms and \
                 notify_retry_ms must be at least 1"
                    .into(),
            );
        }
        Ok(Transfers { keys, zones })
    }
}

/// `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1` or `[2001:db8::1]:5353`.
fn socket_address(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    text.parse::<SocketAddr>().ok().or_else(|| {
        text.parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

fn network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::super::tests::MINIMAL;
    use super::*;

    const SECRET: &str = "c2VjcmV0LW9mLWF0LWxlYXN0LTE2LWJ5dGVz";

    fn load(extra_top: &str, zone_extra: &str) -> Result<Transfers, ConfigError> {
        let text = format!("{extra_top}\n{MINIMAL}\n{zone_extra}");
        let config: Config =
            toml::from_str(&text).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.transfers()
    }

    fn key(name: &str, algorithm: &str, secret: &str) -> String {
        format!("[[key]]\nname = \"{name}\"\nalgorithm = \"{algorithm}\"\nsecret = \"{secret}\"\n")
    }

    fn message(result: Result<Transfers, ConfigError>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn secondaries_and_allow_lists_compile_into_one_acl() {
        let t = load(
            &key("xfr-key", "hmac-sha512", SECRET),
            "[[zone.secondary]]\naddress = \"192.0.2.53\"\nkey = \"xfr-key\"\n\
             [[zone.allow_transfer]]\naddress = \"198.51.100.0/24\"\n",
        )
        .unwrap();
        let zone = &t.zones[0];
        assert_eq!(
            zone.secondaries[0].address,
            "192.0.2.53:53".parse().unwrap()
        );
        let key = t.keys.get("XFR-KEY").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(zone.admits(ip("192.0.2.53"), Some(key)));
        assert!(
            !zone.admits(ip("192.0.2.53"), None),
            "the secondary's key is required"
        );
        assert!(zone.admits(ip("198.51.100.7"), None));
        assert!(!zone.admits(ip("203.0.113.1"), Some(key)));
    }

    #[test]
    fn transfer_mistakes_are_reported_with_where_they_are() {
        let sec = "[[zone.secondary]]\naddress = \"192.0.2.53\"\nkey = \"nope\"\n";
        assert!(message(load("", sec)).contains("no [[key]] named `nope`"));
        assert!(message(load(&key("k", "hmac-md5", SECRET), "")).contains("algorithm `hmac-md5`"));
        assert!(message(load(&key("k", "hmac-sha256", "!!"), "")).contains("not base64"));
        assert!(message(load(&key("k", "hmac-sha256", "c2hvcnQ="), "")).contains("at least 16"));
        let twice = format!(
            "{}{}",
            key("k", "hmac-sha256", SECRET),
            key("K.", "hmac-sha256", SECRET)
        );
        assert!(message(load(&twice, "")).contains("a second key"));
        let bad = "[[zone.secondary]]\naddress = \"ns.example\"\n";
        assert!(message(load("", bad)).contains("secondary[0]: `ns.example` is not an address"));
        let empty = "[[zone.allow_transfer]]\n";
        assert!(message(load("", empty)).contains("needs an address, a key or both"));
        assert!(message(load("[xfr]\nmax_transfers = 0\n", "")).contains("at least 1"));
    }
}
