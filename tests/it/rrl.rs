//! Response rate limiting over real sockets. Every 127/8 address is ours on
//! Linux loopback, so sockets bound to 127.0.0.11–20 play a spoofed flood
//! from one /24 and 127.0.1.1 a resolver in another /24.

use std::{
    net::{SocketAddr, UdpSocket},
    time::{Duration, Instant},
};

use hickory_proto::{
    op::Message,
    rr::{Name, RData, Record, RecordType, rdata::A},
};

use crate::harness::{self, Dnsd, Options, metrics_text, query, query_edns};

/// Answers per second per bucket in these tests; with `burst_secs = 1` a
/// full bucket holds as many.
const RATE: usize = 20;
const LARGE_RATE: usize = 5;
const ROUNDS: usize = 10;
const PER_ROUND: usize = 50;
const PATIENCE: Duration = Duration::from_secs(20);

fn rrl_dnsd(extra: &str) -> Dnsd {
    Dnsd::start_with(Options {
        extra: format!(
            "[dns.rrl]\nrate = {RATE}\nlarge_rate = {LARGE_RATE}\nburst_secs = 1\n{extra}\n\
             [metrics]\nlisten = \"127.0.0.1:0\"\n"
        ),
        ..Options::default()
    })
}

/// Sum of every series of `name` (all labels).
fn total(text: &str, name: &str) -> usize {
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<usize>().ok())
        .sum()
}

/// What the flooding sources got back.
struct Flood {
    sent: usize,
    /// Whole answers (TC clear).
    full: Vec<Message>,
    /// Slipped answers, raw.
    truncated: Vec<Vec<u8>>,
    /// The other /24's answers, one per round.
    other: Vec<Message>,
    /// From the first query to the last answer.
    elapsed: Duration,
}

/// Sends `ROUNDS` × `PER_ROUND` copies of `packet` from ten addresses of
/// 127.0.0.0/24, and one from 127.0.1.1 per round. After each round it
/// reads answers until every query was answered or counted as dropped.
async fn flood(dnsd: &Dnsd, packet: &[u8]) -> Flood {
    let server = dnsd.udp();
    let sources: Vec<UdpSocket> = (11..=20)
        .map(|i| {
            let socket = UdpSocket::bind(format!("127.0.0.{i}:0")).expect("bind in 127.0.0.0/24");
            socket.set_nonblocking(true).expect("nonblocking");
            socket
        })
        .collect();
    let other = UdpSocket::bind("127.0.1.1:0").expect("bind 127.0.1.1");
    other
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let mut out = Flood {
        sent: 0,
        full: Vec::new(),
        truncated: Vec::new(),
        other: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let started = Instant::now();
    let mut packet = packet.to_vec();
    for _ in 0..ROUNDS {
        for n in 0..PER_ROUND {
            packet[..2].copy_from_slice(&(out.sent as u16).to_be_bytes());
            sources[n % sources.len()]
                .send_to(&packet, server)
                .expect("send");
            out.sent += 1;
        }
        out.other.push(ask(&other, server, &packet));
        collect(dnsd, &sources, &mut out).await;
    }
    out.elapsed = started.elapsed();
    out
}

fn ask(socket: &UdpSocket, server: SocketAddr, packet: &[u8]) -> Message {
    socket.send_to(packet, server).expect("send");
    let mut buf = vec![0u8; 65535];
    let (len, _) = socket
        .recv_from(&mut buf)
        .expect("the other /24 is answered");
    Message::from_vec(&buf[..len]).expect("decode")
}

/// Reads answers from the flooding sockets until answers and the drops the
/// server counted (the other /24 is never dropped) make up every query.
async fn collect(dnsd: &Dnsd, sources: &[UdpSocket], out: &mut Flood) {
    let deadline = Instant::now() + PATIENCE;
    let mut buf = vec![0u8; 65535];
    loop {
        for socket in sources {
            while let Ok(len) = socket.recv(&mut buf) {
                let answer = Message::from_vec(&buf[..len]).expect("decode");
                if answer.metadata.truncation {
                    out.truncated.push(buf[..len].to_vec());
                } else {
                    out.full.push(answer);
                }
            }
        }
        let dropped = total(&metrics_text(dnsd).await, "spdyn_dns_rrl_dropped_total");
        let answered = out.full.len() + out.truncated.len();
        if answered + dropped >= out.sent {
            assert_eq!(answered + dropped, out.sent, "one answer or drop per query");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{answered} answered + {dropped} dropped of {} queries",
            out.sent
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Most answers a bucket of `rate` may have given over `elapsed`: the
/// burst (one second's worth) plus the refill over `elapsed` rounded up to
/// whole seconds. The time is measured, not assumed.
fn allowance(rate: usize, elapsed: Duration) -> usize {
    rate * (1 + elapsed.as_secs() as usize + 1)
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[tokio::test]
async fn a_flood_from_one_prefix_is_cut_to_the_limit_with_slipped_answers_while_others_are_answered()
 {
    let dnsd = rrl_dnsd("slip = 2");
    let question = query("ns1.dyn.test.", RecordType::A);
    let result = flood(&dnsd, &question.to_vec().unwrap()).await;

    let limit = allowance(RATE, result.elapsed);
    assert!(result.sent > limit, "the flood outruns the limit");
    let full = result.full.len();
    assert!(
        (RATE..=limit).contains(&full),
        "{full} whole answers: the burst of {RATE}, then {RATE}/s over {:?}",
        result.elapsed
    );
    for answer in &result.full {
        assert_eq!(harness::answer_ips(answer), vec!["192.0.2.53"]);
    }
    // Every second limited answer slips (per worker thread), as header and
    // question with TC, so a real resolver comes back over TCP.
    let limited = result.sent - full;
    let slipped = result.truncated.len();
    assert!(
        2 * slipped <= limited && limited - 2 * slipped <= workers(),
        "{slipped} slipped of {limited} limited"
    );
    for raw in &result.truncated {
        let answer = Message::from_vec(raw).unwrap();
        assert!(answer.answers.is_empty() && answer.authorities.is_empty());
        assert_eq!(answer.queries, question.queries, "the question is echoed");
        assert_eq!(
            raw.len(),
            question.to_vec().unwrap().len(),
            "no amplification"
        );
    }
    // The other /24 was answered in full all along, and TCP from the limited
    // prefix (the loopback source 127.0.0.1) is never limited.
    assert_eq!(result.other.len(), ROUNDS);
    for answer in &result.other {
        assert!(!answer.metadata.truncation);
        assert_eq!(harness::answer_ips(answer), vec!["192.0.2.53"]);
    }
    let tcp = harness::tcp(dnsd.tcp(), &question);
    assert_eq!(harness::answer_ips(&tcp), vec!["192.0.2.53"]);

    let text = metrics_text(&dnsd).await;
    let series = |name: &str| harness::metric(&text, &format!("{name}{{class=\"positive\"}}"));
    assert_eq!(series("spdyn_dns_rrl_slipped_total") as usize, slipped);
    assert_eq!(
        series("spdyn_dns_rrl_dropped_total") as usize,
        limited - slipped
    );
    assert_eq!(series("spdyn_dns_rrl_dry_run_total"), 0);
    assert_eq!(
        total(&text, "spdyn_dns_answers_total") + total(&text, "spdyn_dns_rrl_dropped_total"),
        result.sent + ROUNDS + 1,
        "every query sent or dropped once (the flood, the other /24, TCP)"
    );
}

/// With `slip = 1`: the flood of queries for `big.dyn.test` TXT got the
/// large-answer allowance in full (two records each) and a slipped answer
/// for every other query.
fn assert_large_answers_cut_and_the_rest_slipped(result: &Flood) {
    let full = result.full.len();
    let limit = allowance(LARGE_RATE, result.elapsed);
    assert!(
        (LARGE_RATE..=limit).contains(&full),
        "{full} large answers over {:?}",
        result.elapsed
    );
    assert!(result.full.iter().all(|answer| answer.answers.len() == 2));
    assert_eq!(
        full + result.truncated.len(),
        result.sent,
        "slip = 1: all slip"
    );
}

#[tokio::test]
async fn large_answers_are_limited_per_prefix_and_slip_no_bigger_than_the_query() {
    let dnsd = rrl_dnsd("slip = 1");
    // Two TXT records of ~460 bytes each: ~960 bytes for a 41-byte query.
    let question = query_edns("big.dyn.test.", RecordType::TXT, 4096);
    let packet = question.to_vec().unwrap();
    let result = flood(&dnsd, &packet).await;

    assert_large_answers_cut_and_the_rest_slipped(&result);
    for raw in &result.truncated {
        assert_eq!(raw.len(), packet.len(), "header, question and OPT only");
    }
    // 127.0.1.1 has a bucket of its own: the flood did not spend it.
    let (other_full, other_slipped): (Vec<_>, Vec<_>) = result
        .other
        .iter()
        .partition(|answer| !answer.metadata.truncation);
    assert!(other_full.len() >= LARGE_RATE, "{} whole", other_full.len());
    let text = metrics_text(&dnsd).await;
    assert_eq!(
        harness::metric(&text, "spdyn_dns_rrl_slipped_total{class=\"large\"}") as usize,
        result.truncated.len() + other_slipped.len()
    );
}

#[tokio::test]
async fn queries_for_the_full_path_are_limited_alike() {
    let dnsd = rrl_dnsd("slip = 1");
    // A record in the additional section beside the OPT sends a query down
    // the full (hickory) path, which answers it in full just the same.
    let mut question = query_edns("big.dyn.test.", RecordType::TXT, 4096);
    let address = RData::A(A::new(192, 0, 2, 1));
    question.add_additional(Record::from_rdata(Name::root(), 0, address));
    let packet = question.to_vec().unwrap();
    let result = flood(&dnsd, &packet).await;

    assert_large_answers_cut_and_the_rest_slipped(&result);
    for raw in &result.truncated {
        let answer = Message::from_vec(raw).unwrap();
        assert_eq!(answer.queries, question.queries, "the question is echoed");
        assert!(raw.len() < packet.len(), "header and question only");
    }
    let text = metrics_text(&dnsd).await;
    let slow = harness::metric(&text, "spdyn_dns_slow_path_total") as usize;
    assert_eq!(slow, result.sent + ROUNDS, "all of them took the full path");
}

#[tokio::test]
async fn dry_run_answers_everything_and_counts_what_it_would_limit() {
    let dnsd = rrl_dnsd("dry_run = true");
    let question = query("ns1.dyn.test.", RecordType::A);
    let result = flood(&dnsd, &question.to_vec().unwrap()).await;

    assert_eq!(result.full.len(), result.sent, "every query answered whole");
    assert!(result.truncated.is_empty());
    let text = metrics_text(&dnsd).await;
    let would = harness::metric(&text, "spdyn_dns_rrl_dry_run_total{class=\"positive\"}") as usize;
    let limit = allowance(RATE, result.elapsed);
    assert!(
        would >= result.sent - limit && would <= result.sent - RATE,
        "{would} of {} over the limit",
        result.sent
    );
    assert_eq!(total(&text, "spdyn_dns_rrl_dropped_total"), 0);
    assert_eq!(total(&text, "spdyn_dns_rrl_slipped_total"), 0);
}
