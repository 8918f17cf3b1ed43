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

pub mod notify;
mod pack;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use tokio::sync::Semaphore;

use self::pack::{Packer, answer_head};
use super::{
    tsig::{self, Signed, Verdict},
    wire::{self, HEADER_LEN, RCODE_FORMERR, RCODE_REFUSED},
};
use crate::{
    config::{Transfers, ZoneTransfer},
    records::{TYPE_AXFR, TYPE_IXFR, TYPE_SOA},
    store::{Since, Store, history::Change},
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

/// What serves transfers: the settings, the store and a cap on full copies.
pub struct Service {
    transfers: Transfers,
    store: Store,
    permits: Semaphore,
    /// On a fed node: transfers wait until the first snapshot is applied.
    sync: Option<Arc<SyncStatus>>,
}

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
        }
    }

    pub fn keys(&self) -> &tsig::Keys {
        &self.transfers.keys
    }

    /// The answer messages to an AXFR or IXFR request, in order. Over UDP
    /// (`udp_limit` set) exactly one: the IXFR if it fits, else the SOA.
    pub async fn answer(
        &self,
        query: &[u8],
        peer: SocketAddr,
        udp_limit: Option<usize>,
    ) -> Vec<Vec<u8>> {
        let now = unix_now();
        let signed = match self.transfers.keys.verify(query, now) {
            Verdict::Unsigned => None,
            Verdict::Signed(signed) => Some(signed),
            Verdict::Malformed => return error(query, RCODE_FORMERR, None, now),
            Verdict::Rejected(rejection) => {
                tracing::info!(%peer, ?rejection, "transfer refused: TSIG");
                return rejection.answer(query, now).into_iter().collect();
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
            tracing::info!(%peer, zone = %zone.name, key = key.map(|k| k.name.as_str()), "transfer refused");
            return error(query, RCODE_REFUSED, signed.as_ref(), now);
        }
        let reserve = signed.as_ref().map_or(0, |s| s.key.record_len());
        let limit = udp_limit.unwrap_or(usize::from(u16::MAX)) - reserve;
        let head = answer_head(request.id, request.flags, request.question);
        let messages = match self
            .build(&request, zone, head.clone(), limit, udp_limit.is_some())
            .await
        {
            Ok(messages) => messages,
            Err(rcode) => return error(query, rcode, signed.as_ref(), now),
        };
        tracing::info!(
            %peer,
            zone = %zone.name,
            kind = ?request.kind,
            messages = messages.len(),
            "transfer served"
        );
        sign_all(messages, signed.as_ref(), now)
    }

    async fn build(
        &self,
        request: &Request<'_>,
        zone: &Zone,
        head: Vec<u8>,
        limit: usize,
        udp: bool,
    ) -> Result<Vec<Vec<u8>>, u16> {
        let store_failed = |error: crate::store::StoreError| {
            tracing::warn!(%error, "transfer failed in the store");
            RCODE_SERVFAIL
        };
        let apex = &*zone.apex;
        let soa = |packer: &mut Packer, serial: u32| {
            let mut record = Vec::with_capacity(64);
            zone.write_soa_record(&mut record, zone.soa_ttl(), serial);
            packer.push(apex, &record);
        };
        if let Some(client) = request.client_serial {
            match self
                .store
                .changes_since(apex, client)
                .await
                .map_err(store_failed)?
            {
                Since::Current(serial) => {
                    let mut packer = Packer::new(head, apex.len(), limit);
                    soa(&mut packer, serial);
                    return Ok(packer.finish());
                }
                Since::Changes { serial, changes } => {
                    let mut packer = Packer::new(head.clone(), apex.len(), limit);
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
                    let messages = packer.finish();
                    // Too big for UDP: the SOA alone sends the client to TCP.
                    if udp && messages.len() > 1 {
                        let mut packer = Packer::new(head, apex.len(), limit);
                        soa(&mut packer, serial);
                        return Ok(packer.finish());
                    }
                    return Ok(messages);
                }
                Since::TooOld if udp => {
                    let mut packer = Packer::new(head, apex.len(), limit);
                    soa(&mut packer, zone.serial());
                    return Ok(packer.finish());
                }
                Since::TooOld => {}
            }
        }
        let _permit = tokio::time::timeout(PERMIT_WAIT, self.permits.acquire())
            .await
            .map_err(|_| RCODE_SERVFAIL)?
            .map_err(|_| RCODE_SERVFAIL)?;
        let copy = self
            .store
            .zone_copy(apex)
            .await
            .map_err(store_failed)?
            .ok_or(tsig::RCODE_NOTAUTH)?;
        let mut packer = Packer::new(head, apex.len(), limit);
        soa(&mut packer, copy.serial);
        for (owner, record) in copy.records() {
            packer.push(owner, record);
        }
        soa(&mut packer, copy.serial);
        Ok(packer.finish())
    }

    /// The zone at `apex` and its transfer settings.
    fn zone(&self, apex: &[u8]) -> Option<(&Zone, Option<&ZoneTransfer>)> {
        let zones = self.store.index().zones();
        let zone = zones.iter().find(|z| *z.apex == *apex)?;
        let policy = self.transfers.zones.iter().find(|t| t.zone == zone.name);
        Some((zone, policy))
    }
}

fn sign_all(mut messages: Vec<Vec<u8>>, signed: Option<&Signed>, now: u64) -> Vec<Vec<u8>> {
    if let Some(signed) = signed {
        let mut signer = signed.signer(now);
        for message in &mut messages {
            signer.sign(message);
        }
    }
    messages
}

fn error(query: &[u8], rcode: u16, signed: Option<&Signed>, now: u64) -> Vec<Vec<u8>> {
    let messages = wire::error_reply(query, rcode).into_iter().collect();
    sign_all(messages, signed, now)
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
