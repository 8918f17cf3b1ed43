//! Authoritative DNS: sockets, the fast UDP path, TCP with connection caps,
//! the hickory handler for TCP and unusual queries, and the shared lookup.

pub mod batch_io;
pub mod encoded;
pub mod handler;
pub mod pressure;
pub mod resolve;
pub mod rrl;
pub mod tcp;
pub mod tsig;
pub mod udp;
pub mod wire;
pub mod xfr;

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;

use crate::{config::DnsConfig, limits::ConnectionLimits, metrics::Metrics, store::Index};

/// Kernel receive buffer asked for on UDP sockets, to ride out bursts.
const UDP_RECV_BUFFER: usize = 4 << 20;

/// The addresses the DNS server actually bound (port 0 resolved).
#[derive(Debug, Clone)]
pub struct DnsListeners {
    pub udp: Vec<SocketAddr>,
    pub tcp: Vec<SocketAddr>,
}

/// Binds every configured address for UDP and TCP and starts serving: UDP on
/// `udp_workers` threads (each with its own `SO_REUSEPORT` socket), TCP on
/// the async runtime (one connection budget for all addresses).
pub async fn start(
    config: &DnsConfig,
    index: Arc<Index>,
    transfers: Arc<xfr::Service>,
    metrics: Arc<Metrics>,
) -> io::Result<DnsListeners> {
    let handler = handler::Handler::new(index.clone(), config.udp_payload, metrics.dns_counters())
        .with_transfers(transfers);
    let pressure = Arc::new(pressure::QueryPressure::default());
    let tcp_context = Arc::new(tcp::TcpContext {
        handler: handler.clone(),
        limits: ConnectionLimits::new(
            config.tcp_max_connections,
            config.tcp_max_connections_per_source,
            Vec::new(),
        ),
        idle: Duration::from_secs(config.tcp_idle_secs),
        pressure: pressure.clone(),
    });
    let context = Arc::new(udp::UdpContext {
        index,
        handler,
        udp_payload: config.udp_payload,
        rrl: config.rrl.enabled.then(|| rrl::Rrl::new(&config.rrl)),
        runtime: tokio::runtime::Handle::current(),
        metrics,
        pressure,
    });
    let workers = config.udp_workers();
    let mut listeners = DnsListeners {
        udp: Vec::new(),
        tcp: Vec::new(),
    };
    for addr in &config.listen {
        let (first, tcp) = bind_pair(*addr)?;
        let udp_addr = first.local_addr()?;
        let tcp_addr = tcp.local_addr()?;
        let mut sockets = vec![first];
        for _ in 1..workers {
            sockets.push(udp_socket(udp_addr)?);
        }
        for (n, socket) in sockets.into_iter().enumerate() {
            let context = context.clone();
            std::thread::Builder::new()
                .name(format!("dns-udp-{n}"))
                .spawn(move || udp::serve(socket, context))?;
        }
        crate::log_listening("dns-udp", udp_addr);
        crate::log_listening("dns-tcp", tcp_addr);
        listeners.udp.push(udp_addr);
        listeners.tcp.push(tcp_addr);
        tcp::spawn(tcp, tcp_context.clone());
    }
    Ok(listeners)
}

/// Binds UDP and TCP on the same port; with port 0 the kernel's UDP choice is
/// reused for TCP (retried if that port is taken for TCP).
fn bind_pair(addr: SocketAddr) -> io::Result<(std::net::UdpSocket, TcpListener)> {
    let mut last_error = None;
    for _ in 0..16 {
        let udp = udp_socket(addr)?;
        let mut tcp_addr = addr;
        tcp_addr.set_port(udp.local_addr()?.port());
        match crate::http::bind(tcp_addr) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(error) if addr.port() == 0 => last_error = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free port pair")))
}

/// A blocking UDP socket with `SO_REUSEPORT`, so each worker can own one
/// socket of the same address and the kernel spreads queries across them.
fn udp_socket(addr: SocketAddr) -> io::Result<std::net::UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_port(true)?;
    // Best effort: a smaller buffer only means earlier drops under a flood.
    let _ = socket.set_recv_buffer_size(UDP_RECV_BUFFER);
    let _ = socket.set_send_buffer_size(UDP_RECV_BUFFER);
    socket.bind(&addr.into())?;
    Ok(socket.into())
}
