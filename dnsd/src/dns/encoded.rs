//! The hickory handler's answer to raw bytes, as bytes: what the UDP slow
//! path and the TCP loop send, and what the fuzz target checks.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use hickory_proto::{op::MessageType, rr::Record, serialize::binary::BinEncoder};
use hickory_server::{
    net::{NetError, runtime::TokioTime, xfer::Protocol},
    server::{Request, RequestHandler, ResponseHandler, ResponseInfo},
    zone_handler::MessageResponse,
};

use super::{handler::Handler, wire};

/// The encoded answer to `query` from `peer`, if it gets one: FORMERR for a
/// message whose header is readable but whose rest is not; nothing for
/// responses and for fewer bytes than a header. Over UDP the answer stays
/// within the client's limit (512 bytes, or its EDNS payload), over TCP
/// within 64 KiB.
pub async fn answer(
    handler: &Handler,
    query: &[u8],
    peer: SocketAddr,
    protocol: Protocol,
) -> Option<Vec<u8>> {
    let request = match Request::from_bytes(query.to_vec(), peer, protocol) {
        Ok(request) => request,
        Err(_) => {
            let mut out = Vec::new();
            return wire::format_error(query, &mut out).then_some(out);
        }
    };
    if request.metadata.message_type == MessageType::Response {
        return None;
    }
    let capture = Capture {
        udp: protocol == Protocol::Udp,
        answer: Arc::default(),
    };
    handler
        .handle_request::<_, TokioTime>(&request, capture.clone())
        .await;
    capture.answer.lock().ok()?.take()
}

/// A response handler that keeps the encoded message instead of sending it.
#[derive(Clone)]
struct Capture {
    udp: bool,
    answer: Arc<Mutex<Option<Vec<u8>>>>,
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
        let limit = match self.udp {
            true => response
                .edns()
                .map_or(wire::PLAIN_UDP_LIMIT as u16, |edns| edns.max_payload()),
            false => u16::MAX,
        };
        let mut bytes = Vec::with_capacity(usize::from(limit.min(4096)));
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(limit);
        let info = response.destructive_emit(&mut encoder)?;
        if let Ok(mut slot) = self.answer.lock() {
            *slot = Some(bytes);
        }
        Ok(info)
    }
}
