//! Applying change-feed entries to stored records, and the last-writer-wins
//! rule for the parts of a host that several nodes may change at once.
//!
//! Settings (account, TTL, wildcard, enabled, licence, token) are owned by the
//! control plane and are taken as they come. Dynamic state (addresses, TXT,
//! last client, token use) is written by whichever node took the update; two
//! nodes updating one host are resolved by the update's timestamp, per
//! address family, ties broken by the value so every node picks the same one.
//! Clocks of the nodes are assumed to agree to well under the minimum change
//! interval (NTP); a node with a fast clock wins conflicts it should lose.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::{
    names::Fqdn,
    store::{AccountRecord, ClientInfo, HostRecord, Millis, TokenRecord},
};

/// The dynamic part of a host as the feed and the outbox carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostState {
    pub name: String,
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    #[serde(default)]
    pub ipv4_changed_ms: Millis,
    #[serde(default)]
    pub ipv6_changed_ms: Millis,
    #[serde(default)]
    pub txt: Vec<String>,
    #[serde(default)]
    pub updated_ms: Millis,
    #[serde(default)]
    pub last_client_addr: Option<IpAddr>,
    #[serde(default)]
    pub last_user_agent: Option<String>,
    #[serde(default)]
    pub token_first_used_ms: Option<Millis>,
    #[serde(default)]
    pub token_last_used_ms: Option<Millis>,
}

/// `host.upsert`: the settings control owns, plus the dynamic state it knows.
#[derive(Debug, Clone, Deserialize)]
pub struct HostUpsert {
    pub account: Option<String>,
    pub ttl: u32,
    pub wildcard: bool,
    pub enabled: bool,
    #[serde(default)]
    pub licence_expired: bool,
    /// SHA-256 of the update token, hex.
    pub token_hash: Option<String>,
    #[serde(flatten)]
    pub state: HostState,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccountUpsert {
    pub name: String,
    pub password_hash: String,
    pub enabled: bool,
    #[serde(default)]
    pub linked: bool,
    /// 2FA is on: account-mode updates answer `badauth`. Absent from
    /// payloads of a control before it.
    #[serde(default)]
    pub two_factor: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NameOnly {
    pub name: String,
}

/// One change-feed entry, by `kind`.
#[derive(Debug, Clone)]
pub enum FeedEntry {
    HostUpsert(Box<HostUpsert>),
    HostState(HostState),
    HostDelete(NameOnly),
    AccountUpsert(AccountUpsert),
    AccountDelete(NameOnly),
    /// A kind this dnsd does not know (from a newer control): skipped.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
#[error("feed entry of kind {kind}: {reason}")]
pub struct FeedError {
    pub kind: String,
    pub reason: String,
}

impl FeedEntry {
    pub fn parse(kind: &str, payload: &str) -> Result<Self, FeedError> {
        let bad = |e: serde_json::Error| FeedError {
            kind: kind.to_owned(),
            reason: e.to_string(),
        };
        Ok(match kind {
            "host.upsert" => {
                Self::HostUpsert(Box::new(serde_json::from_str(payload).map_err(bad)?))
            }
            "host.state" => Self::HostState(serde_json::from_str(payload).map_err(bad)?),
            "host.delete" => Self::HostDelete(serde_json::from_str(payload).map_err(bad)?),
            "account.upsert" => Self::AccountUpsert(serde_json::from_str(payload).map_err(bad)?),
            "account.delete" => Self::AccountDelete(serde_json::from_str(payload).map_err(bad)?),
            _ => Self::Unknown,
        })
    }
}

/// The state of a host to send to Postgres.
pub fn state_of(host: &HostRecord) -> HostState {
    HostState {
        name: host.name.to_string(),
        ipv4: host.ipv4,
        ipv6: host.ipv6,
        ipv4_changed_ms: host.ipv4_changed,
        ipv6_changed_ms: host.ipv6_changed,
        txt: host.txt.clone(),
        updated_ms: host.updated,
        last_client_addr: host.last_client.as_ref().map(|c| c.addr),
        last_user_agent: host.last_client.as_ref().map(|c| c.user_agent.clone()),
        token_first_used_ms: host.token.as_ref().and_then(|t| t.first_used),
        token_last_used_ms: host.token.as_ref().and_then(|t| t.last_used),
    }
}

/// Merges dynamic state into a host: each part only when it is newer.
pub fn merge_state(host: &mut HostRecord, state: &HostState) {
    if (state.ipv4_changed_ms, state.ipv4) > (host.ipv4_changed, host.ipv4) {
        host.ipv4 = state.ipv4;
        host.ipv4_changed = state.ipv4_changed_ms;
    }
    if (state.ipv6_changed_ms, state.ipv6) > (host.ipv6_changed, host.ipv6) {
        host.ipv6 = state.ipv6;
        host.ipv6_changed = state.ipv6_changed_ms;
    }
    if state.updated_ms > host.updated {
        host.updated = state.updated_ms;
        host.txt = state.txt.clone();
        if let Some(addr) = state.last_client_addr {
            host.last_client = Some(ClientInfo {
                addr,
                user_agent: state.last_user_agent.clone().unwrap_or_default(),
            });
        }
    }
    if let Some(token) = host.token.as_mut() {
        token.first_used = min_some(token.first_used, state.token_first_used_ms);
        token.last_used = token.last_used.max(state.token_last_used_ms);
    }
}

fn min_some(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Applies `host.upsert` to what is stored (if anything).
pub fn upsert_host(
    local: Option<HostRecord>,
    name: &Fqdn,
    upsert: &HostUpsert,
    now: Millis,
) -> Result<HostRecord, FeedError> {
    let token_hash = upsert
        .token_hash
        .as_deref()
        .map(parse_hash)
        .transpose()
        .map_err(|reason| FeedError {
            kind: "host.upsert".into(),
            reason,
        })?;
    let mut host = local.unwrap_or_else(|| HostRecord::new(name, None, upsert.ttl, now));
    host.account = upsert.account.clone();
    host.ttl = upsert.ttl;
    host.wildcard = upsert.wildcard;
    host.enabled = upsert.enabled;
    host.licence_expired = upsert.licence_expired;
    host.token = match (host.token.take(), token_hash) {
        // Same token: keep what we know about its use.
        (Some(token), Some(hash)) if token.hash == hash => Some(token),
        (_, Some(hash)) => Some(TokenRecord::new(hash, now)),
        (_, None) => None,
    };
    merge_state(&mut host, &upsert.state);
    Ok(host)
}

pub fn account_record(upsert: &AccountUpsert, now: Millis) -> AccountRecord {
    AccountRecord {
        name: upsert.name.clone(),
        password_hash: upsert.password_hash.clone(),
        linked: upsert.linked,
        enabled: upsert.enabled,
        created: now,
        two_factor: upsert.two_factor,
    }
}

fn parse_hash(hex: &str) -> Result<[u8; 32], String> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return Err("token_hash is not 64 hex digits".into());
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let text = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
        out[i] = u8::from_str_radix(text, 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostRecord {
        let mut host = HostRecord::new(&Fqdn::parse("h.dyn.test").unwrap(), None, 60, 0);
        host.ipv4 = Some("192.0.2.1".parse().unwrap());
        host.ipv4_changed = 1_000;
        host
    }

    fn state(ip: &str, at: Millis) -> HostState {
        HostState {
            name: "h.dyn.test".into(),
            ipv4: Some(ip.parse().unwrap()),
            ipv4_changed_ms: at,
            updated_ms: at,
            ..HostState::default()
        }
    }

    #[test]
    fn newer_addresses_win_older_ones_are_ignored() {
        let mut h = host();
        merge_state(&mut h, &state("192.0.2.2", 2_000));
        assert_eq!(h.ipv4, Some("192.0.2.2".parse().unwrap()));
        merge_state(&mut h, &state("192.0.2.3", 1_500));
        assert_eq!(
            h.ipv4,
            Some("192.0.2.2".parse().unwrap()),
            "older state loses"
        );
    }

    #[test]
    fn ties_are_broken_the_same_way_on_every_node() {
        let (a, b) = (state("192.0.2.7", 5_000), state("192.0.2.9", 5_000));
        let mut one = host();
        merge_state(&mut one, &a);
        merge_state(&mut one, &b);
        let mut two = host();
        merge_state(&mut two, &b);
        merge_state(&mut two, &a);
        assert_eq!(one.ipv4, two.ipv4);
    }

    #[test]
    fn families_merge_independently() {
        let mut h = host();
        let v6 = HostState {
            name: "h.dyn.test".into(),
            ipv6: Some("2001:db8::1".parse().unwrap()),
            ipv6_changed_ms: 3_000,
            ..HostState::default()
        };
        merge_state(&mut h, &v6);
        assert_eq!(h.ipv4, Some("192.0.2.1".parse().unwrap()), "IPv4 untouched");
        assert_eq!(h.ipv6, Some("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn upsert_keeps_token_use_for_the_same_token_and_resets_for_a_new_one() {
        let name = Fqdn::parse("h.dyn.test").unwrap();
        let hash = "ab".repeat(32);
        let upsert = HostUpsert {
            account: Some("alice".into()),
            ttl: 120,
            wildcard: true,
            enabled: true,
            licence_expired: false,
            token_hash: Some(hash.clone()),
            state: HostState {
                name: name.to_string(),
                ..HostState::default()
            },
        };
        let mut first = upsert_host(None, &name, &upsert, 10).unwrap();
        first.token.as_mut().unwrap().last_used = Some(50);
        let again = upsert_host(Some(first), &name, &upsert, 20).unwrap();
        assert_eq!(again.token.as_ref().unwrap().last_used, Some(50));
        assert_eq!(again.ttl, 120);
        let exchanged = HostUpsert {
            token_hash: Some("cd".repeat(32)),
            ..upsert.clone()
        };
        let after = upsert_host(Some(again), &name, &exchanged, 30).unwrap();
        assert_eq!(after.token.as_ref().unwrap().last_used, None);
        assert_eq!(after.token.as_ref().unwrap().hash, [0xcd; 32]);
        let bad = HostUpsert {
            token_hash: Some("zz".into()),
            ..upsert
        };
        assert!(upsert_host(None, &name, &bad, 0).is_err());
    }

    #[test]
    fn feed_payloads_parse_and_unknown_kinds_are_skipped() {
        let entry = FeedEntry::parse(
            "host.upsert",
            r#"{"name":"h.dyn.test","account":"alice","ttl":60,"wildcard":false,"enabled":true,
                "licence_expired":false,"ipv4":"192.0.2.1","ipv6":null,"ipv4_changed_ms":5,
                "ipv6_changed_ms":0,"txt":[],"token_hash":null}"#,
        )
        .unwrap();
        assert!(matches!(entry, FeedEntry::HostUpsert(h) if h.state.ipv4_changed_ms == 5));
        assert!(matches!(
            FeedEntry::parse("zone.new", "{}").unwrap(),
            FeedEntry::Unknown
        ));
        assert!(FeedEntry::parse("host.delete", "{}").is_err());
    }

    #[test]
    fn account_payloads_carry_two_factor_and_older_ones_mean_off() {
        let record = |payload: &str| match FeedEntry::parse("account.upsert", payload).unwrap() {
            FeedEntry::AccountUpsert(upsert) => account_record(&upsert, 0),
            other => panic!("{other:?}"),
        };
        let on = record(
            r#"{"name":"alice","password_hash":"h","enabled":true,"linked":false,"two_factor":true}"#,
        );
        assert!(on.two_factor);
        assert!(!on.takes_password_updates());
        let older = record(r#"{"name":"alice","password_hash":"h","enabled":true}"#);
        assert!(!older.two_factor);
        assert!(older.takes_password_updates());
    }
}
