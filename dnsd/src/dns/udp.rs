//! UDP serving: worker threads, each owning one `SO_REUSEPORT` socket of the
//! listen address, taking queries in batches and answering ordinary ones on
//! the fast path without allocating; everything else goes through the hickory
//! handler on the async runtime.

use std::{net::SocketAddr, sync::Arc};

use hickory_proto::{op::MessageType, rr::Record, serialize::binary::BinEncoder};
use hickory_server::{
    net::{NetError, runtime::TokioTime, xfer::Protocol},
    server::{Request, RequestHandler, ResponseHandler, ResponseInfo},
    zone_handler::MessageResponse,
};

use super::{
    batch_io::BatchIo,
    handler::Handler,
    resolve::resolve,
    wire::{self, MAX_WIRE_NAME, Parsed},
};
use crate::{metrics::Metrics, store::Index};

/// What every UDP worker shares.
pub struct UdpContext {
    pub index: Arc<Index>,
    pub handler: Handler,
    pub udp_payload: u16,
    /// For the slow path, which is async (hickory-server).
    pub runtime: tokio::runtime::Handle,
    pub metrics: Arc<Metrics>,
}

/// Serves one socket on the calling thread, forever.
pub fn serve(socket: std::net::UdpSocket, context: Arc<UdpContext>) {
    let mut io = BatchIo::new(&socket);
    let counters = context.metrics.dns_counters();
    let mut key = [0u8; MAX_WIRE_NAME];
    loop {
        let received = match io.receive() {
            Ok(received) => received,
            Err(error) => {
                tracing::debug!(%error, "udp receive failed");
                continue;
            }
        };
        // One pinned view for the whole batch: a single epoch enter/leave.
        let view = context.index.view();
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
                    if truncated {
                        counters.truncated();
                    }
                    counters.answered(resolution.counted_as());
                    true
                }
                Parsed::Drop => false,
                Parsed::Fallback => {
                    counters.slow_path();
                    match context
                        .runtime
                        .block_on(slow_path(&context.handler, packet, peer))
                    {
                        Some(bytes) => {
                            *reply = bytes;
                            true
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

/// Runs the hickory handler on a datagram and captures the encoded answer.
async fn slow_path(handler: &Handler, query: &[u8], peer: SocketAddr) -> Option<Vec<u8>> {
    let request = match Request::from_bytes(query.to_vec(), peer, Protocol::Udp) {
        Ok(request) => request,
        Err(_) => {
            let mut out = Vec::new();
            return wire::format_error(query, &mut out).then_some(out);
        }
    };
    if request.metadata.message_type == MessageType::Response {
        return None;
    }
    let capture = Capture::default();
    handler
        .handle_request::<_, TokioTime>(&request, capture.clone())
        .await;
    capture.take()
}

/// A response handler that keeps the encoded message instead of sending it.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Option<Vec<u8>>>>);

impl Capture {
    fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().ok()?.take()
    }
}

#[async_trait::async_trait]
impl ResponseHandler for Capture {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        let limit = response
            .edns()
            .map_or(wire::PLAIN_UDP_LIMIT as u16, |edns| edns.max_payload());
        let mut bytes = Vec::with_capacity(usize::from(limit));
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(limit);
        let info = response.destructive_emit(&mut encoder)?;
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bytes);
        }
        Ok(info)
    }
}
