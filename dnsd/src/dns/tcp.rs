//! DNS over TCP (RFC 7766): our own accept loop in front of the hickory
//! handler. hickory-server's `Server` caps nothing — every accepted
//! connection stays until its idle timeout, and when file descriptors run
//! out its accept loop retries at once and spins. Here every connection
//! holds a slot of [`ConnectionLimits`] (per source and in total, the
//! longest idle one evicted when full), and a connection that has not sent a
//! complete query for `tcp_idle_secs` is closed: a query trickled in byte by
//! byte counts as idle. Queries of one connection are answered in order.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use hickory_server::net::xfer::Protocol;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    time::{Instant, timeout, timeout_at},
};

use super::{encoded, handler::Handler, pressure::QueryPressure, xfr};
use crate::limits::{Connection, ConnectionLimits};

/// Pause after a failed accept (e.g. out of file descriptors): connections
/// that end meanwhile free some, and the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What every TCP listener shares.
pub struct TcpContext {
    pub handler: Handler,
    pub limits: Arc<ConnectionLimits>,
    /// Longest wait for a complete query, and for an answer to be taken.
    pub idle: Duration,
    /// Whether queries press (transfers then slow down).
    pub pressure: Arc<QueryPressure>,
}

/// Serves `listener` on the runtime until the process ends.
pub fn spawn(listener: TcpListener, context: Arc<TcpContext>) {
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::debug!(%error, "DNS TCP accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            // Dropping the stream of a refused connection closes it.
            let connection = match context.limits.open(peer.ip()) {
                Ok(connection) => connection,
                Err(refused) => {
                    tracing::debug!(%peer, ?refused, "DNS TCP connection refused");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let context = context.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = connection.evicted() => {
                        tracing::debug!(%peer, "idle DNS TCP connection closed for a new one");
                    }
                    () = serve(stream, peer, &context, &connection) => {}
                }
            });
        }
    });
}

/// Answers queries on one connection until it closes, errs or idles out.
async fn serve(mut stream: TcpStream, peer: SocketAddr, context: &TcpContext, slot: &Connection) {
    let mut query = Vec::new();
    loop {
        let deadline = Instant::now() + context.idle;
        match timeout_at(deadline, read_message(&mut stream, &mut query)).await {
            Ok(Ok(())) => {}
            // Closed, malformed framing, or nothing complete in time.
            _ => return,
        }
        slot.busy();
        if let Some(transfers) = context.handler.transfers()
            && xfr::classify(&query).is_some()
        {
            let frames = transfers.answer(&query, peer, None).await.frames();
            match xfr::send_idle(stream, frames, context.idle, context.pressure.clone()).await {
                Some(back) => stream = back,
                None => return,
            }
            slot.idle();
            continue;
        }
        // A peer that sends what gets no answer (no readable header, or a
        // response) is not speaking DNS to us: close rather than leave it
        // waiting for the idle timeout.
        let Some(answer) = encoded::answer(&context.handler, &query, peer, Protocol::Tcp).await
        else {
            return;
        };
        if !write_frame(&mut stream, &answer, context.idle).await {
            return;
        }
        slot.idle();
    }
}

/// Writes one length-prefixed message; false when the peer did not take it
/// within `idle` (a client that stops reading must not pin a busy slot).
async fn write_frame(stream: &mut TcpStream, message: &[u8], idle: Duration) -> bool {
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&(message.len() as u16).to_be_bytes());
    framed.extend_from_slice(message);
    matches!(timeout(idle, stream.write_all(&framed)).await, Ok(Ok(())))
}

/// Reads one length-prefixed message into `buf`. A zero length is an error.
async fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let len = usize::from(stream.read_u16().await?);
    if len == 0 {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    buf.resize(len, 0);
    stream.read_exact(buf).await?;
    Ok(())
}
