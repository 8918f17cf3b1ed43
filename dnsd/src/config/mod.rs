//! dnsd configuration: a TOML file, overridable by `DNSD__SECTION__KEY=value`
//! environment variables, with secrets readable from files.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use ipnet::IpNet;
use serde::Deserialize;

/// Prefix of environment variables that override file values, e.g.
/// `DNSD__ADMIN__SECRET=…` or `DNSD__DNS__LISTEN='["0.0.0.0:53"]'`.
pub const ENV_PREFIX: &str = "DNSD__";

pub use spdyn_common::{config::ConfigError, logging::LogConfig};
pub use transfer::{
    AllowTransferConfig, Secondary, SecondaryConfig, Transfers, TsigKeyConfig, XfrConfig,
    ZoneTransfer,
};

mod transfer;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub store: StoreConfig,
    pub dns: DnsConfig,
    #[serde(rename = "zone")]
    pub zones: Vec<ZoneConfig>,
    /// TSIG keys for transfers and NOTIFY.
    #[serde(default, rename = "key")]
    pub keys: Vec<TsigKeyConfig>,
    #[serde(default)]
    pub xfr: XfrConfig,
    pub update: UpdateConfig,
    #[serde(default)]
    pub checkip: CheckipConfig,
    pub admin: AdminConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Follow Postgres (the control plane) instead of running standalone.
    pub sync: Option<SyncConfig>,
    #[serde(default)]
    pub log: LogConfig,
}

/// Connection to the control plane's Postgres.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// `postgres://user:password@host:port/db`; prefer `database_url_file`
    /// or `DNSD__SYNC__DATABASE_URL` for the password.
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    /// The role dnsd works as (`SET ROLE` after connecting): it may read the
    /// change feed and its views and call `dnsd_apply_host_states`, nothing
    /// else. control's migrations create it; the login role of
    /// `database_url` must be a member (or be it). Empty: stay the login role.
    #[serde(default = "default_sync_role")]
    pub role: String,
}

fn default_sync_role() -> String {
    "spdyn_dnsd".into()
}

impl SyncConfig {
    pub fn database_url(&self) -> Result<String, ConfigError> {
        spdyn_common::config::secret(
            self.database_url.as_deref(),
            self.database_url_file.as_deref(),
            "sync.database_url",
        )
    }
}

/// Where `/metrics`, `/healthz` and `/readyz` are served (no authentication:
/// bind it where only monitoring can reach it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Directory of the sled database.
    pub path: PathBuf,
    /// sled page cache in MiB. Queries never read sled; updates read one host
    /// each, and the kernel's page cache serves what sled's cache misses, so
    /// a small cache costs little and keeps the resident size down.
    #[serde(default = "default_cache_mb")]
    pub cache_mb: u64,
}

fn default_cache_mb() -> u64 {
    8
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// Addresses to answer on, UDP and TCP each. Port 0 picks a free port.
    pub listen: Vec<SocketAddr>,
    /// EDNS(0) UDP payload size the server advertises and uses as its ceiling.
    #[serde(default = "default_udp_payload")]
    pub udp_payload: u16,
    /// A TCP connection that has not sent a complete query for this long
    /// (since it opened or since its last answer) is closed.
    #[serde(default = "default_tcp_idle_secs")]
    pub tcp_idle_secs: u64,
    /// TCP connections open at once; a new one beyond this closes the one
    /// idle the longest (or is refused when none is idle).
    #[serde(default = "default_tcp_max_connections")]
    pub tcp_max_connections: usize,
    /// TCP connections open at once per source (IPv4 address or IPv6 /64);
    /// more are closed at once.
    #[serde(default = "default_tcp_max_connections_per_source")]
    pub tcp_max_connections_per_source: usize,
    /// UDP worker threads per listen address (each with its own socket);
    /// 0 = one per CPU.
    #[serde(default)]
    pub udp_workers: usize,
    /// Response rate limiting of UDP answers (`[dns.rrl]`).
    #[serde(default)]
    pub rrl: RrlConfig,
}

/// Response rate limiting (RRL) of UDP answers (ARCHITECTURE.md, "Response
/// rate limiting"). TCP is never limited: it is where limited clients go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RrlConfig {
    /// On by default: without it every large answer is a 20× reflector.
    pub enabled: bool,
    /// Account and count what would be limited, but answer everything.
    pub dry_run: bool,
    /// Answers per second per source prefix and class: positive answers per
    /// query name, NODATA and NXDOMAIN per zone, errors per prefix.
    /// 0 = unlimited.
    pub rate: u32,
    /// Large answers per second per source prefix, whatever the name.
    /// 0 = unlimited.
    pub large_rate: u32,
    /// An answer longer than this (in bytes, as sent) is large.
    pub large_size: usize,
    /// A bucket holds this many seconds of its rate: the most answers a quiet
    /// source gets at once.
    pub burst_secs: u32,
    /// Every Nth answer over the limit goes out truncated (TC) so a real
    /// resolver retries over TCP; the others are dropped. 0 = drop all,
    /// 1 = truncate all.
    pub slip: u32,
    /// Sources are accounted by these prefixes.
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    /// Slots of the shared table (8 bytes each), rounded up to a power of two.
    pub table_size: usize,
}

impl Default for RrlConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            dry_run: false,
            rate: 200,
            large_rate: 50,
            large_size: 512,
            burst_secs: 1,
            slip: 2,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
            table_size: 1 << 15,
        }
    }
}

impl RrlConfig {
    /// Highest rate: the table counts in microseconds.
    pub const MAX_RATE: u32 = 1_000_000;
    /// Largest table: 128 MiB.
    pub const MAX_TABLE: usize = 1 << 24;

    fn validate(&self) -> Result<(), ConfigError> {
        let problem = if self.rate > Self::MAX_RATE || self.large_rate > Self::MAX_RATE {
            "dns.rrl.rate and large_rate must be at most 1000000"
        } else if !(1..=3600).contains(&self.burst_secs) {
            "dns.rrl.burst_secs must be 1 to 3600"
        } else if self.ipv4_prefix > 32 || self.ipv6_prefix > 128 {
            "dns.rrl.ipv4_prefix must be at most 32, ipv6_prefix at most 128"
        } else if !(1..=Self::MAX_TABLE).contains(&self.table_size) {
            "dns.rrl.table_size must be 1 to 16777216"
        } else {
            return Ok(());
        };
        Err(ConfigError::Invalid(problem.into()))
    }
}

impl DnsConfig {
    /// The number of UDP workers to start per address.
    pub fn udp_workers(&self) -> usize {
        match self.udp_workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
}

fn default_udp_payload() -> u16 {
    1232
}
fn default_tcp_idle_secs() -> u64 {
    10
}
fn default_tcp_max_connections() -> usize {
    256
}
fn default_tcp_max_connections_per_source() -> usize {
    16
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// Zone apex, e.g. `dyn.example.net`.
    pub name: String,
    /// Name servers of the zone (NS at the apex, first one is the SOA MNAME).
    pub ns: Vec<String>,
    /// Responsible mailbox in domain form (`hostmaster.example.net`).
    pub hostmaster: String,
    #[serde(default = "default_zone_ttl")]
    pub ttl: u32,
    #[serde(default = "default_refresh")]
    pub refresh: u32,
    #[serde(default = "default_retry")]
    pub retry: u32,
    #[serde(default = "default_expire")]
    pub expire: u32,
    /// Negative-caching TTL (RFC 2308): SOA MINIMUM.
    #[serde(default = "default_negative_ttl")]
    pub negative_ttl: u32,
    /// TTL of host records unless the host sets its own.
    #[serde(default = "default_host_ttl")]
    pub host_ttl: u32,
    /// Static records in zone-file syntax.
    #[serde(default, rename = "record")]
    pub records: Vec<StaticRecord>,
    /// Name servers that copy the zone by transfer (see `transfer.rs`).
    #[serde(default, rename = "secondary")]
    pub secondaries: Vec<SecondaryConfig>,
    #[serde(default)]
    pub allow_transfer: Vec<AllowTransferConfig>,
}

fn default_zone_ttl() -> u32 {
    3600
}
fn default_refresh() -> u32 {
    3600
}
fn default_retry() -> u32 {
    600
}
fn default_expire() -> u32 {
    1_209_600
}
fn default_negative_ttl() -> u32 {
    60
}
fn default_host_ttl() -> u32 {
    60
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticRecord {
    /// Owner relative to the apex (`@` for the apex itself, `www`, `*.static`).
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    /// RDATA in zone-file presentation form (`192.0.2.1`, `10 mail.example.net.`).
    pub value: String,
    pub ttl: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfig {
    /// Plain HTTP listeners (routers that cannot do TLS need these).
    #[serde(default)]
    pub listen: Vec<SocketAddr>,
    /// HTTPS listeners; need `tls_cert` and `tls_key`.
    #[serde(default)]
    pub tls_listen: Vec<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Proxies whose `X-Forwarded-For`/`X-Real-IP` headers are believed.
    #[serde(default)]
    pub trusted_proxies: Vec<IpNet>,
    /// Realm of the `WWW-Authenticate` challenge.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Most hosts one account-mode request may name.
    #[serde(default = "default_max_hosts")]
    pub max_hosts_per_request: usize,
    /// A client must have sent a whole request, headers and body, within this
    /// many seconds of connecting (or of the previous answer on a kept-alive
    /// connection); otherwise it is disconnected.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// Connections open at once per source (IPv4 address or IPv6 /64) on
    /// every update and checkip listener; more are closed at once. Trusted
    /// proxies are exempt (every client behind them shares their address).
    #[serde(default = "default_max_connections_per_source")]
    pub max_connections_per_source: usize,
    #[serde(default)]
    pub abuse: AbuseConfig,
}

fn default_realm() -> String {
    "spdyn update".into()
}
fn default_max_hosts() -> usize {
    20
}
fn default_request_timeout_secs() -> u64 {
    10
}
fn default_max_connections_per_source() -> usize {
    64
}

/// Abuse policy; see docs/UPDATE-PROTOCOL.md for what each knob does.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AbuseConfig {
    /// Least time between two changes of one address family of one host.
    pub min_change_interval_secs: u64,
    /// This many `nochg` answers for one host and family within `nochg_window_secs`
    /// lock the host.
    pub nochg_limit: u32,
    pub nochg_window_secs: u64,
    /// How long a host stays locked after too many `nochg`.
    pub lock_secs: u64,
    /// Failed authentications from one source (IPv4 address or IPv6 /64) within
    /// the window before that source is blocked.
    pub auth_fail_limit: u32,
    pub auth_fail_window_secs: u64,
    pub auth_fail_block_secs: u64,
    /// Failed authentications against one host within the window before
    /// password (account-mode) updates of that host are blocked. Token updates
    /// keep working: a 128-bit token cannot be guessed, and blocking it would let
    /// anyone lock out the owner.
    pub host_auth_fail_limit: u32,
    /// Failed account-mode authentications naming one account within the
    /// window before account-mode updates of that account are refused with
    /// `abuse` — without checking the password, so guessing from many
    /// sources gets no further than from one.
    pub account_auth_fail_limit: u32,
    /// checkip requests per source and minute.
    pub checkip_per_minute: u32,
}

impl Default for AbuseConfig {
    fn default() -> Self {
        // The limits control's setup guide states by default.
        let shown = spdyn_common::update_limits::UpdateLimits::default();
        Self {
            min_change_interval_secs: shown.min_change_interval_secs,
            nochg_limit: shown.nochg_limit,
            nochg_window_secs: shown.nochg_window_secs,
            lock_secs: shown.lock_secs,
            auth_fail_limit: shown.auth_fail_limit,
            auth_fail_window_secs: shown.auth_fail_window_secs,
            auth_fail_block_secs: shown.auth_fail_block_secs,
            host_auth_fail_limit: 50,
            account_auth_fail_limit: 10,
            checkip_per_minute: 60,
        }
    }
}

impl AbuseConfig {
    pub fn min_change_interval(&self) -> Duration {
        Duration::from_secs(self.min_change_interval_secs)
    }
}

/// Extra listeners that only answer "what is my address" (e.g. one reachable
/// only over IPv4 and one only over IPv6). The update listeners answer it too.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckipConfig {
    #[serde(default)]
    pub listen: Vec<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Loopback address of the admin API used by the `dnsd host …` commands.
    pub listen: SocketAddr,
    /// Shared secret; prefer `secret_file` or `DNSD__ADMIN__SECRET`.
    pub secret: Option<String>,
    pub secret_file: Option<PathBuf>,
}

/// The example configuration's admin secret, refused so that a copied
/// example never runs with a secret everybody knows.
const ADMIN_SECRET_PLACEHOLDER: &str = "change-me-admin-secret";
/// Shortest admin secret accepted (characters).
const ADMIN_SECRET_MIN_CHARS: usize = 32;

impl AdminConfig {
    /// The admin secret from `secret` or `secret_file`; the example's
    /// placeholder and anything shorter than [`ADMIN_SECRET_MIN_CHARS`] are
    /// refused.
    pub fn secret(&self) -> Result<String, ConfigError> {
        let secret = spdyn_common::config::secret(
            self.secret.as_deref(),
            self.secret_file.as_deref(),
            "admin.secret",
        )?;
        if secret == ADMIN_SECRET_PLACEHOLDER {
            return Err(ConfigError::Invalid(format!(
                "admin.secret is the example's placeholder: set a random secret of at least \
                 {ADMIN_SECRET_MIN_CHARS} characters (e.g. `openssl rand -hex 32`)"
            )));
        }
        if secret.chars().count() < ADMIN_SECRET_MIN_CHARS {
            return Err(ConfigError::Invalid(format!(
                "admin.secret must be at least {ADMIN_SECRET_MIN_CHARS} characters \
                 (e.g. `openssl rand -hex 32`)"
            )));
        }
        Ok(secret)
    }
}

impl Config {
    /// Reads the file, applies environment overrides and checks the result.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = spdyn_common::config::read(path)?;
        let mut config = Self::parse_with_env(&text, std::env::vars())?;
        // Relative store paths are relative to the config file's directory so a
        // service manager's working directory does not matter.
        if config.store.path.is_relative()
            && let Some(dir) = path.parent()
        {
            config.store.path = dir.join(&config.store.path);
        }
        Ok(config)
    }

    /// Parses TOML text and applies `DNSD__…` overrides from `vars`.
    pub fn parse_with_env(
        text: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let config: Config = spdyn_common::config::parse_with_env(text, ENV_PREFIX, vars)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.zones.is_empty() {
            return Err(ConfigError::Invalid(
                "at least one [[zone]] is required".into(),
            ));
        }
        if !self.admin.listen.ip().is_loopback() {
            return Err(ConfigError::Invalid(
                "admin.listen must be a loopback address".into(),
            ));
        }
        if !self.update.tls_listen.is_empty()
            && (self.update.tls_cert.is_none() || self.update.tls_key.is_none())
        {
            return Err(ConfigError::Invalid(
                "update.tls_listen needs update.tls_cert and update.tls_key".into(),
            ));
        }
        if self.dns.udp_payload < 512 {
            return Err(ConfigError::Invalid(
                "dns.udp_payload must be at least 512".into(),
            ));
        }
        self.dns.rrl.validate()?;
        let zeros = [
            ("dns.tcp_idle_secs", self.dns.tcp_idle_secs == 0),
            ("dns.tcp_max_connections", self.dns.tcp_max_connections == 0),
            (
                "dns.tcp_max_connections_per_source",
                self.dns.tcp_max_connections_per_source == 0,
            ),
            (
                "update.request_timeout_secs",
                self.update.request_timeout_secs == 0,
            ),
            (
                "update.max_connections_per_source",
                self.update.max_connections_per_source == 0,
            ),
        ];
        if let Some((key, _)) = zeros.iter().find(|(_, zero)| *zero) {
            return Err(ConfigError::Invalid(format!("{key} must be at least 1")));
        }
        // Refused at load, not at the first admin command.
        self.admin.secret()?;
        self.transfers()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const MINIMAL: &str = r#"
        [store]
        path = "state"
        [dns]
        listen = ["127.0.0.1:0"]
        [[zone]]
        name = "dyn.example"
        ns = ["ns1.example."]
        hostmaster = "hostmaster.example"
        [update]
        listen = ["127.0.0.1:0"]
        [admin]
        listen = "127.0.0.1:0"
        secret = "0123456789abcdef0123456789abcdef"
    "#;

    fn secret_var(value: &str) -> (String, String) {
        ("DNSD__ADMIN__SECRET".to_owned(), value.to_owned())
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../../../config/dnsd.example.toml");
        let vars = [secret_var(&"x".repeat(32))];
        let config = Config::parse_with_env(text, vars).expect("example config must parse");
        assert!(!config.zones.is_empty());
        assert!(config.admin.listen.ip().is_loopback());
    }

    #[test]
    fn the_example_secret_and_short_secrets_are_refused_at_load() {
        let text = include_str!("../../../config/dnsd.example.toml");
        let Err(ConfigError::Invalid(message)) = Config::parse_with_env(text, []) else {
            panic!("the placeholder must be refused");
        };
        assert!(message.contains("placeholder"), "{message}");
        let short = [secret_var(&"x".repeat(31))];
        let Err(ConfigError::Invalid(message)) = Config::parse_with_env(MINIMAL, short) else {
            panic!("a 31-character secret must be refused");
        };
        assert!(message.contains("at least 32 characters"), "{message}");
        // Characters, not bytes: 32 of them pass.
        let long = [secret_var(&"ü".repeat(32))];
        assert!(Config::parse_with_env(MINIMAL, long).is_ok());
    }

    #[test]
    fn connection_limits_have_defaults_and_must_not_be_zero() {
        let config = Config::parse_with_env(MINIMAL, []).unwrap();
        assert_eq!(config.dns.tcp_max_connections, 256);
        assert_eq!(config.dns.tcp_max_connections_per_source, 16);
        assert_eq!(config.update.request_timeout_secs, 10);
        assert_eq!(config.update.max_connections_per_source, 64);
        let zero = [(
            "DNSD__DNS__TCP_MAX_CONNECTIONS_PER_SOURCE".to_owned(),
            "0".to_owned(),
        )];
        assert!(matches!(
            Config::parse_with_env(MINIMAL, zero),
            Err(ConfigError::Invalid(m)) if m.contains("tcp_max_connections_per_source")
        ));
    }

    #[test]
    fn environment_overrides_file_values() {
        let vars = [
            secret_var("from-the-environment-0123456789abcdef"),
            (
                "DNSD__UPDATE__ABUSE__NOCHG_LIMIT".to_owned(),
                "3".to_owned(),
            ),
            (
                "DNSD__DNS__LISTEN".to_owned(),
                r#"["127.0.0.1:5300"]"#.to_owned(),
            ),
            ("OTHER".to_owned(), "ignored".to_owned()),
        ];
        let config = Config::parse_with_env(MINIMAL, vars).unwrap();
        assert_eq!(
            config.admin.secret().unwrap(),
            "from-the-environment-0123456789abcdef"
        );
        assert_eq!(config.update.abuse.nochg_limit, 3);
        assert_eq!(config.dns.listen, vec!["127.0.0.1:5300".parse().unwrap()]);
    }

    #[test]
    fn rate_limiting_is_on_by_default_and_checked() {
        let config = Config::parse_with_env(MINIMAL, []).unwrap();
        assert!(config.dns.rrl.enabled && !config.dns.rrl.dry_run);
        assert_eq!((config.dns.rrl.rate, config.dns.rrl.slip), (200, 2));
        let with =
            |line: &str| MINIMAL.replace("[[zone]]", &format!("[dns.rrl]\n{line}\n[[zone]]"));
        let off = Config::parse_with_env(&with("enabled = false"), []).unwrap();
        assert!(!off.dns.rrl.enabled);
        for bad in [
            "burst_secs = 0",
            "ipv4_prefix = 33",
            "rate = 1000001",
            "table_size = 0",
        ] {
            assert!(
                matches!(
                    Config::parse_with_env(&with(bad), []),
                    Err(ConfigError::Invalid(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            Config::parse_with_env(&with("ratelimit = 5"), []),
            Err(ConfigError::Parse(_))
        ));
    }

    #[test]
    fn unknown_keys_and_public_admin_are_rejected() {
        let typo = MINIMAL.replace("[dns]", "[dns]\nlisten_udp = []");
        assert!(matches!(
            Config::parse_with_env(&typo, []),
            Err(ConfigError::Parse(_))
        ));
        let public = MINIMAL.replace("listen = \"127.0.0.1:0\"", "listen = \"0.0.0.0:1\"");
        assert!(matches!(
            Config::parse_with_env(&public, []),
            Err(ConfigError::Invalid(_))
        ));
    }
}
