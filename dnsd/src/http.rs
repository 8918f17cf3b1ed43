//! HTTP/1.0 and 1.1 serving for the update, checkip and admin routers, over
//! plain TCP or TLS, with the peer address attached to every request, and
//! limits against clients that hold connections: a cap per source and in
//! total ([`ConnectionLimits`]), and a deadline for each whole request.

use std::{
    io,
    net::SocketAddr,
    path::Path,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    extract::ConnectInfo,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper::{
    Request,
    body::{Body, Bytes, Frame, Incoming, SizeHint},
    server::conn::http1,
    service::service_fn,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use socket2::{Domain, Socket, Type};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::{TcpListener, TcpStream},
    time::{Instant, Sleep},
};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::limits::{Connection, ConnectionLimits};

/// Request line plus headers; router firmware never needs more.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Connections open at once on the listeners sharing one [`ConnectionLimits`].
pub const MAX_CONNECTIONS: usize = 4096;
/// A TLS handshake must finish within this.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors): connections
/// that end meanwhile free some, and the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What the listeners of one service share.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    pub connections: Arc<ConnectionLimits>,
    /// A whole request — headers and body — must arrive within this, counted
    /// from the connection's start or the previous answer on it. The headers
    /// alone are held to it by hyper (which also closes kept-alive
    /// connections idle that long); the body by [`DeadlineBody`].
    pub request_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Pem { path: String, reason: String },
    #[error("invalid certificate or key: {0}")]
    Config(#[from] rustls::Error),
}

/// Loads a PEM certificate chain and private key into a TLS acceptor.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let pem_error = |path: &Path, e: &dyn std::fmt::Display| TlsError::Pem {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem_error(cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(cert, &e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Binds a TCP listener (HTTP and DNS over TCP alike). IPv6 sockets are
/// IPv6-only so both families can share a port.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

/// Serves `router` on `listener` until the process ends.
pub fn spawn(listener: TcpListener, router: Router, tls: Option<TlsAcceptor>, limits: HttpLimits) {
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            // Dropping the stream of a refused connection closes it.
            let slot = match limits.connections.open(peer.ip()) {
                Ok(slot) => Arc::new(slot),
                Err(refused) => {
                    tracing::debug!(%peer, ?refused, "HTTP connection refused");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            let tls = tls.clone();
            let request_timeout = limits.request_timeout;
            tokio::spawn(async move {
                let serve = serve_stream(stream, peer, router, tls, slot.clone(), request_timeout);
                tokio::select! {
                    () = slot.evicted() => {
                        tracing::debug!(%peer, "idle HTTP connection closed for a new one");
                    }
                    () = serve => {}
                }
            });
        }
    });
}

/// Serves one accepted connection, after the TLS handshake if there is one.
async fn serve_stream(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    tls: Option<TlsAcceptor>,
    slot: Arc<Connection>,
    request_timeout: Duration,
) {
    let Some(acceptor) = tls else {
        return serve_connection(stream, peer, router, slot, request_timeout).await;
    };
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_connection(stream, peer, router, slot, request_timeout).await,
        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

async fn serve_connection<S>(
    stream: S,
    peer: SocketAddr,
    router: Router,
    slot: Arc<Connection>,
    request_timeout: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // When the connection became ready for its next request.
    let ready = Arc::new(Mutex::new(Instant::now()));
    let service = service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        slot.busy();
        let started = *ready.lock().unwrap_or_else(|e| e.into_inner());
        let expired = Arc::new(AtomicBool::new(false));
        let request = request.map(|body| DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep_until(started + request_timeout)),
            expired: expired.clone(),
        });
        let (router, ready, slot) = (router.clone(), ready.clone(), slot.clone());
        async move {
            let response = router.oneshot(request).await;
            *ready.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            slot.idle();
            if expired.load(Ordering::Relaxed) {
                tracing::debug!(%peer, "HTTP request body too slow");
                return Ok(timed_out());
            }
            response
        }
    });
    let result = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(request_timeout)
        .max_buf_size(MAX_HEADER_BYTES)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "HTTP connection ended with an error");
    }
}

/// 408, and the connection is closed (the rest of the body is never read).
fn timed_out() -> Response {
    let mut response = StatusCode::REQUEST_TIMEOUT.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that fails once the request's deadline has passed, so a
/// client trickling its body cannot hold a connection (the headers are held
/// to the same deadline by hyper).
struct DeadlineBody<B> {
    inner: B,
    deadline: Pin<Box<Sleep>>,
    /// Set when the deadline cut the body, to answer 408.
    expired: Arc<AtomicBool>,
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err("request timed out".into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
