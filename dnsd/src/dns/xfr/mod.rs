//! Zone transfers out: AXFR (RFC 5936) over TCP as many messages of at most
//! 64 KiB, IXFR (RFC 1995) over TCP and UDP from the store's history, each
//! message TSIG-signed when the request was (RFC 8945), and who may transfer
//! a zone decided by its ACL (`config::transfer`).
//!
//! Answers, in the order the checks run: a broken TSIG → NOTAUTH with the
//! TSIG error; a zone we do not serve → NOTAUTH; a client the zone's ACL
//! does not admit (a zone without entries admits none), AXFR over UDP, a fed
//! node not bootstrapped yet → REFUSED; too many transfers at once →
//! SERVFAIL.

mod answer;
mod derive;
mod idle;
pub mod notify;
mod pack;
mod request;

use self::request::Request;
pub use self::{
    answer::{Answer, Frames, send_idle},
    request::classify,
};

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use tokio::sync::Semaphore;

use self::pack::{Body, Packer, answer_head};
use super::{
    tsig::{self, Signed, Verdict},
    wire::{self, RCODE_FORMERR, RCODE_REFUSED},
};
use crate::{
    config::{Transfers, ZoneTransfer},
    metrics::{Metrics, Transfer},
    store::{Since, Store, Visit, history::Change},
    sync::SyncStatus,
    zone::Zone,
};

const RCODE_SERVFAIL: u16 = 2;
/// How long a full transfer waits for one of `max_transfers` to end.
const PERMIT_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Axfr,
    Ixfr,
}

/// What serves transfers: the settings, the store, a cap on full copies
/// and the latest copy of each zone.
pub struct Service {
    transfers: Transfers,
    store: Store,
    permits: Semaphore,
    /// On a fed node: transfers wait until the first snapshot is applied.
    sync: Option<Arc<SyncStatus>>,
    copies: Arc<Mutex<HashMap<Box<[u8]>, Copy>>>,
    metrics: Arc<Metrics>,
}

/// A zone packed at one serial: every full transfer at that serial sends
/// it (secondaries tend to come together after a NOTIFY), until it has not
/// been used for [`COPY_HOLD`].
struct Copy {
    serial: u32,
    bodies: Arc<Vec<Body>>,
    used: Instant,
}

const COPY_HOLD: Duration = Duration::from_secs(10);
/// Room kept in every message of a shared copy for the question (an apex of
/// at most 255 bytes) and a TSIG record (at most 364 bytes: a 255-byte key
/// name, hmac-sha512).
const COPY_ROOM: usize = 255 + 4 + 512;
/// Bodies of a shared copy are at most this long.
const FULL_BODY: usize = u16::MAX as usize - COPY_ROOM;

impl Service {
    pub fn new(
        transfers: Transfers,
        store: Store,
        max_transfers: usize,
        sync: Option<Arc<SyncStatus>>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            transfers,
            store,
            permits: Semaphore::new(max_transfers),
            sync,
            copies: Arc::default(),
            metrics,
        }
    }

    pub fn keys(&self) -> &tsig::Keys {
        &self.transfers.keys
    }

    /// The answer to an AXFR or IXFR request. Over UDP (`udp_limit` set)
    /// exactly one message: the IXFR if it fits, else the SOA.
    pub async fn answer(&self, query: &[u8], peer: SocketAddr, udp_limit: Option<usize>) -> Answer {
        let (answer, outcome) = self.respond(query, peer, udp_limit).await;
        self.metrics.transfer(outcome);
        answer
    }

    async fn respond(
        &self,
        query: &[u8],
        peer: SocketAddr,
        udp_limit: Option<usize>,
    ) -> (Answer, Transfer) {
        let now = unix_now();
        let signed = match self.transfers.keys.verify(query, now) {
            Verdict::Unsigned => None,
            Verdict::Signed(signed) => Some(signed),
            Verdict::Malformed => return error(query, RCODE_FORMERR, None, now),
            Verdict::Rejected(rejection) => {
                refusal(udp_limit.is_some(), peer, &format!("TSIG {rejection}"));
                let answer = Answer::Ready(rejection.answer(query, now).into_iter().collect());
                return (answer, Transfer::Refused);
            }
        };
        let Some(request) = Request::parse(query) else {
            return error(query, RCODE_FORMERR, signed.as_ref(), now);
        };
        let Some((zone, policy)) = self.zone(&request.apex) else {
            return error(query, tsig::RCODE_NOTAUTH, signed.as_ref(), now);
        };
        let key = signed.as_ref().map(|s| &*s.key);
        let refused = !policy.is_some_and(|policy| policy.admits(peer.ip(), key))
            || (udp_limit.is_some() && request.kind == Kind::Axfr)
            || self.sync.as_ref().is_some_and(|s| !s.is_bootstrapped());
        if refused {
            let key = key.map_or("none", |k| k.name.as_str());
            refusal(
                udp_limit.is_some(),
                peer,
                &format!("zone {}, key {key}", zone.name),
            );
            return error(query, RCODE_REFUSED, signed.as_ref(), now);
        }
        let head = answer_head(request.id, request.flags, request.question);
        // Over UDP the whole answer, TSIG included, must fit the client's limit.
        let udp_body = udp_limit.map(|limit| {
            limit.saturating_sub(head.len() + signed.as_ref().map_or(0, |s| s.key.record_len()))
        });
        let (bodies, outcome) = match self.build(&request, zone, udp_body).await {
            Ok(built) => built,
            Err(rcode) => return error(query, rcode, signed.as_ref(), now),
        };
        tracing::info!(
            %peer,
            zone = %zone.name,
            kind = ?request.kind,
            messages = bodies.len(),
            "transfer served"
        );
        let answer = Answer::Records {
            head,
            bodies,
            signer: signed.map(|s| s.signer(now)),
        };
        (answer, outcome)
    }

    /// The bodies of the answer, and whether they are the whole zone.
    async fn build(
        &self,
        request: &Request<'_>,
        zone: &Zone,
        udp_body: Option<usize>,
    ) -> Result<(Arc<Vec<Body>>, Transfer), u16> {
        let apex = &*zone.apex;
        let soa = |packer: &mut Packer, serial: u32| packer.push(apex, &soa_record(zone, serial));
        let body_limit = udp_body.unwrap_or(FULL_BODY);
        let only_soa = |serial: u32| {
            let mut packer = Packer::new(apex.len(), body_limit);
            soa(&mut packer, serial);
            (Arc::new(packer.finish()), Transfer::Incremental)
        };
        if let Some(client) = request.client_serial {
            match self
                .store
                .changes_since(apex, client)
                .await
                .map_err(store_failed)?
            {
                Since::Current(serial) => return Ok(only_soa(serial)),
                Since::Changes { serial, changes } => {
                    let mut packer = Packer::new(apex.len(), body_limit);
                    soa(&mut packer, serial);
                    for Change {
                        from,
                        to,
                        removed,
                        added,
                    } in &changes
                    {
                        soa(&mut packer, *from);
                        for (owner, record) in removed {
                            packer.push(owner, record);
                        }
                        soa(&mut packer, *to);
                        for (owner, record) in added {
                            packer.push(owner, record);
                        }
                    }
                    soa(&mut packer, serial);
                    let bodies = packer.finish();
                    // Too big for UDP: the SOA alone sends the client to TCP.
                    if udp_body.is_some() && bodies.len() > 1 {
                        return Ok(only_soa(serial));
                    }
                    return Ok((Arc::new(bodies), Transfer::Incremental));
                }
                Since::TooOld if udp_body.is_some() => return Ok(only_soa(zone.serial())),
                Since::TooOld => {}
            }
        }
        Ok((self.full_copy(zone).await?, Transfer::Full))
    }

    /// The whole zone at one serial: the shared copy if it is of the
    /// current serial, else a new one (at most `max_transfers` at once) —
    /// derived from the last copy and the history since when it reaches
    /// back that far, else copied from the index.
    async fn full_copy(&self, zone: &Zone) -> Result<Arc<Vec<Body>>, u16> {
        let apex = &*zone.apex;
        // The copy if current, else the older one with its serial.
        type Found = Result<Arc<Vec<Body>>, (u32, Arc<Vec<Body>>)>;
        let shared = || -> Option<Found> {
            let mut copies = self.copies.lock().unwrap_or_else(|e| e.into_inner());
            let copy = copies.get_mut(apex)?;
            if copy.serial != zone.serial() {
                return Some(Err((copy.serial, copy.bodies.clone())));
            }
            copy.used = Instant::now();
            Some(Ok(copy.bodies.clone()))
        };
        if let Some(Ok(bodies)) = shared() {
            return Ok(bodies);
        }
        let _permit = tokio::time::timeout(PERMIT_WAIT, self.permits.acquire())
            .await
            .map_err(|_| RCODE_SERVFAIL)?
            .map_err(|_| RCODE_SERVFAIL)?;
        // Another transfer may have made it meanwhile.
        let older = match shared() {
            Some(Ok(bodies)) => return Ok(bodies),
            Some(Err(older)) => Some(older),
            None => None,
        };
        let started = Instant::now();
        let derived = match older {
            Some((serial, bodies)) => self.derived(zone, serial, bodies).await,
            None => None,
        };
        let (serial, bodies, how) = match derived {
            Some((serial, bodies)) => (serial, bodies, "derived"),
            None => {
                let (serial, bodies) = self.copied(zone).await?;
                (serial, Arc::new(bodies), "copied")
            }
        };
        tracing::info!(zone = %zone.name, serial, how, elapsed = ?started.elapsed(), "zone packed");
        let copy = Copy {
            serial,
            bodies: bodies.clone(),
            used: Instant::now(),
        };
        let fresh = self
            .copies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(apex.into(), copy)
            .is_none();
        if fresh {
            tokio::spawn(expire(self.copies.clone(), apex.into()));
        }
        Ok(bodies)
    }

    /// The zone packed from the index at its current serial.
    async fn copied(&self, zone: &Zone) -> Result<(u32, Vec<Body>), u16> {
        let apex = &*zone.apex;
        let copying = Copying {
            packer: Packer::new(apex.len(), FULL_BODY),
            apex: apex.to_vec(),
            soa: soa_record(zone, 0),
            serial: 0,
        };
        let mut copying = self
            .store
            .visit_zone(apex, copying, Copying::visit)
            .await
            .map_err(store_failed)?
            .ok_or(tsig::RCODE_NOTAUTH)?;
        // SOA last, as first.
        copying.packer.push(apex, &copying.soa);
        Ok((copying.serial, copying.packer.finish()))
    }

    /// The zone at its current serial made from its packing at `from` and
    /// the history since; `None` when the history does not reach back.
    async fn derived(
        &self,
        zone: &Zone,
        from: u32,
        old: Arc<Vec<Body>>,
    ) -> Option<(u32, Arc<Vec<Body>>)> {
        let (serial, changes) = match self.store.changes_since(&zone.apex, from).await {
            Ok(Since::Changes { serial, changes }) => (serial, changes),
            Ok(Since::Current(serial)) if serial == from => {
                return Some((serial, old));
            }
            Ok(_) => return None,
            Err(error) => {
                store_failed(error);
                return None;
            }
        };
        let soa = soa_record(zone, serial);
        let apex_len = zone.apex.len();
        // A pass over the whole zone: off the runtime's threads.
        tokio::task::spawn_blocking(move || {
            derive::derive(&old, apex_len, FULL_BODY, &soa, &changes).map(|b| (serial, Arc::new(b)))
        })
        .await
        .ok()
        .flatten()
    }

    /// The zone at `apex` and its transfer settings.
    fn zone(&self, apex: &[u8]) -> Option<(&Zone, Option<&ZoneTransfer>)> {
        let zones = self.store.index().zones();
        let zone = zones.iter().find(|z| *z.apex == *apex)?;
        let policy = self.transfers.zones.iter().find(|t| t.zone == zone.name);
        Some((zone, policy))
    }
}

/// Packs a zone as the store shows it.
struct Copying {
    packer: Packer,
    apex: Vec<u8>,
    /// The SOA record; its serial is set when the store tells it.
    soa: Vec<u8>,
    serial: u32,
}

impl Copying {
    fn visit(&mut self, visit: Visit<'_>) {
        match visit {
            Visit::Serial(serial) => {
                self.serial = serial;
                let at = self.soa.len() - 20;
                self.soa[at..at + 4].copy_from_slice(&serial.to_be_bytes());
                self.packer.push(&self.apex, &self.soa);
            }
            Visit::Record(owner, record) => self.packer.push(owner, record),
        }
    }
}

/// Drops a zone's shared copy once it has not been used for [`COPY_HOLD`].
async fn expire(copies: Arc<Mutex<HashMap<Box<[u8]>, Copy>>>, apex: Box<[u8]>) {
    loop {
        tokio::time::sleep(COPY_HOLD).await;
        let mut copies = copies.lock().unwrap_or_else(|e| e.into_inner());
        match copies.get(&apex) {
            Some(copy) if copy.used.elapsed() < COPY_HOLD => {}
            Some(_) => {
                copies.remove(&apex);
                return;
            }
            None => return,
        }
    }
}

/// The SOA record after its owner, with `serial`.
fn soa_record(zone: &Zone, serial: u32) -> Vec<u8> {
    let mut record = Vec::with_capacity(64);
    zone.write_soa_record(&mut record, zone.soa_ttl(), serial);
    record
}

fn store_failed(error: crate::store::StoreError) -> u16 {
    tracing::warn!(%error, "transfer failed in the store");
    RCODE_SERVFAIL
}

/// Logs a refused transfer: over TCP (a real peer) for the operator, over
/// UDP (any spoofed source can send one) only when debugging.
fn refusal(udp: bool, peer: SocketAddr, why: &str) {
    if udp {
        tracing::debug!(%peer, why, "transfer refused");
    } else {
        tracing::info!(%peer, why, "transfer refused");
    }
}

/// An error answer, signed if the request was, and how it counts.
fn error(query: &[u8], rcode: u16, signed: Option<&Signed>, now: u64) -> (Answer, Transfer) {
    let mut messages: Vec<Vec<u8>> = wire::error_reply(query, rcode).into_iter().collect();
    if let Some(signed) = signed {
        let mut signer = signed.signer(now);
        messages.iter_mut().for_each(|message| signer.sign(message));
    }
    let outcome = match rcode {
        RCODE_SERVFAIL => Transfer::Failed,
        _ => Transfer::Refused,
    };
    (Answer::Ready(messages), outcome)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
