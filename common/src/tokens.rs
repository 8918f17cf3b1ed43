//! Update tokens: generation in a readable grouped style, and the SHA-256
//! hash that is the only thing ever stored (dnsd checks presented tokens
//! against it; control stores it).

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 unambiguous lower-case characters (no `l`, `o`, `0`, `1`): 5 bits each.
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// 7 groups of 4 characters = 28 characters = 140 bits of randomness.
const GROUPS: usize = 7;
const GROUP_LEN: usize = 4;

/// SHA-256 of a token. Tokens carry ≥128 random bits, so a fast hash is enough:
/// nobody can brute-force the preimage, and verification stays cheap on the
/// update path.
pub type TokenHash = [u8; 32];

/// A freshly generated token such as `k3vd-p7qa-x2mf-hn8c-tw4e-9rbj-gu6s`.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let mut out = String::with_capacity(GROUPS * (GROUP_LEN + 1));
    for group in 0..GROUPS {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..GROUP_LEN {
            // 32 divides 2^32, so taking the low 5 bits is unbiased.
            let idx = (rng.next_u32() & 31) as usize;
            out.push(char::from(ALPHABET[idx]));
        }
    }
    out
}

/// Hash of a token exactly as presented: any printable format is accepted.
pub fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Constant-time comparison of a presented token against a stored hash.
pub fn matches(token: &str, stored: &TokenHash) -> bool {
    hash(token).ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_have_the_grouped_shape_and_differ() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.len(), GROUPS);
        assert!(
            groups
                .iter()
                .all(|g| g.len() == GROUP_LEN && g.bytes().all(|c| ALPHABET.contains(&c)))
        );
        const { assert!((GROUPS * GROUP_LEN) * 5 >= 128) };
    }

    #[test]
    fn hashes_are_sha256_of_the_exact_text() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let hex: String = hash("abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn only_the_exact_token_matches_its_hash() {
        let token = generate();
        let stored = hash(&token);
        assert!(matches(&token, &stored));
        assert!(!matches(&token.to_uppercase(), &stored));
        assert!(!matches("", &stored));
    }
}
