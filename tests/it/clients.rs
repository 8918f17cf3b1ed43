//! Real dyndns clients against the update endpoint: curl, ddclient (dyndns2
//! protocol) and inadyn (a `custom` provider, which speaks HTTP/1.0).

use std::{os::unix::fs::PermissionsExt, process::Command};

use hickory_proto::rr::RecordType;

use crate::harness::{self, Dnsd, ZONE, resolve};

#[tokio::test]
async fn curl_with_basic_auth_and_with_query_credentials() {
    if !harness::require("curl") {
        return;
    }
    let dnsd = Dnsd::start();
    let host = format!("curl.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    let basic = harness::run(Command::new("curl").args([
        "-sS",
        "-u",
        &format!("{host}:{token}"),
        &format!("{}?hostname={host}&myip=192.0.2.140", dnsd.update_url()),
    ]));
    assert_eq!(basic, "good 192.0.2.140");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["192.0.2.140"]);
    let query = harness::run(Command::new("curl").args([
        "-sS",
        "--http1.0",
        &format!(
            "http://{}/nic/update?hostname={host}&user={host}&pass={token}&myip=2001:db8::140",
            dnsd.http()
        ),
    ]));
    assert_eq!(query, "good 192.0.2.140,2001:db8::140");
    assert_eq!(
        resolve(&dnsd, &host, RecordType::AAAA),
        vec!["2001:db8::140"]
    );
}

#[tokio::test]
async fn ddclient_updates_a_host_with_the_dyndns2_protocol() {
    if !harness::require("ddclient") {
        return;
    }
    let dnsd = Dnsd::start();
    let host = format!("ddclient.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    let conf = dnsd.dir.path().join("ddclient.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon=0\nssl=no\nprotocol=dyndns2\nserver={}\nlogin={host}\npassword='{token}'\n{host}\n",
            dnsd.http()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = Command::new("ddclient")
        .args([
            "-foreground",
            "-daemon=0",
            "-verbose",
            "-noquiet",
            "-use=ip",
            "-ip=198.51.100.150",
        ])
        .arg("-file")
        .arg(&conf)
        .arg("-cache")
        .arg(dnsd.dir.path().join("ddclient.cache"))
        .output()
        .expect("run ddclient");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(log.contains("SUCCESS"), "ddclient did not succeed:\n{log}");
    assert!(log.contains("good"), "{log}");
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["198.51.100.150"]);
}

#[tokio::test]
async fn inadyn_updates_a_host_with_a_custom_provider() {
    if !harness::require("inadyn") {
        return;
    }
    let dnsd = Dnsd::start();
    let host = format!("inadyn.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    let conf = dnsd.dir.path().join("inadyn.conf");
    // inadyn refuses loopback addresses from a checkip server as "not a valid
    // Internet address", so the address comes from a command here.
    std::fs::write(
        &conf,
        format!(
            r#"custom spdyn {{
    username = {host}
    password = {token}
    ddns-server = {server}
    ddns-path = "/nic/update?hostname=%h&myip=%i"
    hostname = {host}
    ssl = false
    checkip-command = "/bin/echo 198.51.100.160"
}}
"#,
            server = dnsd.http()
        ),
    )
    .unwrap();
    let output = Command::new("inadyn")
        .args(["--once", "--foreground", "--no-pidfile", "-l", "info"])
        .arg("-f")
        .arg(&conf)
        .arg("--cache-dir")
        .arg(dnsd.dir.path().join("inadyn-cache"))
        .output()
        .expect("run inadyn");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        log.contains("Successful alias table update"),
        "inadyn failed:\n{log}"
    );
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec!["198.51.100.160"]);
}
