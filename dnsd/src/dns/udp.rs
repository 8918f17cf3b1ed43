//! UDP serving: one task per socket, answering ordinary queries on the fast
//! path and everything else through the hickory handler.

use std::{net::SocketAddr, sync::Arc};

use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::{
    net::{NetError, runtime::TokioTime, xfer::Protocol},
    proto::rr::Record,
    server::{Request, RequestHandler, ResponseHandler, ResponseInfo},
    zone_handler::MessageResponse,
};
use tokio::net::UdpSocket;

use super::{
    handler::Handler,
    resolve::resolve,
    wire::{self, MAX_WIRE_NAME, Parsed},
};
use crate::store::Index;

/// Largest datagram we read; anything longer is not a query we answer.
const RECV_BUFFER: usize = 4096;

pub async fn serve(socket: UdpSocket, index: Arc<Index>, handler: Handler, udp_payload: u16) {
    let mut packet = vec![0u8; RECV_BUFFER];
    let mut response = Vec::with_capacity(usize::from(udp_payload));
    let mut key = [0u8; MAX_WIRE_NAME];
    loop {
        let (len, peer) = match socket.recv_from(&mut packet).await {
            Ok(received) => received,
            Err(error) => {
                tracing::debug!(%error, "udp receive failed");
                continue;
            }
        };
        if peer.port() == 0 {
            continue; // cannot be answered; also a classic reflection trick
        }
        let query = &packet[..len];
        let answered = match wire::parse(query, &mut key) {
            Parsed::Query(parsed) => {
                let qname = &key[..parsed.qname_len];
                let view = index.view();
                let resolution = resolve(&view, qname, parsed.qtype);
                let limit = parsed.udp_limit(udp_payload);
                wire::write_response(
                    &parsed,
                    &resolution,
                    udp_payload,
                    Some(limit),
                    &mut response,
                );
                true
            }
            Parsed::Drop => false,
            Parsed::Fallback => slow_path(&handler, query, peer, &mut response).await,
        };
        if answered && let Err(error) = socket.send_to(&response, peer).await {
            tracing::debug!(%error, %peer, "udp send failed");
        }
    }
}

/// Runs the hickory handler on a datagram and captures the encoded answer.
async fn slow_path(handler: &Handler, query: &[u8], peer: SocketAddr, out: &mut Vec<u8>) -> bool {
    let request = match Request::from_bytes(query.to_vec(), peer, Protocol::Udp) {
        Ok(request) => request,
        Err(_) => return wire::format_error(query, out),
    };
    if request.metadata.message_type == hickory_proto::op::MessageType::Response {
        return false;
    }
    let capture = Capture::default();
    handler
        .handle_request::<_, TokioTime>(&request, capture.clone())
        .await;
    match capture.take() {
        Some(bytes) => {
            *out = bytes;
            true
        }
        None => false,
    }
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
