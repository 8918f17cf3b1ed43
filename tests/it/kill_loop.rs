//! Kill loops (issue 21): 100 SIGKILLs, each in the middle of a stream of
//! updates, on a standalone node and on a node following Postgres. After
//! every restart each update answered `good` is answered in DNS and, on the
//! fed node, reaches Postgres: wherever a kill lands, nothing answered `good`
//! is lost.

use std::{
    net::Ipv4Addr,
    sync::{
        Arc,
        atomic::{AtomicU32, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use hickory_proto::rr::RecordType;
use serde_json::json;
use tokio::sync::Notify;

use crate::{
    control_harness::{Api, Control},
    harness::{self, Dnsd, ZONE, resolve, update},
    sync::{eventually, exists, node},
};

const CYCLES: u32 = 100;
const HOSTS: usize = 3;
/// Update `n` of host `h` sets `FIRST + h * PER_HOST + n` (inside
/// 198.18.0.0/15), so the address served tells which update it came from.
const FIRST: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 0);
const PER_HOST: u32 = 40_000;
/// Bound for anything that should take a moment.
const PATIENCE: Duration = Duration::from_secs(20);

/// One host and how far its stream of updates got.
struct Host {
    name: String,
    token: String,
    /// Last update answered `good` (0: none yet).
    good: AtomicU32,
    /// Last update sent; it may have landed without an answer.
    sent: AtomicU32,
    /// Updates answered `good`, and unanswered ones found served after a
    /// restart (evidence that kills land mid-update).
    answered: AtomicU32,
    landed_unanswered: AtomicU32,
}

impl Host {
    fn new(name: String, token: String) -> Arc<Self> {
        Arc::new(Self {
            name,
            token,
            good: AtomicU32::new(0),
            sent: AtomicU32::new(0),
            answered: AtomicU32::new(0),
            landed_unanswered: AtomicU32::new(0),
        })
    }
}

fn address(host: usize, n: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(FIRST) + host as u32 * PER_HOST + n)
}

/// Which update of `host` set `ip`.
fn update_number(host: usize, ip: &str) -> u32 {
    let ip: Ipv4Addr = ip.parse().expect("an IPv4 answer");
    u32::from(ip)
        .checked_sub(u32::from(FIRST) + host as u32 * PER_HOST)
        .filter(|&n| n < PER_HOST)
        .unwrap_or_else(|| panic!("{ip} was never sent for host {host}"))
}

/// Sends updates for `host` one after the other until the node goes away.
/// A complete answer is always `good` (a kill shows as a failed request).
async fn stream(url: String, index: usize, host: Arc<Host>, answered: Arc<(AtomicUsize, Notify)>) {
    let client = harness::http_client();
    loop {
        let n = host.sent.load(Ordering::Relaxed) + 1;
        host.sent.store(n, Ordering::Relaxed);
        let ip = address(index, n).to_string();
        let request = client
            .get(&url)
            .basic_auth(&host.name, Some(&host.token))
            .query(&[("myip", ip.as_str())]);
        let Ok(response) = request.send().await else {
            return;
        };
        let Ok(body) = response.text().await else {
            return;
        };
        assert_eq!(body, format!("good {ip}"), "{}", host.name);
        host.good.store(n, Ordering::Relaxed);
        host.answered.fetch_add(1, Ordering::Relaxed);
        answered.0.fetch_add(1, Ordering::Relaxed);
        answered.1.notify_one();
    }
}

/// One cycle: a stream per host, SIGKILL once `kill_after` updates were
/// answered (others are in flight then), restart. Returns what each host
/// serves in DNS afterwards (nothing: no update of it has landed yet),
/// checked against what was answered and sent.
async fn cycle(dnsd: &mut Dnsd, hosts: &[Arc<Host>], number: u32) -> Vec<Option<Ipv4Addr>> {
    // Kill after 1 to 6 answers, varying from cycle to cycle.
    let kill_after = 1 + (number as usize * 7) % (2 * HOSTS);
    let answered = Arc::new((AtomicUsize::new(0), Notify::new()));
    let url = dnsd.update_url();
    let streams: Vec<_> = hosts
        .iter()
        .enumerate()
        .map(|(i, host)| tokio::spawn(stream(url.clone(), i, host.clone(), answered.clone())))
        .collect();
    while answered.0.load(Ordering::Relaxed) < kill_after {
        tokio::time::timeout(PATIENCE, answered.1.notified())
            .await
            .unwrap_or_else(|_| {
                panic!("cycle {number}: no updates answered:\n{}", dnsd.log_text())
            });
    }
    dnsd.kill9();
    for stream in streams {
        stream.await.expect("update stream");
    }
    dnsd.start_again();

    let mut served = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        let ips = resolve(dnsd, &host.name, RecordType::A);
        // Hosts start without an address: in the first cycles a host whose
        // stream got no answer before the kill may still have none.
        let n = match ips.as_slice() {
            [] => 0,
            [ip] => update_number(i, ip),
            _ => panic!("cycle {number}: {} answers {ips:?}", host.name),
        };
        let (good, sent) = (
            host.good.load(Ordering::Relaxed),
            host.sent.load(Ordering::Relaxed),
        );
        assert!(
            good <= n && n <= sent,
            "cycle {number}: {} serves update {n}; last answered good {good}, last sent {sent}",
            host.name
        );
        if n > good {
            host.landed_unanswered.fetch_add(1, Ordering::Relaxed);
        }
        // From now on the node must never serve less than this.
        host.good.store(n, Ordering::Relaxed);
        served.push((n > 0).then(|| address(i, n)));
    }
    served
}

/// What the loop did, for the test's output.
fn summary(hosts: &[Arc<Host>]) -> String {
    let sum = |field: fn(&Host) -> &AtomicU32| {
        hosts
            .iter()
            .map(|host| field(host).load(Ordering::Relaxed))
            .sum::<u32>()
    };
    format!(
        "{} updates answered good, {} unanswered ones landed",
        sum(|host| &host.answered),
        sum(|host| &host.landed_unanswered)
    )
}

/// After the loop the node still takes updates and answers them.
async fn still_works(dnsd: &Dnsd, hosts: &[Arc<Host>]) {
    for (i, host) in hosts.iter().enumerate() {
        let ip = address(i, host.sent.load(Ordering::Relaxed) + 1).to_string();
        let answer = update(dnsd, &host.name, &host.token, &[("myip", &ip)]).await;
        assert_eq!(answer.body, format!("good {ip}"));
        assert_eq!(resolve(dnsd, &host.name, RecordType::A), vec![ip]);
    }
}

#[tokio::test]
async fn a_hundred_kills_of_a_standalone_node_lose_no_good_update() {
    let mut dnsd = Dnsd::start();
    let hosts: Vec<_> = (0..HOSTS)
        .map(|i| {
            let name = format!("kl{i}.{ZONE}");
            let token = dnsd.add_host(&name, &[]);
            Host::new(name, token)
        })
        .collect();
    let started = Instant::now();
    for n in 1..=CYCLES {
        cycle(&mut dnsd, &hosts, n).await;
    }
    eprintln!(
        "{CYCLES} kill cycles (standalone): {:?}; {}",
        started.elapsed(),
        summary(&hosts)
    );
    still_works(&dnsd, &hosts).await;
}

#[tokio::test]
async fn a_hundred_kills_of_a_fed_node_lose_no_good_update_and_postgres_gets_each() {
    let control = Control::start().await;
    let api = control
        .api_user("killer", &["hosts:read", "hosts:write", "tokens:write"])
        .await;
    let mut hosts = Vec::new();
    for i in 0..HOSTS {
        let (name, token) = host_with_token(&api, &format!("kl{i}")).await;
        hosts.push(Host::new(name, token));
    }
    let mut dnsd = node(control.database_url.as_deref().expect("database"));
    for host in &hosts {
        eventually("the host on the node", || exists(&dnsd, &host.name)).await;
    }
    let db = control.db().await;
    let names: Vec<String> = hosts.iter().map(|host| host.name.clone()).collect();
    let started = Instant::now();
    for n in 1..=CYCLES {
        let served = cycle(&mut dnsd, &hosts, n).await;
        // What the node serves (at least the last `good`) reaches Postgres
        // through the outbox.
        let waited = Instant::now();
        loop {
            let rows: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT name, host(ipv4) FROM hosts WHERE name = ANY($1)")
                    .bind(&names)
                    .fetch_all(&db)
                    .await
                    .expect("read hosts");
            let behind: Vec<_> = hosts
                .iter()
                .zip(&served)
                .filter(|(host, ip)| {
                    !rows.iter().any(|(name, stored)| {
                        *name == host.name && *stored == ip.map(|ip| ip.to_string())
                    })
                })
                .map(|(host, ip)| format!("{} (node serves {ip:?})", host.name))
                .collect();
            if behind.is_empty() {
                break;
            }
            assert!(
                waited.elapsed() < PATIENCE,
                "cycle {n}: Postgres is behind for {behind:?}: {rows:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    eprintln!(
        "{CYCLES} kill cycles (fed): {:?}; {}",
        started.elapsed(),
        summary(&hosts)
    );
    still_works(&dnsd, &hosts).await;
}

/// Creates `label` in control with a token; returns (fqdn, token).
async fn host_with_token(api: &Api, label: &str) -> (String, String) {
    let id = api.create_host(label).await;
    let answer = api.post(&format!("/hosts/{id}/token"), json!({})).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let token = answer.body["token"].as_str().expect("token").to_owned();
    (format!("{label}.{ZONE}"), token)
}
