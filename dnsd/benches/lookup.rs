//! Where should answers come from: the in-memory index or sled? Measures one
//! lookup of a random existing host both ways over 100,000 hosts, and what
//! response rate limiting adds to each answer.
//!
//! Run: `cargo bench -p dnsd --bench lookup` (prints ns per lookup).

use std::{hint::black_box, time::Instant};

use dnsd::{
    config::{RrlConfig, ZoneConfig},
    dns::{
        resolve::{Resolution, resolve},
        rrl::{Rrl, Slipper, Verdict},
    },
    names::Fqdn,
    store::{HostRecord, Store},
    zone::Zone,
};

const HOSTS: usize = 100_000;
const LOOKUPS: usize = 1_000_000;

fn main() {
    let dir = std::env::temp_dir().join(format!("spdyn-lookup-bench-{}", std::process::id()));
    let zone_cfg: ZoneConfig = toml::from_str(
        r#"
        name = "dyn.bench"
        ns = ["ns1.dyn.bench."]
        hostmaster = "hostmaster.dyn.bench"
        "#,
    )
    .expect("zone");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store = Store::open(
        &dir,
        64,
        vec![Zone::from_config(&zone_cfg).expect("zone")],
        false,
        Default::default(),
    )
    .expect("store");
    let names: Vec<Fqdn> = (0..HOSTS)
        .map(|i| Fqdn::parse(&format!("h{i}.dyn.bench")).expect("name"))
        .collect();
    for chunk in names.chunks(10_000) {
        let chunk = chunk.to_vec();
        runtime
            .block_on(store.transact(move |txn| {
                for (i, name) in chunk.iter().enumerate() {
                    let mut host = HostRecord::new(name, None, 60, 0);
                    host.ipv4 = Some(std::net::Ipv4Addr::from(0xC000_0200 + i as u32));
                    txn.put_host(host);
                }
            }))
            .expect("load");
    }
    let keys: Vec<Vec<u8>> = names.iter().map(Fqdn::key).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let order: Vec<usize> = (0..LOOKUPS)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % HOSTS as u64) as usize
        })
        .collect();

    let index = store.index().clone();
    let started = Instant::now();
    let mut found = 0usize;
    for &i in &order {
        let view = index.view();
        if let Resolution::Found { .. } = resolve(&view, &keys[i], 1) {
            found += 1;
        }
    }
    let memory_ns = started.elapsed().as_nanos() as f64 / LOOKUPS as f64;
    assert_eq!(found, LOOKUPS);

    // Every answer accounted from one source, at limits it never reaches;
    // the clock read once per batch of 32, as the UDP workers do.
    let rrl = Rrl::new(&RrlConfig {
        rate: RrlConfig::MAX_RATE,
        ..RrlConfig::default()
    });
    let (peer, mut slipper) = ("192.0.2.1".parse().expect("ip"), Slipper::default());
    let view = index.view();
    let answers: Vec<_> = order
        .iter()
        .map(|&i| (&keys[i][..], resolve(&view, &keys[i], 1)))
        .collect();
    let started = Instant::now();
    for batch in answers.chunks(32) {
        let now = rrl.now();
        for (qname, resolution) in batch {
            let verdict = rrl.judge(now, peer, qname, resolution, 60, &mut slipper);
            assert_eq!(verdict, Verdict::Answer);
        }
    }
    let rrl_ns = started.elapsed().as_nanos() as f64 / LOOKUPS as f64;
    drop(answers);
    drop(view);

    let started = Instant::now();
    for &i in &order {
        black_box(store.host(&names[i]).expect("read").expect("host"));
    }
    let sled_ns = started.elapsed().as_nanos() as f64 / LOOKUPS as f64;

    println!("lookup of a random host among {HOSTS} ({LOOKUPS} lookups):");
    println!("  in-memory index (resolve)  {memory_ns:8.0} ns");
    println!("  rate limiting of an answer {rrl_ns:8.0} ns");
    println!("  sled get + decode          {sled_ns:8.0} ns");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
