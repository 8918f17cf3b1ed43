//! Secrets handed to people: update tokens (the readable grouped style dnsd
//! uses), API tokens, session ids and reset links. Only SHA-256 hashes are
//! stored: every secret carries at least 128 random bits, so a fast hash
//! cannot be brute-forced.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// 32 unambiguous lower-case characters (no `l`, `o`, `0`, `1`): 5 bits each.
/// Must stay equal to dnsd's alphabet (dnsd/src/tokens.rs).
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// 7 groups of 4 characters = 140 bits of randomness.
const GROUPS: usize = 7;
const GROUP_LEN: usize = 4;
/// Prefix of personal API tokens, so secret scanners and people recognise them.
pub const API_TOKEN_PREFIX: &str = "spdyn_";

/// SHA-256 of a secret exactly as presented.
pub type SecretHash = [u8; 32];

/// A fresh update token such as `k3vd-p7qa-x2mf-hn8c-tw4e-9rbj-gu6s`.
pub fn update_token() -> String {
    let mut rng = rand::rng();
    let mut out = String::with_capacity(GROUPS * (GROUP_LEN + 1));
    for group in 0..GROUPS {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..GROUP_LEN {
            // 32 divides 2^32, so the low 5 bits are unbiased.
            out.push(char::from(ALPHABET[(rng.next_u32() & 31) as usize]));
        }
    }
    out
}

/// 256 random bits, URL-safe base64 without padding (43 characters): session
/// ids, CSRF tokens and reset links.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh personal API token: `spdyn_` + 256 random bits.
pub fn api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_secret())
}

/// The stored form of any secret (dnsd hashes update tokens the same way).
pub fn hash(secret: &str) -> SecretHash {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_tokens_have_the_grouped_shape_and_at_least_128_bits() {
        let a = update_token();
        assert_ne!(a, update_token());
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.len(), GROUPS);
        assert!(
            groups
                .iter()
                .all(|g| g.len() == GROUP_LEN && g.bytes().all(|c| ALPHABET.contains(&c)))
        );
        const { assert!(GROUPS * GROUP_LEN * 5 >= 128) };
    }

    #[test]
    fn hashes_are_sha256_of_the_exact_text() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let hex: String = hash("abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash("Abc"), hash("abc"));
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        let s = random_secret();
        assert_eq!(s.len(), 43);
        assert_ne!(s, random_secret());
        assert!(api_token().starts_with(API_TOKEN_PREFIX));
    }
}
