//! The web UI through real HTTP with a cookie-keeping client: sign-up,
//! sign-in, sessions and CSRF, password reset by mail, hosts and tokens, the
//! CSV downloads, the action log, operator actions, first start.

use sha2::{Digest, Sha256};

use crate::control_harness::{Control, Options, PASSWORD, Page, ZONE, plain_client};

#[tokio::test]
async fn sign_up_sign_out_and_sign_in_again() {
    let control = Control::start().await;
    let browser = control.browser();
    let start = browser.get("/").await;
    assert_eq!((start.status, start.location()), (303, "/login"));
    let signup = browser
        .post_form(
            "/signup",
            "/signup",
            &[
                ("name", "Alice"),
                ("email", "alice@example.net"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (signup.status, signup.location()),
        (303, "/hosts?done=signed_up")
    );
    let hosts = browser.get("/hosts?done=signed_up").await;
    assert_eq!(hosts.status, 200);
    assert!(hosts.body.contains("Your account is ready."));
    assert!(
        hosts.body.contains("(alice)"),
        "signed in as the lowercase name"
    );

    let taken = control
        .browser()
        .post_form(
            "/signup",
            "/signup",
            &[
                ("name", "alice"),
                ("email", "x@example.net"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(taken.status, 409);
    let weak = control
        .browser()
        .post_form(
            "/signup",
            "/signup",
            &[
                ("name", "weak"),
                ("email", "w@example.net"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("10 to 1024 characters"));
    // The error stands next to its field and describes it.
    assert_eq!(
        weak.by_id("password-error")
            .as_deref()
            .map(|t| t.contains("10 to 1024")),
        Some(true)
    );
    assert!(
        weak.body
            .contains("aria-invalid=\"true\" aria-describedby=\"password-error pw-hint\"")
    );
    assert!(
        !weak.body.contains("class=\"error\""),
        "not above the page as well"
    );

    let out = browser.post_form("/hosts", "/logout", &[]).await;
    assert_eq!((out.status, out.location()), (303, "/login"));
    assert_eq!(
        browser.get("/hosts").await.location(),
        "/login",
        "signed out"
    );
    let again = browser.sign_in("ALICE", PASSWORD).await;
    assert_eq!((again.status, again.location()), (303, "/hosts"));
    assert_eq!(browser.get("/hosts").await.status, 200);
}

#[tokio::test]
async fn sign_up_can_be_closed() {
    let control = Control::start_with(Options {
        signup: false,
        ..Options::default()
    })
    .await;
    let browser = control.browser();
    let page = browser.get("/signup").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("closed"));
    let csrf = browser.get("/login").await.csrf().unwrap();
    let post = browser
        .post_raw(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", "x1"),
                ("email", "x@example.net"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(post.status, 404);
    assert!(
        !browser
            .get("/login")
            .await
            .body
            .contains("href=\"/signup\">Create account</a></p>")
    );
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_rejected() {
    let control = Control::start().await;
    let stranger = control.browser();
    let no_session = stranger
        .post_raw("/login", &[("name", "a"), ("password", "b")])
        .await;
    assert_eq!(no_session.status, 403);

    let browser = control.signed_up("csrf").await;
    let missing = browser
        .post_raw("/hosts", &[("label", "nocsrf"), ("zone", ZONE)])
        .await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("did not come from this site"));
    let wrong = browser
        .post_raw(
            "/hosts",
            &[
                ("csrf", "forged-token-value"),
                ("label", "nocsrf"),
                ("zone", ZONE),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    // Another session's valid token does not work either.
    let other = control.signed_up("other").await;
    let foreign = other.get("/hosts").await.csrf().unwrap();
    let cross = browser
        .post_raw(
            "/hosts",
            &[("csrf", &foreign), ("label", "nocsrf"), ("zone", ZONE)],
        )
        .await;
    assert_eq!(cross.status, 403);
    assert!(
        !browser.get("/hosts").await.body.contains("nocsrf"),
        "nothing was created"
    );
    let logout = browser.post_raw("/logout", &[]).await;
    assert_eq!(logout.status, 403, "even sign-out needs the token");
}

#[tokio::test]
async fn the_session_cookie_is_protected_and_rotated_at_sign_in() {
    let control = Control::start().await;
    control.signed_up("rotate").await;
    let client = plain_client();
    let form = client.get(control.url("/login")).send().await.unwrap();
    let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    // Before sign-in only the form's nonce: no session is stored for it.
    assert!(cookie.starts_with("spdyn_form="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http public URL");
    let pre = cookie.split(';').next().unwrap().to_owned();
    let body = form.text().await.unwrap();
    let csrf = crate::control_harness::between(&body, "name=\"csrf\" value=\"", "\"").unwrap();
    let signed_in = client
        .post(control.url("/login"))
        .header("cookie", &pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "rotate"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let post = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(pre, post, "a new session id at sign-in");
    let old = client
        .get(control.url("/hosts"))
        .header("cookie", &pre)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.headers()["location"],
        "/login",
        "the form cookie signs nobody in"
    );
    let new = client
        .get(control.url("/hosts"))
        .header("cookie", &post)
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
    let signed_in_login = client
        .get(control.url("/login"))
        .header("cookie", &post)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in_login.headers()["location"], "/hosts");

    // Only the SHA-256 of the cookie value is stored.
    let value = post.split_once('=').unwrap().1;
    let db = control.db().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE id_hash = $1")
        .bind(Sha256::digest(value.as_bytes()).to_vec())
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn failed_sign_ins_look_alike_and_are_throttled() {
    let control = Control::start().await;
    control.signed_up("victim").await;
    let browser = control.browser();
    let unknown = browser.sign_in("nobody", PASSWORD).await;
    let wrong = browser.sign_in("victim", "wrong password").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    let text = |body: &str| crate::control_harness::between(body, "role=\"alert\">", "<").unwrap();
    assert_eq!(text(&unknown.body), text(&wrong.body));
    assert_eq!(text(&wrong.body), "Wrong account name or password.");

    for _ in 0..4 {
        assert_eq!(
            browser.sign_in("victim", "wrong password").await.status,
            401
        );
    }
    // Five failures for this name: even the right password is refused now,
    // and so is an unknown name after five failures (no enumeration).
    let blocked = browser.sign_in("victim", PASSWORD).await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.body.contains("Too many failed attempts"));
    for _ in 0..5 {
        browser.sign_in("ghost", "x").await;
    }
    assert_eq!(browser.sign_in("ghost", "x").await.status, 429);

    let db = control.db().await;
    let failures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM action_log a JOIN accounts c ON c.id = a.account_id
         WHERE c.name = 'victim' AND a.action = 'signin.failure' AND a.source_addr = '127.0.0.1'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        failures, 5,
        "every failure is in the account's log with its source"
    );
}

#[tokio::test]
async fn a_password_is_reset_through_a_single_use_mail_link() {
    let control = Control::start().await;
    control.signed_up("forgetful").await;
    let browser = control.browser();
    let known = browser
        .post_form("/reset", "/reset", &[("who", "forgetful@example.net")])
        .await;
    let unknown = browser
        .post_form("/reset", "/reset", &[("who", "nobody@example.net")])
        .await;
    assert_eq!(known.status, 200);
    assert_eq!(unknown.status, known.status);
    assert_eq!(
        known.body.replace(&known.csrf().unwrap_or_default(), ""),
        unknown
            .body
            .replace(&unknown.csrf().unwrap_or_default(), ""),
        "the same answer whether or not the account exists"
    );

    let mail = control.mail.wait_for("forgetful@example.net").await;
    assert!(mail.data.contains("Subject: Reset your spdyn password"));
    let link = mail.link().expect("link in the mail");
    assert!(control.path_of(&link).starts_with("/reset/"), "{link}");
    // The requests have been answered, so their outbox rows are committed:
    // the unknown address has none (asked of the outbox, not of a mail that
    // might still be on its way).
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox")
        .fetch_one(&control.db().await)
        .await
        .unwrap();
    assert_eq!(queued, 1, "no mail for the unknown address");

    let path = control.path_of(&link);
    let form = browser.get(&path).await;
    assert_eq!(form.status, 200);
    let short = browser
        .post_form(&path, &path, &[("password", "short")])
        .await;
    assert_eq!(short.status, 422, "policy first; the link survives");
    let new_password = "a brand new secret";
    let set = browser
        .post_form(&path, &path, &[("password", new_password)])
        .await;
    // Without 2FA the reset goes on to its enrolment (tests/it/control_totp.rs).
    assert_eq!((set.status, set.location()), (303, "/2fa/enrol?from=reset"));
    assert_eq!(
        control
            .browser()
            .sign_in("forgetful", PASSWORD)
            .await
            .status,
        401,
        "old password gone"
    );
    assert_eq!(
        control
            .browser()
            .sign_in("forgetful", new_password)
            .await
            .status,
        303
    );

    let reused = control.browser().get(&path).await;
    assert_eq!(reused.status, 404, "single use");
    assert!(reused.body.contains("invalid, used or expired"));

    // An expired link does not work either.
    control
        .browser()
        .post_form("/reset", "/reset", &[("who", "forgetful")])
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while control.mail.mails().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "second mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = control.mail.mails()[1].link().unwrap();
    let db = control.db().await;
    sqlx::query(
        "UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&db)
    .await
    .unwrap();
    let expired_path = control.path_of(&second);
    let expired = control.browser();
    assert_eq!(expired.get(&expired_path).await.status, 404);
    let csrf = expired.get("/reset").await.csrf().unwrap();
    let attempt = expired
        .post_raw(
            &expired_path,
            &[("csrf", &csrf), ("password", "another new secret")],
        )
        .await;
    assert_eq!(attempt.status, 404);
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM password_resets WHERE length(token_hash) = 32")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(stored, 2, "only hashes stored");
    let bodies: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE body <> ''")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(bodies, 0, "sent mails keep no link");
}

#[tokio::test]
async fn hosts_and_tokens_are_managed_in_the_web_ui() {
    let control = Control::start().await;
    let browser = control.signed_up("hoster").await;
    let bad = browser
        .post_form(
            "/hosts",
            "/hosts",
            &[("label", "bad_label"), ("zone", ZONE)],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("1 to 63 letters"));
    assert!(
        bad.by_id("label-error")
            .is_some_and(|t| t.contains("1 to 63 letters"))
    );
    assert!(bad.body.contains("aria-describedby=\"label-error\""));
    let id = browser.create_host("Garden").await;
    let page = browser.get(&format!("/hosts/{id}?done=created")).await;
    assert!(page.body.contains(&format!("garden.{ZONE}")));
    assert!(page.body.contains("Host created."));
    assert_eq!(page.by_id("token-state").as_deref(), Some("none"));
    let dup = browser
        .post_form("/hosts", "/hosts", &[("label", "garden"), ("zone", ZONE)])
        .await;
    assert_eq!(dup.status, 409);

    let posted = browser
        .post_form(&format!("/hosts/{id}"), &format!("/hosts/{id}/token"), &[])
        .await;
    assert_eq!(posted.status, 303, "POST → redirect → GET");
    let shown = browser.get(posted.location()).await;
    let token = shown.by_id("new-token").expect("token shown");
    // A reload neither shows the token again nor exchanges it.
    let reload = browser.get(posted.location()).await;
    assert_eq!(
        (reload.status, reload.location()),
        (303, format!("/hosts/{id}?done=shown_once").as_str())
    );
    let note = browser.get(reload.location()).await;
    assert!(note.body.contains("shown once already"), "{}", note.body);
    control
        .assert_token_stored(&format!("garden.{ZONE}"), &token)
        .await;
    assert_eq!(token.len(), 34);
    assert_eq!(
        shown.by_id("update-example").as_deref(),
        Some(
            format!(
                "curl -u 'garden.{ZONE}:{token}' 'http://update.{ZONE}/nic/update?hostname=garden.{ZONE}'"
            )
            .as_str()
        ),
        "a ready update command with the configured URL"
    );
    let detail = browser.get(&format!("/hosts/{id}")).await;
    assert_eq!(detail.by_id("token-state").as_deref(), Some("never used"));
    assert!(!detail.body.contains(&token), "shown once only");
    // Exchanging asks first; the token stays until confirmed.
    let ask = browser
        .post_form(&format!("/hosts/{id}"), &format!("/hosts/{id}/token"), &[])
        .await;
    assert_eq!(ask.status, 200);
    assert_eq!(
        ask.by_id("confirm-subject").as_deref(),
        Some(format!("garden.{ZONE}").as_str())
    );
    control
        .assert_token_stored(&format!("garden.{ZONE}"), &token)
        .await;
    let exchanged = browser.create_token(id).await;
    assert_ne!(exchanged, token);

    let path = format!("/hosts/{id}");
    let saved = browser
        .post_form(&path, &path, &[("ttl", "600"), ("wildcard", "on")])
        .await;
    assert_eq!(saved.status, 303);
    let detail = browser.get(&path).await;
    assert!(detail.body.contains("value=\"600\"") && detail.body.contains(" checked>"));
    let bad_ttl = browser.post_form(&path, &path, &[("ttl", "5")]).await;
    assert_eq!(bad_ttl.status, 422);

    let ask = browser
        .post_form(&path, &format!("{path}/enabled"), &[("enabled", "false")])
        .await;
    assert_eq!(ask.status, 200, "disabling asks first");
    assert!(ask.by_id("confirm-subject").is_some());
    assert!(!browser.get("/hosts").await.body.contains("disabled"));
    let off = browser
        .post_form(
            &path,
            &format!("{path}/enabled"),
            &[("enabled", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(off.status, 303);
    assert!(browser.get("/hosts").await.body.contains("disabled"));
    browser
        .post_form(&path, &format!("{path}/enabled"), &[("enabled", "true")])
        .await;

    let ask = browser
        .post_form(&path, &format!("{path}/token/revoke"), &[])
        .await;
    assert_eq!(ask.status, 200, "revoking asks first");
    control
        .assert_token_stored(&format!("garden.{ZONE}"), &exchanged)
        .await;
    let revoked = browser
        .post_form(
            &path,
            &format!("{path}/token/revoke"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        browser.get(&path).await.by_id("token-state").as_deref(),
        Some("none")
    );

    // Deleting wants the name typed: none asks, a wrong one is refused.
    let ask = browser
        .post_form(&path, &format!("{path}/delete"), &[])
        .await;
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("name=\"confirm\""), "{}", ask.body);
    let wrong = browser
        .post_form(&path, &format!("{path}/delete"), &[("confirm", "garden")])
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("aria-invalid=\"true\""));
    assert_eq!(browser.get(&path).await.status, 200, "not deleted");
    let name = format!("Garden.{ZONE}");
    let deleted = browser
        .post_form(&path, &format!("{path}/delete"), &[("confirm", &name)])
        .await;
    assert_eq!(
        (deleted.status, deleted.location()),
        (303, "/hosts?done=deleted")
    );
    assert_eq!(browser.get(&path).await.status, 404);

    // Another account cannot see or change the host.
    let id2 = browser.create_host("mine").await;
    let other = control.signed_up("neighbour").await;
    assert_eq!(other.get(&format!("/hosts/{id2}")).await.status, 404);
    let csrf = other.get("/hosts").await.csrf().unwrap();
    let attempt = other
        .post_raw(&format!("/hosts/{id2}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(attempt.status, 404);
    assert_eq!(browser.get(&format!("/hosts/{id2}")).await.status, 200);

    // The feed saw every change, in order.
    let db = control.db().await;
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM change_feed WHERE payload->>'name' = $1 ORDER BY seq")
            .bind(format!("garden.{ZONE}"))
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(kinds.first().map(String::as_str), Some("host.upsert"));
    assert_eq!(kinds.last().map(String::as_str), Some("host.delete"));
    assert_eq!(
        kinds.len(),
        8,
        "create, token, exchange, settings, off, on, revoke, delete: {kinds:?}"
    );
}

#[tokio::test]
async fn the_bulk_action_downloads_the_token_csv() {
    let control = Control::start().await;
    let browser = control.signed_up("bulk").await;
    let has = browser.create_host("has").await;
    browser.create_token(has).await;
    browser.create_host("one").await;
    browser.create_host("two").await;
    let posted = browser.post_form("/hosts", "/tokens/missing", &[]).await;
    assert_eq!(posted.status, 303);
    // The hosts page says how many and shows the new states.
    let list = browser.get(posted.location()).await;
    assert_eq!(list.by_id("tokens-created-count").as_deref(), Some("2"));
    assert!(!list.body.contains(">none<"), "{}", list.body);
    let link = list
        .body
        .split("id=\"tokens-download\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("download link")
        .replace("&amp;", "&");
    let csv = browser.get(&link).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"spdyn_update_token.csv\"")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "hostname,token");
    assert_eq!(lines.len(), 3);
    for line in &lines[1..] {
        let (host, token) = line.split_once(',').unwrap();
        assert!(
            host == format!("one.{ZONE}") || host == format!("two.{ZONE}"),
            "{host}"
        );
        control.assert_token_stored(host, token).await;
    }
    // The log says in words how the tokens were made.
    let log = browser.get("/log").await;
    assert!(log.body.contains("<td>bulk action</td>"), "{}", log.body);
    // The file is offered once.
    let again = browser.get(&link).await;
    assert_eq!(
        (again.status, again.location()),
        (303, "/hosts?done=shown_once")
    );
    let none = browser.post_form("/hosts", "/tokens/missing", &[]).await;
    assert_eq!(
        (none.status, none.location()),
        (303, "/hosts?done=no_missing")
    );
}

#[tokio::test]
async fn the_action_log_shows_changes_and_sign_ins_and_exports_csv() {
    let control = Control::start().await;
    let browser = control.signed_up("logger").await;
    control
        .browser()
        .sign_in("logger", "not the password")
        .await;
    let id = browser.create_host("watched").await;
    browser.create_token(id).await;
    let log = browser.get("/log").await;
    assert_eq!(log.status, 200);
    // Each entry says what happened in words, its code in the title.
    for (action, text) in [
        ("signup", "Account created (sign-up)"),
        ("signin.failure", "Sign-in failed"),
        ("host.create", "Host created"),
        ("token.create", "Update token created"),
    ] {
        assert!(
            log.body
                .contains(&format!("title=\"{action}\">{text}</td>")),
            "{action}: {}",
            log.body
        );
    }
    assert!(log.body.contains("127.0.0.1"));
    let csv = browser.get("/log.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"spdyn_action_log.csv\"")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0], "\u{feff}time,actor,actor_reseller,actor_via,action,target,detail,source",
        "a UTF-8 byte-order mark for spreadsheets"
    );
    assert!(lines[1].contains(",token.create,") && lines[1].contains(&format!("watched.{ZONE}")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains(",signin.failure,logger,,127.0.0.1"))
    );
    let other = control.signed_up("quiet").await;
    assert!(!other.get("/log.csv").await.body.contains("watched"));
}

/// The rows of a log page: the code (title) of each entry's action.
fn logged_actions(page: &Page) -> Vec<String> {
    page.body
        .split("<td title=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_log_filters_by_action_actor_and_days_pages_and_exports_the_same_rows() {
    let control = Control::start().await;
    let browser = control.signed_up("filterer").await;
    for label in ["f1", "f2", "f3"] {
        browser.create_host(label).await;
    }
    let db = control.db().await;
    // 150 older entries of another action, so that a filtered page has a
    // next page.
    sqlx::query(
        "INSERT INTO action_log (account_id, tenant_id, actor, action, target, detail, at)
         SELECT a.id, a.tenant_id, 'robot', 'host.update', 'f1.' || $1, 'ttl=' || n,
                now() - interval '3 days' + n * interval '1 second'
         FROM accounts a, generate_series(1, 150) n WHERE a.name = 'filterer'",
    )
    .bind(ZONE)
    .execute(&db)
    .await
    .unwrap();

    let created = browser.get("/log?action=host.create").await;
    assert_eq!(created.status, 200);
    assert_eq!(logged_actions(&created), ["host.create"; 3]);
    assert!(
        created
            .body
            .contains("<option value=\"host.create\" selected>")
    );
    let by_robot = browser.get("/log?actor=robot").await;
    assert_eq!(logged_actions(&by_robot).len(), 100, "a full page");
    assert!(
        by_robot.by_id("log-older").is_some(),
        "a link to the next page"
    );
    // The link keeps the filter (askama writes `&` as `&#38;`).
    let href =
        crate::control_harness::between(&by_robot.body, "/log?actor=robot&#38;before=", "\"")
            .expect("the next page keeps the filter");
    let second = browser
        .get(&format!("/log?actor=robot&before={href}"))
        .await;
    assert_eq!(logged_actions(&second).len(), 50);
    assert!(second.by_id("log-older").is_none());
    // Days: the robot's entries are three days old, the rest today's.
    let yesterday: String =
        sqlx::query_scalar("SELECT ((now() AT TIME ZONE 'UTC')::date - 1)::text")
            .fetch_one(&db)
            .await
            .unwrap();
    let recent = browser.get(&format!("/log?from={yesterday}")).await;
    assert!(!logged_actions(&recent).contains(&"host.update".to_owned()));
    assert!(logged_actions(&recent).contains(&"host.create".to_owned()));
    let old = browser
        .get(&format!("/log?until={yesterday}&action="))
        .await;
    assert!(logged_actions(&old).iter().all(|a| a == "host.update"));
    // Bad filters are refused with a message, not ignored.
    let bad = browser.get("/log?from=30.11.2026").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("YYYY-MM-DD"), "{}", bad.body);
    assert_eq!(browser.get("/log?action=host.explode").await.status, 422);
    // The CSV link carries the filter and the file holds the same rows.
    assert!(
        created
            .body
            .contains("href=\"/log.csv?action=host.create\"")
    );
    let csv = browser.get("/log.csv?action=host.create").await;
    let rows: Vec<&str> = csv.body.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.contains(",host.create,")));
}

#[tokio::test]
async fn operators_move_hosts_between_accounts_keeping_their_tokens() {
    let control = Control::start().await;
    let alice = control.signed_up("mover-a").await;
    let bob = control.signed_up("mover-b").await;
    let id = alice.create_host("moving").await;
    let token = alice.create_token(id).await;
    assert_eq!(alice.get("/admin").await.status, 403, "not an operator");
    let csrf = alice.get("/hosts").await.csrf().unwrap();
    let sneaky = alice
        .post_raw(
            "/admin/move",
            &[
                ("csrf", &csrf),
                ("host", &format!("moving.{ZONE}")),
                ("account", "mover-b"),
            ],
        )
        .await;
    assert_eq!(sneaky.status, 403);

    let admin = control.admin_browser().await;
    let page = admin.get("/admin").await;
    assert!(page.body.contains("mover-a") && page.body.contains("mover-b"));
    let moved = admin
        .post_form(
            "/admin",
            "/admin/move",
            &[("host", &format!("Moving.{ZONE}")), ("account", "mover-b")],
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert!(moved.body.contains("Host moved."));
    assert_eq!(alice.get(&format!("/hosts/{id}")).await.status, 404);
    let at_bob = bob.get(&format!("/hosts/{id}")).await;
    assert_eq!(at_bob.status, 200);
    assert_eq!(
        at_bob.by_id("token-state").as_deref(),
        Some("never used"),
        "token kept"
    );
    control
        .assert_token_stored(&format!("moving.{ZONE}"), &token)
        .await;
    let db = control.db().await;
    let account: String = sqlx::query_scalar(
        "SELECT payload->>'account' FROM change_feed WHERE kind = 'host.upsert' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(account, "mover-b", "dnsd learns the new owner");
    assert!(alice.get("/log").await.body.contains("host.move_out"));
    assert!(bob.get("/log").await.body.contains("host.move_in"));
    let own = admin.get("/log").await.body;
    assert!(
        own.contains("host.move_out") && own.contains("host.move_in"),
        "the operator's own log shows what the operator did"
    );
    let unknown = admin
        .post_form(
            "/admin",
            "/admin/move",
            &[("host", "nope.dyn.test"), ("account", "mover-b")],
        )
        .await;
    assert_eq!(unknown.status, 422);
}

#[tokio::test]
async fn operators_disable_accounts_which_ends_their_sessions() {
    let control = Control::start().await;
    let user = control.signed_up("disabled").await;
    let admin = control.admin_browser().await;
    let page = admin.get("/admin").await;
    assert!(page.body.contains("<td>disabled</td>"));
    let db = control.db().await;
    let (id, tenant): (i64, i64) =
        sqlx::query_as("SELECT id, tenant_id FROM accounts WHERE name = 'disabled'")
            .fetch_one(&db)
            .await
            .unwrap();
    let enabled = format!("/admin/accounts/{id}/enabled");
    let ask = admin
        .post_form("/admin", &enabled, &[("enabled", "false")])
        .await;
    assert_eq!(ask.status, 200, "disabling asks first");
    assert_eq!(ask.by_id("confirm-subject").as_deref(), Some("disabled"));
    assert_eq!(user.get("/hosts").await.status, 200, "still signed in");
    let done = admin
        .post_form(
            "/admin",
            &enabled,
            &[("enabled", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(user.get("/hosts").await.location(), "/login");
    // One's own row is refused at once, without asking.
    let (name, _) = control.admin.clone().unwrap();
    let me: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE name = $1")
        .bind(&name)
        .fetch_one(&db)
        .await
        .unwrap();
    let own = admin
        .post_form(
            "/admin",
            &format!("/admin/accounts/{me}/enabled"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(own.status, 422);
    assert!(own.body.contains("You cannot disable your own account"));
    assert_eq!(admin.get("/admin").await.status, 200, "still signed in");
    assert_eq!(
        control.browser().sign_in("disabled", PASSWORD).await.status,
        401
    );
    let quota = admin
        .post_form(
            "/admin",
            &format!("/admin/tenants/{tenant}/quota"),
            &[("quota", "9")],
        )
        .await;
    assert_eq!(quota.status, 200);
    assert!(quota.body.contains("value=\"9\""));
}

#[tokio::test]
async fn pages_carry_security_headers_and_follow_the_language() {
    let control = Control::start().await;
    let client = plain_client();
    let login = client.get(control.url("/login")).send().await.unwrap();
    let headers = login.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    // Scripts only from the portal itself (the copy buttons), never inline.
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self';"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(login.text().await.unwrap().contains("<html lang=\"en\">"));
    let german = client
        .get(control.url("/login"))
        .header("accept-language", "de-DE,de;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(german.contains("<html lang=\"de\">") && german.contains("Passwort vergessen?"));
    let css = client
        .get(control.url("/static/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    // Signed out, the language can be chosen on every page; the choice
    // outlives the browser's Accept-Language.
    let chooser = control.browser();
    let login = chooser.get("/login").await;
    assert!(
        login.body.contains("href=\"/language/de\""),
        "{}",
        login.body
    );
    let chosen = chooser.get("/language/de").await;
    assert_eq!((chosen.status, chosen.location()), (303, "/"));
    let page = chooser
        .send(
            chooser
                .client
                .get(control.url("/signup"))
                .header("accept-language", "en"),
        )
        .await;
    assert!(page.body.contains("<html lang=\"de\">"), "{}", page.body);
    assert_eq!(chooser.get("/language/xx").await.status, 404);

    let browser = control.signed_up("sprache").await;
    let saved = browser
        .post_form(
            "/profile",
            "/profile",
            &[
                ("email", "neu@example.net"),
                ("language", "de"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let profile = browser.get("/profile").await;
    assert!(profile.body.contains("Profil speichern") && profile.body.contains("neu@example.net"));
    let bad = browser
        .post_form(
            "/profile",
            "/profile",
            &[("email", "nope"), ("language", "de")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Das ist keine E-Mail-Adresse."));
    assert_eq!(
        plain_client()
            .get(control.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        plain_client()
            .get(control.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_elsewhere() {
    let control = Control::start().await;
    let here = control.signed_up("changer").await;
    let elsewhere = control.browser();
    assert_eq!(elsewhere.sign_in("changer", PASSWORD).await.status, 303);
    let wrong = here
        .post_form(
            "/profile",
            "/profile/password",
            &[
                ("current_password", "nope"),
                ("new_password", "a new long secret"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    // Next to the password form's input, not the e-mail form's one.
    assert!(
        wrong.by_id("current_password-error").is_some(),
        "{}",
        wrong.body
    );
    assert!(wrong.by_id("profile_password-error").is_none());
    assert!(
        wrong
            .body
            .contains("aria-describedby=\"current_password-error\"")
    );
    let ok = here
        .post_form(
            "/profile",
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new long secret"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(here.get("/hosts").await.status, 200, "this session stays");
    assert_eq!(
        elsewhere.get("/hosts").await.location(),
        "/login",
        "others end"
    );
    assert_eq!(
        control
            .browser()
            .sign_in("changer", "a new long secret")
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn the_first_admin_is_created_and_printed_only_once() {
    let mut control = Control::start().await;
    let (name, password) = control.admin.clone().expect("first start prints the admin");
    assert_eq!(name, "admin");
    assert_eq!(password.len(), 34);
    assert!(!control.log_text().contains(&password), "never in the log");
    control.restart();
    let printed = control.stdout_text().matches("first admin created").count();
    assert_eq!(printed, 1, "not again on the second start");
    let browser = control.browser();
    assert_eq!(browser.sign_in("admin", &password).await.status, 303);
    assert_eq!(browser.get("/admin").await.status, 200);
}

#[tokio::test]
async fn without_a_database_url_control_runs_and_stops_a_private_cluster() {
    let mut control = Control::start_with(Options {
        external_database: false,
        ..Options::default()
    })
    .await;
    let data = control.dir.path().join("data/postgres/data");
    assert!(data.join("PG_VERSION").exists(), "cluster under data_dir");
    assert!(data.join("postmaster.pid").exists(), "running");
    let (name, password) = control.admin.clone().expect("admin");
    assert_eq!(
        control.browser().sign_in(&name, &password).await.status,
        303
    );
    // A crash leaves the cluster running: the next start takes it over.
    control.restart();
    assert_eq!(
        control.browser().sign_in(&name, &password).await.status,
        303
    );
    let status = control.terminate();
    assert!(
        status.success(),
        "clean exit: {status:?}\n{}",
        control.log_text()
    );
    assert!(
        !data.join("postmaster.pid").exists(),
        "cluster stopped on exit"
    );
    assert!(
        control
            .log_text()
            .contains("private PostgreSQL cluster stopped")
    );
}

#[tokio::test]
async fn one_source_address_is_throttled_across_account_names() {
    let control = Control::start_with(Options {
        source_limit: 3,
        ..Options::default()
    })
    .await;
    control.signed_up("real").await;
    let browser = control.browser();
    for name in ["guess1", "guess2", "guess3"] {
        assert_eq!(browser.sign_in(name, "x").await.status, 401);
    }
    let blocked = browser.sign_in("real", PASSWORD).await;
    assert_eq!(
        blocked.status, 429,
        "this source is refused, whatever the name"
    );
}

#[tokio::test]
async fn migrate_and_check_config_run_from_the_command_line() {
    let control = Control::start().await;
    let migrate = control.cli(&["migrate"]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("migrations applied"));
    let db = control.db().await;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&db)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .count();
    assert_eq!(applied as usize, files, "every migration applied once");
    let check = control.cli(&["check-config"]);
    assert!(check.status.success());
    assert!(String::from_utf8_lossy(&check.stdout).contains("ok (2 zones)"));
    let help = control.cli(&["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("postgres"));
}

#[tokio::test]
async fn expired_sessions_sign_out() {
    let control = Control::start().await;
    let browser = control.signed_up("expiring").await;
    assert_eq!(browser.get("/hosts").await.status, 200);
    let db = control.db().await;
    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(browser.get("/hosts").await.location(), "/login");
}

#[tokio::test]
async fn in_development_mails_are_written_to_a_directory() {
    let control = Control::start_with(Options {
        mail_dir: true,
        ..Options::default()
    })
    .await;
    control.signed_up("devmail").await;
    let page = control
        .browser()
        .post_form("/reset", "/reset", &[("who", "devmail")])
        .await;
    assert_eq!(page.status, 200);
    let dir = control.dir.path().join("data/mail");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mail = loop {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if let Some(file) = files
            .iter()
            .find(|f| f.extension().is_some_and(|e| e == "eml"))
        {
            break std::fs::read_to_string(file).unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail file in {}",
            dir.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(mail.contains("To: devmail@example.net"));
    assert!(mail.contains("Subject: Reset your spdyn password"));
    assert!(control.mail.mails().is_empty(), "nothing went over SMTP");
}

#[tokio::test]
async fn at_a_full_quota_the_form_for_a_new_host_is_not_offered() {
    let control = Control::start().await;
    let browser = control.signed_up("full").await;
    let page = browser.get("/hosts").await;
    assert!(page.body.contains("id=\"create-host\""));
    let quota: usize = page
        .by_id("quota")
        .and_then(|text| text.rsplit(' ').next()?.parse().ok())
        .expect("the quota");
    for i in 0..quota {
        browser.create_host(&format!("h{i}")).await;
    }
    let page = browser.get("/hosts").await;
    assert!(page.body.contains("id=\"quota-full\""), "{}", page.body);
    assert!(!page.body.contains("id=\"create-host\""));
}

#[tokio::test]
async fn the_navigation_marks_the_current_page_and_offers_a_skip_link() {
    let control = Control::start().await;
    let browser = control.signed_up("navigator").await;
    let id = browser.create_host("marked").await;
    for (path, current) in [
        ("/hosts".to_owned(), "/hosts"),
        (format!("/hosts/{id}"), "/hosts"),
        ("/api-tokens".to_owned(), "/api-tokens"),
        ("/log".to_owned(), "/log"),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(
            page.body.matches("aria-current=\"page\"").count(),
            1,
            "{path}"
        );
        assert!(
            page.body
                .contains(&format!("<a href=\"{current}\" aria-current=\"page\">")),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains("<a class=\"skip\" href=\"#main\">"));
        assert!(page.body.contains("<main id=\"main\""));
    }
    // The state is a badge.
    let list = browser.get("/hosts").await;
    assert!(
        list.body
            .contains("<span class=\"badge on\">enabled</span>")
    );
}

#[tokio::test]
async fn error_pages_speak_the_pages_language_inside_the_page_frame() {
    let control = Control::start().await;
    let browser = control.signed_up("lost").await;
    let missing = browser.get("/hosts/999999").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.by_id("error-message").as_deref(),
        Some("Not found.")
    );
    assert!(
        !missing.body.contains("Nicht gefunden"),
        "one language only"
    );
    assert!(
        missing.body.contains("href=\"/hosts\""),
        "with the navigation"
    );
    // A German page for a German profile.
    let saved = browser
        .post_form(
            "/profile",
            "/profile",
            &[
                ("email", "lost@example.net"),
                ("language", "de"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let missing = browser.get("/hosts/999999").await;
    assert_eq!(
        missing.by_id("error-message").as_deref(),
        Some("Nicht gefunden.")
    );
    assert!(missing.body.contains("<html lang=\"de\">"));
    // Signed out: the frame without the signed-in navigation.
    let anonymous = control.browser().get("/language/xx").await;
    assert_eq!(anonymous.status, 404);
    assert_eq!(
        anonymous.by_id("error-message").as_deref(),
        Some("Not found.")
    );
    assert!(
        anonymous.body.contains("href=\"/login\""),
        "{}",
        anonymous.body
    );
    assert!(!anonymous.body.contains("href=\"/hosts\""));
}

#[tokio::test]
async fn the_setup_guide_states_the_configured_update_limits() {
    let control = Control::start_with(Options {
        env: vec![(
            "CONTROL__HOSTS__UPDATE_LIMITS__MIN_CHANGE_INTERVAL_SECS".into(),
            "30".into(),
        )],
        ..Options::default()
    })
    .await;
    let browser = control.signed_up("limited").await;
    let id = browser.create_host("limited").await;
    let page = browser.get(&format!("/hosts/{id}")).await;
    assert_eq!(page.by_id("limit-interval").as_deref(), Some("30 s"));
    // The rest as dnsd's defaults.
    assert_eq!(
        page.by_id("limit-nochg").as_deref(),
        Some("10 / 600 s → host locked for 900 s")
    );
}

#[tokio::test]
async fn a_new_email_address_takes_effect_only_once_its_link_is_confirmed() {
    let control = Control::start().await;
    let browser = control.signed_up("mover").await;
    let db = control.db().await;
    let email_of = || async {
        sqlx::query_scalar::<_, String>("SELECT email FROM accounts WHERE name = 'mover'")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    // Without the current password nothing is asked for.
    let no_password = browser
        .post_form(
            "/profile",
            "/profile",
            &[("email", "new@example.org"), ("language", "de")],
        )
        .await;
    assert_eq!(no_password.status, 422);
    let saved = browser
        .post_form(
            "/profile",
            "/profile",
            &[
                ("email", "new@example.org"),
                ("language", "de"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/profile?done=email_pending");
    let profile = browser.get(saved.location()).await;
    assert!(
        profile.body.contains("value=\"mover@example.net\""),
        "still the old one"
    );
    assert!(profile.by_id("email-pending").is_some());
    assert!(profile.body.contains("<strong>new@example.org</strong>"));
    assert!(
        profile.body.contains("<html lang=\"de\">"),
        "the language at once"
    );
    assert_eq!(email_of().await, "mover@example.net");

    // The link goes to the new address, a notice to the old one, in the
    // language just chosen.
    let confirm = control.mail.wait_for("new@example.org").await;
    assert!(confirm.text().contains("Hallo mover"), "{}", confirm.text());
    let link = confirm.link().expect("a link");
    let path = control.path_of(&link);
    assert!(path.starts_with("/profile/email/"), "{path}");
    let notice = control.mail.wait_for("mover@example.net").await;
    assert!(
        notice.text().contains("new@example.org"),
        "{}",
        notice.text()
    );
    assert!(
        !notice.text().contains(&path),
        "the old address never gets the link"
    );

    // Opening the link changes nothing until the button is pressed (mail
    // scanners open links); elsewhere, signed out, it works.
    let elsewhere = control.browser();
    let page = elsewhere.get(&path).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.by_id("email-new").as_deref(), Some("new@example.org"));
    assert_eq!(elsewhere.get(&path).await.status, 200);
    assert_eq!(email_of().await, "mover@example.net");
    let done = elsewhere.post_form(&path, &path, &[]).await;
    assert_eq!(done.status, 200);
    assert!(done.by_id("email-confirmed").is_some());
    assert!(done.body.contains("<strong>new@example.org</strong>"));
    assert_eq!(email_of().await, "new@example.org");
    control
        .mail
        .wait_for_containing("mover@example.net", "wurde in new@example.org")
        .await;
    // Once only.
    let again = elsewhere.post_form("/login", &path, &[]).await;
    assert_eq!(again.status, 404);
    assert!(again.by_id("email-invalid").is_some());
    assert!(
        browser
            .get("/profile")
            .await
            .by_id("email-pending")
            .is_none()
    );

    // An expired link sets nothing.
    browser
        .post_form(
            "/profile",
            "/profile",
            &[
                ("email", "late@example.org"),
                ("language", "en"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    let late = control.path_of(
        &control
            .mail
            .wait_for("late@example.org")
            .await
            .link()
            .unwrap(),
    );
    sqlx::query("UPDATE email_changes SET expires_at = now() - interval '1 second'")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(elsewhere.get(&late).await.status, 404);
    assert_eq!(elsewhere.post_form("/login", &late, &[]).await.status, 404);
    assert_eq!(email_of().await, "new@example.org");
    let logged: Vec<String> =
        sqlx::query_scalar("SELECT action FROM action_log WHERE action LIKE 'email.%' ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        logged,
        [
            "email.change_request",
            "email.change",
            "email.change_request"
        ]
    );
}
