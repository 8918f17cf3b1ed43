//! Starting the real `dnsd` binary on loopback with port 0 everywhere, reading
//! its bound addresses from the `listening service=… addr=…` log lines, and
//! talking to it over real sockets.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream, UdpSocket},
    path::{Path, PathBuf},
    process::{Child, ChildStderr, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use hickory_proto::{
    op::{Edns, Message, MessageType, OpCode, Query},
    rr::{Name, RecordType},
};

pub const ZONE: &str = "dyn.test";
pub const OTHER_ZONE: &str = "home.test";
pub const ADMIN_SECRET: &str = "test-admin-secret-of-at-least-32-characters";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Directory of the workspace's built binaries (`target/debug`), found from
/// the test binary's own path (`target/debug/deps/it-…`).
pub fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SPDYN_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_path_buf()
}

pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (`cargo build --workspace --bins`)",
        path.display()
    );
    assert_fresh(&path);
    path
}

/// Fails when a source the binary is built from is newer than the binary:
/// the test would run yesterday's code (a forgotten build, or an old
/// `SPDYN_BIN_DIR`). The sources are the ones cargo lists in the binary's
/// dep-info file (`<binary>.d`), so files the build does not use (other
/// features, tests) do not count.
fn assert_fresh(binary: &Path) {
    let built = std::fs::metadata(binary)
        .and_then(|m| m.modified())
        .expect("binary time");
    let Ok(depinfo) = std::fs::read_to_string(binary.with_extension("d")) else {
        return;
    };
    let sources = depinfo
        .lines()
        .next()
        .and_then(|line| line.split_once(": "))
        .map_or("", |(_, files)| files);
    for file in sources.split_whitespace().map(Path::new) {
        let changed = std::fs::metadata(file).and_then(|m| m.modified());
        if let Ok(changed) = changed {
            assert!(
                changed <= built,
                "{} is older than {}: rebuild (`cargo build --workspace --bins`)",
                binary.display(),
                file.display()
            );
        }
    }
}

/// Knobs a test may change in the generated configuration.
#[derive(Clone)]
pub struct Options {
    /// Extra TOML appended to `[update.abuse]`.
    pub abuse: String,
    /// Extra TOML appended to `[update]`.
    pub update: String,
    /// Extra top-level TOML (e.g. a `[checkip]` table).
    pub extra: String,
    /// Extra TOML inside the first `[[zone]]` (e.g. `[[zone.secondary]]`).
    pub zone: String,
    /// Where the sled store lives (default: `state` in the temp dir).
    pub store_path: Option<PathBuf>,
    /// Listen on IPv6 loopback too (DNS and updates).
    pub ipv6: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            // Tests change addresses quickly; the interval has its own test.
            abuse: "min_change_interval_secs = 0\n".into(),
            update: String::new(),
            extra: String::new(),
            zone: String::new(),
            store_path: None,
            ipv6: false,
        }
    }
}

pub struct Dnsd {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub addrs: HashMap<String, Vec<SocketAddr>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Dnsd {
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("dnsd.toml");
        std::fs::write(&config, config_text(&options)).expect("write config");
        let mut dnsd = Self {
            child: None,
            dir,
            config,
            addrs: HashMap::new(),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        dnsd.spawn();
        dnsd
    }

    /// Starts the process and waits until it reports `dnsd ready`.
    fn spawn(&mut self) {
        let mut child = Command::new(binary("dnsd"))
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .env("RUST_LOG", "info,hickory_server=warn,sled=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dnsd");
        let stderr = child.stderr.take().expect("stderr");
        self.child = Some(child);
        self.addrs.clear();
        for line in read_until_ready(stderr, &self.log, "dnsd ready", START_TIMEOUT) {
            if let Some((service, addr)) = parse_listening(&line) {
                self.addrs.entry(service).or_default().push(addr);
            }
        }
    }

    pub fn addr(&self, service: &str) -> SocketAddr {
        self.addrs
            .get(service)
            .and_then(|a| a.first())
            .copied()
            .unwrap_or_else(|| panic!("no {service} listener in {:?}", self.addrs))
    }

    pub fn udp(&self) -> SocketAddr {
        self.addr("dns-udp")
    }

    pub fn tcp(&self) -> SocketAddr {
        self.addr("dns-tcp")
    }

    pub fn http(&self) -> SocketAddr {
        self.addr("update-http")
    }

    pub fn update_url(&self) -> String {
        format!("http://{}/nic/update", self.http())
    }

    pub fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// SIGTERM, as a service manager stops it; waits for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let sent = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status()
                .expect("run kill");
            assert!(sent.success());
            let status = child.wait().expect("wait for dnsd");
            assert!(
                status.success(),
                "dnsd exited with {status}:\n{}",
                self.log_text()
            );
        }
    }

    /// Starts it again after [`Dnsd::stop`] or [`Dnsd::kill9`].
    pub fn start_again(&mut self) {
        self.spawn();
    }

    /// Runs a `dnsd` management subcommand against this instance.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut child = Command::new(binary("dnsd"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("DNSD__ADMIN__LISTEN", format!("\"{}\"", self.addr("admin")))
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dnsd cli");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(input);
        child.wait_with_output().expect("cli output")
    }

    /// `dnsd host add`; returns the token (the last output line).
    pub fn add_host(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["host", "add", name];
        args.extend_from_slice(extra);
        let out = self.cli(&args, None);
        assert!(
            out.status.success(),
            "host add {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("token line")
            .trim()
            .to_owned()
    }

    /// `dnsd host import` of `csv`; returns what it printed.
    pub fn import_hosts(&self, csv: &str) -> String {
        std::fs::write(self.dir.path().join("hosts.csv"), csv).expect("write hosts.csv");
        let out = self.cli(&["host", "import", "hosts.csv"], None);
        assert!(
            out.status.success(),
            "host import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn add_account(&self, name: &str, password: &str) {
        let out = self.cli(&["account", "add", name], Some(&format!("{password}\n")));
        assert!(
            out.status.success(),
            "account add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Dnsd {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Keeps every line of a child's stderr in `log` (on a thread, so the pipe
/// never fills) and returns the lines up to and including the first that
/// contains `ready`; panics with the log if it does not come within `timeout`.
pub fn read_until_ready(
    stderr: ChildStderr,
    log: &Arc<Mutex<Vec<String>>>,
    ready: &str,
    timeout: Duration,
) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            kept.lock().expect("log").push(line.clone());
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::new();
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(remaining) else {
            panic!(
                "no \"{ready}\" line:\n{}",
                log.lock().expect("log").join("\n")
            );
        };
        let done = line.contains(ready);
        lines.push(line);
        if done {
            return lines;
        }
    }
}

/// The service and address of a `listening service=<name> addr=<ip:port>` line.
pub fn parse_listening(line: &str) -> Option<(String, SocketAddr)> {
    let rest = &line[line.find("listening service=")? + "listening service=".len()..];
    let (service, rest) = rest.split_once(' ')?;
    let addr = rest.strip_prefix("addr=")?.split_whitespace().next()?;
    Some((service.to_owned(), addr.parse().ok()?))
}

fn config_text(options: &Options) -> String {
    format!(
        r#"
[store]
path = "{store}"
cache_mb = 8

[dns]
listen = {listen}

[[zone]]
name = "{ZONE}"
ns = ["ns1.{ZONE}.", "ns2.example.net."]
hostmaster = "hostmaster.example.net"
negative_ttl = 30
host_ttl = 60

  [[zone.record]]
  name = "@"
  type = "TXT"
  value = "\"v=spf1 -all\""

  [[zone.record]]
  name = "ns1"
  type = "A"
  value = "192.0.2.53"

  [[zone.record]]
  name = "big"
  type = "TXT"
  value = "\"{big}\" \"{big}\" \"{big}\""

  [[zone.record]]
  name = "big"
  type = "TXT"
  value = "\"{big2}\" \"{big2}\" \"{big2}\""

{zone}

[[zone]]
name = "{OTHER_ZONE}"
ns = ["ns1.{ZONE}."]
hostmaster = "hostmaster.example.net"

[update]
listen = {listen}
trusted_proxies = ["127.0.0.2/32"]
{update}

[update.abuse]
{abuse}

[admin]
listen = "127.0.0.1:0"
secret = "{ADMIN_SECRET}"

{extra}
"#,
        listen = if options.ipv6 {
            r#"["127.0.0.1:0", "[::1]:0"]"#
        } else {
            r#"["127.0.0.1:0"]"#
        },
        big = "a".repeat(150),
        big2 = "b".repeat(150),
        update = options.update,
        zone = options.zone,
        abuse = options.abuse,
        extra = options.extra,
        store = options
            .store_path
            .as_deref()
            .map_or_else(|| "state".into(), |p| p.display().to_string()),
    )
}

/// A query message for `name` and `rtype`.
pub fn query(name: &str, rtype: RecordType) -> Message {
    let mut message = Message::new(rand_id(), MessageType::Query, OpCode::Query);
    message.add_query(Query::query(Name::from_ascii(name).expect("name"), rtype));
    message
}

/// The same with EDNS(0) and the given payload size.
pub fn query_edns(name: &str, rtype: RecordType, payload: u16) -> Message {
    let mut message = query(name, rtype);
    let mut edns = Edns::new();
    edns.set_max_payload(payload);
    message.set_edns(edns);
    message
}

fn rand_id() -> u16 {
    // Good enough for tests: nanos of the clock.
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(7)
        & 0xFFFF) as u16
}

/// Sends raw bytes over UDP and returns the raw answer, if any within 2 s.
pub fn udp_raw(server: SocketAddr, packet: &[u8]) -> Option<Vec<u8>> {
    let local = if server.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let socket = UdpSocket::bind(local).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    socket.send_to(packet, server).expect("send");
    let mut buf = vec![0u8; 65535];
    let (len, _) = socket.recv_from(&mut buf).ok()?;
    buf.truncate(len);
    Some(buf)
}

/// One query over UDP, sent again (up to three times) when no answer comes:
/// a datagram may be lost, e.g. after a flood filled a socket buffer. Tests
/// that expect no answer use [`udp_raw`].
pub fn udp(server: SocketAddr, message: &Message) -> Message {
    let packet = message.to_vec().expect("encode");
    let answer = (0..3)
        .find_map(|_| udp_raw(server, &packet))
        .unwrap_or_else(|| panic!("no UDP answer for {:?}", message.queries));
    let parsed = Message::from_vec(&answer).expect("decode answer");
    assert_eq!(parsed.metadata.id, message.metadata.id, "answer id");
    parsed
}

/// Sends one query over a fresh TCP connection.
pub fn tcp_raw(server: SocketAddr, packet: &[u8]) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(server).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(packet);
    stream.write_all(&framed).expect("write");
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).ok()?;
    Some(buf)
}

pub fn tcp(server: SocketAddr, message: &Message) -> Message {
    let answer = tcp_raw(server, &message.to_vec().expect("encode"))
        .unwrap_or_else(|| panic!("no TCP answer for {:?}", message.queries));
    Message::from_vec(&answer).expect("decode answer")
}

/// Addresses (A/AAAA as strings) in the answer section.
pub fn answer_ips(message: &Message) -> Vec<String> {
    message
        .answers
        .iter()
        .filter_map(|r| r.data.ip_addr())
        .map(|ip| ip.to_string())
        .collect()
}

/// Resolves `name`/`rtype` over UDP and returns the answer addresses.
pub fn resolve(dnsd: &Dnsd, name: &str, rtype: RecordType) -> Vec<String> {
    answer_ips(&udp(dnsd.udp(), &query(name, rtype)))
}

/// A reqwest builder with the process's crypto provider installed.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // No idle connections kept: a test that restarts a server would send its
    // next request down a connection the old process closed.
    reqwest::Client::builder().pool_max_idle_per_host(0)
}

/// A reqwest client for update requests (no redirects followed: we never send any).
pub fn http_client() -> reqwest::Client {
    client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

/// An update answer: status, body, and the Retry-After header if present.
#[derive(Debug)]
pub struct UpdateAnswer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u64>,
    pub www_authenticate: Option<String>,
}

/// GET /nic/update with Basic credentials and the given query parameters.
pub async fn update(
    dnsd: &Dnsd,
    user: &str,
    secret: &str,
    params: &[(&str, &str)],
) -> UpdateAnswer {
    let request = http_client()
        .get(dnsd.update_url())
        .basic_auth(user, Some(secret))
        .query(params);
    send(request).await
}

pub async fn send(request: reqwest::RequestBuilder) -> UpdateAnswer {
    let response = request.send().await.expect("update request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after").and_then(|v| v.parse().ok());
    let www_authenticate = header("www-authenticate");
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    UpdateAnswer {
        status,
        body,
        retry_after,
        www_authenticate,
    }
}

/// The node's Prometheus text (needs `[metrics] listen`).
pub async fn metrics_text(dnsd: &Dnsd) -> String {
    http_client()
        .get(format!("http://{}/metrics", dnsd.addr("metrics")))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

/// The value of one series (`name{labels}`) in Prometheus text.
pub fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

/// Runs a command and returns its stdout, asserting success.
pub fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// True when an external program is on PATH (the CI script installs them).
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Requires an external program: in CI (`SPDYN_REQUIRE_TOOLS=1`, set by the test
/// script after installing them) a missing tool fails the test.
pub fn require(program: &str) -> bool {
    if have(program) {
        return true;
    }
    skip(&format!("{program} is not installed"));
    false
}

/// A test that cannot run here. When the suite must be complete
/// (`SPDYN_REQUIRE_TOOLS=1`, set by `scripts/test.sh`) that is a failure;
/// otherwise the skip is said on stderr and recorded in
/// `target/test-skips.txt`, which the test script lists at the end, so a
/// skipped test is never mistaken for a passed one.
pub fn skip(reason: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    assert!(
        std::env::var_os("SPDYN_REQUIRE_TOOLS").is_none(),
        "{test} cannot run: {reason}"
    );
    eprintln!("SKIPPED {test}: {reason}");
    let record = bin_dir()
        .parent()
        .map(|target| target.join("test-skips.txt"));
    if let Some(record) = record
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(record)
    {
        use std::io::Write;
        let _ = writeln!(file, "{test}: {reason}");
    }
}
