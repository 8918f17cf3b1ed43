//! What both spdyn binaries must do the same way: configuration files with
//! environment overrides ([`config`]), the client address behind trusted
//! proxies and the per-source unit of limits ([`client_ip`]), update tokens
//! ([`tokens`]), argon2id account passwords ([`password`]), host-name syntax
//! ([`names`]), the log setup ([`logging`]), which Postgres errors are worth
//! a retry ([`postgres`]), stopping on SIGTERM and SIGINT ([`shutdown`]), the
//! update limits dnsd enforces and control shows ([`update_limits`]) and
//! the log line that announces a bound address
//! ([`log_listening`]).

pub mod client_ip;
pub mod config;
pub mod logging;
pub mod names;
pub mod password;
pub mod postgres;
pub mod shutdown;
pub mod tokens;
pub mod update_limits;

/// Logs a bound address in the one stable format operators and tests read:
/// `listening service=<name> addr=<ip:port>`.
pub fn log_listening(service: &str, addr: std::net::SocketAddr) {
    tracing::info!(target: "spdyn::listen", service = %service, addr = %addr, "listening");
}
