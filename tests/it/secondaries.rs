//! Real secondaries of dnsd: Knot, NSD and BIND, each started by the test
//! on loopback with a TSIG key, following dnsd by NOTIFY and IXFR. Their
//! copies are read back by AXFR and compared with dnsd's own.

use std::{
    net::{SocketAddr, TcpListener, UdpSocket},
    os::unix::process::CommandExt,
    process::{Child, Command},
    time::{Duration, Instant},
};

use hickory_proto::rr::RecordType;

use crate::{
    control_harness::Control,
    harness::{Dnsd, Options, ZONE, require, resolve, update},
    sync::{SCOPES, eventually, host_with_token, node_with},
    xfr::{TestKey, kdig, records, serial},
};

#[derive(Debug, Clone, Copy)]
enum Kind {
    Knot,
    Nsd,
    Bind,
}

impl Kind {
    fn program(self) -> &'static str {
        match self {
            Self::Knot => "knotd",
            Self::Nsd => "nsd",
            Self::Bind => "named",
        }
    }
}

/// A secondary server in a directory of its own; stopped with its whole
/// process group (NSD forks a transfer daemon) when dropped.
struct Secondary {
    child: Child,
    dir: tempfile::TempDir,
    addr: SocketAddr,
}

impl Secondary {
    fn start(kind: Kind, port: u16, primary: SocketAddr, key: &TestKey) -> Self {
        Self::start_with(kind, port, &[primary], key)
    }

    /// A secondary of several primaries (tried in order).
    fn start_with(kind: Kind, port: u16, primaries: &[SocketAddr], key: &TestKey) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display().to_string();
        let (s, secret) = (port, &key.secret);
        let ports: Vec<u16> = primaries.iter().map(SocketAddr::port).collect();
        let knot_remotes: String = ports
            .iter()
            .enumerate()
            .map(|(n, p)| {
                format!("  - id: dnsd{n}\n    address: 127.0.0.1@{p}\n    key: xfr-key\n")
            })
            .collect();
        let knot_masters = (0..ports.len())
            .map(|n| format!("dnsd{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let nsd_requests: String = ports
            .iter()
            .map(|p| format!("  request-xfr: 127.0.0.1@{p} xfr-key\n"))
            .collect();
        let bind_primaries: String = ports
            .iter()
            .map(|p| format!("127.0.0.1 port {p} key \"xfr-key\"; "))
            .collect();
        let mut command = match kind {
            Kind::Knot => {
                std::fs::create_dir_all(dir.path().join("db")).unwrap();
                std::fs::create_dir_all(dir.path().join("zones")).unwrap();
                let conf = format!(
                    "server:\n  rundir: \"{d}\"\n  listen: 127.0.0.1@{s}\n  udp-workers: 1\n  \
                     tcp-workers: 1\n  background-workers: 1\n\
                     log:\n  - target: stderr\n    any: info\n\
                     database:\n  storage: \"{d}/db\"\n\
                     key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: {secret}\n\
                     remote:\n{knot_remotes}\
                     acl:\n  - id: from_dnsd\n    address: 127.0.0.1\n    key: xfr-key\n    action: notify\n  \
                     - id: readback\n    address: 127.0.0.1\n    action: transfer\n\
                     template:\n  - id: default\n    storage: \"{d}/zones\"\n\
                     zone:\n  - domain: {ZONE}\n    master: [{knot_masters}]\n    acl: [from_dnsd, readback]\n"
                );
                std::fs::write(dir.path().join("knot.conf"), conf).unwrap();
                let mut c = Command::new("knotd");
                c.arg("-c").arg(dir.path().join("knot.conf"));
                c
            }
            Kind::Nsd => {
                let conf = format!(
                    "server:\n  ip-address: 127.0.0.1@{s}\n  do-ip6: no\n  server-count: 1\n  \
                     username: \"\"\n  chroot: \"\"\n  zonesdir: \"{d}\"\n  database: \"\"\n  \
                     zonelistfile: \"{d}/zone.list\"\n  xfrdfile: \"{d}/xfrd.state\"\n  \
                     xfrdir: \"{d}\"\n  pidfile: \"{d}/nsd.pid\"\n  logfile: \"{d}/nsd.log\"\n  \
                     verbosity: 2\n  xfrd-reload-timeout: 0\n\
                     remote-control:\n  control-enable: no\n\
                     key:\n  name: \"xfr-key\"\n  algorithm: hmac-sha256\n  secret: \"{secret}\"\n\
                     zone:\n  name: {ZONE}\n  zonefile: \"{ZONE}.zone\"\n\
                     {nsd_requests}  allow-notify: 127.0.0.1 xfr-key\n  \
                     provide-xfr: 127.0.0.1 NOKEY\n"
                );
                std::fs::write(dir.path().join("nsd.conf"), conf).unwrap();
                let mut c = Command::new("nsd");
                c.arg("-d").arg("-c").arg(dir.path().join("nsd.conf"));
                c
            }
            Kind::Bind => {
                let conf = format!(
                    "options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; \
                     session-keyfile \"{d}/session.key\"; managed-keys-directory \"{d}\"; \
                     listen-on port {s} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; \
                     recursion no; dnssec-validation no; notify no; \
                     allow-transfer {{ 127.0.0.1; }}; }};\n\
                     controls {{ }};\n\
                     key \"xfr-key\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n\
                     zone \"{ZONE}\" {{ type secondary; file \"{ZONE}.db\"; masterfile-format text; \
                     primaries {{ {bind_primaries}}}; \
                     allow-notify {{ key \"xfr-key\"; }}; }};\n"
                );
                std::fs::write(dir.path().join("named.conf"), conf).unwrap();
                let mut c = Command::new("named");
                c.args(["-g", "-4", "-n", "1", "-c"])
                    .arg(dir.path().join("named.conf"));
                c
            }
        };
        let log = std::fs::File::create(dir.path().join("out.log")).unwrap();
        let child = command
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", kind.program()));
        Self {
            child,
            dir,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    fn log(&self) -> String {
        let mut text = std::fs::read_to_string(self.dir.path().join("out.log")).unwrap_or_default();
        text += &std::fs::read_to_string(self.dir.path().join("nsd.log")).unwrap_or_default();
        text
    }

    /// Its copy of the zone, read back by AXFR.
    fn axfr(&self) -> String {
        kdig(self.addr, &[ZONE, "AXFR"])
    }

    fn address_of(&self, name: &str) -> String {
        kdig(self.addr, &["+short", name, "A"]).trim().to_owned()
    }
}

impl Drop for Secondary {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A port free for both UDP and TCP on 127.0.0.1 (taken by the secondary
/// a moment later).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Waits until `done` holds, for at most `limit`; says how long it took.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// dnsd with `secondary_port` as a TSIG-keyed secondary of the test zone.
fn primary(key: &TestKey, secondary_port: u16) -> Dnsd {
    Dnsd::start_with(Options {
        zone: format!(
            "[[zone.secondary]]\naddress = \"127.0.0.1:{secondary_port}\"\nkey = \"{}\"\n",
            key.name
        ),
        extra: format!("{}[xfr]\nnotify_interval_ms = 200\n", key.toml()),
        ..Options::default()
    })
}

fn notifies_sent(dnsd: &Dnsd) -> usize {
    dnsd.log_text().matches("NOTIFY sent").count()
}

async fn follows_by_notify_and_ixfr(kind: Kind) {
    if !require(kind.program()) || !require("kdig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let port = free_port();
    let dnsd = primary(&key, port);
    let names: Vec<String> = (0..20).map(|n| format!("s{n}.{ZONE}")).collect();
    let mut tokens = Vec::new();
    for (n, name) in names.iter().enumerate() {
        let token = dnsd.add_host(name, &[]);
        update(&dnsd, name, &token, &[("myip", &format!("192.0.2.{n}"))]).await;
        tokens.push(token);
    }
    let secondary = Secondary::start(kind, port, dnsd.tcp(), &key);
    let dnsd_serial = || serial(dnsd.udp(), ZONE);
    let caught_up = wait_for(Duration::from_secs(15), || {
        serial(secondary.addr, ZONE) == dnsd_serial()
    });
    assert!(
        caught_up.is_some(),
        "{kind:?} never got the zone:\n{}",
        secondary.log()
    );

    // One update: the secondary answers it within 2 s.
    update(&dnsd, &names[0], &tokens[0], &[("myip", "198.51.100.1")]).await;
    let took = wait_for(Duration::from_secs(2), || {
        secondary.address_of(&names[0]) == "198.51.100.1"
    });
    assert!(
        took.is_some(),
        "{kind:?} did not follow within 2 s:\n{}",
        secondary.log()
    );

    // 1,000 updates in a burst: a bounded number of NOTIFYs, and the copy
    // converges to dnsd's serial and content.
    let before = notifies_sent(&dnsd);
    let burst = Instant::now();
    for n in 0..1000 {
        let host = n % names.len();
        let ip = format!("198.51.{}.{}", 100 + n / 250, n % 250);
        let answer = update(&dnsd, &names[host], &tokens[host], &[("myip", &ip)]).await;
        assert!(answer.body.starts_with("good"), "{}", answer.body);
    }
    let burst = burst.elapsed();
    let converged = wait_for(Duration::from_secs(15), || {
        serial(secondary.addr, ZONE) == dnsd_serial()
    });
    assert!(
        converged.is_some(),
        "{kind:?} fell behind:\n{}",
        secondary.log()
    );
    let sent = notifies_sent(&dnsd) - before;
    let rounds = (burst.as_millis() / 200) as usize + 3;
    assert!(sent <= rounds, "{sent} NOTIFYs for a {burst:?} burst");
    let signed = kdig(dnsd.tcp(), &["-y", &key.arg(), ZONE, "AXFR"]);
    assert_eq!(
        records(&secondary.axfr()),
        records(&signed),
        "{kind:?}'s copy"
    );
    assert!(
        dnsd.log_text().contains("kind=Ixfr"),
        "{kind:?} followed by IXFR:\n{}",
        dnsd.log_text()
    );
}

#[tokio::test]
async fn knot_follows_by_notify_and_ixfr() {
    follows_by_notify_and_ixfr(Kind::Knot).await;
}

#[tokio::test]
async fn nsd_follows_by_notify_and_ixfr() {
    follows_by_notify_and_ixfr(Kind::Nsd).await;
}

#[tokio::test]
async fn bind_follows_by_notify_and_ixfr() {
    follows_by_notify_and_ixfr(Kind::Bind).await;
}

#[tokio::test]
async fn a_secondary_with_the_wrong_key_gets_nothing_and_the_log_says_why() {
    if !require("knotd") || !require("kdig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let port = free_port();
    let dnsd = primary(&key, port);
    let name = format!("hidden.{ZONE}");
    let token = dnsd.add_host(&name, &[]);
    update(&dnsd, &name, &token, &[("myip", "192.0.2.9")]).await;
    let wrong = TestKey::new("xfr-key");
    let secondary = Secondary::start(Kind::Knot, port, dnsd.tcp(), &wrong);
    let refused = wait_for(Duration::from_secs(10), || {
        dnsd.log_text().contains("TSIG BADSIG (key xfr-key)")
    });
    assert!(refused.is_some(), "{}", dnsd.log_text());
    assert!(
        serial(secondary.addr, ZONE).is_none(),
        "{}",
        secondary.log()
    );
    assert!(!secondary.axfr().contains("hidden"));
}

#[test]
fn a_zone_of_100k_hosts_reaches_knot_whole() {
    if !require("knotd") || !require("kdig") {
        return;
    }
    const HOSTS: usize = 100_000;
    let key = TestKey::new("xfr-key");
    let port = free_port();
    let dnsd = primary(&key, port);
    let mut csv = String::from("hostname,ipv4,ipv6\n");
    for n in 0..HOSTS {
        csv.push_str(&format!(
            "big{n}.{ZONE},10.{}.{}.{},\n",
            n >> 16,
            (n >> 8) & 255,
            n & 255
        ));
    }
    assert_eq!(
        dnsd.import_hosts(&csv),
        format!("{HOSTS} of {HOSTS} hosts created")
    );
    let secondary = Secondary::start(Kind::Knot, port, dnsd.tcp(), &key);
    let caught_up = wait_for(Duration::from_secs(60), || {
        serial(secondary.addr, ZONE) == serial(dnsd.udp(), ZONE)
    });
    assert!(caught_up.is_some(), "{}", secondary.log());
    let copy = records(&secondary.axfr());
    let source = records(&kdig(dnsd.tcp(), &["-y", &key.arg(), ZONE, "AXFR"]));
    assert!(copy.len() > HOSTS, "{}", copy.len());
    assert_eq!(copy, source);
}

#[tokio::test]
async fn fed_nodes_publish_one_serial_for_one_content_and_knot_follows_either() {
    if !require("knotd") || !require("kdig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let port = free_port();
    let control = Control::start().await;
    let api = control.api_user("alice", SCOPES).await;
    let mut hosts = Vec::new();
    for n in 0..4 {
        hosts.push(host_with_token(&api, &format!("fed{n}")).await);
    }
    let url = control.database_url.clone().expect("database");
    let options = || Options {
        zone: format!("[[zone.secondary]]\naddress = \"127.0.0.1:{port}\"\nkey = \"xfr-key\"\n"),
        extra: format!("{}[xfr]\nnotify_interval_ms = 200\n", key.toml()),
        ..Options::default()
    };
    let mut a = node_with(&url, options());
    let b = node_with(&url, options());
    // Updates taken by either node.
    for (n, (name, _, token)) in hosts.iter().enumerate() {
        let node = if n % 2 == 0 { &a } else { &b };
        let answer = update(
            node,
            name,
            token,
            &[("myip", &format!("192.0.2.{}", n + 1))],
        )
        .await;
        assert!(answer.body.starts_with("good"), "{}", answer.body);
    }
    let everywhere = |node: &Dnsd| {
        hosts.iter().enumerate().all(|(n, (name, _, _))| {
            resolve(node, name, RecordType::A) == vec![format!("192.0.2.{}", n + 1)]
        })
    };
    eventually("both nodes at one serial with every update", || {
        everywhere(&a) && everywhere(&b) && serial(a.udp(), ZONE) == serial(b.udp(), ZONE)
    })
    .await;
    let fed_serial = serial(a.udp(), ZONE).unwrap();
    assert!(fed_serial >= 1 << 31, "derived from the feed: {fed_serial}");
    let axfr = |node: &Dnsd| records(&kdig(node.tcp(), &["-y", &key.arg(), ZONE, "AXFR"]));
    assert_eq!(axfr(&a), axfr(&b), "one serial, one content");

    // A local update is served at once; the serial moves with its echo, to
    // the same value on both nodes.
    let (name, _, token) = &hosts[0];
    update(&a, name, token, &[("myip", "198.51.100.5")]).await;
    assert_eq!(resolve(&a, name, RecordType::A), vec!["198.51.100.5"]);
    eventually("the echo on both nodes", || {
        let (sa, sb) = (serial(a.udp(), ZONE), serial(b.udp(), ZONE));
        sa == sb
            && sa != Some(fed_serial)
            && resolve(&b, name, RecordType::A) == vec!["198.51.100.5"]
    })
    .await;
    assert_eq!(axfr(&a), axfr(&b));

    // Knot follows either node: with the first gone, the second one's IXFR.
    let knot = Secondary::start_with(Kind::Knot, port, &[a.tcp(), b.tcp()], &key);
    eventually("Knot at the nodes' serial", || {
        serial(knot.addr, ZONE) == serial(b.udp(), ZONE)
    })
    .await;
    a.stop();
    update(&b, name, token, &[("myip", "198.51.100.6")]).await;
    eventually("Knot following the second node", || {
        knot.address_of(name) == "198.51.100.6"
    })
    .await;
    let from_b = format!("IXFR, incoming, remote 127.0.0.1@{}", b.tcp().port());
    assert!(knot.log().contains(&from_b), "{}", knot.log());
    assert_eq!(records(&knot.axfr()), axfr(&b));
}
