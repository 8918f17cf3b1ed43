//! The hickory handler's answer to raw bytes, as bytes: what the UDP slow
//! path and the TCP loop send, and what the fuzz target checks. Requests
//! signed with TSIG are checked here and their answers signed; IXFR over UDP
//! is answered by the transfer service.

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

use super::{
    handler::Handler,
    tsig::Verdict,
    wire::{self, RCODE_FORMERR},
    xfr,
};

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
    let Some(transfers) = handler.transfers() else {
        return plain_answer(handler, query, peer, protocol, 0).await;
    };
    if protocol == Protocol::Udp && xfr::classify(query).is_some() {
        let limit = Request::from_bytes(query.to_vec(), peer, protocol)
            .ok()
            .and_then(|request| request.edns.as_ref().map(|edns| edns.max_payload()))
            .map_or(wire::PLAIN_UDP_LIMIT, |payload| {
                usize::from(payload.clamp(512, handler.udp_payload()))
            });
        let answer = transfers.answer(query, peer, Some(limit)).await;
        return answer.into_messages().into_iter().next();
    }
    let now = xfr::unix_now();
    match transfers.keys().verify(query, now) {
        Verdict::Unsigned => plain_answer(handler, query, peer, protocol, 0).await,
        Verdict::Malformed => wire::error_reply(query, RCODE_FORMERR),
        Verdict::Rejected(rejection) => rejection.answer(query, now),
        Verdict::Signed(signed) => {
            let unsigned = signed.unsigned_request(query);
            let reserve = signed.key.record_len();
            let mut reply = plain_answer(handler, &unsigned, peer, protocol, reserve).await?;
            signed.signer(now).sign(&mut reply);
            Some(reply)
        }
    }
}

/// The handler's answer, `reserve` bytes under the size limit.
async fn plain_answer(
    handler: &Handler,
    query: &[u8],
    peer: SocketAddr,
    protocol: Protocol,
    reserve: usize,
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
        reserve: reserve as u16,
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
    /// Room left for a TSIG record.
    reserve: u16,
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
        }
        .saturating_sub(self.reserve);
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
