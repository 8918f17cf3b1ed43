//! Abuse paths of dnsd (issue 21): account-mode password guessing spread
//! over many sources, account-mode updates of accounts with 2FA (learnt from
//! control through the change feed), idle TCP connections piling up on the
//! DNS port, and slow HTTP clients on the update endpoint.

use std::{
    net::{IpAddr, SocketAddr},
    process::Command,
    time::Duration,
};

use hickory_proto::rr::RecordType;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::{
    control_harness::{Control, PASSWORD},
    control_totp::enrol,
    harness::{self, Dnsd, Options, ZONE, query, require, send, update},
    sync::{eventually, exists, node},
};

/// Waits until the node has applied everything in control's change feed.
async fn caught_up(control: &Control, dnsd: &Dnsd) {
    let head: i64 = sqlx::query_scalar("SELECT max(seq) FROM change_feed")
        .fetch_one(&control.db().await)
        .await
        .expect("feed head");
    let mut applied = 0;
    for _ in 0..2000 {
        let text = harness::metrics_text(dnsd).await;
        applied = harness::metric(&text, "spdyn_feed_applied_seq");
        if applied >= head.unsigned_abs() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the node applied feed entry {applied}, not {head}");
}

#[tokio::test]
async fn account_mode_stops_with_two_factor_on_and_tokens_keep_working() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let browser = control.signed_up("alice").await;
    let id = browser.create_host("home").await;
    let token = browser.create_token(id).await;
    let host = format!("home.{ZONE}");
    let dnsd = node(control.database_url.as_deref().expect("database"));
    eventually("the host on the node", || exists(&dnsd, &host)).await;
    caught_up(&control, &dnsd).await;

    let account_mode = |ip: &'static str| {
        let (dnsd, host) = (&dnsd, host.clone());
        async move {
            update(
                dnsd,
                "alice",
                PASSWORD,
                &[("hostname", &host), ("myip", ip)],
            )
            .await
            .body
        }
    };
    assert_eq!(account_mode("192.0.2.10").await, "good 192.0.2.10");

    let (_, recovery_codes) = enrol(&browser).await;
    caught_up(&control, &dnsd).await;
    assert_eq!(
        account_mode("192.0.2.11").await,
        "badauth",
        "the right password alone no longer updates"
    );
    assert_eq!(
        update(&dnsd, &host, &token, &[("myip", "192.0.2.12")])
            .await
            .body,
        "good 192.0.2.12",
        "the token still does"
    );

    let off = browser
        .post_form(
            "/2fa",
            "/2fa/disable",
            &[("current_password", PASSWORD), ("code", &recovery_codes[0])],
        )
        .await;
    assert_eq!(off.status, 303, "2FA off: {}", off.body);
    caught_up(&control, &dnsd).await;
    assert_eq!(account_mode("192.0.2.13").await, "good 192.0.2.13");
}

#[tokio::test]
async fn guessing_an_account_password_from_many_sources_is_stopped_per_account() {
    let dnsd = Dnsd::start();
    dnsd.add_account("alice", "alice-password-1");
    let host = format!("guarded.{ZONE}");
    let token = dnsd.add_host(&host, &["--account", "alice"]);
    // 127.0.0.2 is a trusted proxy in the test config: each guess comes from
    // another forwarded source, so no source reaches its own limit (10).
    let proxy = harness::client_builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let from = |source: u8, password: &str| {
        proxy
            .get(dnsd.update_url())
            .basic_auth("alice", Some(password))
            .header("X-Forwarded-For", format!("198.51.100.{source}"))
            .query(&[("hostname", host.as_str()), ("myip", "192.0.2.40")])
    };
    // The default limit: more than 10 failures per account in 300 s.
    for source in 1..=11 {
        let answer = send(from(source, &format!("guess-{source}"))).await;
        assert_eq!(answer.body, "badauth", "guess from source {source}");
    }
    let blocked = send(from(12, "guess-12")).await;
    assert_eq!(blocked.body, "abuse", "a fresh source is refused as well");
    assert!(blocked.retry_after.unwrap() > 60);
    let right = send(from(13, "alice-password-1")).await;
    assert_eq!(
        right.body, "abuse",
        "not even the right password is checked while the account is blocked"
    );
    assert_eq!(
        update(&dnsd, &host, &token, &[("myip", "192.0.2.41")])
            .await
            .body,
        "good 192.0.2.41",
        "token updates of the account's hosts keep working"
    );
}

#[tokio::test]
async fn account_names_are_logged_escaped_and_cut() {
    let dnsd = Dnsd::start();
    // (Basic auth ends the user name at the first colon.)
    let forged = format!(
        "mallory\n2099-01-01T00.00.00Z  INFO dnsd forged \"line\"{}",
        "x".repeat(100)
    );
    let answer = update(
        &dnsd,
        &forged,
        "guess",
        &[("hostname", &format!("h.{ZONE}"))],
    )
    .await;
    assert_eq!(answer.body, "badauth");
    // The log is read from the process's stderr on another thread.
    eventually("the failure in the log", || {
        dnsd.log_text().contains("bad account credentials")
    })
    .await;
    let log = dnsd.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("bad account credentials"))
        .expect("the failure is logged");
    assert!(
        line.contains(r#"mallory\n2099-01-01T00.00.00Z  INFO dnsd forged \"line\""#),
        "{line}"
    );
    assert!(line.contains("xxx…"), "cut: {line}");
    assert!(!log.contains("\n2099-01-01"), "no forged line:\n{log}");
}

/// The soft limit of open files this process (and so its children) has.
fn open_files_limit() -> usize {
    let out = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .expect("sh");
    let text = String::from_utf8_lossy(&out.stdout);
    match text.trim() {
        "unlimited" => usize::MAX,
        n => n.parse().expect("ulimit -n"),
    }
}

/// A TCP connection to `server` from the local address `from`.
async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .expect("bind");
    socket.connect(server).await.expect("connect")
}

/// Still open from the client's side: nothing to read and no end of stream.
fn is_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

fn count_open(streams: &[TcpStream]) -> usize {
    streams.iter().filter(|s| is_open(s)).count()
}

/// Asks `ns1` over an open connection; true when the server answers on it.
async fn answers(stream: &mut TcpStream) -> bool {
    let packet = query(&format!("ns1.{ZONE}."), RecordType::A)
        .to_vec()
        .expect("encode");
    let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&packet);
    if stream.write_all(&framed).await.is_err() {
        return false;
    }
    let read = async {
        let len = stream.read_u16().await?;
        let mut answer = vec![0u8; usize::from(len)];
        stream.read_exact(&mut answer).await.map(|_| answer)
    };
    match tokio::time::timeout(Duration::from_secs(5), read).await {
        Ok(Ok(answer)) => {
            let message = hickory_proto::op::Message::from_vec(&answer).expect("decode");
            harness::answer_ips(&message) == vec!["192.0.2.53"]
        }
        _ => false,
    }
}

async fn count_answering(streams: &mut [TcpStream]) -> usize {
    let mut answering = 0;
    for stream in streams {
        if answers(stream).await {
            answering += 1;
        }
    }
    answering
}

#[tokio::test]
async fn a_thousand_idle_tcp_connections_do_not_stop_dns_answers() {
    assert!(
        open_files_limit() >= 2048,
        "this test holds 1,000 connections: raise the open-file limit (ulimit -n 4096; \
         scripts/test.sh does)"
    );
    // Defaults: 256 TCP connections, 16 per source, closed after 10 s idle.
    let dnsd = Dnsd::start();
    let server = dnsd.tcp();
    // 1,000 idle connections from 100 sources, 10 each (within a source's
    // share), so the total is what holds them back…
    let mut idle = Vec::with_capacity(1000);
    for source in 1..=100 {
        for _ in 0..10 {
            idle.push(connect_from(&format!("127.0.1.{source}"), server).await);
        }
    }
    // …and 40 from one source, which may keep 16 of them.
    let mut greedy = Vec::with_capacity(40);
    for _ in 0..40 {
        greedy.push(connect_from("127.0.2.1", server).await);
    }
    // The server has taken them all once it closed what it does not keep.
    eventually("the server to close what it does not keep", || {
        count_open(&idle) + count_open(&greedy) <= 256
    })
    .await;

    // Another client is answered, over TCP and UDP, again and again.
    let ns1 = format!("ns1.{ZONE}.");
    for _ in 0..20 {
        let answer = harness::tcp(server, &query(&ns1, RecordType::A));
        assert_eq!(harness::answer_ips(&answer), vec!["192.0.2.53"]);
        let answer = harness::udp(dnsd.udp(), &query(&ns1, RecordType::A));
        assert_eq!(harness::answer_ips(&answer), vec!["192.0.2.53"]);
    }
    // What the server kept still answers; everything else was closed: the
    // newest connections stay (the longest idle made room for them), and
    // one source keeps its share.
    let kept_greedy = count_answering(&mut greedy).await;
    assert_eq!(kept_greedy, 16, "one source's share");
    let kept_idle = count_answering(&mut idle).await;
    assert!(
        (1..=256 - 16).contains(&kept_idle),
        "{kept_idle} of the first 1,000 kept"
    );
    // And the rest is closed once idle too long.
    eventually("idle connections to be closed", || {
        count_open(&idle) + count_open(&greedy) == 0
    })
    .await;
}

/// Starts an update request on a fresh connection from `from` and sends the
/// rest one byte every 200 ms until the server closes the connection;
/// returns what the server answered.
async fn trickle(from: &str, server: SocketAddr, head: String, rest: &'static [u8]) -> String {
    let stream = connect_from(from, server).await;
    let (mut read, mut write) = stream.into_split();
    write.write_all(head.as_bytes()).await.expect("head");
    let writer = tokio::spawn(async move {
        for byte in rest.iter().cycle() {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut answer = Vec::new();
    // Ends when the server closes (or resets) the connection.
    let _ = read.read_to_end(&mut answer).await;
    writer.abort();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_slowloris_is_cut_off_while_other_clients_get_good() {
    let dnsd = Dnsd::start_with(Options {
        update: "request_timeout_secs = 2\n".into(),
        ..Options::default()
    });
    let host = format!("steady.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    let server = dnsd.http();
    let path = format!("/nic/update?hostname={host}&token={token}&myip=192.0.2.50");
    let slow_headers = tokio::spawn(trickle(
        "127.0.3.1",
        server,
        format!("GET {path} HTTP/1.1\r\nHost: dnsd\r\n"),
        b"X-Slow: yes\r\n",
    ));
    let slow_body = tokio::spawn(trickle(
        "127.0.3.2",
        server,
        format!(
            "POST {path} HTTP/1.1\r\nHost: dnsd\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        ),
        b"x",
    ));
    // Meanwhile everybody else is served.
    for i in 1..=3 {
        let ip = format!("192.0.2.{}", 50 + i);
        let answer = update(&dnsd, &host, &token, &[("myip", ip.as_str())]).await;
        assert_eq!(answer.body, format!("good {ip}"));
    }
    assert_eq!(
        slow_headers.await.unwrap(),
        "",
        "headers that never complete: closed without an answer"
    );
    let answer = slow_body.await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "a body that never completes gets 408: {answer:?}"
    );
    assert_eq!(
        harness::resolve(&dnsd, &host, RecordType::A),
        vec!["192.0.2.53"],
        "the slow request changed nothing"
    );
}

#[tokio::test]
async fn a_source_gets_only_its_share_of_update_connections() {
    let dnsd = Dnsd::start_with(Options {
        update: "max_connections_per_source = 8\n".into(),
        ..Options::default()
    });
    let server = dnsd.http();
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(connect_from("127.0.3.3", server).await);
    }
    // The server has taken them all once it closed what it does not keep.
    eventually("the server to close what it does not keep", || {
        count_open(&held) <= 8
    })
    .await;
    // Only the first 8 are served; the others were closed at once.
    let mut served = 0;
    for stream in &mut held {
        let request = b"GET /checkip HTTP/1.1\r\nHost: dnsd\r\nConnection: close\r\n\r\n";
        let mut answer = Vec::new();
        if stream.write_all(request).await.is_ok() {
            let _ =
                tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        }
        if answer.starts_with(b"HTTP/1.1 200") {
            served += 1;
        }
    }
    assert_eq!(served, 8);
    // Another source is served meanwhile.
    let host = format!("other.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    let answer = update(&dnsd, &host, &token, &[("myip", "192.0.2.60")]).await;
    assert_eq!(answer.body, "good 192.0.2.60");
}
