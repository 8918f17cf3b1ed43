//! The portal in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, started here). Signs in, creates a host and a token, and
//! finds it listed; enrols in 2FA by reading the secret from the page, signs
//! out and in again with password and code. A screenshot of every step lands
//! in target/test-artifacts/control-browser*/ for a person to look at.

use std::{
    io::{BufRead, BufReader},
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::{
    control_harness::{Control, PASSWORD, ZONE},
    control_totp::{next_code, oathtool},
    harness::{bin_dir, require},
};

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// chromedriver on a port it picks itself (`--port=0`), read from the
    /// line it prints when it listens.
    fn start() -> Self {
        let mut child = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .split_once("started successfully on port ")
                    .and_then(|(_, rest)| rest.trim_end_matches('.').parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("chromedriver did not say its port");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Saves screenshots, numbered in the order the steps ran.
struct Shots {
    dir: PathBuf,
    count: u32,
}

impl Shots {
    fn new(name: &str) -> Self {
        let target = bin_dir().parent().expect("target dir").to_path_buf();
        let dir = target.join("test-artifacts").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("artifact dir");
        Self { dir, count: 0 }
    }

    async fn take(&mut self, browser: &Client, step: &str) {
        self.count += 1;
        let png = browser.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.dir.join(format!("{:02}-{step}.png", self.count)), png)
            .expect("save screenshot");
    }
}

async fn chromium(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1200,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("WebDriver session")
}

async fn wait_for_path(browser: &Client, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = browser.current_url().await.expect("url");
        if url.path().starts_with(prefix) {
            return url.path().to_owned();
        }
        assert!(Instant::now() < deadline, "stuck at {url}, wanted {prefix}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_person_signs_in_creates_a_host_and_a_token_in_chromium() {
    if !require("chromedriver") || !require("chromium") {
        return;
    }
    let control = Control::start().await;
    let (name, password) = control.admin.clone().expect("admin");
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = chromium(&driver, profile.path()).await;
    let mut shots = Shots::new("control-browser");

    browser
        .goto(&control.url("/login"))
        .await
        .expect("open portal");
    shots.take(&browser, "sign-in-page").await;
    browser
        .find(Locator::Css("#name"))
        .await
        .unwrap()
        .send_keys(&name)
        .await
        .unwrap();
    browser
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(&password)
        .await
        .unwrap();
    shots.take(&browser, "sign-in-filled").await;
    browser
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&browser, "/hosts").await;
    shots.take(&browser, "hosts-empty").await;

    browser
        .find(Locator::Css("#label"))
        .await
        .unwrap()
        .send_keys("browser-made")
        .await
        .unwrap();
    browser
        .find(Locator::Css("#create-host"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let path = wait_for_path(&browser, "/hosts/").await;
    let host = browser
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(host, format!("browser-made.{ZONE}"));
    shots.take(&browser, "host-created").await;

    browser
        .find(Locator::Css("#token-set"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let token = browser
        .wait()
        .for_element(Locator::Css("#new-token"))
        .await
        .expect("token page")
        .text()
        .await
        .unwrap();
    assert_eq!(token.split('-').count(), 7, "{token}");
    shots.take(&browser, "token-shown").await;
    // A reload of the one-time page neither shows nor exchanges the token.
    browser.refresh().await.unwrap();
    let note = browser
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .expect("a notice after the reload")
        .text()
        .await
        .unwrap();
    assert!(note.contains("shown once already"), "{note}");
    assert!(browser.find(Locator::Css("#new-token")).await.is_err());
    assert!(!browser.source().await.unwrap().contains(&token));
    shots.take(&browser, "token-reloaded").await;

    browser.goto(&control.url("/hosts")).await.unwrap();
    let table = browser
        .find(Locator::Css("#hosts"))
        .await
        .expect("hosts table")
        .text()
        .await
        .unwrap();
    assert!(table.contains(&format!("browser-made.{ZONE}")), "{table}");
    assert!(
        table.contains("never used"),
        "the token is listed as unused: {table}"
    );
    assert!(
        !browser.source().await.unwrap().contains(&token),
        "the token is not shown again"
    );
    let link = browser
        .find(Locator::LinkText(&host))
        .await
        .expect("link to the host");
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(path.as_str())
    );
    shots.take(&browser, "host-listed").await;

    // Exchanging asks first; confirmed, the new token is shown once.
    browser.goto(&control.url(&path)).await.unwrap();
    click(&browser, "#token-set").await;
    assert_eq!(text(&browser, "#confirm-subject").await, host);
    shots.take(&browser, "exchange-asks").await;
    click(&browser, "#confirm-submit").await;
    let exchanged = text(&browser, "#new-token").await;
    assert_ne!(exchanged, token);
    browser.refresh().await.unwrap();
    assert!(
        text(&browser, "p.notice")
            .await
            .contains("shown once already")
    );
    assert!(!browser.source().await.unwrap().contains(&exchanged));

    // A new API token: shown once; a reload shows it no more.
    browser.goto(&control.url("/api-tokens")).await.unwrap();
    fill(&browser, "#name", "from chromium").await;
    click(&browser, "main input[name=scope]").await;
    click(&browser, "main form.stack button[type=submit]").await;
    let api_token = text(&browser, "#new-api-token").await;
    assert!(api_token.starts_with("spdyn_"), "{api_token}");
    browser.refresh().await.unwrap();
    assert!(
        text(&browser, "p.notice")
            .await
            .contains("shown once already")
    );
    assert!(!browser.source().await.unwrap().contains(&api_token));
    // Revoking it asks first; cancelled, it stays; confirmed, it is gone.
    click(&browser, "#api-tokens form button").await;
    assert_eq!(text(&browser, "#confirm-subject").await, "from chromium");
    click(&browser, "#confirm-cancel").await;
    wait_for_text(&browser, "#api-tokens", "from chromium").await;
    click(&browser, "#api-tokens form button").await;
    shots.take(&browser, "api-token-revoke-asks").await;
    click(&browser, "#confirm-submit").await;
    wait_for_text(&browser, "p.notice", "Token revoked").await;
    assert!(!browser.source().await.unwrap().contains("from chromium"));

    // Revoking the update token and disabling the host ask first too.
    browser.goto(&control.url(&path)).await.unwrap();
    click(&browser, "#token-revoke").await;
    assert_eq!(text(&browser, "#confirm-subject").await, host);
    click(&browser, "#confirm-submit").await;
    wait_for_text(&browser, "p.notice", "revoked").await;
    assert_eq!(text(&browser, "#token-state").await, "none");
    click(&browser, "#host-disable").await;
    assert_eq!(text(&browser, "#confirm-subject").await, host);
    shots.take(&browser, "disable-asks").await;
    click(&browser, "#confirm-submit").await;
    wait_for_text(&browser, "#host-state", "disabled").await;

    // Deleting wants the host's name typed; a wrong one deletes nothing.
    browser.goto(&control.url(&path)).await.unwrap();
    click(&browser, "form[action$='/delete'] button").await;
    // The confirmation page has loaded once it names the host.
    assert_eq!(text(&browser, "#confirm-subject").await, host);
    fill(&browser, "#confirm", "not-the-name").await;
    click(&browser, "#confirm-submit").await;
    let refused = text(&browser, "#confirm-error").await;
    assert!(refused.contains("Nothing was deleted"), "{refused}");
    shots.take(&browser, "delete-refused").await;
    fill(&browser, "#confirm", &host).await;
    click(&browser, "#confirm-submit").await;
    wait_for_path(&browser, "/hosts").await;
    assert!(text(&browser, "p.notice").await.contains("deleted"));
    assert!(!browser.source().await.unwrap().contains(&host));

    browser.close().await.expect("close the session");
    assert_eq!(shots.count, 11);
}

/// Types `text` into the element `css`.
async fn fill(browser: &Client, css: &str, text: &str) {
    element(browser, css)
        .await
        .send_keys(text)
        .await
        .expect("type");
}

async fn click(browser: &Client, css: &str) {
    element(browser, css).await.click().await.expect("click");
}

#[tokio::test]
async fn a_person_enrols_in_2fa_and_signs_in_with_password_and_code_in_chromium() {
    if !require("chromedriver") || !require("chromium") || !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    control.signed_up("totp-person").await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = chromium(&driver, profile.path()).await;
    let mut shots = Shots::new("control-browser-2fa");

    sign_in(&browser, &control, "/login", "totp-person", PASSWORD).await;
    wait_for_path(&browser, "/hosts").await;
    browser.goto(&control.url("/2fa")).await.unwrap();
    shots.take(&browser, "two-factor-off").await;
    click(&browser, "#enable-2fa").await;
    wait_for_path(&browser, "/2fa/enrol").await;
    let qr = browser
        .find(Locator::Css("#totp-qr svg"))
        .await
        .expect("QR code drawn");
    let size = qr.rectangle().await.expect("QR size");
    assert!(
        size.2 >= 200.0 && size.3 >= 200.0,
        "scannable size: {size:?}"
    );
    shots.take(&browser, "enrolment-qr-code").await;
    let (secret, codes) = enrol_here(&browser, Some(PASSWORD)).await;
    assert_eq!(secret.len(), 32, "{secret}");
    assert_eq!(codes.lines().count(), 10, "{codes}");
    shots.take(&browser, "recovery-codes").await;
    // A reload shows the codes no more.
    let first = codes.lines().next().unwrap().trim().to_owned();
    browser.refresh().await.unwrap();
    wait_for_text(&browser, "p.notice", "shown once already").await;
    assert!(!browser.source().await.unwrap().contains(&first));

    click(&browser, "header form button[type=submit]").await;
    wait_for_path(&browser, "/login").await;
    sign_in(&browser, &control, "/login", "totp-person", PASSWORD).await;
    wait_for_path(&browser, "/login/code").await;
    shots.take(&browser, "code-prompt").await;
    // The enrolment used the current step; the next one signs in.
    fill(&browser, "#code", &next_code(&secret)).await;
    click(&browser, "main form button[type=submit]").await;
    wait_for_path(&browser, "/hosts").await;
    let user = browser
        .find(Locator::Css("header form button"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(user.contains("totp-person"), "{user}");
    shots.take(&browser, "signed-in-with-code").await;
    browser.goto(&control.url("/2fa")).await.unwrap();
    let state = browser
        .find(Locator::Css("#two-factor-state"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(state.contains("is on"), "{state}");
    browser.close().await.expect("close the session");
    assert_eq!(shots.count, 5);
}

/// On the open enrolment page: reads the secret as a person types it into
/// an app, confirms with the current password (not asked right after a
/// password reset) and a code from oathtool, waits for the recovery codes;
/// returns the secret and the codes' text.
async fn enrol_here(browser: &Client, password: Option<&str>) -> (String, String) {
    let secret = text(browser, "#totp-secret").await;
    if let Some(password) = password {
        fill(browser, "#current_password", password).await;
    }
    fill(browser, "#code", &oathtool(&secret, None)).await;
    click(browser, "#enrol-confirm").await;
    let codes = browser
        .wait()
        .for_element(Locator::Css("#recovery-codes"))
        .await
        .expect("recovery codes")
        .text()
        .await
        .unwrap();
    (secret, codes)
}

/// Signs in on the sign-in page at `path`.
async fn sign_in(browser: &Client, control: &Control, path: &str, name: &str, password: &str) {
    browser.goto(&control.url(path)).await.expect("open");
    fill(browser, "#name", name).await;
    fill(browser, "#password", password).await;
    click(browser, "main form button[type=submit]").await;
}

/// Follows a welcome mail's link in the browser: chooses the password and
/// enrols in 2FA with a code from oathtool; returns the secret.
async fn first_sign_in(browser: &Client, control: &Control, email: &str, password: &str) -> String {
    let link = control
        .mail
        .wait_for(email)
        .await
        .link()
        .expect("a link in the welcome mail");
    let url = control.url(&control.path_of(&link));
    browser.goto(&url).await.expect("open the link");
    fill(browser, "#password", password).await;
    click(browser, "main form button[type=submit]").await;
    wait_for_path(browser, "/2fa/enrol").await;
    enrol_here(browser, None).await.0
}

/// The element `css` once the page shows it: a click that loads a page may
/// return before the page has loaded.
async fn element(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
}

async fn text(browser: &Client, css: &str) -> String {
    element(browser, css).await.text().await.unwrap()
}

/// Waits until the element `css` contains `needle` (the page a click loads
/// may replace one that has the element too).
async fn wait_for_text(browser: &Client, css: &str, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(found) = browser.find(Locator::Css(css)).await
            && found.text().await.is_ok_and(|t| t.contains(needle))
        {
            return;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in {css}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// As the reseller: a customer with a licence (the form's defaults: ten
/// hosts for a year) and a host made in its portal; returns the customer's
/// page path.
async fn customer_with_host(
    browser: &Client,
    control: &Control,
    name: &str,
    label: &str,
) -> String {
    browser
        .goto(&control.url("/reseller/customers"))
        .await
        .unwrap();
    fill(browser, "#name", name).await;
    click(browser, "#create-customer").await;
    let page = wait_for_path(browser, "/reseller/customers/").await;
    click(browser, "#create-licence").await;
    wait_for_path(browser, &page).await;
    assert!(text(browser, "#licences").await.contains("valid"));
    click(browser, "#open-portal").await;
    wait_for_path(browser, "/hosts").await;
    assert!(text(browser, "#acting-marker").await.contains(name));
    fill(browser, "#label", label).await;
    click(browser, "#create-host").await;
    wait_for_path(browser, "/hosts/").await;
    click(browser, "#acting-marker button").await;
    wait_for_path(browser, "/reseller/customers").await;
    page
}

#[tokio::test]
async fn an_operator_a_reseller_and_a_customers_admin_each_do_their_part_in_chromium() {
    if !require("chromedriver") || !require("chromium") || !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let (admin, admin_password) = control.admin.clone().expect("admin");
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = chromium(&driver, profile.path()).await;
    let mut shots = Shots::new("control-browser-reseller");

    // The operator creates a reseller with its first user.
    sign_in(&browser, &control, "/login", &admin, &admin_password).await;
    wait_for_path(&browser, "/hosts").await;
    browser.goto(&control.url("/admin")).await.unwrap();
    fill(&browser, "#reseller_name", "Chromium Reseller").await;
    fill(&browser, "#reseller_user", "chris").await;
    fill(&browser, "#reseller_email", "chris@example.net").await;
    click(&browser, "#create-reseller").await;
    let resellers = browser
        .wait()
        .for_element(Locator::Css("#resellers"))
        .await
        .expect("reseller list")
        .text()
        .await
        .unwrap();
    assert!(resellers.contains("Chromium Reseller"), "{resellers}");
    shots.take(&browser, "operator-created-reseller").await;
    fits(&browser, &control, &mut shots, &[("operator", "/admin")]).await;
    click(&browser, "header form button[type=submit]").await;
    wait_for_path(&browser, "/login").await;

    // The reseller user sets a password and enrols (mandatory), then makes
    // two customers, each with a licence and a host.
    let reseller_password = "chris has a long password";
    first_sign_in(&browser, &control, "chris@example.net", reseller_password).await;
    shots.take(&browser, "reseller-enrolled").await;
    let own = customer_with_host(&browser, &control, "Customer A", "shop-a").await;
    customer_with_host(&browser, &control, "Customer B", "shop-b").await;
    let customers = text(&browser, "#customers").await;
    assert!(customers.contains("Customer A") && customers.contains("Customer B"));
    shots.take(&browser, "reseller-customers").await;

    // Customer A's admin user.
    browser.goto(&control.url(&own)).await.unwrap();
    let domain = text(&browser, "#tenant-domain").await;
    assert!(domain.ends_with(".tenants.test"), "{domain}");
    fill(&browser, "#user_name", "boss").await;
    fill(&browser, "#user_email", "boss@example.net").await;
    click(&browser, "#create-user").await;
    wait_for_path(&browser, &own).await;
    assert!(text(&browser, "#users").await.contains("boss"));
    shots.take(&browser, "customer-with-user").await;
    let reseller_pages = [
        ("reseller-customers", "/reseller/customers"),
        ("reseller-customer", own.as_str()),
        ("reseller-licences", "/reseller/licences"),
        ("reseller-select", "/reseller/select"),
        ("reseller-log", "/reseller/log"),
    ];
    fits(&browser, &control, &mut shots, &reseller_pages).await;
    click(&browser, "header form button[type=submit]").await;
    wait_for_path(&browser, "/reseller/login").await;

    // The admin of customer A: first password and enrolment, then a sign-in
    // with the tenant domain, password and code. Customer A's host is there,
    // customer B's is not.
    let boss_password = "the boss password here";
    let secret = first_sign_in(&browser, &control, "boss@example.net", boss_password).await;
    click(&browser, "header form button[type=submit]").await;
    wait_for_path(&browser, "/login").await;
    let login = format!("/t/{domain}/login");
    sign_in(&browser, &control, &login, "boss", boss_password).await;
    wait_for_path(&browser, "/login/code").await;
    shots.take(&browser, "tenant-code-step").await;
    fill(&browser, "#code", &next_code(&secret)).await;
    click(&browser, "main form button[type=submit]").await;
    wait_for_path(&browser, "/hosts").await;
    let hosts = text(&browser, "#hosts").await;
    assert!(hosts.contains(&format!("shop-a.{ZONE}")), "{hosts}");
    let source = browser.source().await.unwrap();
    assert!(
        !source.contains("shop-b") && !source.contains("Customer B"),
        "nothing of the other customer"
    );
    assert!(browser.find(Locator::Css("#acting-marker")).await.is_err());
    shots.take(&browser, "tenant-admin-hosts").await;

    // The admin invites a read-only user …
    browser.goto(&control.url("/users")).await.unwrap();
    fill(&browser, "#user_name", "reader").await;
    fill(&browser, "#user_email", "reader@example.net").await;
    click(&browser, "#invite-user").await;
    wait_for_text(&browser, "p.notice", "Invitation sent").await;
    let users = text(&browser, "#users").await;
    assert!(
        users.contains("reader") && users.contains("Read-only"),
        "{users}"
    );
    shots.take(&browser, "tenant-users").await;
    fits(
        &browser,
        &control,
        &mut shots,
        &[("tenant-users", "/users")],
    )
    .await;
    // … and moves to a new e-mail address, confirmed through its link.
    browser.goto(&control.url("/profile")).await.unwrap();
    element(&browser, "#email").await.clear().await.unwrap();
    fill(&browser, "#email", "boss@new.example").await;
    fill(&browser, "#profile_password", boss_password).await;
    click(&browser, "main form[action='/profile'] button").await;
    wait_for_text(&browser, "#email-pending", "boss@new.example").await;
    let link = control
        .mail
        .wait_for("boss@new.example")
        .await
        .link()
        .expect("a confirmation link");
    browser
        .goto(&control.url(&control.path_of(&link)))
        .await
        .unwrap();
    assert_eq!(text(&browser, "#email-new").await, "boss@new.example");
    click(&browser, "#email-confirm").await;
    wait_for_text(&browser, "#email-confirmed", "boss@new.example").await;
    shots.take(&browser, "email-confirmed").await;
    browser.goto(&control.url("/profile")).await.unwrap();
    let email = element(&browser, "#email")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(email.as_deref(), Some("boss@new.example"));
    click(&browser, "header form button[type=submit]").await;
    wait_for_path(&browser, "/login").await;

    // The invited user follows the mail, enrols and reads without forms.
    first_sign_in(
        &browser,
        &control,
        "reader@example.net",
        "the reader password",
    )
    .await;
    browser.goto(&control.url("/users")).await.unwrap();
    assert!(text(&browser, "#read-only").await.contains("read-only"));
    assert!(browser.find(Locator::Css("#invite-user")).await.is_err());
    shots.take(&browser, "read-only-users").await;
    browser.close().await.expect("close the session");
    // Nine steps, the operator's page, five reseller pages and the users
    // page at two widths.
    assert_eq!(shots.count, 9 + 2 + 10 + 2);
}

/// The page's width as laid out and the window's: a page that scrolls
/// sideways is wider than its window.
async fn widths(browser: &Client) -> (i64, i64) {
    let value = browser
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("measure");
    let number = |i: usize| value[i].as_i64().expect("a width");
    (number(0), number(1))
}

/// Each page at 400 and 1280 px is no wider than the window; a screenshot
/// of each.
async fn fits(browser: &Client, control: &Control, shots: &mut Shots, pages: &[(&str, &str)]) {
    for width in [400, 1280] {
        browser.set_window_size(width, 900).await.expect("resize");
        for (name, path) in pages {
            browser.goto(&control.url(path)).await.expect("open");
            let (page, window) = widths(browser).await;
            shots.take(browser, &format!("{name}-{width}px")).await;
            assert!(
                page <= window,
                "{path} is {page} px wide in a {window} px window ({width} px)"
            );
        }
    }
}

#[tokio::test]
async fn no_page_scrolls_sideways_at_400_or_1280_pixels_with_a_63_character_name() {
    if !require("chromedriver") || !require("chromium") {
        return;
    }
    let control = Control::start().await;
    let http = control.signed_up("wide").await;
    let label = "w".repeat(63);
    let id = http.create_host(&label).await;
    http.create_host("short").await;
    http.create_token(id).await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = chromium(&driver, profile.path()).await;
    let mut shots = Shots::new("control-browser-widths");

    let host = format!("/hosts/{id}");
    let signed_out = [
        ("login", "/login"),
        ("signup", "/signup"),
        ("reset", "/reset"),
    ];
    fits(&browser, &control, &mut shots, &signed_out).await;
    sign_in(&browser, &control, "/login", "wide", PASSWORD).await;
    wait_for_path(&browser, "/hosts").await;
    let signed_in = [
        ("hosts", "/hosts"),
        ("host", host.as_str()),
        ("api-tokens", "/api-tokens"),
        ("log", "/log"),
        ("profile", "/profile"),
        ("2fa", "/2fa"),
        ("dashboard", "/dashboard"),
    ];
    fits(&browser, &control, &mut shots, &signed_in).await;

    // The setup guide: the script added a copy button to every block, and
    // the curl line is the host's.
    browser.goto(&control.url(&host)).await.expect("open");
    let curl = text(&browser, "#setup-curl").await;
    assert_eq!(
        curl,
        format!(
            "curl -u '{label}.{ZONE}:<token>' 'http://update.{ZONE}/nic/update?hostname={label}.{ZONE}'"
        )
    );
    let buttons = browser
        .find_all(Locator::Css("pre.copy + button.copy-button"))
        .await
        .expect("copy buttons");
    assert_eq!(buttons.len(), 6, "one copy button per client");
    browser.close().await.expect("close the session");
}

#[tokio::test]
async fn an_account_holder_links_with_a_reseller_account_and_signs_in_through_it_in_chromium() {
    if !require("chromedriver") || !require("chromium") || !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let operator = crate::tenancy::operator_api(&control).await;
    let mut reseller = crate::tenancy::reseller(&control, &operator, "Chromium Link")
        .await
        .user;
    let owner = control.signed_up("chromelink").await;
    let host_id = owner.create_host("no-token-yet").await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = chromium(&driver, profile.path()).await;
    let mut shots = Shots::new("control-browser-linking");

    sign_in(&browser, &control, "/login", "chromelink", PASSWORD).await;
    wait_for_path(&browser, "/hosts").await;
    browser.goto(&control.url("/account/link")).await.unwrap();
    // The host without a token blocks, named, with the bulk action.
    let blocked = text(&browser, "#link-blocked").await;
    assert!(
        blocked.contains(&format!("no-token-yet.{ZONE}")),
        "{blocked}"
    );
    assert!(browser.find(Locator::Css("#link-form")).await.is_err());
    shots.take(&browser, "link-blocked").await;
    // A disabled host does not block.
    browser
        .goto(&control.url(&format!("/hosts/{host_id}")))
        .await
        .unwrap();
    click(&browser, "#host-disable").await;
    assert_eq!(
        text(&browser, "#confirm-subject").await,
        format!("no-token-yet.{ZONE}")
    );
    click(&browser, "#confirm-submit").await;
    wait_for_text(&browser, "#host-state", "disabled").await;
    browser.goto(&control.url("/account/link")).await.unwrap();
    fill(&browser, "#reseller_name", &reseller.name).await;
    fill(&browser, "#reseller_password", &reseller.password).await;
    fill(
        &browser,
        "#reseller_code",
        &reseller.recovery.pop().unwrap(),
    )
    .await;
    shots.take(&browser, "link-connect").await;
    click(&browser, "#connect").await;
    wait_for_text(&browser, "#link-state", &reseller.name).await;
    assert_eq!(text(&browser, "#rsp-label").await, "RSP");
    shots.take(&browser, "linked").await;
    fits(&browser, &control, &mut shots, &[("link", "/account/link")]).await;

    // Signed out, the own password says where to go instead.
    click(&browser, "header form button[type=submit]").await;
    wait_for_path(&browser, "/login").await;
    sign_in(&browser, &control, "/login", "chromelink", PASSWORD).await;
    wait_for_text(&browser, "main", "linked to a reseller account").await;
    click(&browser, "#to-linked-login").await;
    wait_for_path(&browser, "/login/linked").await;
    fill(&browser, "#name", &reseller.name).await;
    fill(&browser, "#password", &reseller.password).await;
    click(&browser, "main form button[type=submit]").await;
    wait_for_path(&browser, "/login/code").await;
    fill(&browser, "#code", &next_code(&reseller.secret)).await;
    click(&browser, "main form button[type=submit]").await;
    wait_for_path(&browser, "/hosts").await;
    assert_eq!(text(&browser, "#rsp-label").await, "RSP");
    browser.goto(&control.url("/2fa")).await.unwrap();
    assert!(
        element(&browser, "#reseller-2fa")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    shots.take(&browser, "delegated-2fa").await;

    // Releasing the link asks first; then a mail brings a new password.
    browser.goto(&control.url("/account/link")).await.unwrap();
    click(&browser, "#unlink").await;
    assert_eq!(text(&browser, "#confirm-subject").await, "chromelink");
    click(&browser, "#confirm-submit").await;
    wait_for_text(&browser, "p.notice", "released").await;
    assert!(browser.find(Locator::Css("#rsp-label")).await.is_err());
    let mail = control
        .mail
        .wait_for_containing("chromelink@example.net", "no longer linked")
        .await;
    browser
        .goto(&control.url(&control.path_of(&mail.link().unwrap())))
        .await
        .unwrap();
    fill(&browser, "#password", "chromelink's new password").await;
    click(&browser, "main form button[type=submit]").await;
    // Set, the flow goes on to the (optional) 2FA enrolment, signed in.
    wait_for_path(&browser, "/2fa/enrol").await;
    shots.take(&browser, "new-password-set").await;
    browser.close().await.expect("close the session");
    assert_eq!(shots.count, 5 + 2);
}
