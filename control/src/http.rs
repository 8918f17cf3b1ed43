//! Serving the application over HTTP/1.1 with limits, so slow or numerous
//! clients cannot hold the portal: request headers must arrive within
//! `http.header_timeout_secs` (also the longest a kept-alive connection
//! idles), a request must be answered within `http.request_timeout_secs`
//! (408; a body trickled in slowly counts), and connections are capped in
//! all (more wait in the kernel's backlog) and per source (an IPv4 address
//! or IPv6 /64; more are closed at once; trusted proxies are exempt). The
//! peer address goes into every request as axum's `ConnectInfo`. A stop
//! finishes the requests in flight (for a few seconds at most).

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::ConnectInfo, response::IntoResponse};
use hyper::{Request, body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use spdyn_common::client_ip::{canonical, source_key};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
};
use tower::ServiceExt;

use crate::{config::HttpConfig, error::Error, html::HtmlError};

/// Request line plus headers (cookies included) fit in this.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// How long a stop waits for the requests in flight.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The limits of [`serve`], from `[http]`.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_source: usize,
    /// Not limited per source: all their clients arrive from them.
    pub trusted_proxies: Vec<IpNet>,
}

impl Limits {
    pub fn from_config(http: &HttpConfig) -> Self {
        Self {
            header_timeout: http.header_timeout(),
            request_timeout: http.request_timeout(),
            max_connections: http.max_connections,
            max_connections_per_source: http.max_connections_per_source,
            trusted_proxies: http.trusted_proxies.clone(),
        }
    }
}

/// Open connections per source.
#[derive(Debug, Default)]
struct Sources(Mutex<HashMap<IpAddr, usize>>);

/// One connection of a source; counted down when dropped.
struct SourceSlot {
    sources: Arc<Sources>,
    key: IpAddr,
}

impl Sources {
    /// A slot for `peer`, unless the source has `limit` connections open.
    fn take(self: &Arc<Self>, peer: IpAddr, limit: usize) -> Option<SourceSlot> {
        let key = source_key(peer);
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(SourceSlot {
            sources: self.clone(),
            key,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut open = self.sources.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let sources = Arc::new(Sources::default());
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, typically: let some close.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let ip = canonical(peer.ip());
        let source = if limits.trusted_proxies.iter().any(|net| net.contains(&ip)) {
            None
        } else {
            match sources.take(ip, limits.max_connections_per_source) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%peer, "too many connections from this source");
                    continue;
                }
            }
        };
        let connection = Connection {
            app: app.clone(),
            peer,
            limits: limits.clone(),
            _permit: permit,
            _source: source,
        };
        tokio::spawn(connection.run(stream, stopping.clone()));
    }
    let _ = stop.send(true);
    // Every connection holds a slot until it ends.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(STOP_GRACE, slots.acquire_many(all)).await;
}

/// One accepted connection with the slots it holds until it ends.
struct Connection {
    app: Router,
    peer: SocketAddr,
    limits: Limits,
    _permit: OwnedSemaphorePermit,
    _source: Option<SourceSlot>,
}

impl Connection {
    async fn run(self, stream: TcpStream, mut stopping: watch::Receiver<bool>) {
        let _ = stream.set_nodelay(true);
        let (app, peer, request_timeout) =
            (self.app.clone(), self.peer, self.limits.request_timeout);
        let service = service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let api = request.uri().path().starts_with("/api/");
            let answer = app.clone().oneshot(request);
            async move {
                match tokio::time::timeout(request_timeout, answer).await {
                    Ok(response) => response,
                    Err(_) => {
                        tracing::info!(%peer, "request timed out");
                        Ok(if api {
                            Error::RequestTimeout.into_response()
                        } else {
                            HtmlError(Error::RequestTimeout).into_response()
                        })
                    }
                }
            }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .max_buf_size(MAX_HEADER_BYTES)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let result = tokio::select! {
            result = connection.as_mut() => result,
            _ = async { drop(stopping.wait_for(|stop| *stop).await) } => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = result {
            tracing::debug!(%peer, %error, "HTTP connection ended with an error");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_counted_per_address_and_slash_64() {
        let sources = Arc::new(Sources::default());
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        let first = sources.take(a, 2).expect("first");
        let second = sources.take(b, 2).expect("same /64, second");
        assert!(sources.take(a, 2).is_none(), "the /64 is full");
        assert!(sources.take("192.0.2.1".parse().unwrap(), 2).is_some());
        drop(first);
        assert!(sources.take(a, 2).is_some(), "a slot came free");
        drop(second);
    }
}
