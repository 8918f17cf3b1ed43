//! Operations endpoints: Prometheus metrics, liveness and readiness.

use hickory_proto::rr::RecordType;

use crate::harness::{self, Dnsd, Options, ZONE, metric, query, update};

#[tokio::test]
async fn metrics_count_queries_and_updates_and_probes_answer() {
    let dnsd = Dnsd::start_with(Options {
        extra: "[metrics]\nlisten = \"127.0.0.1:0\"\n".into(),
        ..Options::default()
    });
    let base = format!("http://{}", dnsd.addr("metrics"));
    let client = harness::http_client();
    let host = format!("m.{ZONE}");
    let token = dnsd.add_host(&host, &[]);
    update(&dnsd, &host, &token, &[("myip", "192.0.2.1")]).await;
    update(&dnsd, &host, &token, &[("myip", "192.0.2.1")]).await;
    update(&dnsd, &host, "wrong", &[("myip", "192.0.2.1")]).await;
    for _ in 0..3 {
        harness::udp(dnsd.udp(), &query(&format!("{host}."), RecordType::A));
    }
    harness::udp(dnsd.udp(), &query("nope.dyn.test.", RecordType::A));
    harness::udp(dnsd.udp(), &query("example.org.", RecordType::A));
    harness::tcp(dnsd.tcp(), &query(&format!("{host}."), RecordType::A));

    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        metric(&text, "spdyn_dns_answers_total{rcode=\"noerror\"}"),
        4,
        "3 UDP + 1 TCP"
    );
    assert_eq!(
        metric(&text, "spdyn_dns_answers_total{rcode=\"nxdomain\"}"),
        1
    );
    assert_eq!(
        metric(&text, "spdyn_dns_answers_total{rcode=\"refused\"}"),
        1
    );
    assert_eq!(metric(&text, "spdyn_updates_total{code=\"good\"}"), 1);
    assert_eq!(metric(&text, "spdyn_updates_total{code=\"nochg\"}"), 1);
    assert_eq!(metric(&text, "spdyn_updates_total{code=\"badauth\"}"), 1);
    assert_eq!(metric(&text, "spdyn_store_healthy"), 1);
    assert!(metric(&text, "spdyn_names") >= 4);

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}
