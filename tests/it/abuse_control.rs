//! control's abuse paths (issue 21), against the real binary: the client
//! address behind a proxy, IPv6 sources by /64, the password asked again
//! before a new e-mail address or 2FA enrolment (and the old address told),
//! reset requests limited per account and per source with one open link,
//! concurrent wrong passwords that cannot outrun the throttle, slow clients
//! cut off without holding the portal, host-only secure cookies and HSTS
//! behind TLS, and anonymous page views that store nothing while the log is
//! pruned.

use std::{
    net::IpAddr,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::{
    control_harness::{Browser, Control, Options, PASSWORD, Page, plain_client},
    control_totp::oathtool,
    harness::{client_builder, require},
};

/// Options with `CONTROL__…` overrides.
fn with_env(pairs: &[(&str, &str)]) -> Options {
    Options {
        env: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Options::default()
    }
}

/// Signs in through the form, the request arriving through a proxy on
/// loopback that forwards `forwarded`.
async fn sign_in_via_proxy(browser: &Browser, name: &str, forwarded: &str) -> Page {
    let form = browser.get("/login").await;
    let csrf = form.csrf().expect("csrf");
    browser
        .send(
            browser
                .client
                .post(format!("{}/login", browser.base))
                .header("x-forwarded-for", forwarded)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("name", name),
                    ("password", "wrong"),
                ]),
        )
        .await
}

async fn count(control: &Control, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(bind)
        .fetch_one(&control.db().await)
        .await
        .expect("count")
}

async fn email_of(control: &Control, name: &str) -> String {
    sqlx::query_scalar("SELECT email FROM accounts WHERE name = $1")
        .bind(name)
        .fetch_one(&control.db().await)
        .await
        .expect("email")
}

async fn two_factor_on(control: &Control, name: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM totp_credentials t JOIN accounts a ON a.id = t.account_id
                        WHERE a.name = $1 AND t.enabled_at IS NOT NULL)",
    )
    .bind(name)
    .fetch_one(&control.db().await)
    .await
    .expect("2FA state")
}

async fn ask_reset(browser: &Browser, who: &str) -> Page {
    browser.post_form("/reset", "/reset", &[("who", who)]).await
}

/// The page without its CSRF token (which differs per visitor).
fn without_csrf(page: &Page) -> String {
    page.body.replace(&page.csrf().unwrap_or_default(), "")
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_cannot_choose_its_address() {
    let control = Control::start_with(Options {
        source_limit: 3,
        ..with_env(&[("CONTROL__HTTP__TRUSTED_PROXIES", r#"["127.0.0.1"]"#)])
    })
    .await;
    let browser = control.browser();
    // The client writes whatever it likes first; the proxy appends the
    // address it saw. Different names: only the source limit applies.
    for i in 0..3 {
        let page = sign_in_via_proxy(
            &browser,
            &format!("name{i}"),
            &format!("10.9.9.{i}, 198.51.100.7"),
        )
        .await;
        assert_eq!(page.status, 401, "attempt {i}");
    }
    let fourth = sign_in_via_proxy(&browser, "name4", "10.9.9.99, 198.51.100.7").await;
    assert_eq!(fourth.status, 429, "the source is the proxy's view");
    let other = sign_in_via_proxy(&browser, "name5", "198.51.100.8").await;
    assert_eq!(other.status, 401, "another client is not throttled");
    let logged = count(
        &control,
        "SELECT count(*) FROM action_log WHERE action = 'signin.failure' AND source_addr = $1::inet",
        "198.51.100.7",
    )
    .await;
    assert_eq!(logged, 3, "the log names the real client");
}

#[tokio::test]
async fn ipv6_clients_are_throttled_per_slash_64() {
    let control = Control::start_with(Options {
        source_limit: 3,
        ..with_env(&[("CONTROL__HTTP__TRUSTED_PROXIES", r#"["127.0.0.1"]"#)])
    })
    .await;
    let browser = control.browser();
    for i in 1..=3 {
        let page = sign_in_via_proxy(
            &browser,
            &format!("v6name{i}"),
            &format!("2001:db8:1:2::{i}"),
        )
        .await;
        assert_eq!(page.status, 401, "attempt {i}");
    }
    let same_lan = sign_in_via_proxy(&browser, "v6name4", "2001:db8:1:2:ffff:ffff:ffff:1").await;
    assert_eq!(same_lan.status, 429, "a fresh address of the same /64");
    let next_lan = sign_in_via_proxy(&browser, "v6name5", "2001:db8:1:3::1").await;
    assert_eq!(next_lan.status, 401, "the next /64 is another source");
}

#[tokio::test]
async fn a_new_email_address_needs_the_password_and_the_old_address_is_told() {
    let control = Control::start().await;
    let browser = control.signed_up("mover").await;
    for (password, why) in [("", "no password"), ("wrong password", "a wrong one")] {
        let refused = browser
            .post_form(
                "/profile",
                "/profile",
                &[
                    ("email", "thief@example.org"),
                    ("language", "en"),
                    ("current_password", password),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{why}");
        assert!(
            refused.body.contains("The current password is wrong."),
            "{why}"
        );
    }
    assert_eq!(email_of(&control, "mover").await, "mover@example.net");
    // Language and digest alone need no password.
    let german = browser
        .post_form(
            "/profile",
            "/profile",
            &[("email", "mover@example.net"), ("language", "de")],
        )
        .await;
    assert_eq!(german.status, 303, "{}", german.body);
    let moved = browser
        .post_form(
            "/profile",
            "/profile",
            &[
                ("email", "thief@example.org"),
                ("language", "de"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(
        email_of(&control, "mover").await,
        "mover@example.net",
        "only once the new address confirms its link"
    );
    let notice = control.mail.wait_for("mover@example.net").await;
    let text = notice.text();
    assert!(
        text.contains("in thief@example.org zu") && !text.contains("/profile/email/"),
        "told at the old address, in the account's language, without the link: {text}"
    );
    let link = control.mail.wait_for("thief@example.org").await.link();
    assert!(link.is_some_and(|l| l.contains("/profile/email/")));
    assert_eq!(control.mail.mails().len(), 2);
}

#[tokio::test]
async fn enrolling_2fa_needs_the_password_except_right_after_a_reset() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let browser = control.signed_up("enroller").await;
    let page = browser.get("/2fa/enrol").await;
    assert!(page.body.contains("id=\"current_password\""), "asked");
    let secret = page.by_id("totp-secret").expect("secret");
    // `from=reset` is only the notice's: it skips nothing.
    for (password, why) in [("", "no password"), ("wrong password", "a wrong one")] {
        let refused = browser
            .post_form(
                "/2fa/enrol",
                "/2fa/enrol",
                &[
                    ("code", &oathtool(&secret, None)),
                    ("from", "reset"),
                    ("current_password", password),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{why}: {}", refused.body);
        assert!(refused.body.contains("The current password is wrong."));
    }
    assert!(!two_factor_on(&control, "enroller").await);
    let done = browser
        .post_form(
            "/2fa/enrol",
            "/2fa/enrol",
            &[
                ("code", &oathtool(&secret, None)),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(two_factor_on(&control, "enroller").await);

    // Right after a reset the new password is not asked again…
    control.signed_up("resetter").await;
    let fresh = control.browser();
    assert_eq!(ask_reset(&fresh, "resetter").await.status, 200);
    let link = control.mail.wait_for("resetter@example.net").await.link();
    let path = control.path_of(&link.expect("link"));
    let set = fresh
        .post_form(&path, &path, &[("password", "the new secret")])
        .await;
    assert_eq!(set.location(), "/2fa/enrol?from=reset");
    let page = fresh.get("/2fa/enrol?from=reset").await;
    assert!(!page.body.contains("id=\"current_password\""), "not asked");
    // …for a few minutes: later the session is an ordinary one.
    sqlx::query("UPDATE sessions SET password_set_at = now() - interval '16 minutes'")
        .execute(&control.db().await)
        .await
        .unwrap();
    let later = fresh.get("/2fa/enrol?from=reset").await;
    assert!(
        later.body.contains("id=\"current_password\""),
        "asked again"
    );
    let secret = later.by_id("totp-secret").expect("secret");
    let code_only = fresh
        .post_form(
            "/2fa/enrol",
            "/2fa/enrol",
            &[("code", &oathtool(&secret, None)), ("from", "reset")],
        )
        .await;
    assert_eq!(code_only.status, 422);
    sqlx::query("UPDATE sessions SET password_set_at = now()")
        .execute(&control.db().await)
        .await
        .unwrap();
    let ok = fresh
        .post_form(
            "/2fa/enrol",
            "/2fa/enrol",
            &[("code", &oathtool(&secret, None)), ("from", "reset")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(two_factor_on(&control, "resetter").await);
}

#[tokio::test]
async fn reset_requests_are_limited_per_account_and_per_source_and_a_new_link_replaces_the_old() {
    let control = Control::start_with(with_env(&[
        ("CONTROL__ACCOUNTS__RESET_REQUESTS_PER_ACCOUNT", "2"),
        ("CONTROL__ACCOUNTS__RESET_REQUESTS_PER_SOURCE", "5"),
    ]))
    .await;
    control.signed_up("forgetful").await;
    let browser = control.browser();
    let queued = "SELECT count(*) FROM mail_outbox WHERE to_addr = $1 AND subject LIKE 'Reset%'";
    let address = "forgetful@example.net";
    assert_eq!(ask_reset(&browser, "forgetful").await.status, 200);
    let first = control.mail.wait_for(address).await;
    let first = control.path_of(&first.link().expect("link"));
    assert_eq!(browser.get(&first).await.status, 200, "open");
    let second = ask_reset(&browser, "forgetful").await;
    assert_eq!(count(&control, queued, address).await, 2);
    assert_eq!(
        browser.get(&first).await.status,
        404,
        "the new link replaced it"
    );
    // Past the account's limit: the same answer, no mail.
    let third = ask_reset(&browser, "forgetful").await;
    let unknown = ask_reset(&browser, "nobody-here").await;
    assert_eq!(third.status, 200);
    assert_eq!(without_csrf(&third), without_csrf(&second));
    assert_eq!(without_csrf(&third), without_csrf(&unknown));
    assert_eq!(count(&control, queued, address).await, 2, "no third mail");
    let refused = count(
        &control,
        "SELECT count(*) FROM action_log l JOIN accounts a ON a.id = l.account_id
         WHERE a.name = $1 AND l.action = 'password.reset_refused'",
        "forgetful",
    )
    .await;
    assert_eq!(refused, 1, "the owner's log shows it");
    // Five requests from this source, known names or not: the sixth is
    // refused alike for every name.
    assert_eq!(ask_reset(&browser, "someone-else").await.status, 200);
    let known = ask_reset(&browser, "forgetful").await;
    let unknown = ask_reset(&browser, "nobody-at-all").await;
    assert_eq!((known.status, unknown.status), (429, 429));
    assert_eq!(without_csrf(&known), without_csrf(&unknown));
}

#[tokio::test]
async fn twenty_concurrent_wrong_passwords_against_a_limit_of_five_are_checked_at_most_five_times()
{
    let control = Control::start().await;
    control.signed_up("target").await;
    let browser = control.browser();
    let csrf = browser.get("/login").await.csrf().expect("csrf");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = browser
            .client
            .post(format!("{}/login", browser.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "target"),
                ("password", "a wrong guess"),
            ]);
        tasks.spawn(async move { request.send().await.expect("answer").status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.expect("task"));
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 5, "{statuses:?}");
    assert_eq!(checked + refused, 20, "{statuses:?}");
    let failures = count(
        &control,
        "SELECT count(*) FROM action_log WHERE target = $1 AND action IN ('signin.failure', 'signin.attempt')",
        "target",
    )
    .await;
    assert_eq!(failures, i64::try_from(checked).unwrap());
    assert_eq!(browser.sign_in("target", PASSWORD).await.status, 429);
}

/// A connection from `local` (any 127/8 address) to control.
async fn connect_from(local: &str, control: &Control) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{local}:0").parse().expect("addr"))
        .expect("bind");
    socket.connect(control.addr).await.expect("connect")
}

/// Waits until the server closes `stream` (EOF or reset), reading whatever
/// it sent; panics after `within`.
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> String {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return String::from_utf8_lossy(&seen).into_owned(),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("still open after {within:?}"),
        }
    }
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_others_are_still_served() {
    let control = Control::start_with(with_env(&[
        ("CONTROL__HTTP__HEADER_TIMEOUT_SECS", "2"),
        ("CONTROL__HTTP__REQUEST_TIMEOUT_SECS", "3"),
        ("CONTROL__HTTP__MAX_CONNECTIONS_PER_SOURCE", "8"),
    ]))
    .await;
    // Slowloris from 127.0.0.1: headers that never end, a line at a time.
    let mut slow = Vec::new();
    for _ in 0..8 {
        let mut stream = connect_from("127.0.0.1", &control).await;
        stream
            .write_all(b"GET /login HTTP/1.1\r\nHost: portal\r\n")
            .await
            .expect("write");
        slow.push(stream);
    }
    let trickle = tokio::spawn(async move {
        for _ in 0..20 {
            for stream in &mut slow {
                let _ = stream.write_all(b"X-Slow: 1\r\n").await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        slow
    });
    // Past its cap the same source is turned away at once…
    let mut ninth = connect_from("127.0.0.1", &control).await;
    let _ = ninth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let answer = closed_by_server(&mut ninth, Duration::from_secs(1)).await;
    assert!(answer.is_empty(), "no answer for the ninth: {answer}");
    // …while another client is served as usual.
    let other = client_builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let healthy = other
        .get(control.url("/healthz"))
        .send()
        .await
        .expect("served beside the slow clients");
    assert_eq!(healthy.status(), 200);
    let login = other.get(control.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    // The header timeout ends the slow connections although they keep
    // sending.
    let mut slow = trickle.await.expect("trickle");
    for stream in &mut slow {
        closed_by_server(stream, Duration::from_secs(10)).await;
    }
    // A body trickled in too slowly ends with 408.
    let mut body = connect_from("127.0.0.3", &control).await;
    body.write_all(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Cookie: spdyn_form=n\r\nContent-Length: 1000\r\n\r\ncsrf=",
    )
    .await
    .expect("write");
    let answer = closed_by_server(&mut body, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn behind_tls_cookies_are_host_only_and_secure_and_hsts_is_sent() {
    let plain = Control::start().await;
    let answer = plain_client()
        .get(plain.url("/login"))
        .send()
        .await
        .unwrap();
    assert!(
        answer.headers().get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    drop(plain);

    // Behind a TLS-terminating proxy: plain HTTP to control, the public URL
    // https. The client sends the cookies itself (a cookie store would not
    // send Secure cookies over plain HTTP).
    let control = Control::start_with(with_env(&[(
        "CONTROL__HTTP__PUBLIC_URL",
        "https://portal.test",
    )]))
    .await;
    let client = plain_client();
    let form = client.get(control.url("/signup")).send().await.unwrap();
    assert_eq!(
        form.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let set = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.starts_with("__Host-spdyn_form="), "{set}");
    for flag in ["; Secure", "; Path=/", "; HttpOnly", "; SameSite=Lax"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Domain="), "host-only: {set}");
    let nonce = set.split(';').next().unwrap().to_owned();
    let body = form.text().await.unwrap();
    let csrf = crate::control_harness::between(&body, "name=\"csrf\" value=\"", "\"").unwrap();
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "tls"),
        ("email", "tls@example.net"),
        ("password", PASSWORD),
    ];
    // The same cookie without the prefix (as a sibling host could plant
    // it) is not believed.
    let planted = client
        .post(control.url("/signup"))
        .header("cookie", nonce.replacen("__Host-", "", 1))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), 403);
    let signed_up = client
        .post(control.url("/signup"))
        .header("cookie", &nonce)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), 303);
    let session = signed_up.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(session.starts_with("__Host-spdyn_session="), "{session}");
    assert!(session.contains("; Secure") && !session.contains("Domain="));
    let value = session.split(';').next().unwrap().to_owned();
    let hosts = client
        .get(control.url("/hosts"))
        .header("cookie", &value)
        .send()
        .await
        .unwrap();
    assert_eq!(hosts.status(), 200);
    let unprefixed = client
        .get(control.url("/hosts"))
        .header("cookie", value.replacen("__Host-", "", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(unprefixed.headers()["location"], "/login");
}

#[tokio::test]
async fn anonymous_form_views_store_nothing_and_old_log_entries_are_pruned() {
    let mut control =
        Control::start_with(with_env(&[("CONTROL__ACCOUNTS__LOG_RETENTION_DAYS", "30")])).await;
    let db = control.db().await;
    let sessions = "SELECT count(*) FROM sessions";
    let before: i64 = sqlx::query_scalar(sessions).fetch_one(&db).await.unwrap();
    let client = plain_client();
    for round in 0..50 {
        let mut views = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let request = client.get(control.url("/login"));
            views.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
        }
        while let Some(view) = views.join_next().await {
            assert_eq!(view.unwrap().unwrap(), 200, "round {round}");
        }
    }
    let after: i64 = sqlx::query_scalar(sessions).fetch_one(&db).await.unwrap();
    assert_eq!(after, before, "1,000 views, no session rows");

    // The log: entries past the retention go, and entries about nobody
    // (unknown names) after a day.
    control.signed_up("keeper").await;
    let keeper: i64 = sqlx::query_scalar("SELECT tenant_id FROM accounts WHERE name = 'keeper'")
        .fetch_one(&db)
        .await
        .unwrap();
    for (tenant, age) in [
        (Some(keeper), "40 days"),
        (Some(keeper), "20 days"),
        (None, "2 days"),
        (None, "1 hour"),
    ] {
        sqlx::query(
            "INSERT INTO action_log (tenant_id, actor, action, target, at)
             VALUES ($1, 'x', 'test.entry', $2, now() - $2::interval)",
        )
        .bind(tenant)
        .bind(age)
        .execute(&db)
        .await
        .unwrap();
    }
    // Housekeeping runs at every start.
    control.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    let left = loop {
        let left: Vec<String> = sqlx::query_scalar(
            "SELECT target FROM action_log WHERE action = 'test.entry' ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        if left.len() == 2 || Instant::now() > deadline {
            break left;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(left, ["20 days", "1 hour"]);
}
