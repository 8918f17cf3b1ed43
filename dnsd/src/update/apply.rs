//! Applying one update request to its hosts. Runs inside a store group commit
//! (on the writer thread), so it reads and writes hosts consistently with
//! every other update, and it must stay quick: no password hashing here.

use super::{
    address::{AddressRequest, Spec, Spec6},
    params::{MAX_TXT_VALUES, TxtOp},
    policy::{FAMILY_V4, FAMILY_V6, Families, Policy, retry_secs},
    reply::Reply,
};
use crate::{
    names::Fqdn,
    store::{ClientInfo, HostRecord, Millis, Txn},
    tokens,
};

/// Who is asking, already narrowed down by the HTTP layer.
#[derive(Debug, Clone)]
pub enum Authority {
    /// Token mode. `user_host` is the host named as the Basic user (absent
    /// when only `token=` was given).
    Token {
        user_host: Option<Fqdn>,
        secret: String,
    },
    /// Account mode; the password was verified before the commit.
    Account(String),
}

#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub authority: Authority,
    pub hostnames: Vec<String>,
    pub addresses: AddressRequest,
    pub txt: Option<TxtOp>,
    pub client: ClientInfo,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub replies: Vec<Reply>,
    /// Hosts against which authentication failed (for throttling).
    pub auth_failures: Vec<Fqdn>,
}

/// Applies `request` to each named host, in order.
pub fn apply(txn: &mut Txn<'_>, request: &UpdateRequest, policy: &Policy) -> Outcome {
    let mut outcome = Outcome::default();
    for raw in &request.hostnames {
        let reply = match Fqdn::parse(raw) {
            Err(_) => Reply::NotFqdn,
            Ok(name) => match apply_one(txn, request, policy, &name) {
                Ok(reply) => reply,
                Err(Failure::Auth(reply)) => {
                    outcome.auth_failures.push(name);
                    reply
                }
                Err(Failure::Store) => Reply::ServerError,
            },
        };
        outcome.replies.push(reply);
    }
    outcome
}

enum Failure {
    Auth(Reply),
    Store,
}

fn apply_one(
    txn: &mut Txn<'_>,
    request: &UpdateRequest,
    policy: &Policy,
    name: &Fqdn,
) -> Result<Reply, Failure> {
    let now = txn.now();
    let load = |txn: &Txn<'_>, name: &Fqdn| txn.host(name).map_err(|_| Failure::Store);
    match &request.authority {
        Authority::Token { user_host, secret } => {
            let token_host = user_host.as_ref().unwrap_or(name);
            let Some(owner) = load(txn, token_host)? else {
                return Err(Failure::Auth(Reply::NoHost));
            };
            let valid = owner
                .token
                .as_ref()
                .is_some_and(|t| tokens::matches(secret, &t.hash));
            if !valid {
                return Err(Failure::Auth(Reply::BadAuth));
            }
            if token_host != name {
                // A token is valid for exactly its one host.
                return Ok(match load(txn, name)? {
                    Some(_) => Reply::NotYours,
                    None => Reply::NoHost,
                });
            }
        }
        Authority::Account(account) => {
            let account_ok = txn
                .account(account)
                .map_err(|_| Failure::Store)?
                .is_some_and(|a| a.takes_password_updates());
            if !account_ok {
                return Err(Failure::Auth(Reply::BadAuth));
            }
            if let Some(ms) = policy.host_password_blocked(name, now) {
                return Ok(Reply::Abuse {
                    retry_after: retry_secs(ms),
                });
            }
        }
    }
    let Some(mut host) = load(txn, name)? else {
        return Ok(Reply::NoHost);
    };
    if let Authority::Account(account) = &request.authority
        && host.account.as_deref() != Some(account.as_str())
    {
        return Ok(Reply::NotYours);
    }
    if !host.enabled {
        return Ok(Reply::Fatal);
    }
    if host.licence_expired {
        return Ok(Reply::NotDonator);
    }
    if let Some(ms) = policy.host_locked(name, now) {
        return Ok(Reply::Abuse {
            retry_after: retry_secs(ms),
        });
    }

    let (v4, v6) = request.addresses.resolve(host.ipv4, host.ipv6);
    let mut changed: Families = 0;
    if v4 != host.ipv4 {
        changed |= FAMILY_V4;
    }
    if v6 != host.ipv6 {
        changed |= FAMILY_V6;
    }
    if let Some(wait) = too_soon(
        &host,
        changed,
        now,
        policy.config().min_change_interval_secs,
    ) {
        return Ok(Reply::Abuse {
            retry_after: retry_secs(wait),
        });
    }
    let txt = request
        .txt
        .as_ref()
        .map_or_else(|| host.txt.clone(), |op| apply_txt(&host.txt, op));
    let families = requested_families(&request.addresses);

    if changed == 0 && txt == host.txt {
        if let Some(lock) = policy.nochg(name, families, now) {
            return Ok(Reply::Abuse {
                retry_after: retry_secs(lock),
            });
        }
        record_use(&mut host, request, now);
        let addresses = host.addresses();
        txn.put_updated_host(host).map_err(|_| Failure::Store)?;
        return Ok(Reply::NoChg(addresses));
    }

    if changed & FAMILY_V4 != 0 {
        host.ipv4 = v4;
        host.ipv4_changed = now;
    }
    if changed & FAMILY_V6 != 0 {
        host.ipv6 = v6;
        host.ipv6_changed = now;
    }
    host.txt = txt;
    record_use(&mut host, request, now);
    policy.changed(name, families);
    let addresses = host.addresses();
    txn.put_updated_host(host).map_err(|_| Failure::Store)?;
    Ok(Reply::Good(addresses))
}

/// Milliseconds to wait when a family changes again within the minimum interval.
fn too_soon(host: &HostRecord, changed: Families, now: Millis, min_secs: u64) -> Option<Millis> {
    let min_ms = min_secs * 1000;
    [
        (FAMILY_V4, host.ipv4_changed),
        (FAMILY_V6, host.ipv6_changed),
    ]
    .into_iter()
    .filter(|(family, last)| changed & family != 0 && *last > 0)
    .filter_map(|(_, last)| (last + min_ms).checked_sub(now).filter(|wait| *wait > 0))
    .max()
}

fn requested_families(addresses: &AddressRequest) -> Families {
    let mut families = 0;
    if addresses.v4 != Spec::NotGiven {
        families |= FAMILY_V4;
    }
    if addresses.v6 != Spec6::NotGiven {
        families |= FAMILY_V6;
    }
    if families == 0 {
        FAMILY_V4 | FAMILY_V6
    } else {
        families
    }
}

fn apply_txt(current: &[String], op: &TxtOp) -> Vec<String> {
    match op {
        TxtOp::Set(value) => {
            let mut values: Vec<String> = current.iter().filter(|v| *v != value).cloned().collect();
            values.push(value.clone());
            let excess = values.len().saturating_sub(MAX_TXT_VALUES);
            values.drain(..excess);
            values
        }
        TxtOp::Clear(None) => Vec::new(),
        TxtOp::Clear(Some(value)) => current.iter().filter(|v| *v != value).cloned().collect(),
    }
}

/// Marks an accepted update; the token's use only counts in token mode.
fn record_use(host: &mut HostRecord, request: &UpdateRequest, now: Millis) {
    host.updated = now;
    host.last_client = Some(request.client.clone());
    if let (Authority::Token { .. }, Some(token)) = (&request.authority, host.token.as_mut()) {
        token.record_use(now, &request.client);
    }
}
