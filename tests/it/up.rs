//! `scripts/up.sh` as a person runs it: in a terminal (a pseudo-terminal
//! made by `script`), stopped with Ctrl-C, with SIGTERM, or by a crash.
//! Whatever way it ends, no process of the run is left (control, dnsd, the
//! private PostgreSQL cluster, the log copies), and the next start in the
//! same directory comes up and serves the demo host.
//!
//! The script runs the binaries under test (`--bin-dir`), keeps its state in
//! a directory of its own (`SPDYN_VAR`) and listens on free ports.

use std::{
    io::{Read, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use hickory_proto::rr::RecordType;

use crate::{
    control_harness::Browser,
    control_totp::enrol_with_password,
    harness::{self, answer_ips, query, require},
};

const DEMO: &str = "demo.dyn.example.net";
/// How long a start may take (the first one runs initdb).
const START: Duration = Duration::from_secs(120);
/// How long everything may take to stop.
const STOP: Duration = Duration::from_secs(10);
const READY: &str = "Press Ctrl-C to stop.";

/// One run of `scripts/up.sh` in a pseudo-terminal.
struct Up {
    child: Child,
    terminal: ChildStdin,
    output: Arc<Mutex<String>>,
}

impl Up {
    /// Starts the script and waits for its ready text.
    fn start(var: &Path) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/up.sh");
        let command_line = format!(
            "{} --bin-dir {}",
            script.display(),
            harness::bin_dir().display()
        );
        // Every control and dnsd binary is checked to be fresh first.
        harness::binary("control");
        harness::binary("dnsd");
        let mut child = Command::new("script")
            .args(["-qfec", &command_line, "/dev/null"])
            .env("SPDYN_VAR", var)
            .env("DNSD__DNS__LISTEN", r#"["127.0.0.1:0"]"#)
            .env("DNSD__UPDATE__LISTEN", r#"["127.0.0.1:0"]"#)
            .env("DNSD__ADMIN__LISTEN", "127.0.0.1:0")
            .env("DNSD__METRICS__LISTEN", "127.0.0.1:0")
            .env("CONTROL__HTTP__LISTEN", "127.0.0.1:0")
            // The demo host changes at every start, seconds apart.
            .env("DNSD__UPDATE__ABUSE__MIN_CHANGE_INTERVAL_SECS", "0")
            .env_remove("DATABASE_URL")
            .env_remove("CONTROL__DATABASE__URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start script(1)");
        let terminal = child.stdin.take().expect("terminal input");
        let mut from_terminal = child.stdout.take().expect("terminal output");
        let output = Arc::new(Mutex::new(String::new()));
        std::thread::spawn({
            let output = output.clone();
            move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = from_terminal.read(&mut buf) {
                    output
                        .lock()
                        .expect("output")
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let mut up = Self {
            child,
            terminal,
            output,
        };
        up.wait_for(READY, START);
        up
    }

    fn text(&self) -> String {
        self.output.lock().expect("output").clone()
    }

    /// Waits until the terminal shows `text`; fails with everything it
    /// showed when the script ends first or `within` passes.
    fn wait_for(&mut self, text: &str, within: Duration) {
        let started = Instant::now();
        while !self.text().contains(text) {
            let ended = self.child.try_wait().expect("script status");
            assert!(
                ended.is_none() && started.elapsed() < within,
                "no {text:?} on the terminal (script {ended:?}):\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types Ctrl-C: the terminal sends SIGINT to the foreground process
    /// group, the script and everything it started at once.
    fn ctrl_c(&mut self) {
        self.terminal.write_all(b"\x03").expect("type Ctrl-C");
        self.terminal.flush().expect("flush");
    }

    /// Waits for the script to end; returns its terminal text.
    fn ended(mut self) -> String {
        let started = Instant::now();
        while self.child.try_wait().expect("script status").is_none() {
            assert!(
                started.elapsed() < STOP,
                "the script did not end:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // The reader thread may still hold the last lines.
        std::thread::sleep(Duration::from_millis(100));
        self.text()
    }

    /// Waits for the script to end and for no process of the run to be
    /// left; returns the terminal text.
    fn stopped(self, var: &Path) -> String {
        let terminal = self.ended();
        nothing_left(var, &terminal);
        terminal
    }

    /// The address after `label` in the ready text (`DNS (UDP+TCP)  ip:port`).
    fn address(&self, label: &str) -> SocketAddr {
        let text = self.text();
        let line = text
            .lines()
            .find(|line| line.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"));
        let addr = line.split_whitespace().last().expect("address");
        addr.trim_start_matches("http://")
            .trim_end_matches("/nic/update")
            .parse()
            .unwrap_or_else(|_| panic!("{line:?}"))
    }

    /// The directory the start message names for the run's mails.
    fn mail_dir(&self) -> String {
        let text = self.text();
        text.lines()
            .find_map(|line| line.trim_start().strip_prefix("mail "))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no mail directory named in:\n{text}"))
            .to_owned()
    }

    /// A cookie-keeping client of the portal.
    fn portal(&self) -> Browser {
        Browser {
            client: harness::client_builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: format!("http://{}", self.address("portal")),
        }
    }

    /// Waits for a mail containing `marker` in the named mail directory.
    async fn mail_with(&self, marker: &str) -> String {
        let dir = self.mail_dir();
        let started = Instant::now();
        loop {
            let mails: Vec<_> = std::fs::read_dir(&dir)
                .map(|entries| entries.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            if let Some(mail) = mails.iter().find_map(|path| {
                let text = std::fs::read_to_string(path).ok()?;
                text.contains(marker).then_some(text)
            }) {
                return mail;
            }
            assert!(
                started.elapsed() < START,
                "no mail with {marker:?} in {dir}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The mails a new user meets, from the first start's administrator:
    /// a password reset, and the notice of switching on two-factor sign-in.
    async fn first_mails(&self) {
        let portal = self.portal();
        let sent = portal
            .post_form("/reset", "/reset", &[("who", "admin")])
            .await;
        assert!(sent.status < 400, "{}", sent.body);
        let reset = self.mail_with("/reset/").await;
        assert!(reset.contains("admin@localhost.localdomain"), "{reset}");

        let text = self.text();
        let password = text
            .split("name=admin password=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no first admin password in:\n{text}"))
            .to_owned();
        let signed_in = portal.sign_in("admin", &password).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        enrol_with_password(&portal, &password).await;
        self.mail_with("Two-factor sign-in is on").await;
    }

    /// The demo host's token, printed on the first start only.
    fn demo_token(&self) -> String {
        let text = self.text();
        let line = text
            .lines()
            .find(|line| line.starts_with("Its update token"))
            .unwrap_or_else(|| panic!("no demo token in:\n{text}"));
        line.split_whitespace().last().expect("token").to_owned()
    }

    /// What the demo host resolves to.
    fn demo_address(&self) -> Vec<String> {
        let dns = self.address("DNS (UDP+TCP)");
        answer_ips(&harness::udp(dns, &query(DEMO, RecordType::A)))
    }

    /// Sets the demo host's address through the update endpoint.
    async fn update_demo(&self, token: &str, ip: &str) {
        let update = self.address("update endpoint");
        let answer = harness::send(
            harness::http_client()
                .get(format!("http://{update}/nic/update"))
                .basic_auth(DEMO, Some(token))
                .query(&[("hostname", DEMO), ("myip", ip)]),
        )
        .await;
        assert_eq!(answer.body, format!("good {ip}"), "{}", self.text());
    }

    /// The pid of the run's process that `is` picks by its command line.
    fn pid_of(&self, var: &Path, what: &str, is: impl Fn(&str) -> bool) -> u32 {
        let processes = run_processes(var);
        processes
            .iter()
            .find(|(_, cmdline)| is(cmdline))
            .unwrap_or_else(|| panic!("no {what} process: {processes:?}"))
            .0
    }

    /// The script itself (bash, by its shebang).
    fn script_pid(&self, var: &Path) -> u32 {
        self.pid_of(var, "up.sh", |cmdline| {
            cmdline.starts_with("bash ") && cmdline.contains("scripts/up.sh")
        })
    }

    fn control_pid(&self, var: &Path) -> u32 {
        self.pid_of(var, "control", |cmdline| {
            cmdline.ends_with("/control serve")
        })
    }

    fn dnsd_pid(&self, var: &Path) -> u32 {
        self.pid_of(var, "dnsd", |cmdline| cmdline.ends_with("/dnsd run"))
    }
}

/// Processes of the run in `var`: their environment names it (the script
/// exports it to everything it starts) or their command line does (the
/// PostgreSQL server). Pid and command line.
fn run_processes(var: &Path) -> Vec<(u32, String)> {
    let needle = var.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let read = |file: &str| std::fs::read(entry.path().join(file)).ok();
            let cmdline = String::from_utf8_lossy(&read("cmdline")?).replace('\0', " ");
            let environ =
                String::from_utf8_lossy(&read("environ").unwrap_or_default()).into_owned();
            let ours =
                environ.contains(&format!("SPDYN_VAR={needle}\0")) || cmdline.contains(&needle);
            (ours && !cmdline.is_empty()).then(|| (pid, cmdline.trim_end().to_owned()))
        })
        .collect()
}

/// Waits until no process of the run is left.
fn nothing_left(var: &Path, terminal: &str) {
    let started = Instant::now();
    loop {
        let left = run_processes(var);
        if left.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < STOP,
            "left running: {left:#?}\nterminal:\n{terminal}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid_file = var.join("control/postgres/data/postmaster.pid");
    assert!(!pid_file.exists(), "{} is left", pid_file.display());
}

/// A state directory the PostgreSQL server user can enter (the tests may run
/// as root, and the cluster then runs as `postgres`); `None` when there is no
/// `script` to make a terminal.
fn state_dir() -> Option<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    if !require("script") {
        return None;
    }
    let dir = tempfile::Builder::new()
        .prefix("spdyn-up-")
        .tempdir_in("/tmp")
        .expect("state dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    Some(dir)
}

fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal} {pid}");
}

#[tokio::test]
async fn ctrl_c_in_a_terminal_stops_everything_five_times_over() {
    let Some(dir) = state_dir() else { return };
    let var: PathBuf = dir.path().to_owned();
    let mut token = None;
    for cycle in 1..=5 {
        let mut up = Up::start(&var);
        let ip = format!("192.0.2.{cycle}");
        // The first start creates the demo host and shows its token.
        let first = token.is_none();
        let token = token.get_or_insert_with(|| up.demo_token()).clone();
        if first {
            up.first_mails().await;
        }
        up.update_demo(&token, &ip).await;
        assert_eq!(up.demo_address(), vec![ip.clone()], "cycle {cycle}");
        up.ctrl_c();
        let terminal = up.stopped(&var);
        // control said goodbye and stopped its cluster itself.
        assert!(terminal.contains("control stopping"), "{terminal}");
        assert!(
            terminal.contains("private PostgreSQL cluster stopped"),
            "{terminal}"
        );
    }
}

#[tokio::test]
async fn sigterm_to_the_script_or_to_control_alone_stops_everything() {
    let Some(dir) = state_dir() else { return };
    let var: PathBuf = dir.path().to_owned();

    let up = Up::start(&var);
    let token = up.demo_token();
    kill(up.script_pid(&var), "-TERM");
    let terminal = up.stopped(&var);
    assert!(terminal.contains("private PostgreSQL cluster stopped"));

    // control alone: the script sees it end and stops dnsd.
    for (signal, ip) in [("-TERM", "192.0.2.20"), ("-INT", "192.0.2.21")] {
        let up = Up::start(&var);
        up.update_demo(&token, ip).await;
        kill(up.control_pid(&var), signal);
        let terminal = up.stopped(&var);
        assert!(
            terminal.contains("control or dnsd ended (exit status 0)"),
            "{terminal}"
        );
        assert!(terminal.contains("private PostgreSQL cluster stopped"));
    }
}

#[tokio::test]
async fn a_crashed_control_leaves_no_cluster_behind_and_a_stale_one_is_stopped_at_the_next_start() {
    let Some(dir) = state_dir() else { return };
    let var: PathBuf = dir.path().to_owned();

    // control killed while the script runs: the script stops the rest and
    // the cluster control could not stop.
    let up = Up::start(&var);
    let token = up.demo_token();
    kill(up.control_pid(&var), "-KILL");
    let terminal = up.stopped(&var);
    assert!(
        terminal.contains("stopped the private PostgreSQL cluster control left running"),
        "{terminal}"
    );

    // Everything killed at once but the cluster (it runs in a session of
    // its own): the next start stops the stale cluster, says so, and works.
    let up = Up::start(&var);
    let pids = [up.script_pid(&var), up.control_pid(&var), up.dnsd_pid(&var)];
    for pid in pids {
        kill(pid, "-KILL");
    }
    let terminal = up.ended();
    let left = run_processes(&var);
    assert!(
        left.iter().any(|(_, cmdline)| cmdline.contains("postgres")),
        "the cluster outlives a SIGKILL of everything else: {left:?}\n{terminal}"
    );
    let mut up = Up::start(&var);
    up.wait_for(
        "stopped the private PostgreSQL cluster an earlier start left running",
        STOP,
    );
    up.update_demo(&token, "192.0.2.30").await;
    assert_eq!(up.demo_address(), vec!["192.0.2.30".to_owned()]);
    up.ctrl_c();
    up.stopped(&var);
}
