//! Two-factor sign-in against the real control and PostgreSQL: enrolment
//! with codes from Debian's `oathtool`, the code step after the password,
//! replay and throttling, recovery codes, switching off, the JSON API token
//! flow, enforcement for operators before and after the configured date
//! (over every route of the router), and activation through a password
//! reset with the mail read from the SMTP sink.

use std::process::Command;

use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    control_harness::{Browser, Control, Options, PASSWORD, Page, between, plain_client},
    harness::require,
};

/// The code `oathtool --totp -b <secret>` prints for `at` (Unix seconds),
/// or for now.
pub fn oathtool(secret: &str, at: Option<u64>) -> String {
    let mut command = Command::new("oathtool");
    command.args(["--totp", "-b", secret]);
    if let Some(at) = at {
        command.arg(format!("--now=@{at}"));
    }
    let out = command.output().expect("run oathtool");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    code
}

/// The code of the step after the current one (accepted: ±1 step), for a
/// second sign-in right after one that used the current step.
pub fn next_code(secret: &str) -> String {
    oathtool(secret, Some(unix_now() + 30))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The session cookie a response sets.
fn session_cookie(page: &Page) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("spdyn_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Enrols the signed-in browser (password [`PASSWORD`]) with a code from
/// oathtool; returns the secret and the recovery codes.
pub async fn enrol(browser: &Browser) -> (String, Vec<String>) {
    enrol_with_password(browser, PASSWORD).await
}

/// Enrols the signed-in browser, giving `password` as the current password
/// (not asked right after a password reset).
pub async fn enrol_with_password(browser: &Browser, password: &str) -> (String, Vec<String>) {
    let page = browser.get("/2fa/enrol").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = page.by_id("totp-secret").expect("secret on the page");
    let done = browser
        .post_form(
            "/2fa/enrol",
            "/2fa/enrol",
            &[
                ("code", &oathtool(&secret, None)),
                ("current_password", password),
            ],
        )
        .await;
    // The codes are shown once, on the page after the redirect.
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location().to_owned();
    assert!(
        location.starts_with("/2fa/recovery-codes?show="),
        "{location}"
    );
    let done = browser.get(&location).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let again = browser.get(&location).await;
    assert_eq!(
        (again.status, again.location()),
        (303, "/2fa?done=shown_once"),
        "a reload shows them no more"
    );
    let codes = recovery_codes(&done);
    // The same codes to download as a text file, one per line.
    let download = format!("data:text/plain;charset=utf-8,{}%0A", codes.join("%0A"));
    assert!(
        done.body.contains(&format!("href=\"{download}\"")),
        "{}",
        done.body
    );
    (secret, codes)
}

pub fn recovery_codes(page: &Page) -> Vec<String> {
    let list = between(&page.body, "id=\"recovery-codes\"", "</ul>").expect("codes listed");
    list.split("<code>")
        .skip(1)
        .filter_map(|c| c.split('<').next())
        .map(str::to_owned)
        .collect()
}

async fn log_actions(control: &Control, account: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT l.action FROM action_log l JOIN accounts a ON a.id = l.account_id
         WHERE a.name = $1 ORDER BY l.id",
    )
    .bind(account)
    .fetch_all(&control.db().await)
    .await
    .expect("log")
}

#[tokio::test]
async fn enrolment_and_the_code_step_of_sign_in_work_with_oathtool_codes() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let browser = control.signed_up("alice").await;
    let settings = browser.get("/2fa").await;
    assert_eq!(
        settings
            .by_id("two-factor-state")
            .as_deref()
            .map(|s| s.contains("off")),
        Some(true)
    );
    assert!(
        !settings.body.contains("id=\"two-factor-banner\""),
        "no banner for accounts"
    );

    let enrol_page = browser.get("/2fa/enrol").await;
    assert_eq!(enrol_page.status, 200);
    let secret = enrol_page.by_id("totp-secret").expect("secret");
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    assert!(
        enrol_page
            .body
            .contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "QR code inline"
    );
    assert!(
        enrol_page.body.contains("id=\"enrol-skip\""),
        "optional for accounts"
    );
    assert_eq!(
        browser.get("/2fa/enrol").await.by_id("totp-secret"),
        Some(secret.clone()),
        "a reload shows the same pending secret"
    );
    // Stored sealed: neither the base32 text nor the raw bytes are in the row.
    let db = control.db().await;
    let (ciphertext, nonce, enabled): (Vec<u8>, Vec<u8>, bool) = sqlx::query_as(
        "SELECT secret_ciphertext, secret_nonce, enabled_at IS NOT NULL FROM totp_credentials",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        (nonce.len(), ciphertext.len(), enabled),
        (12, 20 + 16, false)
    );
    assert!(!String::from_utf8_lossy(&ciphertext).contains(&secret));

    let wrong = browser
        .post_form(
            "/2fa/enrol",
            "/2fa/enrol",
            &[("code", "000000"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .body
            .contains("The code is wrong or was used already.")
    );
    let elsewhere = control.browser();
    assert_eq!(
        elsewhere.sign_in("alice", PASSWORD).await.location(),
        "/hosts"
    );
    let before = session_cookie(&browser.get("/hosts").await);
    let code = oathtool(&secret, None);
    let posted = browser
        .post_form(
            "/2fa/enrol",
            "/2fa/enrol",
            &[("code", &code), ("current_password", PASSWORD)],
        )
        .await;
    // The codes are shown once, on the page after the redirect.
    assert_eq!(posted.status, 303, "{}", posted.body);
    let location = posted.location().to_owned();
    assert!(
        location.starts_with("/2fa/recovery-codes?show="),
        "{location}"
    );
    let done = browser.get(&location).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let again = browser.get(&location).await;
    assert_eq!(
        (again.status, again.location()),
        (303, "/2fa?done=shown_once"),
        "a reload shows them no more"
    );
    let codes = recovery_codes(&done);
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 19), "{codes:?}");
    assert_ne!(session_cookie(&posted), before, "a new session id");
    assert_eq!(
        elsewhere.get("/hosts").await.location(),
        "/login",
        "sessions opened with the password alone end"
    );
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(&db)
        .await
        .unwrap();
    let normalised = codes[0].replace('-', "");
    assert!(
        stored.contains(&Sha256::digest(normalised.as_bytes()).to_vec()),
        "only SHA-256 stored"
    );
    let mail = control.mail.wait_for("alice@example.net").await;
    assert!(
        mail.data.contains("Two-factor sign-in is on"),
        "{}",
        mail.data
    );
    assert_eq!(
        browser.get("/2fa").await.by_id("recovery-left").as_deref(),
        Some("10")
    );

    // Sign out, then password first: the session waits for the code.
    browser.post_form("/hosts", "/logout", &[]).await;
    let step_one = browser.sign_in("alice", PASSWORD).await;
    assert_eq!((step_one.status, step_one.location()), (303, "/login/code"));
    let pending = session_cookie(&step_one).expect("a session for the code step");
    assert_eq!(
        browser.get("/hosts").await.location(),
        "/login",
        "not signed in yet"
    );
    assert_eq!(browser.get("/api-tokens").await.location(), "/login");
    assert_eq!(browser.get("/login").await.location(), "/login/code");
    // Between password and code the page offers neither sign-in nor sign-up.
    let code_page = browser.get("/login/code").await;
    assert_eq!(code_page.status, 200);
    assert!(
        !code_page.body.contains("href=\"/signup\"") && !code_page.body.contains("href=\"/login\""),
        "{}",
        code_page.body
    );
    let pending_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE second_factor_pending AND expires_at < now() + interval '6 minutes'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(pending_rows, 1, "short-lived");
    let replay = browser
        .post_form("/login/code", "/login/code", &[("code", &code)])
        .await;
    assert_eq!(replay.status, 401, "the enrolment's code works once");
    assert!(replay.body.contains("wrong or was used already"));
    let signed_in = browser
        .post_form(
            "/login/code",
            "/login/code",
            &[("code", &next_code(&secret))],
        )
        .await;
    assert_eq!((signed_in.status, signed_in.location()), (303, "/hosts"));
    assert_ne!(
        session_cookie(&signed_in),
        Some(pending.clone()),
        "rotated again"
    );
    assert_eq!(browser.get("/hosts").await.status, 200);
    let stale = plain_client()
        .get(control.url("/hosts"))
        .header("cookie", &pending)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.headers()["location"],
        "/login",
        "the pending session is gone"
    );

    let actions = log_actions(&control, "alice").await;
    for action in [
        "2fa.failure",
        "2fa.enable",
        "signin.password",
        "signin.success",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    assert_eq!(actions.iter().filter(|a| *a == "2fa.failure").count(), 2);

    // A recovery code signs in once and the page tells how many are left.
    browser.post_form("/hosts", "/logout", &[]).await;
    browser.sign_in("alice", PASSWORD).await;
    let recovered = browser
        .post_form(
            "/login/code",
            "/login/code",
            &[("code", &codes[0].to_uppercase())],
        )
        .await;
    assert_eq!(
        (recovered.status, recovered.location()),
        (303, "/2fa?done=recovery_used")
    );
    let after = browser.get("/2fa?done=recovery_used").await;
    assert!(after.body.contains("You signed in with a recovery code"));
    assert_eq!(after.by_id("recovery-left").as_deref(), Some("9"));
    let again = control.browser();
    again.sign_in("alice", PASSWORD).await;
    let reused = again
        .post_form("/login/code", "/login/code", &[("code", &codes[0])])
        .await;
    assert_eq!(reused.status, 401, "single use");
    assert!(
        log_actions(&control, "alice")
            .await
            .contains(&"2fa.recovery_code".to_owned())
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_per_account_and_logged() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let browser = control.signed_up("bob").await;
    let (secret, _) = enrol(&browser).await;
    browser.post_form("/hosts", "/logout", &[]).await;
    let attacker = control.browser();
    assert_eq!(
        attacker.sign_in("bob", PASSWORD).await.location(),
        "/login/code"
    );
    for _ in 0..5 {
        let wrong = attacker
            .post_form("/login/code", "/login/code", &[("code", "123456")])
            .await;
        assert_eq!(wrong.status, 401);
    }
    let blocked = attacker
        .post_form(
            "/login/code",
            "/login/code",
            &[("code", &next_code(&secret))],
        )
        .await;
    assert_eq!(blocked.status, 429, "even the right code, once throttled");
    assert!(blocked.body.contains("Too many failed attempts"));
    let actions = log_actions(&control, "bob").await;
    assert_eq!(actions.iter().filter(|a| *a == "2fa.failure").count(), 5);
    assert!(actions.contains(&"2fa.throttled".to_owned()));
}

#[tokio::test]
async fn switching_off_needs_the_password_and_a_code() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let browser = control.signed_up("carol").await;
    let (_, codes) = enrol(&browser).await;
    let no_password = browser
        .post_form(
            "/2fa",
            "/2fa/disable",
            &[("current_password", "wrong password"), ("code", &codes[1])],
        )
        .await;
    assert_eq!(no_password.status, 422);
    let no_code = browser
        .post_form(
            "/2fa",
            "/2fa/disable",
            &[("current_password", PASSWORD), ("code", "000000")],
        )
        .await;
    assert_eq!(no_code.status, 422);
    assert!(no_code.body.contains("The code is wrong"));
    let off = browser
        .post_form(
            "/2fa",
            "/2fa/disable",
            &[("current_password", PASSWORD), ("code", &codes[1])],
        )
        .await;
    assert_eq!(
        (off.status, off.location()),
        (303, "/2fa?done=2fa_disabled")
    );
    let db = control.db().await;
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM totp_credentials) + (SELECT count(*) FROM recovery_codes)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(left, 0, "secret and recovery codes removed");
    assert!(
        log_actions(&control, "carol")
            .await
            .contains(&"2fa.disable".to_owned())
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !control
        .mail
        .mails()
        .iter()
        .any(|m| m.data.contains("Two-factor sign-in is off"))
    {
        assert!(std::time::Instant::now() < deadline, "notice mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let plain = control.browser().sign_in("carol", PASSWORD).await;
    assert_eq!(plain.location(), "/hosts", "password only again");
    // Re-enrolment gives a new secret.
    assert_eq!(enrol(&browser).await.1.len(), 10);
}

#[tokio::test]
async fn the_api_hands_out_tokens_for_the_password_and_the_code_never_for_the_password_alone() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let client = plain_client();
    let token_request = |body: serde_json::Value| {
        client
            .post(control.url("/api/v1/auth/token"))
            .json(&body)
            .send()
    };
    control.signed_up("dave").await;
    let plain = token_request(json!({
        "name": "dave", "password": PASSWORD, "token_name": "script", "scopes": ["hosts:read"]
    }))
    .await
    .unwrap();
    assert_eq!(plain.status(), 201, "no 2FA: the password suffices");
    let created: serde_json::Value = plain.json().await.unwrap();
    let hosts = client
        .get(control.url("/api/v1/hosts"))
        .bearer_auth(created["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(hosts.status(), 200);

    let browser = control.signed_up("erin").await;
    let (secret, codes) = enrol(&browser).await;
    let ask = |totp: Option<&str>| {
        let mut body = json!({
            "name": "erin", "password": PASSWORD, "token_name": "ci", "scopes": ["account:read"]
        });
        if let Some(totp) = totp {
            body["totp"] = json!(totp);
        }
        token_request(body)
    };
    let without = ask(None).await.unwrap();
    assert_eq!(without.status(), 401);
    assert_eq!(
        without.json::<serde_json::Value>().await.unwrap()["error"],
        "second_factor_required"
    );
    let wrong = ask(Some("000000")).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let bad_password = token_request(json!({
        "name": "erin", "password": "nope", "totp": next_code(&secret),
        "token_name": "ci", "scopes": ["account:read"]
    }))
    .await
    .unwrap();
    assert_eq!(bad_password.status(), 401);
    let ok = ask(Some(&next_code(&secret))).await.unwrap();
    assert_eq!(ok.status(), 201);
    let body: serde_json::Value = ok.json().await.unwrap();
    // Asked for with the old name, stored and shown with the new one.
    assert_eq!(body["scopes"], json!(["read:account"]));
    let account = client
        .get(control.url("/api/v1/account"))
        .bearer_auth(body["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    let replay = ask(Some(&next_code(&secret))).await.unwrap();
    assert_eq!(
        replay.status(),
        401,
        "a step signs in once, over the API too"
    );
    let recovery = ask(Some(&codes[2])).await.unwrap();
    assert_eq!(recovery.status(), 201);
    assert_eq!(
        recovery.json::<serde_json::Value>().await.unwrap()["recovery_codes_left"],
        9
    );
}

#[tokio::test]
async fn before_the_date_operators_see_a_banner_and_keep_their_access() {
    let control = Control::start_with(Options {
        admin_2fa_from: Some("2999-01-01".into()),
        ..Options::default()
    })
    .await;
    let admin = control.admin_browser().await;
    for path in ["/hosts", "/admin", "/profile", "/log"] {
        let page = admin.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let banner = between(&page.body, "id=\"two-factor-banner\"", "</aside>")
            .unwrap_or_else(|| panic!("banner on {path}"));
        assert!(
            banner.contains("href=\"/2fa/enrol\">Enable 2FA</a>"),
            "{banner}"
        );
    }
    let enrol = admin.get("/2fa/enrol").await;
    assert!(
        enrol.body.contains("id=\"enrol-skip\""),
        "not yet mandatory"
    );
    let user = control.signed_up("frank").await;
    assert!(!user.get("/hosts").await.body.contains("two-factor-banner"));
    let german = control.admin_browser().await;
    german
        .post_form(
            "/profile",
            "/profile",
            &[("email", "admin@example.net"), ("language", "de")],
        )
        .await;
    assert!(german.get("/hosts").await.body.contains("2FA aktivieren"));
}

/// Replaces `{…}` path parameters with a value.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|part| if part.starts_with('{') { "1" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn from_the_date_an_operator_without_2fa_reaches_nothing_but_the_enrolment() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start_with(Options {
        admin_2fa_from: Some("2020-01-01".into()),
        ..Options::default()
    })
    .await;
    let (name, password) = control.admin.clone().expect("admin");
    let user = control.signed_up("grace").await;
    let user_host = user.create_host("kept").await;
    let admin = control.browser();
    let signin = admin.sign_in(&name, &password).await;
    assert_eq!(
        (signin.status, signin.location()),
        (303, "/2fa/enrol"),
        "straight to enrolment"
    );
    let enrol_page = admin.get("/2fa/enrol").await;
    assert_eq!(enrol_page.status, 200);
    assert!(enrol_page.body.contains("mandatory for your account"));
    assert!(!enrol_page.body.contains("enrol-skip"), "no way around it");
    assert!(
        !enrol_page.body.contains("href=\"/hosts\""),
        "no navigation but sign-out"
    );
    let csrf = enrol_page.csrf().expect("csrf");

    // Every route of the web UI, from the router's own table.
    let allowed = control::auth::session::ENROLMENT_PATHS;
    let paths = control::routes::web::paths();
    assert!(paths.len() > 25, "{paths:?}");
    for path in paths.iter().filter(|p| !allowed.contains(p)) {
        let url = concrete(path);
        let mut redirected = false;
        for method in [Method::GET, Method::POST] {
            let request = admin.client.request(method.clone(), control.url(&url));
            let request = if method == Method::POST {
                request.form(&[("csrf", csrf.as_str())])
            } else {
                request
            };
            let page = admin.send(request).await;
            match page.status {
                303 => {
                    assert_eq!(page.location(), "/2fa/enrol", "{method} {path}");
                    redirected = true;
                }
                405 => {} // no such method there: nothing reachable either
                other => panic!("{method} {path} answered {other}: {}", page.body),
            }
        }
        assert!(redirected, "{path} is guarded");
    }
    assert_eq!(
        user.get(&format!("/hosts/{user_host}")).await.status,
        200,
        "other accounts carry on"
    );

    // Every API route, with a token the operator had made before.
    let token = "spdyn_operator-token-made-before-the-date";
    let db = control.db().await;
    sqlx::query(
        "INSERT INTO api_tokens (account_id, name, token_hash, scopes)
         SELECT id, 'old', $1, ARRAY['account:read','hosts:read','hosts:write','tokens:write','log:read']
         FROM accounts WHERE name = $2",
    )
    .bind(Sha256::digest(token.as_bytes()).to_vec())
    .bind(&name)
    .execute(&db)
    .await
    .unwrap();
    let client = plain_client();
    for path in control::routes::api::paths() {
        let url = control.url(&format!("/api/v1{}", concrete(path)));
        if path == "/auth/token" {
            let answer = client
                .post(&url)
                .json(&json!({"name": name, "password": password, "token_name": "x", "scopes": ["log:read"]}))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 403, "{path}");
            assert_eq!(
                answer.json::<serde_json::Value>().await.unwrap()["error"],
                "two_factor_required"
            );
            continue;
        }
        let mut refused = false;
        for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE] {
            let answer = client
                .request(method.clone(), &url)
                .bearer_auth(token)
                .json(&json!({"label": "x", "zone": "dyn.test", "ttl": 300}))
                .send()
                .await
                .unwrap();
            match answer.status().as_u16() {
                403 => {
                    let body: serde_json::Value = answer.json().await.unwrap();
                    assert_eq!(body["error"], "two_factor_required", "{method} {path}");
                    refused = true;
                }
                405 => {}
                other => panic!("{method} {path} answered {other}"),
            }
        }
        assert!(refused, "{path} is guarded");
    }

    // Once enrolled, everything is open again: the session, the old token.
    let (_, codes) = enrol_with_password(&admin, &password).await;
    assert_eq!(codes.len(), 10);
    assert_eq!(admin.get("/admin").await.status, 200);
    assert!(!admin.get("/hosts").await.body.contains("two-factor-banner"));
    let account = client
        .get(control.url("/api/v1/account"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
}

#[tokio::test]
async fn a_password_reset_leads_on_to_the_qr_code_and_the_first_code() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    control.signed_up("henry").await;
    let browser = control.browser();
    // Screen 1: ask for the mail.
    browser
        .post_form("/reset", "/reset", &[("who", "henry")])
        .await;
    let mail = control.mail.wait_for("henry@example.net").await;
    let path = control.path_of(&mail.link().expect("link"));
    // Screen 2: the new password.
    let form = browser.get(&path).await;
    assert_eq!(form.status, 200);
    let set = browser
        .post_form(&path, &path, &[("password", "a new secret for henry")])
        .await;
    assert_eq!((set.status, set.location()), (303, "/2fa/enrol?from=reset"));
    // Screen 3: QR code, secret, confirm.
    let qr = browser.get("/2fa/enrol?from=reset").await;
    assert_eq!(qr.status, 200);
    assert!(qr.body.contains("Step 3 of 3"));
    assert!(qr.body.contains("id=\"totp-qr\"") && qr.body.contains("<svg"));
    assert!(qr.body.contains("id=\"enrol-skip\""), "accounts may skip");
    let secret = qr.by_id("totp-secret").expect("secret");
    let done = browser
        .post_form(
            "/2fa/enrol?from=reset",
            "/2fa/enrol",
            &[("code", &oathtool(&secret, None)), ("from", "reset")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let done = browser.get(done.location()).await;
    assert_eq!(recovery_codes(&done).len(), 10);
    assert_eq!(browser.get("/hosts").await.status, 200, "signed in");
    // From now on sign-in asks for the code, and a reset does not skip it.
    let next = control.browser();
    assert_eq!(
        next.sign_in("henry", "a new secret for henry")
            .await
            .location(),
        "/login/code"
    );
    next.post_form("/reset", "/reset", &[("who", "henry")])
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let second = loop {
        let links: Vec<String> = control
            .mail
            .mails()
            .iter()
            .filter(|m| m.data.contains("Reset your spdyn password"))
            .filter_map(|m| m.link())
            .collect();
        if links.len() == 2 {
            break links[1].clone();
        }
        assert!(std::time::Instant::now() < deadline, "second reset mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let path = control.path_of(&second);
    let reset_again = control.browser();
    let set = reset_again
        .post_form(&path, &path, &[("password", "yet another secret")])
        .await;
    assert_eq!(
        (set.status, set.location()),
        (303, "/login?done=reset_done")
    );
    assert_eq!(reset_again.get("/hosts").await.location(), "/login");
}

#[tokio::test]
async fn after_the_date_an_operator_who_resets_the_password_cannot_skip_enrolment() {
    let control = Control::start_with(Options {
        admin_2fa_from: Some("2020-01-01".into()),
        ..Options::default()
    })
    .await;
    let browser = control.browser();
    browser
        .post_form("/reset", "/reset", &[("who", "admin")])
        .await;
    let mail = control.mail.wait_for("admin@example.net").await;
    let path = control.path_of(&mail.link().expect("link"));
    let set = browser
        .post_form(&path, &path, &[("password", "the operator's new secret")])
        .await;
    assert_eq!(set.location(), "/2fa/enrol?from=reset");
    let qr = browser.get("/2fa/enrol?from=reset").await;
    assert!(qr.body.contains("Step 3 of 3") && !qr.body.contains("enrol-skip"));
    assert_eq!(browser.get("/hosts").await.location(), "/2fa/enrol");
}
