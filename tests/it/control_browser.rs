//! The portal in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, started here). Signs in, creates a host and a token, and
//! finds it listed; enrols in 2FA by reading the secret from the page, signs
//! out and in again with password and code. A screenshot of every step lands
//! in target/test-artifacts/control-browser*/ for a person to look at.

use std::{
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
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
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

    browser.close().await.expect("close the session");
    assert_eq!(shots.count, 6);
}

/// Types `text` into the element `css`.
async fn fill(browser: &Client, css: &str, text: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .send_keys(text)
        .await
        .expect("type");
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .click()
        .await
        .expect("click");
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

    browser.goto(&control.url("/login")).await.expect("open");
    fill(&browser, "#name", "totp-person").await;
    fill(&browser, "#password", PASSWORD).await;
    click(&browser, "main form button[type=submit]").await;
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
    // Read the secret from the page, as a person types it into an app.
    let secret = browser
        .find(Locator::Css("#totp-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(secret.len(), 32, "{secret}");
    shots.take(&browser, "enrolment-qr-code").await;
    fill(&browser, "#code", &oathtool(&secret, None)).await;
    click(&browser, "#enrol-confirm").await;
    let codes = browser
        .wait()
        .for_element(Locator::Css("#recovery-codes"))
        .await
        .expect("recovery codes")
        .text()
        .await
        .unwrap();
    assert_eq!(codes.lines().count(), 10, "{codes}");
    shots.take(&browser, "recovery-codes").await;

    click(&browser, "header form button[type=submit]").await;
    wait_for_path(&browser, "/login").await;
    fill(&browser, "#name", "totp-person").await;
    fill(&browser, "#password", PASSWORD).await;
    click(&browser, "main form button[type=submit]").await;
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
