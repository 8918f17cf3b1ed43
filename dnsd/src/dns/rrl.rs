//! Response rate limiting (RRL) of fast-path UDP answers: a token bucket per
//! source prefix and answer class in one fixed table of atomic slots shared
//! by every UDP worker, so a spoofed flood cannot turn this server into an
//! amplifier aimed at its victim.
//!
//! Each slot is one `u64`: 16 bits of the key's hash (to tell keys apart)
//! and 48 bits of the bucket as GCRA state, the "theoretical arrival time"
//! in microseconds: the bucket is full when it lies in the past, and an
//! answer fits when, moved on by one interval, it lies no further ahead than
//! the burst. A key may use either slot of a pair. Taking an answer is one
//! compare-and-swap; no lock, no allocation, memory fixed at start.

use std::{
    hash::{BuildHasher, Hasher},
    net::IpAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use super::{
    resolve::Resolution,
    wire::{RCODE_NOERROR, RCODE_NXDOMAIN},
};
use crate::{
    config::RrlConfig,
    metrics::{Limited, RrlClass},
};

const MICROS_PER_SEC: u64 = 1_000_000;
const TIME_BITS: u32 = 48;
const TIME_MASK: u64 = (1 << TIME_BITS) - 1;
/// How far two workers' clocks may disagree (each reads it once per batch).
/// A bucket further ahead than its burst plus this is from before the 48-bit
/// clock wrapped (after 8.9 years) and counts as empty.
const CLOCK_SKEW: u64 = MICROS_PER_SEC;
const CLASSES: usize = 5;

/// A rate as GCRA parameters in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limit {
    /// Time one answer costs: 1 s / rate.
    interval: u64,
    /// How far ahead of now a bucket may run: the burst.
    burst: u64,
}

impl Limit {
    fn new(rate: u32, burst_secs: u32) -> Option<Self> {
        (rate > 0).then(|| Self {
            interval: MICROS_PER_SEC / u64::from(rate),
            burst: u64::from(burst_secs) * MICROS_PER_SEC,
        })
    }
}

/// What one answer does to its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Within the limit: store this slot value.
    Take(u64),
    /// Another key's bucket, still in use: answer without accounting rather
    /// than evict it (an evicted flood would start with a full bucket).
    Pass,
    /// Over the limit; the slot stays as it is.
    Limit,
}

/// The bucket arithmetic, with the time as a parameter.
fn step(slot: u64, tag: u64, now: u64, limit: Limit) -> Step {
    let (slot_tag, due) = (slot >> TIME_BITS, slot & TIME_MASK);
    let stale = due > now + limit.burst + CLOCK_SKEW;
    let due = if slot_tag == tag && !stale {
        due.max(now)
    } else if due <= now || stale {
        now // empty, or idle long enough to be full again: claim it
    } else {
        return Step::Pass;
    };
    let next = due + limit.interval;
    if next - now > limit.burst {
        Step::Limit
    } else {
        Step::Take((tag << TIME_BITS) | (next & TIME_MASK))
    }
}

/// Counts the limited answers of one worker to pick which ones slip.
#[derive(Debug, Default)]
pub struct Slipper(u32);

impl Slipper {
    /// True for every `every`-th call (never for 0).
    fn slips(&mut self, every: u32) -> bool {
        if every == 0 {
            return false;
        }
        self.0 = (self.0 + 1) % every;
        self.0 == 0
    }
}

/// What to do with one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    Limited(RrlClass, Limited),
}

/// The shared table and its settings.
pub struct Rrl {
    slots: Box<[AtomicU64]>,
    mask: usize,
    /// Seeded at random per process: nobody outside can compute which keys
    /// share a slot. (foldhash rather than SipHash: 12 against 62 ns a key.)
    hasher: foldhash::quality::RandomState,
    limits: [Option<Limit>; CLASSES],
    large_size: usize,
    ipv4_mask: u32,
    ipv6_mask: u128,
    slip: u32,
    dry_run: bool,
    epoch: Instant,
}

impl Rrl {
    pub fn new(config: &RrlConfig) -> Self {
        let size = config.table_size.next_power_of_two().max(2);
        let normal = Limit::new(config.rate, config.burst_secs);
        Self {
            slots: (0..size).map(|_| AtomicU64::new(0)).collect(),
            mask: size - 1,
            hasher: foldhash::quality::RandomState::default(),
            limits: [
                normal,
                normal,
                normal,
                normal,
                Limit::new(config.large_rate, config.burst_secs),
            ],
            large_size: config.large_size,
            ipv4_mask: u32::MAX
                .checked_shl(32 - u32::from(config.ipv4_prefix))
                .unwrap_or(0),
            ipv6_mask: u128::MAX
                .checked_shl(128 - u32::from(config.ipv6_prefix))
                .unwrap_or(0),
            slip: config.slip,
            dry_run: config.dry_run,
            epoch: Instant::now(),
        }
    }

    /// The table's clock in microseconds; read once per batch.
    pub fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64 & TIME_MASK
    }

    /// Accounts the answer `resolution` (`len` bytes as written) to `peer`
    /// for the query name `qname` (lowercase wire key).
    pub fn judge(
        &self,
        now: u64,
        peer: IpAddr,
        qname: &[u8],
        resolution: &Resolution<'_>,
        len: usize,
        slipper: &mut Slipper,
    ) -> Verdict {
        let (class, name) = classify(resolution, qname, len, self.large_size);
        self.account(now, peer, class, name, slipper)
    }

    /// The same for an answer the slow path encoded: a query the fast parser
    /// does not take (one with an extra record, say) still draws a full
    /// answer. Accounted per prefix alone, by size and response code.
    pub fn judge_encoded(
        &self,
        now: u64,
        peer: IpAddr,
        answer: &[u8],
        slipper: &mut Slipper,
    ) -> Verdict {
        let class = classify_encoded(answer, self.large_size);
        self.account(now, peer, class, &[], slipper)
    }

    fn account(
        &self,
        now: u64,
        peer: IpAddr,
        class: RrlClass,
        name: &[u8],
        slipper: &mut Slipper,
    ) -> Verdict {
        let Some(limit) = self.limits[class as usize] else {
            return Verdict::Answer;
        };
        if self.take(self.hash(peer, class, name), now, limit) {
            return Verdict::Answer;
        }
        let action = if self.dry_run {
            Limited::DryRun
        } else if slipper.slips(self.slip) {
            Limited::Slipped
        } else {
            Limited::Dropped
        };
        Verdict::Limited(class, action)
    }

    fn hash(&self, peer: IpAddr, class: RrlClass, name: &[u8]) -> u64 {
        // IPv4 in its mapped IPv6 form, so the two families never share a key.
        let prefix = match peer.to_canonical() {
            IpAddr::V4(v4) => (0xffff << 32) | u128::from(u32::from(v4) & self.ipv4_mask),
            IpAddr::V6(v6) => u128::from(v6) & self.ipv6_mask,
        };
        let mut hasher = self.hasher.build_hasher();
        hasher.write_u128(prefix);
        hasher.write_u8(class as u8);
        hasher.write(name);
        hasher.finish()
    }

    /// One answer out of the bucket of `hash`, if it has one. A key may live
    /// in either slot of its pair (one cache line), so two busy keys rarely
    /// have to share.
    fn take(&self, hash: u64, now: u64, limit: Limit) -> bool {
        let first = hash as usize & self.mask & !1;
        let pair = &self.slots[first..first + 2];
        let tag = hash >> TIME_BITS;
        loop {
            let current = [
                pair[0].load(Ordering::Relaxed),
                pair[1].load(Ordering::Relaxed),
            ];
            let way = match current.iter().position(|slot| slot >> TIME_BITS == tag) {
                Some(way) => way,
                None if step(current[0], tag, now, limit) == Step::Pass => 1,
                None => 0,
            };
            let next = match step(current[way], tag, now, limit) {
                Step::Take(next) => next,
                Step::Pass => return true,
                Step::Limit => return false,
            };
            if pair[way]
                .compare_exchange_weak(current[way], next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
        }
    }
}

/// The class of an answer and the name it is accounted under: positive
/// answers per query name (as NSD and BIND do, so a resolver farm asking for
/// many hosts is not limited), NODATA and NXDOMAIN per zone (random names do
/// not make new buckets), errors and large answers per prefix alone (large
/// answers are the amplification; spreading them over many names must not
/// multiply the allowance).
fn classify<'a>(
    resolution: &Resolution<'a>,
    qname: &'a [u8],
    len: usize,
    large_size: usize,
) -> (RrlClass, &'a [u8]) {
    if len > large_size {
        return (RrlClass::Large, &[]);
    }
    match resolution {
        Resolution::Found { .. } => (RrlClass::Positive, qname),
        Resolution::NoData { zone } => (RrlClass::NoData, &zone.apex),
        Resolution::NxDomain { zone } => (RrlClass::NxDomain, &zone.apex),
        Resolution::Refused => (RrlClass::Error, &[]),
    }
}

/// The class of an encoded answer, from its size, code and answer count.
fn classify_encoded(answer: &[u8], large_size: usize) -> RrlClass {
    if answer.len() > large_size {
        return RrlClass::Large;
    }
    let word = |i: usize| {
        answer
            .get(i..i + 2)
            .map(|w| u16::from_be_bytes([w[0], w[1]]))
    };
    let rcode = word(2).map(|flags| flags & 0x000f);
    match (rcode, word(6)) {
        (Some(RCODE_NOERROR), Some(1..)) => RrlClass::Positive,
        (Some(RCODE_NOERROR), _) => RrlClass::NoData,
        (Some(RCODE_NXDOMAIN), _) => RrlClass::NxDomain,
        _ => RrlClass::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::{self, MAX_WIRE_NAME, Parsed};

    const SECOND: u64 = MICROS_PER_SEC;

    /// Answers `count` queries of one key at `now`; returns how many fit.
    fn answer(slot: &mut u64, tag: u64, now: u64, limit: Limit, count: usize) -> usize {
        let mut fitted = 0;
        for _ in 0..count {
            match step(*slot, tag, now, limit) {
                Step::Take(next) => {
                    *slot = next;
                    fitted += 1;
                }
                Step::Pass => panic!("own slot"),
                Step::Limit => {}
            }
        }
        fitted
    }

    #[test]
    fn a_bucket_gives_its_burst_at_once_then_its_rate() {
        let limit = Limit::new(200, 1).unwrap();
        let mut slot = 0;
        let start = 1_000 * SECOND;
        assert_eq!(answer(&mut slot, 7, start, limit, 500), 200, "the burst");
        assert_eq!(answer(&mut slot, 7, start + SECOND / 10, limit, 500), 20);
        assert_eq!(answer(&mut slot, 7, start + SECOND / 10, limit, 500), 0);
        // A minute of quiet fills it again, but never above the burst.
        assert_eq!(answer(&mut slot, 7, start + 60 * SECOND, limit, 500), 200);
    }

    #[test]
    fn a_steady_flood_gets_the_rate_and_no_more() {
        let limit = Limit::new(50, 2).unwrap();
        let mut slot = 0;
        let mut fitted = 0;
        // 1,000 queries a second for 10 s, one every millisecond.
        for ms in 0..10_000 {
            fitted += answer(&mut slot, 1, ms * 1_000, limit, 1);
        }
        assert_eq!(fitted, 100 + 50 * 10 - 1, "burst of 2 s, then 50/s");
    }

    #[test]
    fn limited_answers_cost_nothing() {
        let limit = Limit::new(10, 1).unwrap();
        let mut slot = 0;
        assert_eq!(answer(&mut slot, 1, 0, limit, 10_000), 10);
        assert_eq!(
            answer(&mut slot, 1, SECOND, limit, 100),
            10,
            "full again on time"
        );
    }

    #[test]
    fn another_keys_busy_bucket_is_kept_and_an_idle_one_claimed() {
        let limit = Limit::new(10, 1).unwrap();
        let mut slot = 0;
        answer(&mut slot, 1, SECOND, limit, 100);
        assert_eq!(step(slot, 2, SECOND, limit), Step::Pass, "not evicted");
        assert_eq!(answer(&mut slot, 1, SECOND, limit, 1), 0, "still limited");
        let Step::Take(claimed) = step(slot, 2, 3 * SECOND, limit) else {
            panic!("an idle slot is claimed");
        };
        assert_eq!(claimed >> TIME_BITS, 2);
    }

    #[test]
    fn a_pair_of_slots_holds_two_busy_keys_and_a_third_passes_unaccounted() {
        let rrl = Rrl::new(&RrlConfig {
            table_size: 2,
            ..config(1)
        });
        let limit = Limit::new(1, 1).unwrap();
        let key = |tag: u64| tag << TIME_BITS;
        for tag in [1, 2] {
            assert!(rrl.take(key(tag), SECOND, limit), "{tag}: its first answer");
            assert!(!rrl.take(key(tag), SECOND, limit), "{tag}: limited");
        }
        assert!(rrl.take(key(3), SECOND, limit), "no room: passes");
        assert!(rrl.take(key(3), SECOND, limit), "and is not limited");
        assert!(!rrl.take(key(1), SECOND, limit), "nobody was evicted");
        assert!(!rrl.take(key(2), SECOND, limit));
        // Once the buckets are full again, their slots can be claimed.
        assert!(rrl.take(key(3), 3 * SECOND, limit));
        assert!(!rrl.take(key(3), 3 * SECOND, limit), "3 has a bucket now");
    }

    #[test]
    fn a_worker_with_an_older_clock_does_not_reset_a_bucket() {
        let limit = Limit::new(10, 1).unwrap();
        let mut slot = 0;
        answer(&mut slot, 1, 5 * SECOND, limit, 100);
        assert_eq!(step(slot, 1, 5 * SECOND - 300, limit), Step::Limit);
    }

    #[test]
    fn a_bucket_from_before_the_clock_wrapped_is_empty() {
        let limit = Limit::new(10, 1).unwrap();
        let mut slot = 0;
        answer(&mut slot, 1, TIME_MASK - 3 * SECOND, limit, 100);
        assert_eq!(
            step(slot, 1, 0, limit),
            Step::Take((1 << TIME_BITS) | limit.interval)
        );
    }

    #[test]
    fn every_nth_limited_answer_slips() {
        let pattern = |every: u32| {
            let mut slipper = Slipper::default();
            (0..6).map(|_| slipper.slips(every)).collect::<Vec<_>>()
        };
        assert_eq!(pattern(0), [false; 6]);
        assert_eq!(pattern(1), [true; 6]);
        assert_eq!(pattern(2), [false, true, false, true, false, true]);
        assert_eq!(pattern(3), [false, false, true, false, false, true]);
    }

    /// Every class at `rate`, large answers at 1/s, nothing slips.
    fn config(rate: u32) -> RrlConfig {
        RrlConfig {
            rate,
            large_rate: 1,
            slip: 0,
            ..RrlConfig::default()
        }
    }

    #[test]
    fn sources_are_accounted_by_prefix() {
        let rrl = Rrl::new(&config(1));
        let mut slipper = Slipper::default();
        let mut judge = |peer: &str| {
            let refused = Resolution::Refused;
            rrl.judge(0, peer.parse().unwrap(), b"", &refused, 20, &mut slipper)
        };
        let limited = Verdict::Limited(RrlClass::Error, Limited::Dropped);
        assert_eq!(judge("192.0.2.1"), Verdict::Answer);
        assert_eq!(judge("192.0.2.200"), limited, "same /24");
        assert_eq!(judge("192.0.3.1"), Verdict::Answer, "next /24");
        assert_eq!(judge("2001:db8:0:ff::1"), Verdict::Answer);
        assert_eq!(judge("2001:db8:0:1::2"), limited, "same /56");
        assert_eq!(judge("2001:db8:0:100::1"), Verdict::Answer, "next /56");
        assert_eq!(judge("::ffff:192.0.2.9"), limited, "mapped IPv4");
    }

    #[test]
    fn large_answers_share_one_bucket_per_prefix_and_dry_run_only_counts() {
        let rrl = Rrl::new(&config(100));
        let peer = "198.51.100.7".parse().unwrap();
        let mut slipper = Slipper::default();
        let refused = Resolution::Refused;
        let first = rrl.judge(0, peer, b"", &refused, 600, &mut slipper);
        assert_eq!(first, Verdict::Answer);
        let second = rrl.judge(0, peer, b"", &refused, 600, &mut slipper);
        assert_eq!(second, Verdict::Limited(RrlClass::Large, Limited::Dropped));
        assert_eq!(
            rrl.judge(0, peer, b"", &refused, 100, &mut slipper),
            Verdict::Answer,
            "small answers have their own bucket"
        );
        let dry = Rrl::new(&RrlConfig {
            dry_run: true,
            ..config(100)
        });
        dry.judge(0, peer, b"", &refused, 600, &mut slipper);
        assert_eq!(
            dry.judge(0, peer, b"", &refused, 600, &mut slipper),
            Verdict::Limited(RrlClass::Large, Limited::DryRun)
        );
    }

    #[test]
    fn slow_path_answers_are_classed_by_code_and_size_and_slip_to_their_question() {
        use hickory_proto::{
            op::{Edns, Message, MessageType, OpCode, Query, ResponseCode},
            rr::{Name, RData, Record, RecordType, rdata::A},
        };
        let name = Name::from_ascii("h.dyn.test.").unwrap();
        let mut message = Message::new(9, MessageType::Response, OpCode::Query);
        message.add_query(Query::query(name.clone(), RecordType::A));
        let address = RData::A(A::new(192, 0, 2, 1));
        message.add_answer(Record::from_rdata(name, 60, address));
        message.set_edns(Edns::new());
        let positive = message.to_vec().unwrap();
        let class = |message: &Message| classify_encoded(&message.to_vec().unwrap(), 512);
        assert_eq!(class(&message), RrlClass::Positive);
        assert_eq!(classify_encoded(&positive, 40), RrlClass::Large);
        message.answers.clear();
        assert_eq!(class(&message), RrlClass::NoData);
        message.metadata.response_code = ResponseCode::NXDomain;
        assert_eq!(class(&message), RrlClass::NxDomain);
        message.metadata.response_code = ResponseCode::NotImp;
        assert_eq!(class(&message), RrlClass::Error);

        let mut slipped = positive;
        assert!(wire::slip_encoded(&mut slipped));
        assert_eq!(slipped.len(), 12 + 12 + 4, "header and question");
        let parsed = Message::from_vec(&slipped).unwrap();
        assert!(parsed.metadata.truncation);
        assert_eq!(parsed.metadata.id, 9);
        assert_eq!(parsed.queries, message.queries);
        assert!(parsed.answers.is_empty() && parsed.additionals.is_empty());
        let mut lost_question = slipped[..14].to_vec();
        assert!(!wire::slip_encoded(&mut lost_question), "not sent");
        assert!(!wire::slip_encoded(&mut vec![0; 5]));
    }

    #[test]
    fn a_slipped_answer_is_header_question_and_opt_with_tc() {
        // A query for a.example A with EDNS(0), payload 4096, DO set.
        let mut packet = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1];
        packet.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01");
        packet.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0]);
        let mut key = [0; MAX_WIRE_NAME];
        let Parsed::Query(query) = wire::parse(&packet, &mut key) else {
            panic!("a fast-path query");
        };
        let mut out = Vec::new();
        wire::write_response(&query, &Resolution::Refused, 1232, Some(1232), &mut out);
        wire::slip(&query, 1232, &mut out);
        assert_eq!(out.len(), packet.len(), "no bigger than the query");
        assert_eq!(&out[..2], &[0x12, 0x34]);
        let flags = u16::from_be_bytes([out[2], out[3]]);
        assert_eq!(flags & 0x8200, 0x8200, "QR and TC");
        assert_eq!(flags & 0x000f, 5, "the rcode stays");
        assert_eq!(&out[4..12], &[0, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(&out[12..packet.len() - 11], &packet[12..packet.len() - 11]);
        assert_eq!(&out[out.len() - 11..out.len() - 8], &[0, 0, 41]);
        assert_eq!(&out[out.len() - 8..out.len() - 6], &1232u16.to_be_bytes());
    }
}
