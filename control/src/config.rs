//! control configuration: a TOML file, overridable by `CONTROL__SECTION__KEY=value`
//! environment variables, with secrets readable from files.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::Deserialize;

use crate::domain::names::Zone;

/// Prefix of environment variables that override file values, e.g.
/// `CONTROL__DATABASE__URL=postgres://…` or `CONTROL__HTTP__LISTEN=0.0.0.0:8080`.
pub const ENV_PREFIX: &str = "CONTROL__";

pub use spdyn_common::{config::ConfigError, logging::LogConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    /// Directory for control's own state (the private PostgreSQL cluster,
    /// development mails). Relative to the config file's directory.
    pub data_dir: PathBuf,
    #[serde(default)]
    pub database: DatabaseConfig,
    pub hosts: HostsConfig,
    #[serde(default)]
    pub accounts: AccountsConfig,
    pub mail: MailConfig,
    #[serde(default)]
    pub security: SecurityConfig,
    #[serde(default)]
    pub tenants: TenantsConfig,
    #[serde(default)]
    pub licences: LicencesConfig,
    #[serde(default)]
    pub dashboard: DashboardConfig,
    #[serde(default)]
    pub log: LogConfig,
}

/// Resellers' customers: each is a tenant reached under
/// `<customer number>.<domain_suffix>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantsConfig {
    pub domain_suffix: String,
}

impl Default for TenantsConfig {
    fn default() -> Self {
        Self {
            domain_suffix: "tenants.localhost".into(),
        }
    }
}

/// Licence states and the sweep that tells dnsd about ended grace periods.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LicencesConfig {
    /// A licence is "expiring" this many days before its last day.
    pub expiring_days: u32,
    /// After its last day a licence's hosts still take updates this long;
    /// then they answer `!donator` (and keep resolving).
    pub grace_days: u32,
    /// How often the sweep looks for grace periods that ended.
    pub sweep_seconds: u64,
    /// Shifts the date licence states are computed for (tests and
    /// demonstrations of expiry; 0 in production).
    pub clock_offset_days: i64,
}

impl Default for LicencesConfig {
    fn default() -> Self {
        Self {
            expiring_days: 30,
            grace_days: 14,
            sweep_seconds: 60,
            clock_offset_days: 0,
        }
    }
}

impl LicencesConfig {
    pub fn rules(&self) -> crate::domain::licences::LicenceRules {
        crate::domain::licences::LicenceRules {
            expiring_days: self.expiring_days,
            grace_days: self.grace_days,
        }
    }
}

/// The dashboard's notion of a host that needs a look.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// A host without an update for this many days is listed.
    pub stale_days: u32,
    /// How often the daily digest job looks for users whose digest is due.
    pub digest_check_seconds: u64,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            stale_days: 30,
            digest_check_seconds: 600,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the portal and the API. Port 0 picks a free port.
    pub listen: SocketAddr,
    /// The URL people reach the portal at (used in mails). When it starts
    /// with `https://` cookies are marked `Secure`.
    pub public_url: String,
    /// Reverse proxies (addresses or networks) whose `X-Forwarded-For` is
    /// believed for the client address in the action log and the throttles:
    /// the right-most address that is not itself a trusted proxy.
    #[serde(
        default,
        deserialize_with = "spdyn_common::client_ip::deserialize_proxies"
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A client must send a request's headers within this long (also the
    /// longest a kept-alive connection waits idle for the next request).
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    /// A request (body included) must be answered within this long; else
    /// 408 and the connection closes.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    /// Connections served at once; more wait in the kernel's backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Connections at once from one source (IPv4 address or IPv6 /64);
    /// more are closed at once. Trusted proxies are not limited.
    #[serde(default = "default_max_connections_per_source")]
    pub max_connections_per_source: usize,
}

fn default_header_timeout() -> u64 {
    10
}
fn default_request_timeout() -> u64 {
    30
}
fn default_max_connections() -> usize {
    4096
}
/// Enough for an office behind one NAT address (browsers keep ~6 each).
fn default_max_connections_per_source() -> usize {
    256
}

impl HttpConfig {
    /// True when the portal is served to browsers over TLS (by a proxy):
    /// then cookies are `Secure` with the `__Host-` prefix and answers carry
    /// HSTS.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…`; unset = a private cluster under `data_dir/postgres`.
    pub url: Option<String>,
    /// File holding the URL (for secrets managers); used when `url` is unset.
    pub url_file: Option<PathBuf>,
    /// Connections in the pool.
    #[serde(default = "default_pool")]
    pub max_connections: u32,
}

fn default_pool() -> u32 {
    10
}

impl DatabaseConfig {
    /// The configured URL, from `url` or `url_file`; `None` = private cluster.
    pub fn url(&self) -> Result<Option<String>, ConfigError> {
        secret(self.url.as_ref(), self.url_file.as_ref())
    }
}

/// A secret given inline or in a file, if either is set.
fn secret(inline: Option<&String>, file: Option<&PathBuf>) -> Result<Option<String>, ConfigError> {
    spdyn_common::config::optional_secret(inline.map(String::as_str), file.map(PathBuf::as_path))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostsConfig {
    /// Zones under which accounts may create hosts (`<label>.<zone>`).
    pub zones: Vec<String>,
    /// TTL of a new host.
    #[serde(default = "default_ttl")]
    pub default_ttl: u32,
    /// The dyndns2 update URL routers use (served by dnsd), shown with every
    /// new token, e.g. `https://update.example.net/nic/update`.
    pub update_url: Option<String>,
    /// A label: on first start the first administrator gets this host (in
    /// the first zone) with a token, printed once, so a new installation can
    /// be tried at once. Leave unset in production.
    pub demo_host: Option<String>,
    /// The update limits the setup guide states: keep them as dnsd's
    /// `[update.abuse]` (both default to the same values).
    #[serde(default)]
    pub update_limits: spdyn_common::update_limits::UpdateLimits,
}

fn default_ttl() -> u32 {
    60
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Whether anyone may create an account.
    pub signup: bool,
    /// Hosts a new account may create.
    pub default_host_quota: u32,
    /// Absolute lifetime of a signed-in session.
    pub session_hours: u64,
    /// Name and e-mail address of the administrator created on first start.
    pub first_admin: String,
    pub first_admin_email: String,
    /// Failed sign-ins per account name, and per source (IPv4 address or
    /// IPv6 /64), within `signin_window_minutes` before further attempts are
    /// refused. An attempt counts from before its password is checked.
    pub signin_failures_per_account: u32,
    pub signin_failures_per_source: u32,
    pub signin_window_minutes: u32,
    /// Reset mails per account, and reset requests per source, within
    /// `reset_window_minutes`.
    pub reset_requests_per_account: u32,
    pub reset_requests_per_source: u32,
    pub reset_window_minutes: u32,
    /// Entries of the action log older than this are deleted.
    pub log_retention_days: u32,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            signup: true,
            default_host_quota: 5,
            session_hours: 12,
            first_admin: "admin".into(),
            first_admin_email: "admin@localhost.localdomain".into(),
            signin_failures_per_account: 5,
            signin_failures_per_source: 20,
            signin_window_minutes: 15,
            reset_requests_per_account: 3,
            reset_requests_per_source: 10,
            reset_window_minutes: 60,
            log_retention_days: 365,
        }
    }
}

impl AccountsConfig {
    pub fn session_lifetime(&self) -> Duration {
        Duration::from_secs(self.session_hours * 3600)
    }
}

/// Two-factor sign-in: the key that seals TOTP secrets at rest and the date
/// from which administrators must use 2FA.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// 32 bytes, standard base64 (`openssl rand -base64 32`). Prefer
    /// `totp_key_file` or `CONTROL__SECURITY__TOTP_KEY`. When neither is set,
    /// control generates one into `data_dir/totp-key` on first start.
    pub totp_key: Option<String>,
    pub totp_key_file: Option<PathBuf>,
    /// `YYYY-MM-DD` (UTC), quoted or as a TOML date: from this day
    /// administrators without 2FA can reach nothing but the enrolment.
    /// Unset: never enforced, a banner only.
    #[serde(default, deserialize_with = "date_text")]
    pub admin_2fa_from: Option<String>,
}

/// A date given as a string or as a TOML date (an environment override
/// `…=2027-01-31` is read as TOML, which makes it a date).
fn date_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Plain(String),
        Toml(toml::value::Datetime),
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::Plain(s) => s,
        Text::Toml(d) => d.to_string(),
    }))
}

impl SecurityConfig {
    /// The configured TOTP key text, from `totp_key` or `totp_key_file`.
    pub fn totp_key(&self) -> Result<Option<String>, ConfigError> {
        secret(self.totp_key.as_ref(), self.totp_key_file.as_ref())
    }

    /// The enforcement date, if set (validated when the config is loaded).
    pub fn admin_2fa_from(&self) -> Option<time::Date> {
        self.admin_2fa_from
            .as_deref()
            .and_then(|d| crate::domain::dates::parse_date(d).ok())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// Sender address of every mail.
    pub from: String,
    /// Development: write each mail as a file into this directory instead of
    /// sending it (relative to the config file's directory).
    pub mail_dir: Option<PathBuf>,
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `none` (plain, for a local relay), `starttls` or `tls`.
    #[serde(default)]
    pub security: SmtpSecurity,
    pub user: Option<String>,
    /// Prefer `password_file` or `CONTROL__MAIL__SMTP__PASSWORD`.
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
}

impl SmtpConfig {
    /// The SMTP password from `password` or `password_file`, if any.
    pub fn password(&self) -> Result<Option<String>, ConfigError> {
        secret(self.password.as_ref(), self.password_file.as_ref())
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    #[default]
    Starttls,
    Tls,
}

impl Config {
    /// Reads the file, applies environment overrides and checks the result.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = spdyn_common::config::read(path)?;
        let mut config = Self::parse_with_env(&text, std::env::vars())?;
        // Relative paths are relative to the config file's directory so a
        // service manager's working directory does not matter.
        if let Some(dir) = path.parent() {
            config.data_dir = dir.join(&config.data_dir);
            if let Some(mail_dir) = &mut config.mail.mail_dir {
                *mail_dir = dir.join(&*mail_dir);
            }
            if let Some(key_file) = &mut config.security.totp_key_file {
                *key_file = dir.join(&*key_file);
            }
        }
        Ok(config)
    }

    /// Parses TOML text and applies `CONTROL__…` overrides from `vars`.
    pub fn parse_with_env(
        text: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let config: Config = spdyn_common::config::parse_with_env(text, ENV_PREFIX, vars)?;
        config.validate()?;
        Ok(config)
    }

    /// The offered zones, validated.
    pub fn zones(&self) -> Vec<Zone> {
        // validate() has parsed every zone already.
        self.hosts
            .zones
            .iter()
            .filter_map(|z| Zone::parse(z).ok())
            .collect()
    }

    /// The offered zone the portal's host name lies in, if any.
    fn portal_zone(&self) -> Option<&str> {
        let rest = self.http.public_url.split_once("://")?.1;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = host
            .split(':')
            .next()?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        self.hosts.zones.iter().map(String::as_str).find(|zone| {
            let zone = zone.trim_end_matches('.').to_ascii_lowercase();
            host == zone || host.ends_with(&format!(".{zone}"))
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.hosts.zones.is_empty() {
            return Err(ConfigError::Invalid("hosts.zones may not be empty".into()));
        }
        for zone in &self.hosts.zones {
            Zone::parse(zone)
                .map_err(|e| ConfigError::Invalid(format!("hosts.zones: {zone}: {e}")))?;
        }
        if !crate::domain::hosts::TTL_RANGE.contains(&self.hosts.default_ttl) {
            return Err(ConfigError::Invalid(
                "hosts.default_ttl must be between 30 and 86400".into(),
            ));
        }
        if !(self.http.public_url.starts_with("http://")
            || self.http.public_url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(
                "http.public_url must start with http:// or https://".into(),
            ));
        }
        if let Some(zone) = self.portal_zone() {
            return Err(ConfigError::Invalid(format!(
                "http.public_url: the portal may not live under the dynamic zone {zone}: \
                 anyone's host there would be same-site with it (docs/CONTROL.md)"
            )));
        }
        if self.mail.mail_dir.is_none() && self.mail.smtp.is_none() {
            return Err(ConfigError::Invalid(
                "mail needs either mail_dir (development) or [mail.smtp]".into(),
            ));
        }
        crate::domain::accounts::AccountName::parse(&self.accounts.first_admin)
            .map_err(|e| ConfigError::Invalid(format!("accounts.first_admin: {e}")))?;
        crate::domain::accounts::Email::parse(&self.accounts.first_admin_email)
            .map_err(|e| ConfigError::Invalid(format!("accounts.first_admin_email: {e}")))?;
        if let Some(date) = &self.security.admin_2fa_from {
            crate::domain::dates::parse_date(date)
                .map_err(|e| ConfigError::Invalid(format!("security.admin_2fa_from: {e}")))?;
        }
        let suffix = &self.tenants.domain_suffix;
        Zone::parse(suffix)
            .map_err(|e| ConfigError::Invalid(format!("tenants.domain_suffix: {suffix}: {e}")))?;
        if self.licences.sweep_seconds == 0 || self.dashboard.digest_check_seconds == 0 {
            return Err(ConfigError::Invalid(
                "licences.sweep_seconds and dashboard.digest_check_seconds must be at least 1"
                    .into(),
            ));
        }
        let a = &self.accounts;
        // Entries about nobody (unknown names) are kept one day: the
        // throttles' windows must fit in it.
        if a.signin_window_minutes == 0
            || a.reset_window_minutes == 0
            || a.signin_window_minutes > 1440
            || a.reset_window_minutes > 1440
        {
            return Err(ConfigError::Invalid(
                "accounts.signin_window_minutes and reset_window_minutes must be 1 to 1440".into(),
            ));
        }
        if a.log_retention_days == 0 {
            return Err(ConfigError::Invalid(
                "accounts.log_retention_days must be at least 1".into(),
            ));
        }
        let h = &self.http;
        if h.header_timeout_secs == 0
            || h.request_timeout_secs == 0
            || h.max_connections == 0
            || h.max_connections_per_source == 0
        {
            return Err(ConfigError::Invalid(
                "http timeouts and connection limits must be at least 1".into(),
            ));
        }
        if self.accounts.session_hours == 0 {
            return Err(ConfigError::Invalid(
                "accounts.session_hours must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        data_dir = "state"
        [http]
        listen = "127.0.0.1:0"
        public_url = "http://127.0.0.1"
        [hosts]
        zones = ["dyn.example"]
        [mail]
        from = "spdyn <noreply@example.net>"
        mail_dir = "mails"
    "#;

    #[test]
    fn example_config_parses() {
        let text = include_str!("../../config/control.example.toml");
        let config = Config::parse_with_env(text, []).expect("example config must parse");
        assert!(!config.zones().is_empty());
        assert_eq!(config.zones().len(), config.hosts.zones.len());
        assert!(config.database.url().unwrap().is_none(), "private cluster");
        // The example states the limits dnsd enforces by default.
        assert_eq!(
            config.hosts.update_limits,
            spdyn_common::update_limits::UpdateLimits::default()
        );
    }

    #[test]
    fn environment_overrides_file_values() {
        let vars = [
            (
                "CONTROL__DATABASE__URL".to_owned(),
                "postgres://u:p@127.0.0.1/db".to_owned(),
            ),
            ("CONTROL__ACCOUNTS__SIGNUP".to_owned(), "false".to_owned()),
            (
                "CONTROL__HTTP__PUBLIC_URL".to_owned(),
                "https://portal.example".to_owned(),
            ),
            (
                "CONTROL__SECURITY__ADMIN_2FA_FROM".to_owned(),
                "2027-01-31".to_owned(),
            ),
            (
                "CONTROL__HTTP__TRUSTED_PROXIES".to_owned(),
                r#"["192.0.2.1", "10.0.0.0/8"]"#.to_owned(),
            ),
            ("OTHER".to_owned(), "ignored".to_owned()),
        ];
        let config = Config::parse_with_env(MINIMAL, vars).unwrap();
        assert_eq!(
            config.database.url().unwrap().as_deref(),
            Some("postgres://u:p@127.0.0.1/db")
        );
        assert!(!config.accounts.signup);
        assert!(config.http.is_https());
        let proxies = &config.http.trusted_proxies;
        assert!(proxies[0].contains(&"192.0.2.1".parse::<std::net::IpAddr>().unwrap()));
        assert!(proxies[1].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        assert_eq!(
            config.security.admin_2fa_from(),
            Some(time::Date::from_calendar_date(2027, time::Month::January, 31).unwrap())
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let typo = MINIMAL.replace("[hosts]", "[hosts]\nzone = []");
        assert!(matches!(
            Config::parse_with_env(&typo, []),
            Err(ConfigError::Parse(_))
        ));
        let bad_zone = MINIMAL.replace("dyn.example", "not a zone");
        assert!(matches!(
            Config::parse_with_env(&bad_zone, []),
            Err(ConfigError::Invalid(_))
        ));
        let bad_date = format!("{MINIMAL}\n[security]\nadmin_2fa_from = \"31.01.2027\"");
        assert!(matches!(
            Config::parse_with_env(&bad_date, []),
            Err(ConfigError::Invalid(_))
        ));
        let long_window = format!("{MINIMAL}\n[accounts]\nreset_window_minutes = 2000");
        assert!(matches!(
            Config::parse_with_env(&long_window, []),
            Err(ConfigError::Invalid(_))
        ));
        let portal_in_zone = MINIMAL.replace("http://127.0.0.1", "https://portal.dyn.example/");
        assert!(matches!(
            Config::parse_with_env(&portal_in_zone, []),
            Err(ConfigError::Invalid(_))
        ));
        let beside = MINIMAL.replace("http://127.0.0.1", "https://portal.example:8443/");
        assert!(Config::parse_with_env(&beside, []).is_ok());
        let no_mail = MINIMAL.replace("mail_dir = \"mails\"", "");
        assert!(matches!(
            Config::parse_with_env(&no_mail, []),
            Err(ConfigError::Invalid(_))
        ));
    }
}
