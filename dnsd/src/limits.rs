//! Caps on connections open at once — per source and in total — for DNS over
//! TCP and the HTTP listeners. A source is what the abuse limits count as one
//! (an IPv4 address or an IPv6 /64). When the total is reached, the
//! connection idle the longest is closed to make room: holding idle
//! connections is what a resource-exhaustion attack does, and evicting the
//! oldest idle one keeps the server open to new clients instead of turning
//! the cap into the denial of service it is meant to prevent.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Instant,
};

use ipnet::IpNet;
use spdyn_common::client_ip::{canonical, source_key};
use tokio::sync::Notify;

/// Why a new connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its source has as many connections open as it may.
    Source,
    /// Every slot is taken and none is idle.
    Full,
}

/// The connections of one listener (or of several sharing a budget).
#[derive(Debug)]
pub struct ConnectionLimits {
    total: usize,
    per_source: usize,
    /// Peers exempt from the per-source cap (trusted proxies: every client
    /// behind one shares its address).
    exempt: Vec<IpNet>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    open: HashMap<u64, Open>,
    per_source: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
struct Open {
    /// `None` for exempt peers.
    source: Option<IpAddr>,
    /// Since when it waits for a request; `None` while one is served.
    idle_since: Option<Instant>,
    evict: Arc<Notify>,
}

impl ConnectionLimits {
    pub fn new(total: usize, per_source: usize, exempt: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self {
            total,
            per_source,
            exempt,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a slot for a connection from `peer`, closing the longest idle
    /// connection when all are taken. The slot is given back when the
    /// returned [`Connection`] is dropped; it starts idle.
    pub fn open(self: &Arc<Self>, peer: IpAddr) -> Result<Connection, Refused> {
        let peer = canonical(peer);
        let source = (!self.exempt.iter().any(|net| net.contains(&peer))).then(|| source_key(peer));
        let mut state = self.state();
        if let Some(source) = source
            && state.per_source.get(&source).copied().unwrap_or(0) >= self.per_source
        {
            return Err(Refused::Source);
        }
        if state.open.len() >= self.total {
            let victim = state
                .open
                .iter()
                .filter_map(|(id, open)| open.idle_since.map(|since| (since, *id)))
                .min()
                .map(|(_, id)| id)
                .ok_or(Refused::Full)?;
            if let Some(open) = state.remove(victim) {
                open.evict.notify_one();
            }
        }
        let id = state.next_id;
        state.next_id += 1;
        let evict = Arc::new(Notify::new());
        state.open.insert(
            id,
            Open {
                source,
                idle_since: Some(Instant::now()),
                evict: evict.clone(),
            },
        );
        if let Some(source) = source {
            *state.per_source.entry(source).or_default() += 1;
        }
        Ok(Connection {
            limits: self.clone(),
            id,
            evict,
        })
    }
}

impl State {
    fn remove(&mut self, id: u64) -> Option<Open> {
        let open = self.open.remove(&id)?;
        if let Some(source) = open.source
            && let Some(count) = self.per_source.get_mut(&source)
        {
            *count -= 1;
            if *count == 0 {
                self.per_source.remove(&source);
            }
        }
        Some(open)
    }
}

/// A connection's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Connection {
    limits: Arc<ConnectionLimits>,
    id: u64,
    evict: Arc<Notify>,
}

impl Connection {
    /// A request is being served: the connection is not evicted meanwhile.
    pub fn busy(&self) {
        self.set_idle_since(None);
    }

    /// The connection waits for its next request.
    pub fn idle(&self) {
        self.set_idle_since(Some(Instant::now()));
    }

    fn set_idle_since(&self, since: Option<Instant>) {
        if let Some(open) = self.limits.state().open.get_mut(&self.id) {
            open.idle_since = since;
        }
    }

    /// Resolves when the connection was closed to make room for another.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Already gone if it was evicted.
        self.limits.state().remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_source_gets_its_share_and_its_slots_back() {
        let limits = ConnectionLimits::new(100, 2, Vec::new());
        let first = limits.open(ip("192.0.2.1")).unwrap();
        let _second = limits.open(ip("192.0.2.1")).unwrap();
        assert_eq!(limits.open(ip("192.0.2.1")).unwrap_err(), Refused::Source);
        // IPv4-mapped is the same source.
        assert_eq!(
            limits.open(ip("::ffff:192.0.2.1")).unwrap_err(),
            Refused::Source
        );
        assert!(limits.open(ip("192.0.2.2")).is_ok(), "another source");
        drop(first);
        assert!(limits.open(ip("192.0.2.1")).is_ok(), "a slot came back");
    }

    #[test]
    fn ipv6_sources_share_their_64_and_exempt_peers_have_no_share() {
        let limits = ConnectionLimits::new(100, 1, vec!["198.51.100.0/24".parse().unwrap()]);
        let _one = limits.open(ip("2001:db8:1:2::1")).unwrap();
        assert_eq!(
            limits.open(ip("2001:db8:1:2::ffff")).unwrap_err(),
            Refused::Source
        );
        assert!(limits.open(ip("2001:db8:1:3::1")).is_ok());
        let proxied: Vec<_> = (0..10)
            .map(|_| limits.open(ip("198.51.100.7")).unwrap())
            .collect();
        assert_eq!(proxied.len(), 10);
    }

    #[tokio::test]
    async fn when_full_the_longest_idle_connection_makes_room() {
        let limits = ConnectionLimits::new(3, 10, Vec::new());
        let open = || limits.state().open.len();
        let oldest_idle = limits.open(ip("192.0.2.1")).unwrap();
        let busy = limits.open(ip("192.0.2.2")).unwrap();
        busy.busy();
        std::thread::sleep(Duration::from_millis(2));
        let younger_idle = limits.open(ip("192.0.2.3")).unwrap();
        let newcomer = limits.open(ip("192.0.2.4")).expect("room is made");
        tokio::time::timeout(Duration::from_secs(5), oldest_idle.evicted())
            .await
            .expect("the longest idle one is told to close");
        assert_eq!(open(), 3);
        drop(oldest_idle);
        assert_eq!(open(), 3, "an evicted slot is not freed twice");
        younger_idle.busy();
        newcomer.busy();
        assert_eq!(
            limits.open(ip("192.0.2.5")).unwrap_err(),
            Refused::Full,
            "nobody idle, nobody evicted"
        );
        newcomer.idle();
        assert!(limits.open(ip("192.0.2.5")).is_ok());
    }
}
