//! How much memory the in-memory index takes per host, without sled or
//! anything else: builds the index for N hosts (A for each, AAAA for every
//! second, names like the benchmark's) and reports resident memory.
//!
//! Run: `cargo bench -p dnsd --bench memory` (N = 100,000 and 1,000,000).

use dnsd::{config::ZoneConfig, names::Fqdn, store::HostRecord, store::Index, zone::Zone};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let cfg: ZoneConfig = toml::from_str(
        r#"
        name = "bench.example"
        ns = ["ns1.bench.example."]
        hostmaster = "hostmaster.bench.example"
        "#,
    )
    .expect("zone");
    for hosts in [100_000u32, 1_000_000] {
        let before = rss_kib();
        let index = Index::new(vec![Zone::from_config(&cfg).expect("zone")]);
        for i in 0..hosts {
            let name = Fqdn::parse(&format!("h{i}.bench.example")).expect("name");
            let mut host = HostRecord::new(&name, None, 60, 0);
            host.ipv4 = Some(std::net::Ipv4Addr::from(0x6440_0000 + i));
            if i % 2 == 0 {
                host.ipv6 = Some(std::net::Ipv6Addr::from(
                    0x2001_0db8_u128 << 96 | u128::from(i),
                ));
            }
            index.apply_host(&host);
        }
        let after = rss_kib();
        println!(
            "{hosts} hosts: index {} KiB = {:.0} bytes per host",
            after - before,
            (after - before) as f64 * 1024.0 / f64::from(hosts)
        );
        drop(index);
    }
}
