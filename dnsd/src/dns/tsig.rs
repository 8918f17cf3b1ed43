//! TSIG (RFC 8945) on raw messages: verifying a signed request, signing the
//! answers to it (every message of a multi-message transfer, each MAC chained
//! to the one before), signing our NOTIFYs and checking their replies.
//!
//! dnsd builds its answers as bytes, so the MAC is computed over those bytes
//! directly rather than over re-encoded hickory messages.

use std::{collections::HashMap, sync::Arc};

use ring::hmac;

use super::wire::{self, HEADER_LEN};
use crate::names::{key_of, key_to_dotted};

pub const TYPE_TSIG: u16 = 250;
const CLASS_ANY: u16 = 255;
/// Seconds of clock difference accepted (RFC 8945 §10 recommends 300).
pub const FUDGE: u16 = 300;

/// TSIG error codes (RFC 8945 §5.2).
const BADSIG: u16 = 16;
const BADKEY: u16 = 17;
const BADTIME: u16 = 18;
/// Header RCODE of a TSIG error.
pub const RCODE_NOTAUTH: u16 = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl Algorithm {
    /// From the configuration's (and the wire's) name, e.g. `hmac-sha256`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim_end_matches('.').to_ascii_lowercase().as_str() {
            "hmac-sha256" => Some(Self::HmacSha256),
            "hmac-sha384" => Some(Self::HmacSha384),
            "hmac-sha512" => Some(Self::HmacSha512),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    fn ring(self) -> hmac::Algorithm {
        match self {
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha384 => hmac::HMAC_SHA384,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }

    fn mac_len(self) -> usize {
        match self {
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }
}

/// A shared secret and its name.
pub struct Key {
    /// The key's name as configured (for logs).
    pub name: String,
    wire_name: Box<[u8]>,
    algorithm: Algorithm,
    algorithm_wire: Box<[u8]>,
    secret: hmac::Key,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Key {
    pub fn new(name: &str, algorithm: Algorithm, secret: &[u8]) -> Self {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        Self {
            wire_name: key_of(&name).into_boxed_slice(),
            name,
            algorithm,
            algorithm_wire: key_of(algorithm.name()).into_boxed_slice(),
            secret: hmac::Key::new(algorithm.ring(), secret),
        }
    }

    /// Bytes a TSIG record of this key adds to a message (BADTIME's other
    /// data included), so answers can leave room for it.
    pub fn record_len(&self) -> usize {
        self.wire_name.len() + 10 + self.algorithm_wire.len() + 16 + self.algorithm.mac_len() + 6
    }

    /// The digest of the TSIG variables (RFC 8945 §4.3.3).
    fn variables(&self, out: &mut Vec<u8>, time: u64, fudge: u16, error: u16, other: &[u8]) {
        out.extend_from_slice(&self.wire_name);
        out.extend_from_slice(&CLASS_ANY.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&self.algorithm_wire);
        timers(out, time, fudge);
        out.extend_from_slice(&error.to_be_bytes());
        out.extend_from_slice(&(other.len() as u16).to_be_bytes());
        out.extend_from_slice(other);
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        hmac::sign(&self.secret, data).as_ref().to_vec()
    }

    /// Appends this key's TSIG record to the message at `buf[start..]`.
    fn append(&self, buf: &mut Vec<u8>, start: usize, sig: (u64, &[u8]), error: u16, other: &[u8]) {
        let names = (&*self.wire_name, &*self.algorithm_wire);
        append_record(buf, start, names, sig, (error, other));
    }
}

/// Appends a TSIG record — `names`: key and algorithm; `sig`: time signed
/// and MAC; `result`: error and other data — to the message at
/// `buf[start..]`, and counts it in ARCOUNT.
fn append_record(
    buf: &mut Vec<u8>,
    start: usize,
    names: (&[u8], &[u8]),
    sig: (u64, &[u8]),
    result: (u16, &[u8]),
) {
    let ((name, algorithm), (time, mac), (error, other)) = (names, sig, result);
    let id = [buf[start], buf[start + 1]];
    let rdlen = algorithm.len() + 10 + mac.len() + 6 + other.len();
    buf.extend_from_slice(name);
    buf.extend_from_slice(&TYPE_TSIG.to_be_bytes());
    buf.extend_from_slice(&CLASS_ANY.to_be_bytes());
    buf.extend_from_slice(&0u32.to_be_bytes());
    buf.extend_from_slice(&(rdlen as u16).to_be_bytes());
    buf.extend_from_slice(algorithm);
    timers(buf, time, FUDGE);
    buf.extend_from_slice(&(mac.len() as u16).to_be_bytes());
    buf.extend_from_slice(mac);
    buf.extend_from_slice(&id);
    buf.extend_from_slice(&error.to_be_bytes());
    buf.extend_from_slice(&(other.len() as u16).to_be_bytes());
    buf.extend_from_slice(other);
    add_to_arcount(&mut buf[start..], 1);
}

/// Time signed (48 bits) and fudge.
fn timers(out: &mut Vec<u8>, time: u64, fudge: u16) {
    out.extend_from_slice(&time.to_be_bytes()[2..]);
    out.extend_from_slice(&fudge.to_be_bytes());
}

fn add_to_arcount(msg: &mut [u8], delta: i32) {
    let count = i32::from(u16::from_be_bytes([msg[10], msg[11]])) + delta;
    msg[10..12].copy_from_slice(&(count as u16).to_be_bytes());
}

/// The configured keys by name.
#[derive(Debug, Default)]
pub struct Keys(HashMap<Box<[u8]>, Arc<Key>>);

impl Keys {
    pub fn new(keys: impl IntoIterator<Item = Key>) -> Self {
        Self(
            keys.into_iter()
                .map(|key| (key.wire_name.clone(), Arc::new(key)))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Key>> {
        self.0.get(key_of(&name.to_ascii_lowercase()).as_slice())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the TSIG of a request, if it has one (`now` in Unix seconds).
    pub fn verify(&self, msg: &[u8], now: u64) -> Verdict {
        let record = match Record::find(msg) {
            Ok(Some(record)) => record,
            Ok(None) => return Verdict::Unsigned,
            Err(Malformed) => return Verdict::Malformed,
        };
        let Some(key) = self
            .0
            .get(record.key_name.as_slice())
            .filter(|key| *key.algorithm_wire == *record.algorithm)
        else {
            return Verdict::Rejected(Rejection::BadKey {
                name: record.key_name,
                algorithm: record.algorithm,
            });
        };
        let mut tbs = Vec::with_capacity(record.start + 128);
        tbs.extend_from_slice(&record.original_id.to_be_bytes());
        tbs.extend_from_slice(&msg[2..record.start]);
        add_to_arcount(&mut tbs, -1);
        key.variables(
            &mut tbs,
            record.time,
            record.fudge,
            record.error,
            &record.other,
        );
        // Truncated MACs (RFC 8945 §5.2.2.1) are not accepted.
        if record.mac.len() != key.algorithm.mac_len()
            || hmac::verify(&key.secret, &tbs, &record.mac).is_err()
        {
            return Verdict::Rejected(Rejection::BadSig { key: key.clone() });
        }
        let signed = Signed {
            key: key.clone(),
            mac: record.mac,
            body_len: record.start,
        };
        if now.abs_diff(record.time) > u64::from(record.fudge) {
            return Verdict::Rejected(Rejection::BadTime(signed));
        }
        Verdict::Signed(signed)
    }
}

/// What a request's TSIG says.
#[derive(Debug)]
pub enum Verdict {
    Unsigned,
    Signed(Signed),
    Rejected(Rejection),
    /// A TSIG record that cannot be read, or one that is not last.
    Malformed,
}

/// A request whose MAC checked out.
#[derive(Debug, Clone)]
pub struct Signed {
    pub key: Arc<Key>,
    mac: Vec<u8>,
    /// Length of the request without its TSIG record.
    body_len: usize,
}

impl Signed {
    /// The request as it would be unsigned (TSIG removed, ARCOUNT less one).
    pub fn unsigned_request(&self, msg: &[u8]) -> Vec<u8> {
        let mut out = msg[..self.body_len].to_vec();
        add_to_arcount(&mut out, -1);
        out
    }

    /// A signer for the answer(s) to this request.
    pub fn signer(&self, now: u64) -> Signer {
        Signer {
            key: self.key.clone(),
            previous: self.mac.clone(),
            first: true,
            time: now,
        }
    }
}

/// Why a signed request is refused (RFC 8945 §5.2).
#[derive(Debug)]
pub enum Rejection {
    BadKey { name: Vec<u8>, algorithm: Vec<u8> },
    BadSig { key: Arc<Key> },
    BadTime(Signed),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadKey { name, .. } => write!(f, "BADKEY (unknown key {})", key_to_dotted(name)),
            Self::BadSig { key } => write!(f, "BADSIG (key {})", key.name),
            Self::BadTime(signed) => write!(f, "BADTIME (key {})", signed.key.name),
        }
    }
}

impl Rejection {
    /// The NOTAUTH answer: BADKEY and BADSIG unsigned, BADTIME signed with
    /// our clock in the other data.
    pub fn answer(&self, query: &[u8], now: u64) -> Option<Vec<u8>> {
        let mut msg = wire::error_reply(query, RCODE_NOTAUTH)?;
        match self {
            // The names of a key we do not know are echoed, no MAC.
            Self::BadKey { name, algorithm } => {
                append_record(&mut msg, 0, (name, algorithm), (now, &[]), (BADKEY, &[]));
            }
            Self::BadSig { key } => key.append(&mut msg, 0, (now, &[]), BADSIG, &[]),
            Self::BadTime(signed) => {
                let other = now.to_be_bytes()[2..].to_vec();
                signed.signer(now).sign_with(&mut msg, 0, BADTIME, &other);
            }
        }
        Some(msg)
    }
}

/// Signs the messages of one answer in order: the first over the request's
/// MAC and the full variables, each later one over the previous MAC and the
/// timers only (RFC 8945 §5.3.1).
pub struct Signer {
    key: Arc<Key>,
    previous: Vec<u8>,
    first: bool,
    time: u64,
}

impl Signer {
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Appends the TSIG record to the next message of the answer.
    pub fn sign(&mut self, msg: &mut Vec<u8>) {
        self.sign_with(msg, 0, 0, &[]);
    }

    /// [`Self::sign`] for the message at `buf[start..]` (after a TCP length
    /// prefix, say).
    pub fn sign_at(&mut self, buf: &mut Vec<u8>, start: usize) {
        self.sign_with(buf, start, 0, &[]);
    }

    fn sign_with(&mut self, buf: &mut Vec<u8>, start: usize, error: u16, other: &[u8]) {
        let mut mac = hmac::Context::with_key(&self.key.secret);
        mac.update(&(self.previous.len() as u16).to_be_bytes());
        mac.update(&self.previous);
        mac.update(&buf[start..]);
        let mut tail = Vec::with_capacity(128);
        if self.first {
            self.key
                .variables(&mut tail, self.time, FUDGE, error, other);
        } else {
            timers(&mut tail, self.time, FUDGE);
        }
        mac.update(&tail);
        let mac = mac.sign().as_ref().to_vec();
        self.key.append(buf, start, (self.time, &mac), error, other);
        self.previous = mac;
        self.first = false;
    }
}

/// Signs a request we send (a NOTIFY); the MAC is what its reply is
/// checked against.
pub fn sign_request(key: &Key, msg: &mut Vec<u8>, now: u64) -> Vec<u8> {
    let mut tbs = msg.clone();
    key.variables(&mut tbs, now, FUDGE, 0, &[]);
    let mac = key.mac(&tbs);
    key.append(msg, 0, (now, &mac), 0, &[]);
    mac
}

/// Checks the signature of a reply to a request signed with `request_mac`.
pub fn verify_reply(key: &Key, request_mac: &[u8], msg: &[u8], now: u64) -> bool {
    let Ok(Some(record)) = Record::find(msg) else {
        return false;
    };
    if *record.key_name != *key.wire_name
        || *record.algorithm != *key.algorithm_wire
        || record.error != 0
        || now.abs_diff(record.time) > u64::from(record.fudge)
    {
        return false;
    }
    let mut tbs = Vec::with_capacity(msg.len() + 160);
    tbs.extend_from_slice(&(request_mac.len() as u16).to_be_bytes());
    tbs.extend_from_slice(request_mac);
    tbs.extend_from_slice(&record.original_id.to_be_bytes());
    tbs.extend_from_slice(&msg[2..record.start]);
    add_to_arcount(&mut tbs[2 + request_mac.len()..], -1);
    key.variables(&mut tbs, record.time, record.fudge, 0, &record.other);
    hmac::verify(&key.secret, &tbs, &record.mac).is_ok()
}

#[derive(Debug)]
struct Malformed;

/// A TSIG record as read from the end of a message.
struct Record {
    /// Offset of the record in the message.
    start: usize,
    key_name: Vec<u8>,
    algorithm: Vec<u8>,
    time: u64,
    fudge: u16,
    mac: Vec<u8>,
    original_id: u16,
    error: u16,
    other: Vec<u8>,
}

impl Record {
    /// The TSIG record of `msg`, which must be the last record if present.
    fn find(msg: &[u8]) -> Result<Option<Self>, Malformed> {
        if msg.len() < HEADER_LEN {
            return Err(Malformed);
        }
        let count = |at: usize| usize::from(u16::from_be_bytes([msg[at], msg[at + 1]]));
        let (questions, records) = (count(4), count(6) + count(8) + count(10));
        let mut at = HEADER_LEN;
        for _ in 0..questions {
            at = skip_name(msg, at)? + 4;
        }
        let mut last = None;
        for n in 0..records {
            let start = at;
            let fixed = skip_name(msg, at)?;
            let header = msg.get(fixed..fixed + 10).ok_or(Malformed)?;
            let rtype = u16::from_be_bytes([header[0], header[1]]);
            let rdlen = usize::from(u16::from_be_bytes([header[8], header[9]]));
            at = fixed + 10 + rdlen;
            if at > msg.len() {
                return Err(Malformed);
            }
            if rtype == TYPE_TSIG {
                if n + 1 != records || count(10) == 0 {
                    return Err(Malformed);
                }
                last = Some((start, fixed));
            }
        }
        let Some((start, fixed)) = last else {
            return Ok(None);
        };
        let key_name = read_name(msg, start)?.0;
        let rdata = &msg[fixed + 10..at];
        let (algorithm, mut p) = read_name(rdata, 0).map_err(|_| Malformed)?;
        let take = |p: &mut usize, n: usize| -> Result<&[u8], Malformed> {
            let bytes = rdata.get(*p..*p + n).ok_or(Malformed)?;
            *p += n;
            Ok(bytes)
        };
        let u16_at = |bytes: &[u8]| u16::from_be_bytes([bytes[0], bytes[1]]);
        let mut time = [0u8; 8];
        time[2..].copy_from_slice(take(&mut p, 6)?);
        let fudge = u16_at(take(&mut p, 2)?);
        let mac_len = usize::from(u16_at(take(&mut p, 2)?));
        let mac = take(&mut p, mac_len)?.to_vec();
        let original_id = u16_at(take(&mut p, 2)?);
        let error = u16_at(take(&mut p, 2)?);
        let other_len = usize::from(u16_at(take(&mut p, 2)?));
        let other = take(&mut p, other_len)?.to_vec();
        if p != rdata.len() {
            return Err(Malformed);
        }
        Ok(Some(Self {
            start,
            key_name,
            algorithm,
            time: u64::from_be_bytes(time),
            fudge,
            mac,
            original_id,
            error,
            other,
        }))
    }
}

/// The offset after the name at `at` (compression pointers end a name).
fn skip_name(msg: &[u8], mut at: usize) -> Result<usize, Malformed> {
    loop {
        let len = *msg.get(at).ok_or(Malformed)?;
        match len {
            0 => return Ok(at + 1),
            l if l & 0xC0 == 0xC0 => return Ok(at + 2),
            l if l < 64 => at += 1 + usize::from(l),
            _ => return Err(Malformed),
        }
    }
}

/// The lowercase wire key of the name at `at` (pointers followed) and the
/// offset after it.
fn read_name(msg: &[u8], mut at: usize) -> Result<(Vec<u8>, usize), Malformed> {
    let mut key = Vec::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(at).ok_or(Malformed)?;
        if len & 0xC0 == 0xC0 {
            let low = *msg.get(at + 1).ok_or(Malformed)?;
            end.get_or_insert(at + 2);
            at = usize::from(u16::from_be_bytes([len & 0x3F, low]));
            continue;
        }
        if len >= 64 {
            return Err(Malformed);
        }
        let label = msg.get(at..at + 1 + usize::from(len)).ok_or(Malformed)?;
        key.extend(label.iter().map(u8::to_ascii_lowercase));
        if key.len() > wire::MAX_WIRE_NAME {
            return Err(Malformed);
        }
        at += label.len();
        if len == 0 {
            return Ok((key, end.unwrap_or(at)));
        }
    }
    Err(Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::new(
            "xfr-key",
            Algorithm::HmacSha256,
            b"0123456789abcdef0123456789abcdef",
        )
    }

    fn query(id: u16) -> Vec<u8> {
        let mut msg = id.to_be_bytes().to_vec();
        msg.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        msg.extend_from_slice(&key_of("dyn.example"));
        msg.extend_from_slice(&[0, 252, 0, 1]);
        msg
    }

    fn now() -> u64 {
        1_800_000_000
    }

    #[test]
    fn a_signed_request_verifies_and_its_tsig_comes_off() {
        let keys = Keys::new([key()]);
        let mut msg = query(7);
        let plain = msg.clone();
        sign_request(&keys.get("xfr-key").unwrap().clone(), &mut msg, now());
        let Verdict::Signed(signed) = keys.verify(&msg, now() + 10) else {
            panic!("a valid signature");
        };
        assert_eq!(signed.unsigned_request(&msg), plain);
        assert!(matches!(keys.verify(&plain, now()), Verdict::Unsigned));
    }

    #[test]
    fn wrong_keys_macs_and_times_are_told_apart() {
        let keys = Keys::new([key()]);
        let other = Key::new(
            "xfr-key",
            Algorithm::HmacSha256,
            b"another secret of 32 bytes......",
        );
        let mut msg = query(1);
        sign_request(&other, &mut msg, now());
        assert!(matches!(
            keys.verify(&msg, now()),
            Verdict::Rejected(Rejection::BadSig { .. })
        ));
        let stranger = Key::new("other-key", Algorithm::HmacSha256, b"x");
        let mut msg = query(1);
        sign_request(&stranger, &mut msg, now());
        assert!(matches!(
            keys.verify(&msg, now()),
            Verdict::Rejected(Rejection::BadKey { .. })
        ));
        let mut msg = query(1);
        sign_request(&key(), &mut msg, now());
        assert!(matches!(
            keys.verify(&msg, now() + 301),
            Verdict::Rejected(Rejection::BadTime(_))
        ));
        // One flipped bit anywhere in the signed part.
        let mut msg = query(1);
        sign_request(&key(), &mut msg, now());
        msg[13] ^= 1;
        assert!(matches!(
            keys.verify(&msg, now()),
            Verdict::Rejected(Rejection::BadSig { .. })
        ));
        assert!(matches!(
            keys.verify(&msg[..msg.len() - 3], now()),
            Verdict::Malformed
        ));
    }

    #[test]
    fn replies_verify_against_the_request_mac() {
        let keys = Keys::new([key()]);
        let mut request = query(9);
        let request_mac = sign_request(&key(), &mut request, now());
        let Verdict::Signed(signed) = keys.verify(&request, now()) else {
            panic!("signed");
        };
        let mut reply = query(9);
        reply[2] |= 0x80;
        signed.signer(now()).sign(&mut reply);
        assert!(verify_reply(&key(), &request_mac, &reply, now()));
        assert!(!verify_reply(&key(), &[0; 32], &reply, now()));
        reply[12] ^= 0x20;
        assert!(!verify_reply(&key(), &request_mac, &reply, now()));
    }

    #[test]
    fn badtime_answers_are_signed_and_carry_our_clock() {
        let keys = Keys::new([key()]);
        let mut msg = query(3);
        sign_request(&key(), &mut msg, now());
        let Verdict::Rejected(rejection) = keys.verify(&msg, now() + 1000) else {
            panic!("late");
        };
        let answer = rejection.answer(&msg, now() + 1000).unwrap();
        let record = Record::find(&answer).unwrap().unwrap();
        assert_eq!(record.error, BADTIME);
        assert_eq!(record.other, (now() + 1000).to_be_bytes()[2..].to_vec());
        assert_eq!(record.mac.len(), 32);
        assert_eq!(
            u16::from_be_bytes([answer[2], answer[3]]) & 0xF,
            RCODE_NOTAUTH
        );
    }
}
