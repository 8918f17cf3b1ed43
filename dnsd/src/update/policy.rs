//! Abuse policy state, in memory: failed-authentication throttling per source,
//! per host and per account, the repeated-`nochg` host lock, and the checkip rate limit.
//! It is lost on restart by design — a restart is rare and these are short
//! locks, not records.

use std::{collections::HashMap, hash::Hash, net::IpAddr, sync::Mutex};

use spdyn_common::client_ip::source_key;

use crate::{config::AbuseConfig, names::Fqdn, store::Millis};

/// Counts events per key in a fixed window; past `limit` events the key is
/// blocked for `block_ms`.
#[derive(Debug)]
struct Limiter<K> {
    limit: u32,
    window_ms: Millis,
    block_ms: Millis,
    entries: HashMap<K, Window>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Millis,
    count: u32,
    blocked_until: Millis,
}

impl<K: Hash + Eq> Limiter<K> {
    fn new(limit: u32, window_secs: u64, block_secs: u64) -> Self {
        Self {
            limit,
            window_ms: window_secs * 1000,
            block_ms: block_secs * 1000,
            entries: HashMap::new(),
        }
    }

    /// Milliseconds left on a block, if the key is blocked.
    fn blocked(&self, key: &K, now: Millis) -> Option<Millis> {
        let window = self.entries.get(key)?;
        (window.blocked_until > now).then(|| window.blocked_until - now)
    }

    /// Counts one event; returns the block it caused or is under.
    fn hit(&mut self, key: K, now: Millis) -> Option<Millis> {
        let window = self.entries.entry(key).or_insert(Window {
            start: now,
            count: 0,
            blocked_until: 0,
        });
        if window.blocked_until > now {
            return Some(window.blocked_until - now);
        }
        if now.saturating_sub(window.start) > self.window_ms {
            *window = Window {
                start: now,
                count: 0,
                blocked_until: 0,
            };
        }
        window.count += 1;
        if window.count > self.limit {
            window.blocked_until = now + self.block_ms;
            return Some(self.block_ms);
        }
        None
    }

    fn reset(&mut self, key: &K) {
        self.entries.remove(key);
    }

    fn prune(&mut self, now: Millis) {
        let window_ms = self.window_ms;
        self.entries
            .retain(|_, w| w.blocked_until > now || now.saturating_sub(w.start) <= window_ms);
    }
}

/// Which address families an update touched, for per-family counting.
pub type Families = u8;
pub const FAMILY_V4: Families = 1;
pub const FAMILY_V6: Families = 2;

#[derive(Debug)]
pub struct Policy {
    config: AbuseConfig,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    source_failures: Limiter<IpAddr>,
    host_failures: Limiter<Fqdn>,
    account_failures: Limiter<String>,
    nochg: Limiter<(Fqdn, Families)>,
    checkip: Limiter<IpAddr>,
}

/// Seconds to announce in `Retry-After`, rounded up.
pub fn retry_secs(ms: Millis) -> u64 {
    ms.div_ceil(1000).max(1)
}

impl Policy {
    pub fn new(config: AbuseConfig) -> Self {
        let state = State {
            source_failures: Limiter::new(
                config.auth_fail_limit,
                config.auth_fail_window_secs,
                config.auth_fail_block_secs,
            ),
            host_failures: Limiter::new(
                config.host_auth_fail_limit,
                config.auth_fail_window_secs,
                config.auth_fail_block_secs,
            ),
            account_failures: Limiter::new(
                config.account_auth_fail_limit,
                config.auth_fail_window_secs,
                config.auth_fail_block_secs,
            ),
            nochg: Limiter::new(
                config.nochg_limit,
                config.nochg_window_secs,
                config.lock_secs,
            ),
            checkip: Limiter::new(config.checkip_per_minute, 60, 60),
        };
        Self {
            config,
            state: Mutex::new(state),
        }
    }

    pub fn config(&self) -> &AbuseConfig {
        &self.config
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Milliseconds left while a source is blocked for failed authentication.
    pub fn source_blocked(&self, source: IpAddr, now: Millis) -> Option<Millis> {
        self.state()
            .source_failures
            .blocked(&source_key(source), now)
    }

    /// Counts a failed authentication against the source and the named hosts.
    pub fn auth_failed(&self, source: IpAddr, hosts: &[Fqdn], now: Millis) {
        let mut state = self.state();
        state.source_failures.hit(source_key(source), now);
        for host in hosts {
            state.host_failures.hit(host.clone(), now);
        }
    }

    /// Milliseconds left while account-mode updates naming `account` are
    /// refused. Checked before the password, so a block holds against
    /// guesses from any number of sources.
    pub fn account_blocked(&self, account: &str, now: Millis) -> Option<Millis> {
        self.state()
            .account_failures
            .blocked(&account_key(account), now)
    }

    /// Counts a failed account-mode authentication against the account name.
    pub fn account_failed(&self, account: &str, now: Millis) {
        self.state().account_failures.hit(account_key(account), now);
    }

    /// Milliseconds left while password updates of a host are blocked.
    pub fn host_password_blocked(&self, host: &Fqdn, now: Millis) -> Option<Millis> {
        self.state().host_failures.blocked(host, now)
    }

    /// Milliseconds left on a host's repeated-`nochg` lock.
    pub fn host_locked(&self, host: &Fqdn, now: Millis) -> Option<Millis> {
        let state = self.state();
        [FAMILY_V4, FAMILY_V6, FAMILY_V4 | FAMILY_V6]
            .into_iter()
            .filter_map(|families| state.nochg.blocked(&(host.clone(), families), now))
            .max()
    }

    /// Counts a `nochg`; returns the lock it caused.
    pub fn nochg(&self, host: &Fqdn, families: Families, now: Millis) -> Option<Millis> {
        self.state().nochg.hit((host.clone(), families), now)
    }

    /// A real change clears the `nochg` count.
    pub fn changed(&self, host: &Fqdn, families: Families) {
        self.state().nochg.reset(&(host.clone(), families));
    }

    /// Counts a checkip request; `Err` carries the milliseconds to wait.
    pub fn checkip(&self, source: IpAddr, now: Millis) -> Result<(), Millis> {
        match self.state().checkip.hit(source_key(source), now) {
            Some(ms) => Err(ms),
            None => Ok(()),
        }
    }

    /// Drops windows that ended; called periodically.
    pub fn prune(&self, now: Millis) {
        let mut state = self.state();
        state.source_failures.prune(now);
        state.host_failures.prune(now);
        state.account_failures.prune(now);
        state.nochg.prune(now);
        state.checkip.prune(now);
    }
}

/// Longest account name counted as typed: longer ones are no account name
/// (control allows 64 characters), and a client cannot make keys of any size.
const ACCOUNT_KEY_CHARS: usize = 64;

fn account_key(account: &str) -> String {
    account.chars().take(ACCOUNT_KEY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(AbuseConfig {
            auth_fail_limit: 2,
            auth_fail_window_secs: 60,
            auth_fail_block_secs: 30,
            host_auth_fail_limit: 3,
            account_auth_fail_limit: 2,
            nochg_limit: 2,
            nochg_window_secs: 60,
            lock_secs: 100,
            checkip_per_minute: 2,
            ..AbuseConfig::default()
        })
    }

    #[test]
    fn sources_are_blocked_after_the_limit_and_released_later() {
        let p = policy();
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        p.auth_failed(ip, &[], 0);
        p.auth_failed(ip, &[], 1);
        assert_eq!(p.source_blocked(ip, 2), None);
        p.auth_failed(ip, &[], 2);
        assert_eq!(p.source_blocked(ip, 2), Some(30_000));
        assert_eq!(p.source_blocked(ip, 32_001), None);
    }

    #[test]
    fn accounts_are_blocked_after_the_limit_whatever_the_sources() {
        let p = policy();
        for (i, source) in ["192.0.2.1", "192.0.2.2", "198.51.100.3"]
            .iter()
            .enumerate()
        {
            assert_eq!(p.account_blocked("alice", i as u64), None);
            p.auth_failed(source.parse().unwrap(), &[], i as u64);
            p.account_failed("alice", i as u64);
        }
        assert_eq!(p.account_blocked("alice", 3), Some(29_999));
        assert_eq!(p.account_blocked("bob", 3), None, "other accounts are not");
        assert_eq!(
            p.source_blocked("192.0.2.1".parse().unwrap(), 3),
            None,
            "no source failed often enough"
        );
        assert_eq!(p.account_blocked("alice", 32_001), None);
        // Names longer than any account count as one.
        let long = "x".repeat(100);
        for i in 0..3 {
            p.account_failed(&format!("{long}{i}"), 0);
        }
        assert!(p.account_blocked(&format!("{long}z"), 1).is_some());
    }

    #[test]
    fn ipv6_sources_share_their_64() {
        let p = policy();
        for (i, ip) in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"]
            .iter()
            .enumerate()
        {
            p.auth_failed(ip.parse().unwrap(), &[], i as u64);
        }
        assert!(
            p.source_blocked("2001:db8:1:2::99".parse().unwrap(), 5)
                .is_some()
        );
        assert!(
            p.source_blocked("2001:db8:1:3::1".parse().unwrap(), 5)
                .is_none()
        );
    }

    #[test]
    fn repeated_nochg_locks_the_host_and_a_change_resets() {
        let p = policy();
        let host = Fqdn::parse("h.example").unwrap();
        assert_eq!(p.nochg(&host, FAMILY_V4, 0), None);
        p.changed(&host, FAMILY_V4);
        assert_eq!(p.nochg(&host, FAMILY_V4, 1), None);
        assert_eq!(p.nochg(&host, FAMILY_V4, 2), None);
        assert_eq!(p.nochg(&host, FAMILY_V4, 3), Some(100_000));
        assert_eq!(p.host_locked(&host, 50_000), Some(50_003));
        assert_eq!(p.host_locked(&host, 100_004), None);
        // Another family's count is separate.
        assert_eq!(p.nochg(&host, FAMILY_V6, 4), None);
    }

    #[test]
    fn checkip_is_rate_limited_per_minute() {
        let p = policy();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(p.checkip(ip, 0).is_ok());
        assert!(p.checkip(ip, 1).is_ok());
        assert!(p.checkip(ip, 2).is_err());
        p.prune(200_000);
        assert!(p.checkip(ip, 200_000).is_ok());
    }
}
