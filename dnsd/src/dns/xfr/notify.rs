//! NOTIFY (RFC 1996) to a zone's secondaries when its serial moves: over UDP,
//! at most one round per zone per interval (a burst of updates becomes one
//! round with the latest serial), each secondary asked again after 1, 2, 4,
//! 8 and 16 seconds (`notify_retry_ms` doubled) until it answers. A new round replaces the retries of
//! the one before. Signed with the secondary's key when it has one, and its
//! reply then checked against that key.

use std::{
    net::{Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use tokio::{net::UdpSocket, task::JoinHandle, time::Instant};

use super::unix_now;
use crate::{
    config::Secondary,
    dns::{tsig, wire::HEADER_LEN},
    metrics::{Metrics, Notified},
    records::{CLASS_IN, TYPE_SOA},
    store::Index,
};

/// Sends to one secondary: the first and five retries.
const SENDS: u32 = 6;
const OPCODE_NOTIFY: u16 = 4;

/// How often NOTIFYs go out.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// At most one round per zone in this time.
    pub interval: Duration,
    /// Wait for an answer to the first send; doubled for each retry.
    pub retry: Duration,
}

/// Starts one task per zone that has secondaries.
pub fn spawn(
    index: Arc<Index>,
    zones: Vec<(String, Vec<Secondary>)>,
    pace: Pace,
    metrics: Arc<Metrics>,
) {
    for (name, secondaries) in zones {
        if secondaries.is_empty() {
            continue;
        }
        let (index, metrics) = (index.clone(), metrics.clone());
        tokio::spawn(async move { run(index, name, secondaries, pace, metrics).await });
    }
}

async fn run(
    index: Arc<Index>,
    name: String,
    secondaries: Vec<Secondary>,
    pace: Pace,
    metrics: Arc<Metrics>,
) {
    let Some(zone) = index.zones().iter().find(|z| z.name == name) else {
        return;
    };
    let mut serials = zone.watch_serial();
    let mut pending: Vec<Option<JoinHandle<()>>> = secondaries.iter().map(|_| None).collect();
    let mut last_round: Option<Instant> = None;
    // One round at start: a primary that was down may have news.
    loop {
        if let Some(last) = last_round {
            if serials.changed().await.is_err() {
                return;
            }
            tokio::time::sleep_until(last + pace.interval).await;
        }
        last_round = Some(Instant::now());
        let serial = *serials.borrow_and_update();
        let message = notify_message(&index, &name, serial);
        for (secondary, task) in secondaries.iter().zip(&mut pending) {
            if let Some(old) = task.take() {
                old.abort();
            }
            let (secondary, message, zone) = (secondary.clone(), message.clone(), name.clone());
            let metrics = metrics.clone();
            *task = Some(tokio::spawn(async move {
                let outcome = send(&secondary, message, &zone, serial, pace.retry, &metrics).await;
                metrics.notified(outcome);
            }));
        }
    }
}

/// Sends until the secondary answers or the retries are spent; says how it
/// ended.
async fn send(
    secondary: &Secondary,
    message: Vec<u8>,
    zone: &str,
    serial: u32,
    retry: Duration,
    metrics: &Metrics,
) -> Notified {
    let target = secondary.address;
    let socket = match bind_for(target).await {
        Ok(socket) => socket,
        Err(error) => {
            tracing::warn!(%target, %error, "cannot send NOTIFY");
            return Notified::Unanswered;
        }
    };
    let mut buf = vec![0u8; 4096];
    for attempt in 0..SENDS {
        let wait = retry * 2u32.pow(attempt.min(4));
        let mut message = message.clone();
        let id: u16 = rand::random();
        message[..2].copy_from_slice(&id.to_be_bytes());
        let now = unix_now();
        let mac = secondary
            .key
            .as_ref()
            .map(|key| tsig::sign_request(key, &mut message, now));
        if let Err(error) = socket.send(&message).await {
            tracing::debug!(%target, %error, "NOTIFY not sent");
        }
        tracing::info!(%target, zone, serial, attempt, "NOTIFY sent");
        metrics.notified(Notified::Sent);
        let deadline = Instant::now() + wait;
        while let Ok(Ok(len)) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            let reply = &buf[..len];
            if !is_reply_to(reply, id) {
                continue;
            }
            if let (Some(key), Some(mac)) = (&secondary.key, &mac)
                && !tsig::verify_reply(key, mac, reply, unix_now())
            {
                tracing::warn!(%target, zone, "NOTIFY reply with a bad or missing TSIG ignored");
                continue;
            }
            return match reply[3] & 0x0F {
                0 => {
                    tracing::info!(%target, zone, serial, "NOTIFY acknowledged");
                    Notified::Acknowledged
                }
                rcode => {
                    tracing::warn!(%target, zone, serial, rcode, "NOTIFY refused");
                    Notified::Refused
                }
            };
        }
    }
    tracing::warn!(%target, zone, serial, "NOTIFY unanswered after every retry");
    Notified::Unanswered
}

async fn bind_for(target: SocketAddr) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = match target {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(target).await?;
    Ok(socket)
}

fn is_reply_to(reply: &[u8], id: u16) -> bool {
    reply.len() >= HEADER_LEN
        && reply[..2] == id.to_be_bytes()
        && reply[2] & 0x80 != 0
        && u16::from(reply[2] >> 3) & 0x0F == OPCODE_NOTIFY
}

/// NOTIFY for `zone` with its SOA at `serial` in the answer (RFC 1996 §3.7).
fn notify_message(index: &Index, zone: &str, serial: u32) -> Vec<u8> {
    let zone = index
        .zones()
        .iter()
        .find(|z| z.name == zone)
        .expect("a configured zone");
    let flags: u16 = (OPCODE_NOTIFY << 11) | 0x0400;
    let mut msg = Vec::with_capacity(128);
    msg.extend_from_slice(&[0, 0]);
    msg.extend_from_slice(&flags.to_be_bytes());
    msg.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0]);
    msg.extend_from_slice(&zone.apex);
    msg.extend_from_slice(&TYPE_SOA.to_be_bytes());
    msg.extend_from_slice(&CLASS_IN.to_be_bytes());
    msg.extend_from_slice(&[0xC0, 0x0C]);
    zone.write_soa_record(&mut msg, zone.soa_ttl(), serial);
    msg
}
