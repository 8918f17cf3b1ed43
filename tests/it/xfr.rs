//! Zone transfers from dnsd, read with kdig and dig (both check every TSIG
//! of a multi-message answer), and NOTIFYs caught by UDP sockets of the test.

use std::{
    collections::BTreeSet,
    net::{SocketAddr, UdpSocket},
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::Engine;

use crate::harness::{
    self, Dnsd, OTHER_ZONE, Options, ZONE, metric, metrics_text, require, update,
};

/// A TSIG key as the tests configure it.
pub struct TestKey {
    pub name: &'static str,
    pub secret: String,
}

impl TestKey {
    pub fn new(name: &'static str) -> Self {
        let bytes: [u8; 32] = rand::random();
        Self {
            name,
            secret: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    pub fn toml(&self) -> String {
        format!(
            "[[key]]\nname = \"{}\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{}\"\n",
            self.name, self.secret
        )
    }

    /// kdig's and dig's `-y` argument.
    pub fn arg(&self) -> String {
        format!("hmac-sha256:{}:{}", self.name, self.secret)
    }
}

/// kdig's output for `args` against `server` (it fails on a bad TSIG).
pub fn kdig(server: SocketAddr, args: &[&str]) -> String {
    let output = Command::new("kdig")
        .arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string(), "+time=5", "+retry=0"])
        .args(args)
        .output()
        .expect("kdig runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// dig's output for a query signed with `key` (dig checks the answer's TSIG).
fn dig(server: SocketAddr, key: &TestKey, args: &[&str]) -> String {
    harness::run(
        Command::new("dig")
            .arg(format!("@{}", server.ip()))
            .args(["-p", &server.port().to_string(), "-y", &key.arg()])
            .args(args),
    )
}

/// The records of a transfer as a set of `owner ttl class type data` lines
/// (the SOA once, TSIG left out): two transfers of one zone compare equal.
pub fn records(output: &str) -> BTreeSet<String> {
    output
        .lines()
        .filter(|line| !line.starts_with(';') && !line.trim().is_empty())
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.contains(" TSIG "))
        .collect()
}

/// The serial of a zone's SOA at `server` (over UDP, unsigned).
pub fn serial(server: SocketAddr, zone: &str) -> Option<u32> {
    kdig(server, &["+short", zone, "SOA"])
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

/// "(N messages" from kdig's summary.
fn messages(output: &str) -> usize {
    output
        .lines()
        .find_map(|line| {
            let (count, tail) = line.split_once('(')?.1.split_once(' ')?;
            tail.starts_with("messages").then(|| count.parse().ok())?
        })
        .unwrap_or(0)
}

fn keyed_dnsd(key: &TestKey, other: &TestKey, zone: &str, extra: &str) -> Dnsd {
    Dnsd::start_with(Options {
        zone: zone.into(),
        extra: format!("{}{}{extra}", key.toml(), other.toml()),
        ..Options::default()
    })
}

#[tokio::test]
async fn transfers_need_an_acl_entry_and_the_right_key() {
    if !require("kdig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let other = TestKey::new("other-key");
    // The second zone admits 127.0.0.2 without a key, and other-key.
    let dnsd = keyed_dnsd(
        &key,
        &other,
        "[[zone.allow_transfer]]\nkey = \"xfr-key\"\n",
        &format!(
            "[[zone]]\nname = \"open.test\"\nns = [\"ns1.{ZONE}.\"]\nhostmaster = \"h.example.net\"\n\
             [[zone.allow_transfer]]\naddress = \"127.0.0.2\"\n\
             [[zone.allow_transfer]]\nkey = \"other-key\"\n\
             [metrics]\nlisten = \"127.0.0.1:0\"\n"
        ),
    );
    let secret_name = format!("secret.{ZONE}");
    let token = dnsd.add_host(&secret_name, &[]);
    update(&dnsd, &secret_name, &token, &[("myip", "192.0.2.77")]).await;
    let server = dnsd.tcp();
    let signed = kdig(server, &["-y", &key.arg(), ZONE, "AXFR"]);
    assert!(signed.contains(&secret_name), "{signed}");
    assert!(
        signed.contains("NOERROR") && !signed.contains("ERROR:"),
        "{signed}"
    );

    let unsigned = kdig(server, &[ZONE, "AXFR"]);
    assert!(unsigned.contains("REFUSED"), "{unsigned}");
    let wrong_secret = TestKey {
        name: "xfr-key",
        secret: TestKey::new("x").secret,
    };
    let bad_mac = kdig(server, &["-y", &wrong_secret.arg(), ZONE, "AXFR"]);
    assert!(
        bad_mac.contains("NOTAUTH") || bad_mac.contains("BADSIG"),
        "{bad_mac}"
    );
    let unknown = TestKey::new("nobody-key");
    let bad_key = kdig(server, &["-y", &unknown.arg(), ZONE, "AXFR"]);
    assert!(
        bad_key.contains("NOTAUTH") || bad_key.contains("BADKEY"),
        "{bad_key}"
    );
    let other_zones_key = kdig(server, &["-y", &other.arg(), ZONE, "AXFR"]);
    assert!(other_zones_key.contains("REFUSED"), "{other_zones_key}");
    for refused in [unsigned, bad_mac, bad_key, other_zones_key] {
        assert!(!refused.contains(&secret_name), "nothing leaks: {refused}");
    }
    // A zone without any ACL entry, and one we do not serve.
    assert!(kdig(server, &["-y", &key.arg(), OTHER_ZONE, "AXFR"]).contains("REFUSED"));
    assert!(kdig(server, &["-y", &key.arg(), "example.org", "AXFR"]).contains("NOTAUTH"));

    // The address list: 127.0.0.2 gets the open zone unsigned, 127.0.0.1 not.
    assert!(kdig(server, &["-b", "127.0.0.2", "open.test", "AXFR"]).contains("ns1.dyn.test"));
    assert!(kdig(server, &["open.test", "AXFR"]).contains("REFUSED"));
    assert!(kdig(server, &["-y", &other.arg(), "open.test", "AXFR"]).contains("ns1.dyn.test"));
    // AXFR is TCP only.
    assert!(kdig(dnsd.udp(), &["+notcp", "-y", &key.arg(), ZONE, "AXFR"]).contains("REFUSED"));
    let metrics = metrics_text(&dnsd).await;
    assert_eq!(
        metric(&metrics, "spdyn_xfr_total{result=\"full\"}"),
        3,
        "{metrics}"
    );
    assert!(
        metric(&metrics, "spdyn_xfr_total{result=\"refused\"}") >= 8,
        "{metrics}"
    );
}

#[test]
fn signed_queries_get_signed_answers_over_udp_and_tcp() {
    if !require("kdig") || !require("dig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let dnsd = keyed_dnsd(&key, &TestKey::new("unused"), "", "");
    for transport in ["+notcp", "+tcp"] {
        let out = kdig(dnsd.udp(), &[transport, "-y", &key.arg(), ZONE, "SOA"]);
        assert!(out.contains("NOERROR") && out.contains("TSIG"), "{out}");
        assert!(!out.contains("WARNING"), "kdig checked the TSIG: {out}");
    }
    let dig = dig(dnsd.udp(), &key, &[&format!("ns1.{ZONE}"), "A"]);
    assert!(
        dig.contains("192.0.2.53") && dig.contains("TSIG PSEUDOSECTION"),
        "{dig}"
    );
    assert!(!dig.contains("failure"), "{dig}");
    let wrong = TestKey {
        name: "xfr-key",
        secret: TestKey::new("x").secret,
    };
    let refused = kdig(dnsd.udp(), &["+notcp", "-y", &wrong.arg(), ZONE, "SOA"]);
    assert!(
        refused.contains("NOTAUTH") || refused.contains("BADSIG"),
        "{refused}"
    );
    assert!(!refused.contains("hostmaster"), "{refused}");
}

#[test]
fn a_large_zone_goes_in_many_signed_messages_and_equals_what_is_served() {
    if !require("kdig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let dnsd = keyed_dnsd(
        &key,
        &TestKey::new("unused"),
        "[[zone.allow_transfer]]\nkey = \"xfr-key\"\n",
        "",
    );
    const HOSTS: usize = 5000;
    let mut csv = String::from("hostname,ipv4,ipv6\n");
    for n in 0..HOSTS {
        let v6 = n + 1;
        csv.push_str(&format!(
            "h{n}.{ZONE},198.18.{}.{},2001:db8::{v6:x}\n",
            n / 256,
            n % 256
        ));
    }
    assert_eq!(
        dnsd.import_hosts(&csv),
        format!("{HOSTS} of {HOSTS} hosts created")
    );

    let axfr = kdig(dnsd.tcp(), &["-y", &key.arg(), ZONE, "AXFR"]);
    assert!(
        !axfr.contains(";; ERROR") && !axfr.contains("WARNING"),
        "{}",
        &axfr[axfr.len().saturating_sub(500)..]
    );
    assert!(
        messages(&axfr) > 1,
        "many messages: {}",
        &axfr[axfr.len() - 300..]
    );
    let records = records(&axfr);
    for n in [0, 1, HOSTS / 2, HOSTS - 1] {
        let a = format!("h{n}.{ZONE}. 60 IN A 198.18.{}.{}", n / 256, n % 256);
        assert!(records.contains(&a), "{a}");
        let aaaa = format!("h{n}.{ZONE}. 60 IN AAAA 2001:db8::{:x}", n + 1);
        assert!(records.contains(&aaaa), "{aaaa}");
    }
    // Hosts (A and AAAA), the SOA, the apex NS pair and TXT, ns1's A, big's
    // two TXT.
    assert_eq!(records.len(), 2 * HOSTS + 7, "every record once");
    let soa = axfr
        .lines()
        .filter(|l| l.contains("\tSOA\t") || l.contains(" SOA "))
        .count();
    assert_eq!(soa, 2, "SOA first and last");
    // dig checks the chain of MACs independently.
    let dig = dig(dnsd.tcp(), &key, &[ZONE, "AXFR"]);
    assert!(
        !dig.contains("failure") && dig.contains(&format!("h{}.{ZONE}", HOSTS - 1)),
        "{}",
        &dig[dig.len() - 400..]
    );
}

/// A full transfer at a new serial is made from the previous one and the
/// history in between (dnsd logs how it packed the zone); it must equal what
/// a copy from the index gives after a restart, where there is nothing to
/// derive from.
#[tokio::test]
async fn a_full_transfer_after_changes_equals_a_fresh_copy_of_the_zone() {
    if !require("kdig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let mut dnsd = keyed_dnsd(
        &key,
        &TestKey::new("unused"),
        "[[zone.allow_transfer]]\nkey = \"xfr-key\"\n",
        "",
    );
    let mut csv = String::from("hostname,ipv4,ipv6\n");
    for n in 0..4000 {
        csv.push_str(&format!("h{n}.{ZONE},198.18.{}.{},\n", n / 256, n % 256));
    }
    assert_eq!(dnsd.import_hosts(&csv), "4000 of 4000 hosts created");
    let moving = format!("moving.{ZONE}");
    let token = dnsd.add_host(&moving, &[]);
    update(&dnsd, &moving, &token, &[("myip", "192.0.2.1")]).await;
    let key_arg = key.arg();
    let axfr = |dnsd: &Dnsd| {
        let out = kdig(dnsd.tcp(), &["-y", &key_arg, ZONE, "AXFR"]);
        assert!(!out.contains(";; ERROR"), "{out}");
        assert!(messages(&out) > 1, "many messages");
        records(&out)
    };
    let before = axfr(&dnsd);

    // A moved address (twice), a removed host, a disabled one, a new one.
    update(&dnsd, &moving, &token, &[("myip", "192.0.2.2")]).await;
    update(&dnsd, &moving, &token, &[("myip", "192.0.2.3")]).await;
    for args in [
        ["host", "remove", &format!("h1.{ZONE}")],
        ["host", "disable", &format!("h2.{ZONE}")],
    ] {
        assert!(dnsd.cli(&args, None).status.success(), "{args:?}");
    }
    let new = format!("new.{ZONE}");
    let new_token = dnsd.add_host(&new, &[]);
    update(&dnsd, &new, &new_token, &[("myip", "192.0.2.9")]).await;
    let after = axfr(&dnsd);
    let packed = |dnsd: &Dnsd, how: &str| {
        dnsd.log_text()
            .lines()
            .filter(|l| l.contains("zone packed") && l.contains(how))
            .count()
    };
    assert_eq!(packed(&dnsd, "derived"), 1, "{}", dnsd.log_text());
    assert!(after.contains(&format!("{moving}. 60 IN A 192.0.2.3")));
    assert!(after.contains(&format!("{new}. 60 IN A 192.0.2.9")));
    let gone = |records: &BTreeSet<String>, owner: &str| {
        !records.iter().any(|r| r.starts_with(&format!("{owner}. ")))
    };
    for owner in [format!("h1.{ZONE}"), format!("h2.{ZONE}")] {
        assert!(!gone(&before, &owner) && gone(&after, &owner), "{owner}");
    }
    assert_eq!(
        before.len() + 1 - 2,
        after.len(),
        "one record more, two fewer (the SOA differs in its serial only)"
    );

    dnsd.stop();
    dnsd.start_again();
    let copied = axfr(&dnsd);
    assert!(packed(&dnsd, "copied") >= 1);
    assert_eq!(copied, after, "the derived transfer is the zone");
}

#[tokio::test]
async fn ixfr_sends_what_changed_since_the_clients_serial_and_survives_a_restart() {
    if !require("kdig") {
        return;
    }
    let key = TestKey::new("xfr-key");
    let mut dnsd = Dnsd::start_with(Options {
        zone: "[[zone.allow_transfer]]\nkey = \"xfr-key\"\n".into(),
        extra: format!("{}[xfr]\nhistory_changes = 6\n", key.toml()),
        ..Options::default()
    });
    let names: Vec<String> = (0..3).map(|n| format!("ix{n}.{ZONE}")).collect();
    let tokens: Vec<String> = names.iter().map(|n| dnsd.add_host(n, &[])).collect();
    update(&dnsd, &names[0], &tokens[0], &[("myip", "192.0.2.10")]).await;
    let start = serial(dnsd.udp(), ZONE).unwrap();
    update(&dnsd, &names[0], &tokens[0], &[("myip", "192.0.2.11")]).await;
    update(&dnsd, &names[1], &tokens[1], &[("myip", "192.0.2.21")]).await;
    let now = serial(dnsd.udp(), ZONE).unwrap();
    assert_eq!(now, start + 2);

    let key_arg = key.arg();
    let ixfr_from = |dnsd: &Dnsd, serial: u32, extra: &[&str]| {
        let query = format!("IXFR={serial}");
        let mut args: Vec<&str> = vec!["-y", &key_arg];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[ZONE, &query]);
        kdig(dnsd.tcp(), &args)
    };
    let ixfr = ixfr_from(&dnsd, start, &[]);
    let lines: Vec<String> = ixfr
        .lines()
        .filter(|l| !l.starts_with(';') && !l.contains("TSIG") && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let soa_serials: Vec<u32> = lines
        .iter()
        .filter(|l| l.contains(" SOA "))
        .map(|l| l.split(' ').nth(6).unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        soa_serials,
        [now, start, start + 1, start + 1, now, now],
        "{ixfr}"
    );
    let body = lines.join("\n");
    assert!(
        body.contains(&format!("{}. 60 IN A 192.0.2.10", names[0])),
        "the removed address: {ixfr}"
    );
    assert!(body.contains(&format!("{}. 60 IN A 192.0.2.11", names[0])));
    assert!(body.contains(&format!("{}. 60 IN A 192.0.2.21", names[1])));
    assert!(!body.contains(" NS "), "only the changes: {ixfr}");

    // A client that is current gets the SOA alone.
    let current = ixfr_from(&dnsd, now, &[]);
    assert!(current.contains("(1 messages, 1 records)"), "{current}");
    // Over UDP a small answer fits; the history survives a crash.
    dnsd.kill9();
    dnsd.start_again();
    let udp = ixfr_from(&dnsd, start, &["+notcp", "+edns=0", "+bufsize=1232"]);
    assert!(udp.contains("192.0.2.21") && udp.contains("UDP"), "{udp}");
    // Further back than the history (6 changes) reaches: the whole zone.
    for n in 0..8 {
        update(
            &dnsd,
            &names[2],
            &tokens[2],
            &[("myip", &format!("192.0.2.{}", 100 + n))],
        )
        .await;
    }
    let full = ixfr_from(&dnsd, start, &[]);
    assert!(
        full.contains(" NS ") || full.contains("\tNS\t"),
        "AXFR-style: {full}"
    );
    assert!(
        full.contains("192.0.2.107") && !full.contains("192.0.2.106"),
        "{full}"
    );
    // Over UDP what does not fit is the SOA alone: the client goes to TCP.
    let too_big = ixfr_from(&dnsd, start, &["+notcp"]);
    assert!(too_big.contains("1 records"), "{too_big}");
}

/// A UDP socket standing in for a secondary: a thread records every
/// NOTIFY (arrival, serial) and answers them when asked to.
struct FakeSecondary {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(Instant, u32)>>>,
}

impl FakeSecondary {
    fn start(answer: bool) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::downgrade(&seen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            // Ends when the test drops its handle.
            while let Some(seen) = record.upgrade() {
                let Ok((len, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let msg = &buf[..len];
                assert_eq!((msg[2] >> 3) & 0xF, 4, "opcode NOTIFY");
                assert_eq!(msg[2] & 0x80, 0, "a request");
                // Question `dyn.test SOA IN`, then the SOA: the serial
                // follows its owner pointer, fixed fields and two names.
                let rdata = &msg[12 + 10 + 4 + 2 + 10..];
                let names = name_len(rdata) + name_len(&rdata[name_len(rdata)..]);
                let serial = u32::from_be_bytes(rdata[names..names + 4].try_into().unwrap());
                seen.lock().unwrap().push((Instant::now(), serial));
                if answer {
                    let mut reply = msg[..12].to_vec();
                    reply[2] |= 0x80;
                    reply[4..12].fill(0);
                    socket.send_to(&reply, from).unwrap();
                }
            }
        });
        Self { addr, seen }
    }

    fn seen(&self) -> Vec<(Instant, u32)> {
        self.seen.lock().unwrap().clone()
    }
}

fn name_len(data: &[u8]) -> usize {
    let mut at = 0;
    while data[at] != 0 {
        at += 1 + usize::from(data[at]);
    }
    at + 1
}

#[tokio::test]
async fn notify_rounds_are_coalesced_and_unanswered_ones_retried_five_times() {
    let silent = FakeSecondary::start(false);
    let answering = FakeSecondary::start(true);
    let dnsd = Dnsd::start_with(Options {
        zone: format!(
            "[[zone.secondary]]\naddress = \"{}\"\n[[zone.secondary]]\naddress = \"{}\"\n",
            silent.addr, answering.addr
        ),
        extra: "[xfr]\nnotify_interval_ms = 500\nnotify_retry_ms = 100\n\
                [metrics]\nlisten = \"127.0.0.1:0\"\n"
            .into(),
        ..Options::default()
    });
    // The round at start: the silent one is asked six times, 100 ms doubling.
    std::thread::sleep(Duration::from_millis(5000));
    let first = silent.seen();
    assert_eq!(first.len(), 6, "one send and five retries: {first:?}");
    let gaps: Vec<u128> = first
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).as_millis())
        .collect();
    for (gap, wanted) in gaps.iter().zip([100, 200, 400, 800, 1600]) {
        assert!(*gap >= wanted - 20 && *gap < wanted + 400, "gaps {gaps:?}");
    }
    assert_eq!(
        answering.seen().len(),
        1,
        "answered at once: {:?}",
        answering.seen()
    );
    // The last wait of the silent one ended at 4.7 s: counted unanswered.
    let counts = |text: &str, outcome: &str| {
        metric(
            text,
            &format!("spdyn_notify_total{{outcome=\"{outcome}\"}}"),
        ) as usize
    };
    let waited = Instant::now();
    let metrics = loop {
        let metrics = metrics_text(&dnsd).await;
        if counts(&metrics, "unanswered") == 1 || waited.elapsed() > Duration::from_secs(3) {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(counts(&metrics, "unanswered"), 1, "{metrics}");
    assert_eq!(counts(&metrics, "acknowledged"), 1, "{metrics}");
    assert_eq!(counts(&metrics, "sent"), 7, "{metrics}");

    // 50 updates in a burst: at most a round per interval, the last with the
    // final serial.
    let name = format!("burst.{ZONE}");
    let token = dnsd.add_host(&name, &[]);
    let burst = Instant::now();
    for n in 0..50 {
        update(
            &dnsd,
            &name,
            &token,
            &[("myip", &format!("192.0.2.{}", n + 1))],
        )
        .await;
    }
    let burst_ms = burst.elapsed().as_millis();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rounds = answering.seen()[1..].to_vec();
    let allowed = burst_ms / 500 + 2;
    assert!(
        !rounds.is_empty() && rounds.len() as u128 <= allowed,
        "{} rounds for a burst of {burst_ms} ms",
        rounds.len()
    );
    assert_eq!(
        rounds.last().unwrap().1,
        serial_of(&dnsd),
        "the latest serial"
    );
    assert!(
        rounds
            .windows(2)
            .all(|w| w[1].0 - w[0].0 >= Duration::from_millis(450))
    );
    let metrics = metrics_text(&dnsd).await;
    assert_eq!(
        counts(&metrics, "acknowledged"),
        1 + rounds.len(),
        "{metrics}"
    );
    assert!(
        counts(&metrics, "sent") >= 7 + 2 * rounds.len(),
        "{metrics}"
    );
}

fn serial_of(dnsd: &Dnsd) -> u32 {
    serial(dnsd.udp(), ZONE).expect("an SOA")
}

#[test]
fn check_config_reports_transfer_mistakes_and_counts_what_is_right() {
    let key = TestKey::new("xfr-key");
    let dnsd = keyed_dnsd(
        &key,
        &TestKey::new("spare"),
        "[[zone.secondary]]\naddress = \"127.0.0.1:5353\"\nkey = \"xfr-key\"\n",
        "",
    );
    let ok = dnsd.cli(&["check-config"], None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(said.contains("2 TSIG keys, 1 secondaries"), "{said}");
    let text = std::fs::read_to_string(&dnsd.config).unwrap();
    for (broken, message) in [
        (
            text.replace("key = \"xfr-key\"", "key = \"nope\""),
            "no [[key]] named `nope`",
        ),
        (
            text.replace(&key.secret, "bm90IGxvbmc="),
            "the secret has 8 bytes; at least 16 are needed",
        ),
        (
            text.replace("127.0.0.1:5353", "ns1.example.net"),
            "`ns1.example.net` is not an address",
        ),
    ] {
        std::fs::write(&dnsd.config, broken).unwrap();
        let out = dnsd.cli(&["check-config"], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(message),
            "{stderr}"
        );
    }
}
