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

mod idle;
pub mod notify;
mod pack;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use std::io::Write;

use tokio::{net::TcpStream, sync::Semaphore};

use self::pack::{Body, Packer, answer_head};
use super::{
    tsig::{self, Signed, Signer, Verdict},
    wire::{self, HEADER_LEN, RCODE_FORMERR, RCODE_REFUSED},
};
use crate::{
    config::{Transfers, ZoneTransfer},
    records::{TYPE_AXFR, TYPE_IXFR, TYPE_SOA},
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

impl Service {
    pub fn new(
        transfers: Transfers,
        store: Store,
        max_transfers: usize,
        sync: Option<Arc<SyncStatus>>,
    ) -> Self {
        Self {
            transfers,
            store,
            permits: Semaphore::new(max_transfers),
            sync,
            copies: Arc::default(),
        }
    }

    pub fn keys(&self) -> &tsig::Keys {
        &self.transfers.keys
    }

    /// The answer to an AXFR or IXFR request. Over UDP (`udp_limit` set)
    /// exactly one message: the IXFR if it fits, else the SOA.
    pub async fn answer(&self, query: &[u8], peer: SocketAddr, udp_limit: Option<usize>) -> Answer {
        let now = unix_now();
        let signed = match self.transfers.keys.verify(query, now) {
            Verdict::Unsigned => None,
            Verdict::Signed(signed) => Some(signed),
            Verdict::Malformed => return error(query, RCODE_FORMERR, None, now),
            Verdict::Rejected(rejection) => {
                refusal(udp_limit.is_some(), peer, &format!("TSIG {rejection}"));
                return Answer::Ready(rejection.answer(query, now).into_iter().collect());
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
        let bodies = match self.build(&request, zone, udp_body).await {
            Ok(bodies) => bodies,
            Err(rcode) => return error(query, rcode, signed.as_ref(), now),
        };
        tracing::info!(
            %peer,
            zone = %zone.name,
            kind = ?request.kind,
            messages = bodies.len(),
            "transfer served"
        );
        Answer::Records {
            head,
            bodies,
            signer: signed.map(|s| s.signer(now)),
        }
    }

    async fn build(
        &self,
        request: &Request<'_>,
        zone: &Zone,
        udp_body: Option<usize>,
    ) -> Result<Arc<Vec<Body>>, u16> {
        let apex = &*zone.apex;
        let soa = |packer: &mut Packer, serial: u32| packer.push(apex, &soa_record(zone, serial));
        let body_limit = udp_body.unwrap_or(usize::from(u16::MAX) - COPY_ROOM);
        let only_soa = |serial: u32| {
            let mut packer = Packer::new(apex.len(), body_limit);
            soa(&mut packer, serial);
            Arc::new(packer.finish())
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
                    return Ok(Arc::new(bodies));
                }
                Since::TooOld if udp_body.is_some() => return Ok(only_soa(zone.serial())),
                Since::TooOld => {}
            }
        }
        self.full_copy(zone).await
    }

    /// The whole zone at one serial: the shared copy if it is of the
    /// current serial, else a new one (at most `max_transfers` at once).
    async fn full_copy(&self, zone: &Zone) -> Result<Arc<Vec<Body>>, u16> {
        let apex = &*zone.apex;
        let shared = || {
            let mut copies = self.copies.lock().unwrap_or_else(|e| e.into_inner());
            let copy = copies.get_mut(apex).filter(|c| c.serial == zone.serial())?;
            copy.used = Instant::now();
            Some(copy.bodies.clone())
        };
        if let Some(bodies) = shared() {
            return Ok(bodies);
        }
        let _permit = tokio::time::timeout(PERMIT_WAIT, self.permits.acquire())
            .await
            .map_err(|_| RCODE_SERVFAIL)?
            .map_err(|_| RCODE_SERVFAIL)?;
        // Another transfer may have made it meanwhile.
        if let Some(bodies) = shared() {
            return Ok(bodies);
        }
        let copying = Copying {
            packer: Packer::new(apex.len(), usize::from(u16::MAX) - COPY_ROOM),
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
        let bodies = Arc::new(copying.packer.finish());
        let copy = Copy {
            serial: copying.serial,
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

/// A transfer's answer: whole messages (errors), or a head and the record
/// bodies, assembled and signed one message at a time as they are sent.
pub enum Answer {
    Ready(Vec<Vec<u8>>),
    Records {
        head: Vec<u8>,
        bodies: Arc<Vec<Body>>,
        signer: Option<Signer>,
    },
}

impl Answer {
    /// The messages one by one, each after its TCP length prefix.
    pub fn frames(self) -> Frames {
        Frames {
            answer: self,
            next: 0,
            buf: Vec::new(),
        }
    }

    /// Every message, without prefixes (UDP, tests).
    pub fn into_messages(self) -> Vec<Vec<u8>> {
        let mut frames = self.frames();
        let mut messages = Vec::new();
        while let Some(frame) = frames.next_frame() {
            messages.push(frame[2..].to_vec());
        }
        messages
    }
}

/// Sends `frames` on `stream` from a thread of its own under the lowest
/// scheduling priority (`idle.rs`) and gives the stream back; `None` when the
/// peer did not take a frame within `idle` or the connection failed.
pub async fn send_idle(stream: TcpStream, mut frames: Frames, idle: Duration) -> Option<TcpStream> {
    let stream = stream.into_std().ok()?;
    stream.set_nonblocking(false).ok()?;
    stream.set_write_timeout(Some(idle)).ok()?;
    let (done, sent) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("dns-xfr".into())
        .spawn(move || {
            if !idle::lower_this_thread() {
                tracing::debug!("SCHED_IDLE refused; sending the transfer at normal priority");
            }
            let mut out = &stream;
            let mut ok = true;
            while let Some(frame) = frames.next_frame() {
                if out.write_all(frame).is_err() {
                    ok = false;
                    break;
                }
            }
            let _ = done.send(ok.then_some(stream));
        })
        .ok()?;
    let stream = sent.await.ok()??;
    stream.set_nonblocking(true).ok()?;
    TcpStream::from_std(stream).ok()
}

/// Produces an answer's frames into one reused buffer.
pub struct Frames {
    answer: Answer,
    next: usize,
    buf: Vec<u8>,
}

impl Frames {
    /// The next message with its two-byte length prefix.
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0, 0]);
        match &mut self.answer {
            Answer::Ready(messages) => self.buf.extend_from_slice(messages.get(self.next)?),
            Answer::Records {
                head,
                bodies,
                signer,
            } => {
                pack::assemble(&mut self.buf, head, bodies.get(self.next)?);
                if let Some(signer) = signer {
                    signer.sign_at(&mut self.buf, 2);
                }
            }
        }
        self.next += 1;
        let len = (self.buf.len() - 2) as u16;
        self.buf[..2].copy_from_slice(&len.to_be_bytes());
        Some(&self.buf)
    }
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

fn error(query: &[u8], rcode: u16, signed: Option<&Signed>, now: u64) -> Answer {
    let mut messages: Vec<Vec<u8>> = wire::error_reply(query, rcode).into_iter().collect();
    if let Some(signed) = signed {
        let mut signer = signed.signer(now);
        messages.iter_mut().for_each(|message| signer.sign(message));
    }
    Answer::Ready(messages)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// True for a query (not a response) whose one question asks AXFR or IXFR.
pub fn classify(query: &[u8]) -> Option<Kind> {
    Request::parse(query).map(|request| request.kind)
}

/// An AXFR or IXFR request.
struct Request<'q> {
    kind: Kind,
    id: u16,
    flags: u16,
    /// Lowercase apex key asked for.
    apex: Vec<u8>,
    /// The question as sent (name, type, class).
    question: &'q [u8],
    /// IXFR: the serial of the client's copy (from the authority SOA).
    client_serial: Option<u32>,
}

impl<'q> Request<'q> {
    fn parse(query: &'q [u8]) -> Option<Self> {
        let header = query.get(..HEADER_LEN)?;
        let field = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
        let flags = field(2);
        // A query (QR clear) with opcode QUERY and one question.
        if flags & 0xF800 != 0 || field(4) != 1 {
            return None;
        }
        let name_end = HEADER_LEN + name_len(&query[HEADER_LEN..])?;
        let question = query.get(HEADER_LEN..name_end + 4)?;
        let qtype = u16::from_be_bytes([query[name_end], query[name_end + 1]]);
        let kind = match qtype {
            TYPE_AXFR => Kind::Axfr,
            TYPE_IXFR => Kind::Ixfr,
            _ => return None,
        };
        let apex: Vec<u8> = query[HEADER_LEN..name_end]
            .iter()
            .map(u8::to_ascii_lowercase)
            .collect();
        let client_serial = match kind {
            Kind::Axfr => None,
            // RFC 1995 §3: exactly the client's SOA in the authority section.
            Kind::Ixfr => {
                if field(6) != 0 || field(8) != 1 {
                    return None;
                }
                Some(authority_serial(query, name_end + 4)?)
            }
        };
        Some(Self {
            kind,
            id: field(0),
            flags,
            apex,
            question,
            client_serial,
        })
    }
}

/// The serial of the SOA record at `at` (its owner a name or a pointer).
fn authority_serial(query: &[u8], at: usize) -> Option<u32> {
    let fixed = at + name_len(query.get(at..)?)?;
    let rtype = u16::from_be_bytes([*query.get(fixed)?, *query.get(fixed + 1)?]);
    let rdlen = usize::from(u16::from_be_bytes([
        *query.get(fixed + 8)?,
        *query.get(fixed + 9)?,
    ]));
    let rdata = query.get(fixed + 10..fixed + 10 + rdlen)?;
    if rtype != TYPE_SOA {
        return None;
    }
    // MNAME and RNAME, then SERIAL.
    let mut p = name_len(rdata)?;
    p += name_len(rdata.get(p..)?)?;
    let serial = rdata.get(p..p + 4)?;
    Some(u32::from_be_bytes([
        serial[0], serial[1], serial[2], serial[3],
    ]))
}

/// Length of the name at the start of `data` (up to the root or a pointer);
/// uncompressed names in questions only, as every client sends them.
fn name_len(data: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        match *data.get(at)? {
            0 => return Some(at + 1),
            len if len & 0xC0 == 0xC0 => return Some(at + 2),
            len if len < 64 => at += 1 + usize::from(len),
            _ => return None,
        }
    }
}
