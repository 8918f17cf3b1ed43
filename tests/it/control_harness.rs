//! Starting the real `control` binary against a throwaway PostgreSQL database
//! (one per test: see `control::pg::scratch`), with a real SMTP sink that
//! keeps every mail, and clients that talk to it over HTTP like a browser
//! (cookies, forms, CSRF tokens) or like an API client (bearer tokens).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use control::pg::scratch::Scratch;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader as AsyncBufReader};

use crate::harness::{binary, client_builder, parse_listening, read_until_ready};

pub const ZONE: &str = "dyn.test";
pub const OTHER_ZONE: &str = "home.test";
pub const PASSWORD: &str = "correct horse battery";
/// Where the portal says it lives (`http.public_url`, in mails): the tests
/// bind a free port, which is not known when the configuration is written.
pub const PUBLIC_URL: &str = "http://portal.test";
/// The tenant domain suffix: customer 100001's portal is `100001.tenants.test`.
pub const TENANT_SUFFIX: &str = "tenants.test";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Knobs a test may change in the generated configuration.
#[derive(Clone)]
pub struct Options {
    pub signup: bool,
    pub quota: u32,
    /// Failed sign-ins per source address before it is refused.
    pub source_limit: u32,
    /// Mails go to `data/mail` as files instead of to the SMTP sink.
    pub mail_dir: bool,
    /// `None`: no database URL, so control runs its private cluster.
    pub external_database: bool,
    /// Use this database instead of a fresh one (tests that run their own
    /// cluster, e.g. to stop it).
    pub database_url: Option<String>,
    /// `[hosts] demo_host`: a host made for the first admin on first start.
    pub demo_host: Option<String>,
    /// `[security] admin_2fa_from`: from this date operators must use 2FA.
    pub admin_2fa_from: Option<String>,
    /// `[licences] clock_offset_days`: the day licence states are computed
    /// for, shifted from today.
    pub clock_offset_days: i64,
    /// Environment overrides (`CONTROL__SECTION__KEY`, TOML values) for the
    /// knobs without a field here.
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            signup: true,
            quota: 5,
            source_limit: 50,
            mail_dir: false,
            external_database: true,
            database_url: None,
            demo_host: None,
            admin_2fa_from: None,
            clock_offset_days: 0,
            env: Vec::new(),
        }
    }
}

/// A running control with its database, mail sink and directory.
pub struct Control {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub addr: SocketAddr,
    pub base: String,
    pub mail: SmtpSink,
    /// Keeps the scratch database (and a private test cluster) alive.
    _scratch: Option<Scratch>,
    /// URL of the database control uses, when not its private cluster.
    pub database_url: Option<String>,
    /// From the first start's stdout: (name, password) of the first admin.
    pub admin: Option<(String, String)>,
    options: Options,
    smtp: SocketAddr,
    stdout: Arc<Mutex<Vec<String>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Control {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let database = if options.external_database && options.database_url.is_none() {
            Some(Scratch::new().await.expect("test database"))
        } else {
            None
        };
        let database_url = options
            .database_url
            .clone()
            .or_else(|| database.as_ref().map(|d| d.url.clone()));
        let mail = SmtpSink::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        // The private cluster's directory must be reachable by the postgres
        // user when the tests run as root.
        open_for_others(dir.path());
        // Port 0: control binds a free port and names it in its listening
        // line; a restart binds that same port again.
        let addr: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        let config = dir.path().join("control.toml");
        let smtp = mail.addr;
        std::fs::write(
            &config,
            config_text(&options, addr, smtp, database_url.as_deref()),
        )
        .expect("write config");
        let mut control = Self {
            child: None,
            dir,
            config,
            addr,
            base: String::new(),
            mail,
            _scratch: database,
            database_url,
            admin: None,
            options,
            smtp,
            stdout: Arc::default(),
            log: Arc::default(),
        };
        control.spawn();
        control.admin = control.admin_line();
        control
    }

    /// Starts the process and waits until it reports `control ready`.
    pub fn spawn(&mut self) {
        let mut child = Command::new(binary("control"))
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .env("RUST_LOG", "info,sqlx=warn")
            .envs(self.options.env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start control");
        let stdout = child.stdout.take().expect("stdout");
        let out = self.stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                out.lock().expect("stdout").push(line);
            }
        });
        let stderr = child.stderr.take().expect("stderr");
        self.child = Some(child);
        let listening = read_until_ready(stderr, &self.log, "control ready", START_TIMEOUT)
            .iter()
            .filter_map(|line| parse_listening(line))
            .find(|(service, _)| service == "control-http")
            .map(|(_, addr)| addr)
            .expect("a listening line for control-http");
        if self.addr.port() == 0 {
            // From now on (restarts included) the port it bound.
            self.addr = listening;
            self.base = format!("http://{listening}");
            self.write_config();
        }
        assert_eq!(
            listening, self.addr,
            "listening line names the bound address"
        );
    }

    fn write_config(&self) {
        let text = config_text(
            &self.options,
            self.addr,
            self.smtp,
            self.database_url.as_deref(),
        );
        std::fs::write(&self.config, text).expect("write config");
    }

    /// The portal path of a link from a mail (links use `http.public_url`).
    pub fn path_of(&self, link: &str) -> String {
        link.strip_prefix(PUBLIC_URL)
            .unwrap_or_else(|| panic!("{link} is not a link to the portal"))
            .to_owned()
    }

    fn admin_line(&self) -> Option<(String, String)> {
        let line = self.stdout_line("first admin created")?;
        let rest = line.split_once("first admin created")?.1;
        let name = rest.split_once("name=")?.1.split_whitespace().next()?;
        let password = rest.split_once("password=")?.1.split_whitespace().next()?;
        Some((name.to_owned(), password.to_owned()))
    }

    /// The first stdout line that contains `needle`, waiting a little for it:
    /// stdout is read by another thread, and the lines control prints at
    /// its first start precede `ready` on stderr.
    pub fn stdout_line(&self, needle: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let found = self
                .stdout
                .lock()
                .expect("stdout")
                .iter()
                .find(|line| line.contains(needle))
                .cloned();
            if found.is_some() || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Restarts control with the licence clock shifted by `days` from today.
    pub fn restart_with_clock(&mut self, days: i64) {
        self.options.clock_offset_days = days;
        self.write_config();
        self.restart();
    }

    pub fn stdout_text(&self) -> String {
        self.stdout.lock().expect("stdout").join("\n")
    }

    pub fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs a `control` subcommand with this instance's configuration.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(binary("control"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run control")
    }

    /// SIGTERM and wait: a graceful stop (the private cluster stops too).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "control did not stop:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, then start again on the same database.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A direct connection to the test database (for checks and for
    /// simulating time, e.g. expiring a link).
    pub async fn db(&self) -> sqlx::PgPool {
        let url = self.database_url.as_deref().expect("external database");
        sqlx::PgPool::connect(url)
            .await
            .expect("connect to the test database")
    }

    /// Asserts that the database keeps exactly the SHA-256 of `token` for
    /// the host named `host`.
    pub async fn assert_token_stored(&self, host: &str, token: &str) {
        use sha2::Digest;
        let stored: Vec<u8> = sqlx::query_scalar(
            "SELECT t.token_hash FROM update_tokens t JOIN hosts h ON h.id = t.host_id WHERE h.name = $1",
        )
        .bind(host)
        .fetch_one(&self.db().await)
        .await
        .expect("stored token hash");
        assert_eq!(
            stored,
            sha2::Sha256::digest(token.as_bytes()).to_vec(),
            "{host}"
        );
    }

    /// A browser-like client that keeps cookies.
    pub fn browser(&self) -> Browser {
        Browser {
            client: client_builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            base: self.base.clone(),
        }
    }

    /// Signs up `name` and returns its signed-in browser.
    pub async fn signed_up(&self, name: &str) -> Browser {
        let browser = self.browser();
        let page = browser
            .post_form(
                "/signup",
                "/signup",
                &[
                    ("name", name),
                    ("email", &format!("{name}@example.net")),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "sign-up of {name}: {}", page.body);
        browser
    }

    /// The first admin, signed in.
    pub async fn admin_browser(&self) -> Browser {
        let (name, password) = self.admin.clone().expect("first admin credentials");
        let browser = self.browser();
        let page = browser.sign_in(&name, &password).await;
        assert_eq!(page.status, 303, "admin sign-in: {}", page.body);
        browser
    }

    /// Signs up `name` and creates a personal API token with `scopes`.
    pub async fn api_user(&self, name: &str, scopes: &[&str]) -> Api {
        let browser = self.signed_up(name).await;
        Api {
            client: plain_client(),
            base: format!("{}/api/v1", self.base),
            token: browser.create_api_token("test", scopes).await,
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        if self.child.is_some() && std::thread::panicking() {
            eprintln!("--- control log ---\n{}", self.log_text());
        }
        self.kill();
    }
}

/// A client without cookies that follows no redirects.
pub use crate::harness::http_client as plain_client;

/// An HTTP answer read completely.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    /// The value of the first hidden CSRF field.
    pub fn csrf(&self) -> Option<String> {
        between(&self.body, "name=\"csrf\" value=\"", "\"")
    }

    /// The text of the element with this id (first occurrence).
    pub fn by_id(&self, id: &str) -> Option<String> {
        let start = self.body.find(&format!("id=\"{id}\""))?;
        let rest = &self.body[start..];
        let open_end = rest.find('>')? + 1;
        let close = rest[open_end..].find('<')?;
        Some(rest[open_end..open_end + close].trim().to_owned())
    }
}

/// Text between two markers.
pub fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_owned())
}

/// A cookie-keeping client that behaves like a browser without script.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("request");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    /// Posts exactly these fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields),
        )
        .await
    }

    /// Loads `page` (as a person would), takes its CSRF token and posts the
    /// form with `fields` to `action`.
    pub async fn post_form(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(page).await;
        let csrf = form
            .csrf()
            .unwrap_or_else(|| panic!("no CSRF field on {page}: {}", form.body));
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    pub async fn sign_in(&self, name: &str, password: &str) -> Page {
        self.post_form(
            "/login",
            "/login",
            &[("name", name), ("password", password)],
        )
        .await
    }

    /// Creates a host through the form; returns its id.
    pub async fn create_host(&self, label: &str) -> i64 {
        let page = self
            .post_form(
                "/hosts",
                "/hosts",
                &[("label", label), ("zone", ZONE), ("ttl", "60")],
            )
            .await;
        assert_eq!(page.status, 303, "create {label}: {}", page.body);
        let location = page.location();
        location
            .trim_start_matches("/hosts/")
            .split('?')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("host id in {location}"))
    }

    /// Creates (or, confirmed, exchanges) a host's update token through the
    /// form; returns it from the page the form redirects to.
    pub async fn create_token(&self, host: i64) -> String {
        let page = self
            .post_form(
                &format!("/hosts/{host}"),
                &format!("/hosts/{host}/token"),
                &[("confirm", "yes")],
            )
            .await;
        self.shown_once(page, "new-token").await
    }

    /// Creates a personal API token through the form; returns it.
    pub async fn create_api_token(&self, name: &str, scopes: &[&str]) -> String {
        let mut fields = vec![("name", name)];
        fields.extend(scopes.iter().map(|s| ("scope", *s)));
        let page = self.post_form("/api-tokens", "/api-tokens", &fields).await;
        self.shown_once(page, "new-api-token").await
    }

    /// Follows a form's redirect to the page that shows a new secret once,
    /// and checks that a reload shows it no more.
    async fn shown_once(&self, posted: Page, id: &str) -> String {
        assert_eq!(posted.status, 303, "{}", posted.body);
        let location = posted.location().to_owned();
        let page = self.get(&location).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let secret = page.by_id(id).expect("secret shown");
        let again = self.get(&location).await;
        assert!(
            !again.body.contains(&secret) && again.by_id(id).is_none(),
            "a reload shows the secret again"
        );
        secret
    }
}

/// A JSON API client with a bearer token.
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// A JSON answer.
#[derive(Debug)]
pub struct Json {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

impl Api {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Json {
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Json {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Json {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Json {
        self.send(self.request(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> Json {
        self.send(self.request(reqwest::Method::PATCH, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Json {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// Creates `label` under the test zone; returns its id.
    pub async fn create_host(&self, label: &str) -> i64 {
        let answer = self
            .post("/hosts", serde_json::json!({"label": label, "zone": ZONE}))
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["id"].as_i64().expect("id")
    }
}

/// A mail the sink received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    /// The body with quoted-printable decoded.
    pub fn text(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        decode_quoted_printable(body)
    }

    /// The first `http…` link in the body.
    pub fn link(&self) -> Option<String> {
        let text = self.text();
        let start = text.find("http")?;
        Some(
            text[start..]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

/// A small SMTP server (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that
/// accepts every mail and keeps it.
pub struct SmtpSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let addr = listener.local_addr().expect("addr");
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, store.clone()));
            }
        });
        Self { addr, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("mails").clone()
    }

    /// Waits for a mail to `to`.
    pub async fn wait_for(&self, to: &str) -> Mail {
        self.wait_for_containing(to, "").await
    }

    /// Waits for a mail to `to` whose text contains `needle` (the latest
    /// mail to an address may be an earlier one).
    pub async fn wait_for_containing(&self, to: &str, needle: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(mail) = self
                .mails()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t.contains(to)) && m.text().contains(needle))
            {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} with {needle:?} arrived"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn smtp_session(stream: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = AsyncBufReader::new(read).lines();
    let mut to = Vec::new();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "MAIL" | "RSET" => {
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                to.push(
                    line.split_once(':')
                        .map_or("", |(_, a)| a)
                        .trim()
                        .to_owned(),
                );
                b"250 OK\r\n"
            }
            "DATA" => {
                let _ = write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    // Undo dot-stuffing (RFC 5321 §4.5.2).
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push_str("\r\n");
                }
                mails.lock().expect("mails").push(Mail {
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

fn open_for_others(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn config_text(
    options: &Options,
    addr: SocketAddr,
    smtp: SocketAddr,
    database: Option<&str>,
) -> String {
    let database = database.map_or(String::new(), |url| format!("url = \"{url}\""));
    format!(
        r#"
data_dir = "data"

[http]
listen = "{addr}"
public_url = "{PUBLIC_URL}"

[database]
{database}
max_connections = 4

[hosts]
zones = ["{ZONE}", "{OTHER_ZONE}"]
default_ttl = 60
update_url = "http://update.{ZONE}/nic/update"
{demo_host}

[accounts]
signup = {signup}
default_host_quota = {quota}
first_admin = "admin"
first_admin_email = "admin@example.net"
signin_failures_per_account = 5
signin_failures_per_source = {source_limit}
signin_window_minutes = 15

[security]
{admin_2fa_from}

[tenants]
domain_suffix = "{TENANT_SUFFIX}"

[licences]
expiring_days = 30
grace_days = 14
sweep_seconds = 1
clock_offset_days = {clock_offset_days}

[dashboard]
digest_check_seconds = 1

[mail]
from = "spdyn <noreply@{ZONE}>"
{mail}
"#,
        clock_offset_days = options.clock_offset_days,
        signup = options.signup,
        quota = options.quota,
        demo_host = options
            .demo_host
            .as_ref()
            .map_or(String::new(), |label| format!("demo_host = \"{label}\"")),
        source_limit = options.source_limit,
        admin_2fa_from = options
            .admin_2fa_from
            .as_ref()
            .map_or(String::new(), |date| format!("admin_2fa_from = \"{date}\"")),
        mail = if options.mail_dir {
            "mail_dir = \"data/mail\"".to_owned()
        } else {
            format!(
                "[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"",
                smtp.port()
            )
        },
    )
}
