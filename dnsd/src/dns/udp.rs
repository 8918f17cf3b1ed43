//! UDP serving: worker threads, each owning one `SO_REUSEPORT` socket of the
//! listen address, taking queries in batches and answering ordinary ones on
//! the fast path without allocating, within the response rate limits;
//! everything else goes through the hickory handler on the async runtime.

use std::sync::Arc;

use hickory_server::net::xfer::Protocol;

use super::{
    batch_io::{BATCH, BatchIo},
    encoded,
    handler::Handler,
    pressure::QueryPressure,
    resolve::resolve,
    rrl::{Rrl, Slipper, Verdict},
    wire::{self, MAX_WIRE_NAME, Parsed},
};
use crate::{
    metrics::{DnsCounters, Limited, Metrics},
    store::Index,
};

/// What every UDP worker shares.
pub struct UdpContext {
    pub index: Arc<Index>,
    pub handler: Handler,
    pub udp_payload: u16,
    /// Response rate limiting of fast-path answers (`None`: off).
    pub rrl: Option<Rrl>,
    /// For the slow path, which is async (hickory-server).
    pub runtime: tokio::runtime::Handle,
    pub metrics: Arc<Metrics>,
    /// Told of every full batch (transfers step aside then).
    pub pressure: Arc<QueryPressure>,
}

/// Serves one socket on the calling thread, forever.
pub fn serve(socket: std::net::UdpSocket, context: Arc<UdpContext>) {
    let mut io = BatchIo::new(&socket);
    let counters = context.metrics.dns_counters();
    let mut key = [0u8; MAX_WIRE_NAME];
    let mut slipper = Slipper::default();
    loop {
        let received = match io.receive() {
            Ok(received) => received,
            Err(error) => {
                tracing::debug!(%error, "udp receive failed");
                continue;
            }
        };
        if received == BATCH {
            context.pressure.full_batch();
        }
        // One pinned view for the whole batch: a single epoch enter/leave.
        let view = context.index.view();
        let now = context.rrl.as_ref().map_or(0, Rrl::now);
        for i in 0..received {
            let Some(peer) = io.peer(i).filter(|peer| peer.port() != 0) else {
                continue; // port 0 cannot be answered (and is a reflection trick)
            };
            let (packet, reply) = io.slot(i);
            let answered = match wire::parse(packet, &mut key) {
                Parsed::Query(query) => {
                    let resolution = resolve(&view, &key[..query.qname_len], query.qtype);
                    let limit = query.udp_limit(context.udp_payload);
                    let truncated = wire::write_response(
                        &query,
                        &resolution,
                        context.udp_payload,
                        Some(limit),
                        reply,
                    );
                    let verdict = context.rrl.as_ref().map_or(Verdict::Answer, |rrl| {
                        let qname = &key[..query.qname_len];
                        let len = reply.len();
                        rrl.judge(now, peer.ip(), qname, &resolution, len, &mut slipper)
                    });
                    match settle(verdict, &counters) {
                        Some(Limited::Dropped) => false,
                        Some(Limited::Slipped) => {
                            wire::slip(&query, context.udp_payload, reply);
                            counters.answered(resolution.counted_as());
                            true
                        }
                        None | Some(Limited::DryRun) => {
                            if truncated {
                                counters.truncated();
                            }
                            counters.answered(resolution.counted_as());
                            true
                        }
                    }
                }
                Parsed::Drop => false,
                Parsed::Fallback => {
                    counters.slow_path();
                    match context.runtime.block_on(encoded::answer(
                        &context.handler,
                        packet,
                        peer,
                        Protocol::Udp,
                    )) {
                        Some(bytes) => {
                            *reply = bytes;
                            // Limited too, or an extra record in the query
                            // would be a way around the limits.
                            let verdict = context.rrl.as_ref().map_or(Verdict::Answer, |rrl| {
                                rrl.judge_encoded(now, peer.ip(), reply, &mut slipper)
                            });
                            match settle(verdict, &counters) {
                                Some(Limited::Dropped) => false,
                                Some(Limited::Slipped) => wire::slip_encoded(reply),
                                None | Some(Limited::DryRun) => true,
                            }
                        }
                        None => false,
                    }
                }
            };
            if answered {
                io.queue_reply(i);
            }
        }
        drop(view);
        if let Err(error) = io.send() {
            tracing::debug!(%error, "udp send failed");
        }
    }
}

/// Counts what rate limiting did with an answer; `None`: it was within the
/// limit.
fn settle(verdict: Verdict, counters: &DnsCounters) -> Option<Limited> {
    match verdict {
        Verdict::Answer => None,
        Verdict::Limited(class, action) => {
            counters.rrl_limited(class, action);
            Some(action)
        }
    }
}
