//! Nothing answered `good` is lost: SIGKILL right after the answer, restart,
//! and the new address is served; a restart serves exactly what was there.

use hickory_proto::rr::RecordType;

use crate::harness::{Dnsd, ZONE, resolve, update};

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
