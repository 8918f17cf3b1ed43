//! What the store persists: hosts (with their token hash and addresses) and
//! accounts. Encoded with postcard; the layout is versioned by
//! [`super::SCHEMA_VERSION`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::{names::Fqdn, tokens::TokenHash};

/// Milliseconds since the Unix epoch.
pub type Millis = u64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRecord {
    pub name: Fqdn,
    /// Owning account, if any (standalone hosts may have none).
    pub account: Option<String>,
    pub ttl: u32,
    /// `*.name` answers like `name`.
    pub wildcard: bool,
    /// Disabled hosts neither resolve nor accept updates (`fatal`).
    pub enabled: bool,
    /// The host's licence expired past its grace period: updates answer
    /// `!donator`, the records keep resolving.
    pub licence_expired: bool,
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    /// When each family last changed (0 = never); drives the change interval.
    pub ipv4_changed: Millis,
    pub ipv6_changed: Millis,
    /// Last accepted update (`good` or `nochg`), 0 = never.
    pub updated: Millis,
    pub last_client: Option<ClientInfo>,
    /// `_acme-challenge` TXT values, oldest first.
    pub txt: Vec<String>,
    pub token: Option<TokenRecord>,
    pub created: Millis,
}

/// Where an update came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub addr: IpAddr,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub hash: TokenHash,
    pub created: Millis,
    pub first_used: Option<Millis>,
    pub last_used: Option<Millis>,
    pub last_client: Option<ClientInfo>,
}

impl TokenRecord {
    pub fn new(hash: TokenHash, now: Millis) -> Self {
        Self {
            hash,
            created: now,
            first_used: None,
            last_used: None,
            last_client: None,
        }
    }

    /// Records one authenticated use.
    pub fn record_use(&mut self, now: Millis, client: &ClientInfo) {
        self.first_used.get_or_insert(now);
        self.last_used = Some(now);
        self.last_client = Some(client.clone());
    }
}

impl HostRecord {
    /// True when both give the same DNS records (what zone transfers carry).
    pub fn same_records(&self, other: &Self) -> bool {
        (
            self.enabled,
            self.ttl,
            self.wildcard,
            self.ipv4,
            self.ipv6,
            &self.txt,
        ) == (
            other.enabled,
            other.ttl,
            other.wildcard,
            other.ipv4,
            other.ipv6,
            &other.txt,
        )
    }

    pub fn new(name: &Fqdn, account: Option<String>, ttl: u32, now: Millis) -> Self {
        Self {
            name: name.clone(),
            account,
            ttl,
            wildcard: false,
            enabled: true,
            licence_expired: false,
            ipv4: None,
            ipv6: None,
            ipv4_changed: 0,
            ipv6_changed: 0,
            updated: 0,
            last_client: None,
            txt: Vec::new(),
            token: None,
            created: now,
        }
    }

    /// The addresses as the update protocol prints them: IPv4 first.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.ipv4
            .map(IpAddr::V4)
            .into_iter()
            .chain(self.ipv6.map(IpAddr::V6))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Linked to a reseller account: password (account-mode) updates stop.
    pub linked: bool,
    pub enabled: bool,
    pub created: Millis,
    /// The account signs in with a second factor (control): a password
    /// alone must not update its hosts, tokens must. Added in schema 2.
    pub two_factor: bool,
}

impl AccountRecord {
    /// Whether account-mode updates (name + password) may use this account.
    pub fn takes_password_updates(&self) -> bool {
        self.enabled && !self.linked && !self.two_factor
    }
}

/// An account as schema 1 stored it (postcard has no optional trailing
/// fields): read once by the migration to schema 2.
#[derive(Debug, Deserialize)]
pub(super) struct AccountRecordV1 {
    pub name: String,
    pub password_hash: String,
    pub linked: bool,
    pub enabled: bool,
    pub created: Millis,
}

impl From<AccountRecordV1> for AccountRecord {
    fn from(v1: AccountRecordV1) -> Self {
        Self {
            name: v1.name,
            password_hash: v1.password_hash,
            linked: v1.linked,
            enabled: v1.enabled,
            created: v1.created,
            two_factor: false,
        }
    }
}
