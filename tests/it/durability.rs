//! Nothing answered `good` is lost: SIGKILL right after the answer, restart,
//! and the new address is served; a restart serves exactly what was there,
//! and a clean stop's host snapshot is used only while it is current.

use hickory_proto::rr::RecordType;

use std::process::Command;

use crate::harness::{Dnsd, Options, ZONE, resolve, update};

#[tokio::test]
async fn good_survives_sigkill() {
    let mut dnsd = Dnsd::start();
    let host = format!("crash.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    let mut last = String::new();
    for i in 1..=20 {
        last = format!("192.0.2.{i}");
        let answer = update(&dnsd, &host, &token, &[("myip", &last)]).await;
        assert_eq!(answer.body, format!("good {last}"));
    }
    dnsd.kill9();
    dnsd.restart();
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec![last.clone()]);
    // The token (stored as a hash) still works after the restart.
    let answer = update(&dnsd, &host, &token, &[("myip", &last)]).await;
    assert_eq!(answer.body, format!("nochg {last}"));
}

#[tokio::test]
async fn concurrent_updates_are_all_durable_across_a_kill() {
    let mut dnsd = Dnsd::start();
    let mut hosts = Vec::new();
    for i in 0..20 {
        let host = format!("c{i}.{ZONE}");
        let token = dnsd.add_host(&host, &[]);
        hosts.push((host, token));
    }
    let mut tasks = Vec::new();
    for (i, (host, token)) in hosts.iter().enumerate() {
        let url = dnsd.update_url();
        let (host, token) = (host.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let ip = format!("198.51.100.{}", i + 1);
            let body = crate::harness::http_client()
                .get(url)
                .basic_auth(&host, Some(&token))
                .query(&[("myip", ip.as_str())])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            (host, ip, body)
        }));
    }
    let mut answered = Vec::new();
    for task in tasks {
        answered.push(task.await.unwrap());
    }
    dnsd.kill9();
    dnsd.restart();
    for (host, ip, body) in answered {
        assert_eq!(body, format!("good {ip}"));
        assert_eq!(resolve(&dnsd, &host, RecordType::A), vec![ip]);
    }
    // Zone data from the config is back too.
    assert_eq!(
        resolve(&dnsd, &format!("ns1.{ZONE}"), RecordType::A),
        vec!["192.0.2.53"]
    );
}

/// A small tmpfs that can be filled; unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    /// `None` when this machine does not let us mount (not root, no CAP_SYS_ADMIN).
    fn mount() -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(dir.path())
            .status()
            .ok()?;
        status.success().then_some(Self(dir))
    }

    fn fill(&self) {
        // dd stops with "No space left on device", which is the point.
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=64k"])
            .arg(format!("of={}", self.0.path().join("fill").display()))
            .output();
    }

    fn free(&self) {
        std::fs::remove_file(self.0.path().join("fill")).expect("remove fill");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[tokio::test]
async fn a_full_disk_answers_dnserr_then_911_and_recovers_after_restart() {
    let Some(disk) = SmallDisk::mount() else {
        crate::harness::skip("cannot mount a tmpfs here (needs root)");
        return;
    };
    let mut dnsd = Dnsd::start_with(Options {
        store_path: Some(disk.0.path().join("state")),
        extra: "[metrics]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Options::default()
    });
    let host = format!("full.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    assert_eq!(
        update(&dnsd, &host, &token, &[("myip", "192.0.2.1")])
            .await
            .body,
        "good 192.0.2.1"
    );
    disk.fill();
    // Commits go on while they fit into the journal's zero-filled chunk
    // (1 MiB, some thousand updates); the first that needs more space fails.
    let mut last_good = "192.0.2.1".to_owned();
    let mut failed_with = None;
    for i in 2..=50_000 {
        let ip = format!("192.0.2.{}", 2 + i % 2);
        let answer = update(&dnsd, &host, &token, &[("myip", &ip)]).await;
        if answer.body == format!("good {ip}") {
            last_good = ip;
            continue;
        }
        failed_with = Some((ip, answer.body));
        break;
    }
    let (failed_ip, body) = failed_with.expect("a full disk must make an update fail");
    // Usually the update that needs more space fails (`dnserr`); sometimes
    // sled's background flush meets the full disk first, between two
    // updates, and the store has failed before the next one (`911`). Either
    // way the update is refused and nothing of it is applied.
    assert!(body == "dnserr" || body == "911", "a refusal, not {body:?}");
    assert_eq!(
        resolve(&dnsd, &host, RecordType::A),
        vec![last_good.clone()],
        "DNS keeps the last durable answer"
    );

    // sled's I/O errors are sticky: until a restart every change is refused
    // up front with `911` (retry later), while DNS keeps serving.
    let again = update(&dnsd, &host, &token, &[("myip", &failed_ip)]).await;
    assert_eq!(again.body, "911");
    let readyz = format!("http://{}/readyz", dnsd.addr("metrics"));
    let ready = crate::harness::http_client()
        .get(&readyz)
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503, "not ready while the store has failed");
    assert_eq!(
        resolve(&dnsd, &host, RecordType::A),
        vec![last_good.clone()]
    );

    disk.free();
    dnsd.restart();
    assert_eq!(
        resolve(&dnsd, &host, RecordType::A),
        vec![last_good],
        "restart serves what was durable"
    );
    // The refused change was not applied: retrying it is a change, not `nochg`.
    let retry = update(&dnsd, &host, &token, &[("myip", &failed_ip)]).await;
    assert_eq!(retry.body, format!("good {failed_ip}"));
    assert_eq!(resolve(&dnsd, &host, RecordType::A), vec![failed_ip]);
    drop(dnsd);
}

/// The last "store loaded" line: how the latest start filled its index.
fn last_load(dnsd: &Dnsd) -> String {
    dnsd.log_text()
        .lines()
        .rfind(|line| line.contains("store loaded"))
        .expect("a store loaded line")
        .to_owned()
}

#[tokio::test]
async fn a_clean_stop_restarts_from_the_host_snapshot_but_never_from_a_stale_one() {
    let mut dnsd = Dnsd::start();
    let mut hosts = Vec::new();
    for i in 1..=30 {
        let host = format!("snap{i}.{ZONE}");
        let token = dnsd.add_host(&host, &[]);
        let ip = format!("192.0.2.{i}");
        let answer = update(&dnsd, &host, &token, &[("myip", &ip)]).await;
        assert_eq!(answer.body, format!("good {ip}"));
        hosts.push((host, token, ip));
    }
    let serves_all = |dnsd: &Dnsd, hosts: &[(String, String, String)]| {
        for (host, _, ip) in hosts {
            assert_eq!(
                resolve(dnsd, host, RecordType::A),
                vec![ip.clone()],
                "{host}"
            );
        }
    };

    dnsd.stop();
    let snapshot = dnsd.dir.path().join("state/spdyn-hosts.snap");
    assert!(snapshot.exists(), "a clean stop writes the host snapshot");
    dnsd.start_again();
    assert!(
        last_load(&dnsd).contains("from_snapshot=true"),
        "{}",
        last_load(&dnsd)
    );
    serves_all(&dnsd, &hosts);

    // A change after a start from the snapshot, then a crash: the snapshot
    // lacks the change, so the next start must read sled.
    let (host, token, ip) = &mut hosts[0];
    *ip = "198.51.100.7".into();
    let answer = update(&dnsd, host, token, &[("myip", ip)]).await;
    assert_eq!(answer.body, format!("good {ip}"));
    dnsd.kill9();
    dnsd.start_again();
    assert!(
        last_load(&dnsd).contains("from_snapshot=false"),
        "{}",
        last_load(&dnsd)
    );
    serves_all(&dnsd, &hosts);

    // A damaged snapshot is noticed and ignored.
    dnsd.stop();
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&snapshot, bytes).unwrap();
    dnsd.start_again();
    assert!(
        last_load(&dnsd).contains("from_snapshot=false"),
        "{}",
        last_load(&dnsd)
    );
    assert!(dnsd.log_text().contains("missing or damaged"));
    serves_all(&dnsd, &hosts);
    let (host, token, ip) = &hosts[1];
    let answer = update(&dnsd, host, token, &[("myip", ip)]).await;
    assert_eq!(
        answer.body,
        format!("nochg {ip}"),
        "tokens survive every kind of start"
    );
}
