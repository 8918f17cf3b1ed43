//! The dyndns2 update endpoint over real HTTP: every answer code, each checked
//! against what DNS answers afterwards.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use hickory_proto::rr::RecordType;

use crate::harness::{self, Dnsd, Options, ZONE, resolve, send, update};

fn fqdn(label: &str) -> String {
    format!("{label}.{ZONE}")
}

#[tokio::test]
async fn token_update_is_good_and_served_at_once() {
    let dnsd = Dnsd::start();
    let host = fqdn("router");
    let token = dnsd.add_host(&host, &[]);
    let response = harness::http_client()
        .get(dnsd.update_url())
        .basic_auth(&host, Some(&token))
        .query(&[("hostname", host.as_str()), ("myip", "192.0.2.1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(response.text().await.unwrap(), "good 192.0.2.1");
    // No sleep: the answer is served when `good` is sent.
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.1"]);

    let again = update(&dnsd, &host, &token, &[("myip", "192.0.2.1")]).await;
    assert_eq!(again.body, "nochg 192.0.2.1");
}

#[tokio::test]
async fn both_families_in_one_request_and_preserve_semantics() {
    let dnsd = Dnsd::start();
    let host = fqdn("dual");
    let token = dnsd.add_host(&host, &[]);
    let both = update(&dnsd, &host, &token, &[("myip", "2001:db8::1, 192.0.2.2")]).await;
    assert_eq!(both.body, "good 192.0.2.2,2001:db8::1");
    assert_eq!(resolve(&dnsd, &host, RecordType::AAAA), vec!["2001:db8::1"]);

    // Only IPv6 given: IPv4 is kept, never deleted as a side effect.
    let v6 = update(&dnsd, &host, &token, &[("myipv6", "2001:db8::2")]).await;
    assert_eq!(v6.body, "good 192.0.2.2,2001:db8::2");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.2"]);

    // `preserve` keeps a family while the other changes.
    let keep = update(
        &dnsd,
        &host,
        &token,
        &[("myipv4", "192.0.2.3"), ("myipv6", "preserve")],
    )
    .await;
    assert_eq!(keep.body, "good 192.0.2.3,2001:db8::2");
    assert_eq!(resolve(&dnsd, &host, RecordType::AAAA), vec!["2001:db8::2"]);
}

#[tokio::test]
async fn no_address_means_the_client_address_and_placeholders_count_as_none() {
    let dnsd = Dnsd::start();
    let host = fqdn("auto");
    let token = dnsd.add_host(&host, &[]);
    let answer = update(&dnsd, &host, &token, &[("myip", "<ipaddr>,<ip6addr>")]).await;
    assert_eq!(answer.body, "good 127.0.0.1");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["127.0.0.1"]);
    let plain = update(&dnsd, &host, &token, &[]).await;
    assert_eq!(plain.body, "nochg 127.0.0.1");
}

#[tokio::test]
async fn private_address_from_a_public_client_is_replaced() {
    let dnsd = Dnsd::start();
    let host = fqdn("natted");
    let token = dnsd.add_host(&host, &[]);
    // 127.0.0.2 is a trusted proxy in the test config; it forwards a public client.
    let client = harness::client_builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let answer = send(
        client
            .get(dnsd.update_url())
            .basic_auth(&host, Some(&token))
            .header("X-Forwarded-For", "198.51.100.7")
            .query(&[("myip", "192.168.1.20")]),
    )
    .await;
    assert_eq!(answer.body, "good 198.51.100.7");
    // An untrusted peer cannot forward: its own (private) view stands.
    let untrusted = send(
        harness::http_client()
            .get(dnsd.update_url())
            .basic_auth(&host, Some(&token))
            .header("X-Forwarded-For", "198.51.100.8")
            .query(&[("myip", "192.168.1.20")]),
    )
    .await;
    assert_eq!(untrusted.body, "good 192.168.1.20");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.168.1.20"]);
}

#[tokio::test]
async fn ipv6_prefix_update_keeps_the_interface_identifier() {
    let dnsd = Dnsd::start();
    let host = fqdn("lan");
    let token = dnsd.add_host(&host, &[]);
    update(&dnsd, &host, &token, &[("myipv6", "2001:db8:1:2:a:b:c:d")]).await;
    let answer = update(&dnsd, &host, &token, &[("myipv6", "2001:db8:9:9::/64")]).await;
    assert_eq!(answer.body, "good 2001:db8:9:9:a:b:c:d");
    assert_eq!(
        resolve(&dnsd, &host, RecordType::AAAA),
        vec!["2001:db8:9:9:a:b:c:d"]
    );
}

#[tokio::test]
async fn classic_parameters_are_ignored() {
    let dnsd = Dnsd::start();
    let host = fqdn("classic");
    let token = dnsd.add_host(&host, &[]);
    let answer = update(
        &dnsd,
        &host,
        &token,
        &[
            ("myip", "192.0.2.44"),
            ("wildcard", "ON"),
            ("mx", "mail.example.net"),
            ("backmx", "NO"),
            ("offline", "NO"),
            ("system", "NOCHG"),
        ],
    )
    .await;
    assert_eq!(answer.body, "good 192.0.2.44");
}

#[tokio::test]
async fn query_credentials_post_and_the_short_path_work() {
    let dnsd = Dnsd::start();
    let host = fqdn("query");
    let token = dnsd.add_host(&host, &[]);
    let url = format!("http://{}/update", dnsd.http());
    let by_query = send(harness::http_client().get(&url).query(&[
        ("hostname", host.as_str()),
        ("user", host.as_str()),
        ("pass", token.as_str()),
        ("myip", "192.0.2.5"),
    ]))
    .await;
    assert_eq!(by_query.body, "good 192.0.2.5");
    let by_token = send(harness::http_client().get(&url).query(&[
        ("hostname", host.as_str()),
        ("token", token.as_str()),
        ("myip", "192.0.2.6"),
    ]))
    .await;
    assert_eq!(by_token.body, "good 192.0.2.6");
    let posted = send(
        harness::http_client()
            .post(dnsd.update_url())
            .basic_auth(&host, Some(&token))
            .form(&[("hostname", host.as_str()), ("myip", "192.0.2.7")]),
    )
    .await;
    assert_eq!(posted.body, "good 192.0.2.7");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.7"]);
}

#[tokio::test]
async fn missing_credentials_get_a_basic_challenge() {
    let dnsd = Dnsd::start();
    let answer = send(
        harness::http_client()
            .get(dnsd.update_url())
            .query(&[("hostname", "x.dyn.test")]),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body, "badauth");
    assert!(answer.www_authenticate.unwrap().starts_with("Basic realm="));
}

#[tokio::test]
async fn wrong_or_foreign_credentials_change_nothing() {
    let dnsd = Dnsd::start();
    let a = fqdn("mine");
    let b = fqdn("theirs");
    let token_a = dnsd.add_host(&a, &[]);
    let token_b = dnsd.add_host(&b, &[]);
    update(&dnsd, &b, &token_b, &[("myip", "192.0.2.20")]).await;

    let bad = update(&dnsd, &a, "not-the-token", &[("myip", "192.0.2.99")]).await;
    assert_eq!((bad.status, bad.body.as_str()), (200, "badauth"));
    assert!(resolve(&dnsd, &a, RecordType::A).is_empty());

    // A's token may not update B.
    let foreign = update(
        &dnsd,
        &a,
        &token_a,
        &[("hostname", b.as_str()), ("myip", "192.0.2.99")],
    )
    .await;
    assert_eq!(foreign.body, "!yours");
    assert_eq!(resolve(&dnsd, &b, RecordType::A), vec!["192.0.2.20"]);

    // Several hosts with a token: numhost.
    let several = update(
        &dnsd,
        &a,
        &token_a,
        &[("hostname", &format!("{a},{b}")), ("myip", "192.0.2.99")],
    )
    .await;
    assert_eq!(several.body, "numhost\nnumhost");

    let missing = update(&dnsd, &fqdn("ghost"), "whatever", &[("myip", "192.0.2.99")]).await;
    assert_eq!(missing.body, "nohost");
    assert!(resolve(&dnsd, &a, RecordType::A).is_empty());
}

#[tokio::test]
async fn account_mode_updates_several_hosts_in_request_order() {
    let dnsd = Dnsd::start();
    dnsd.add_account("alice", "alice-password-1");
    dnsd.add_account("bob", "bob-password-12");
    let hosts: Vec<String> = (1..=3).map(|i| fqdn(&format!("alice{i}"))).collect();
    for host in &hosts {
        dnsd.add_host(host, &["--account", "alice"]);
    }
    let bobs = fqdn("bobs");
    dnsd.add_host(&bobs, &["--account", "bob"]);
    let names = format!(
        "{},not a name,{},{},{},{}",
        hosts[0],
        fqdn("nobody"),
        bobs,
        hosts[1],
        hosts[2]
    );
    let answer = update(
        &dnsd,
        "alice",
        "alice-password-1",
        &[("hostname", &names), ("myip", "192.0.2.30")],
    )
    .await;
    assert_eq!(
        answer.body,
        "good 192.0.2.30\nnotfqdn\nnohost\n!yours\ngood 192.0.2.30\ngood 192.0.2.30"
    );
    for host in &hosts {
        assert_eq!(resolve(&dnsd, host, RecordType::A), vec!["192.0.2.30"]);
    }
    assert!(resolve(&dnsd, &bobs, RecordType::A).is_empty());

    let wrong = update(
        &dnsd,
        "alice",
        "wrong-password",
        &[("hostname", &hosts[0]), ("myip", "192.0.2.31")],
    )
    .await;
    assert_eq!(wrong.body, "badauth");
    assert_eq!(resolve(&dnsd, &hosts[0], RecordType::A), vec!["192.0.2.30"]);

    let too_many: Vec<String> = (0..21).map(|i| fqdn(&format!("n{i}"))).collect();
    let numhost = update(
        &dnsd,
        "alice",
        "alice-password-1",
        &[("hostname", &too_many.join(","))],
    )
    .await;
    assert_eq!(numhost.body.lines().count(), 21);
    assert!(numhost.body.lines().all(|l| l == "numhost"));

    let no_host = update(&dnsd, "alice", "alice-password-1", &[("myip", "192.0.2.1")]).await;
    assert_eq!(no_host.body, "notfqdn");
}

#[tokio::test]
async fn disabled_hosts_are_fatal_and_stop_resolving() {
    let dnsd = Dnsd::start();
    let host = fqdn("off");
    let token = dnsd.add_host(&host, &[]);
    update(&dnsd, &host, &token, &[("myip", "192.0.2.40")]).await;
    assert!(dnsd.cli(&["host", "disable", &host], None).status.success());
    let answer = update(&dnsd, &host, &token, &[("myip", "192.0.2.41")]).await;
    assert_eq!(answer.body, "fatal");
    let nx = harness::udp(
        dnsd.udp(),
        &harness::query(&format!("{host}."), RecordType::A),
    );
    assert_eq!(
        nx.metadata.response_code,
        hickory_proto::op::ResponseCode::NXDomain
    );
    assert!(dnsd.cli(&["host", "enable", &host], None).status.success());
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.40"]);
}

#[tokio::test]
async fn expired_licences_answer_not_donator_but_keep_resolving() {
    let dnsd = Dnsd::start();
    let host = fqdn("unpaid");
    let token = dnsd.add_host(&host, &[]);
    update(&dnsd, &host, &token, &[("myip", "192.0.2.50")]).await;
    assert!(dnsd.cli(&["host", "expire", &host], None).status.success());
    let answer = update(&dnsd, &host, &token, &[("myip", "192.0.2.51")]).await;
    assert_eq!(answer.body, "!donator");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.50"]);
    assert!(dnsd.cli(&["host", "renew", &host], None).status.success());
    let renewed = update(&dnsd, &host, &token, &[("myip", "192.0.2.51")]).await;
    assert_eq!(renewed.body, "good 192.0.2.51");
}

#[tokio::test]
async fn repeated_nochg_locks_the_host_with_retry_after() {
    let dnsd = Dnsd::start_with(Options {
        abuse: "min_change_interval_secs = 0\nnochg_limit = 2\nlock_secs = 120\n".into(),
        ..Options::default()
    });
    let host = fqdn("chatty");
    let token = dnsd.add_host(&host, &[]);
    assert!(
        update(&dnsd, &host, &token, &[("myip", "192.0.2.60")])
            .await
            .body
            .starts_with("good")
    );
    for _ in 0..2 {
        assert!(
            update(&dnsd, &host, &token, &[("myip", "192.0.2.60")])
                .await
                .body
                .starts_with("nochg")
        );
    }
    let locked = update(&dnsd, &host, &token, &[("myip", "192.0.2.60")]).await;
    assert_eq!(locked.body, "abuse");
    let retry = locked.retry_after.expect("Retry-After");
    assert!((100..=120).contains(&retry), "{retry}");
    // While locked even a real change is refused.
    let change = update(&dnsd, &host, &token, &[("myip", "192.0.2.61")]).await;
    assert_eq!(change.body, "abuse");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.60"]);
}

#[tokio::test]
async fn changes_within_the_minimum_interval_are_refused_per_family() {
    let dnsd = Dnsd::start_with(Options {
        abuse: "min_change_interval_secs = 60\n".into(),
        ..Options::default()
    });
    let host = fqdn("flappy");
    let token = dnsd.add_host(&host, &[]);
    assert_eq!(
        update(&dnsd, &host, &token, &[("myip", "192.0.2.70")])
            .await
            .body,
        "good 192.0.2.70"
    );
    // The router's IPv6 client is a different family: allowed.
    assert_eq!(
        update(&dnsd, &host, &token, &[("myipv6", "2001:db8::70")])
            .await
            .body,
        "good 192.0.2.70,2001:db8::70"
    );
    let soon = update(&dnsd, &host, &token, &[("myip", "192.0.2.71")]).await;
    assert_eq!(soon.body, "abuse");
    assert!((1..=60).contains(&soon.retry_after.unwrap()));
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.70"]);
}

#[tokio::test]
async fn failed_authentication_throttles_the_source() {
    let dnsd = Dnsd::start_with(Options {
        abuse: "min_change_interval_secs = 0\nauth_fail_limit = 3\nauth_fail_block_secs = 300\n"
            .into(),
        ..Options::default()
    });
    let host = fqdn("target");
    let token = dnsd.add_host(&host, &[]);
    for _ in 0..4 {
        let answer = update(&dnsd, &host, "guess", &[("myip", "192.0.2.80")]).await;
        assert_eq!(answer.body, "badauth");
    }
    let blocked = update(&dnsd, &host, &token, &[("myip", "192.0.2.80")]).await;
    assert_eq!(
        blocked.body, "abuse",
        "the source is blocked, even with the right token"
    );
    assert!(blocked.retry_after.unwrap() > 200);
    assert!(resolve(&dnsd, &host, RecordType::A).is_empty());
}

#[tokio::test]
async fn acme_txt_values_are_set_coexist_and_clear() {
    let dnsd = Dnsd::start();
    let host = fqdn("certs");
    let token = dnsd.add_host(&host, &[]);
    update(&dnsd, &host, &token, &[("myip", "192.0.2.90")]).await;
    let acme = format!("_acme-challenge.{host}.");
    let txts = |dnsd: &Dnsd| {
        let mut values: Vec<String> =
            harness::udp(dnsd.udp(), &harness::query(&acme, RecordType::TXT))
                .answers
                .iter()
                .map(|r| r.data.to_string())
                .collect();
        values.sort();
        values
    };
    let first = update(&dnsd, &host, &token, &[("txt", "challenge-one")]).await;
    assert_eq!(
        first.body, "good 192.0.2.90",
        "TXT-only request keeps the address"
    );
    update(&dnsd, &host, &token, &[("txt", "challenge-two")]).await;
    let values = txts(&dnsd);
    assert_eq!(values.len(), 2, "{values:?}");
    assert!(values[0].contains("challenge-one") && values[1].contains("challenge-two"));
    update(&dnsd, &host, &token, &[("txt", ""), ("clear", "true")]).await;
    assert!(txts(&dnsd).is_empty());
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.90"]);
}

#[tokio::test]
async fn malformed_parameters_are_clear_errors_that_change_nothing() {
    let dnsd = Dnsd::start();
    let host = fqdn("strict");
    let token = dnsd.add_host(&host, &[]);
    update(&dnsd, &host, &token, &[("myip", "192.0.2.100")]).await;
    for (name, value) in [
        ("myip", "192.0.2.300"),
        ("myip", "banana"),
        ("myipv6", "192.0.2.1"),
        ("clear", "perhaps"),
    ] {
        let answer = update(&dnsd, &host, &token, &[(name, value)]).await;
        assert_eq!(answer.status, 400, "{name}={value}");
        assert_eq!(answer.body, format!("badparam {name}"));
    }
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.100"]);
    // An absurd query string is refused by the HTTP layer, and the server lives on.
    let huge = "x".repeat(64 * 1024);
    let response = harness::http_client()
        .get(format!("{}?hostname={huge}", dnsd.update_url()))
        .send()
        .await;
    assert!(
        response
            .map(|r| r.status().is_client_error())
            .unwrap_or(true)
    );
    assert_eq!(
        update(&dnsd, &host, &token, &[]).await.body,
        "good 127.0.0.1"
    );
}

#[tokio::test]
async fn exchanged_tokens_stop_at_once_and_use_is_recorded() {
    let dnsd = Dnsd::start();
    let host = fqdn("rotate");
    let old = dnsd.add_host(&host, &[]);
    let list = String::from_utf8(dnsd.cli(&["host", "list"], None).stdout).unwrap();
    assert!(
        list.lines()
            .any(|l| l.starts_with(&host) && l.contains("unused")),
        "{list}"
    );
    update(&dnsd, &host, &old, &[("myip", "192.0.2.110")]).await;
    let list = String::from_utf8(dnsd.cli(&["host", "list"], None).stdout).unwrap();
    assert!(
        list.lines()
            .any(|l| l.starts_with(&host) && l.contains(" used")),
        "{list}"
    );

    let out = dnsd.cli(&["host", "token", &host], None);
    let new = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(
        update(&dnsd, &host, &old, &[("myip", "192.0.2.111")])
            .await
            .body,
        "badauth"
    );
    assert_eq!(
        update(&dnsd, &host, &new, &[("myip", "192.0.2.111")])
            .await
            .body,
        "good 192.0.2.111"
    );
}

#[tokio::test]
async fn imported_hosts_resolve_and_get_tokens_from_the_bulk_export() {
    let dnsd = Dnsd::start();
    dnsd.add_host(&fqdn("has-token"), &[]);
    let csv = format!(
        "hostname,ipv4,ipv6\n{},192.0.2.201,\n{},,2001:db8::202\n{},192.0.2.203,2001:db8::203\n",
        fqdn("imp1"),
        fqdn("imp2"),
        fqdn("imp3")
    );
    assert_eq!(dnsd.import_hosts(&csv), "3 of 3 hosts created");
    assert_eq!(
        resolve(&dnsd, &fqdn("imp1"), RecordType::A),
        vec!["192.0.2.201"]
    );
    assert_eq!(
        resolve(&dnsd, &fqdn("imp2"), RecordType::AAAA),
        vec!["2001:db8::202"]
    );

    let out = dnsd.cli(
        &["tokens", "export", "--out", "spdyn_update_token.csv"],
        None,
    );
    assert!(out.status.success());
    let csv = std::fs::read_to_string(dnsd.dir.path().join("spdyn_update_token.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("hostname,token"));
    let rows: Vec<(String, String)> = lines
        .map(|l| {
            let (h, t) = l.split_once(',').unwrap();
            (h.to_owned(), t.to_owned())
        })
        .collect();
    let mut names: Vec<&str> = rows.iter().map(|(h, _)| h.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        vec![fqdn("imp1"), fqdn("imp2"), fqdn("imp3")],
        "only hosts without a token"
    );
    for (host, token) in &rows {
        let answer = update(&dnsd, host, token, &[("myip", "192.0.2.210")]).await;
        assert!(
            answer.body.starts_with("good 192.0.2.210"),
            "{host}: {answer:?}"
        );
    }
    // A second export has nothing left to do.
    assert!(
        dnsd.cli(&["tokens", "export", "--out", "again.csv"], None)
            .status
            .success()
    );
    let again = std::fs::read_to_string(dnsd.dir.path().join("again.csv")).unwrap();
    assert_eq!(again, "hostname,token\n");
    // Bad lines are refused with their line number, and nothing is created.
    std::fs::write(
        dnsd.dir.path().join("bad.csv"),
        format!("{},banana,\n", fqdn("imp9")),
    )
    .unwrap();
    let out = dnsd.cli(&["host", "import", "bad.csv"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.csv:1"));
}

/// Speaks raw HTTP/1.0 and HTTP/1.1 as router firmware does.
#[tokio::test]
async fn http_1_0_and_keep_alive_1_1_both_work() {
    let dnsd = Dnsd::start();
    let host = fqdn("oldfw");
    let token = dnsd.add_host(&host, &[]);
    let auth = base64(&format!("{host}:{token}"));
    let request = |version: &str, ip: &str, extra: &str| {
        format!(
            "GET /nic/update?hostname={host}&myip={ip} {version}\r\nHost: x\r\nAuthorization: Basic {auth}\r\nUser-Agent: fw/1.0\r\n{extra}\r\n"
        )
    };
    // HTTP/1.0, no keep-alive: answered, then closed.
    let mut stream = TcpStream::connect(dnsd.http()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(request("HTTP/1.0", "192.0.2.120", "").as_bytes())
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    assert!(
        text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"),
        "{text}"
    );
    assert!(text.ends_with("good 192.0.2.120"), "{text}");

    // HTTP/1.1 keep-alive: two requests on one connection.
    let mut stream = TcpStream::connect(dnsd.http()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    for ip in ["192.0.2.121", "192.0.2.122"] {
        stream
            .write_all(request("HTTP/1.1", ip, "").as_bytes())
            .unwrap();
        let body = read_http_response(&mut stream);
        assert_eq!(body, format!("good {ip}"));
    }
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.122"]);
}

fn read_http_response(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

fn base64(text: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn checkip_answers_the_client_address() {
    let dnsd = Dnsd::start_with(Options {
        abuse: "min_change_interval_secs = 0\ncheckip_per_minute = 5\n".into(),
        extra: "[checkip]\nlisten = [\"127.0.0.1:0\"]\n".into(),
        ..Options::default()
    });
    let client = harness::http_client();
    let plain = client
        .get(format!("http://{}/", dnsd.http()))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    assert_eq!(plain.text().await.unwrap(), "127.0.0.1\n");
    let json: serde_json::Value = client
        .get(format!("http://{}/checkip/json", dnsd.addr("checkip")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ipinfo": [{"ip": "127.0.0.1", "source": "REMOTE_ADDR"}]})
    );

    let proxied = harness::client_builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let json: serde_json::Value = proxied
        .get(format!("http://{}/checkip/json", dnsd.http()))
        .header("X-Forwarded-For", "198.51.100.9")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ipinfo": [
            {"ip": "127.0.0.2", "source": "REMOTE_ADDR"},
            {"ip": "198.51.100.9", "source": "HTTP_X_FORWARDED_FOR"}
        ]})
    );
    // Rate limit per source: 5 per minute, 2 used by 127.0.0.1 so far.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            client
                .get(format!("http://{}/checkip", dnsd.http()))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
}

#[tokio::test]
async fn updates_work_over_https() {
    if !harness::require("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    harness::run(
        std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    );
    let dnsd = Dnsd::start_with(Options {
        update: format!(
            "tls_listen = [\"127.0.0.1:0\"]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            cert.display(),
            key.display()
        ),
        ..Options::default()
    });
    let host = fqdn("secure");
    let token = dnsd.add_host(&host, &[]);
    let pem = std::fs::read(&cert).unwrap();
    let client = harness::client_builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .resolve("localhost", dnsd.addr("update-https"))
        .build()
        .unwrap();
    let url = format!(
        "https://localhost:{}/nic/update",
        dnsd.addr("update-https").port()
    );
    let answer = send(
        client
            .get(url)
            .basic_auth(&host, Some(&token))
            .query(&[("myip", "192.0.2.130")]),
    )
    .await;
    assert_eq!(answer.body, "good 192.0.2.130");
    // Plain HTTP keeps working beside HTTPS, no redirect.
    let plain = update(&dnsd, &host, &token, &[("myip", "192.0.2.131")]).await;
    assert_eq!(
        (plain.status, plain.body.as_str()),
        (200, "good 192.0.2.131")
    );
}
