//! Secrets handed to people: update tokens (the readable grouped style dnsd
//! uses), API tokens, session ids and reset links. Only SHA-256 hashes are
//! stored: every secret carries at least 128 random bits, so a fast hash
//! cannot be brute-forced.

use base64::Engine;
use rand::Rng;

/// Prefix of personal API tokens, so secret scanners and people recognise them.
pub const API_TOKEN_PREFIX: &str = "spdyn_";

/// SHA-256 of a secret exactly as presented.
pub use spdyn_common::tokens::TokenHash as SecretHash;
/// A fresh update token such as `k3vd-p7qa-x2mf-hn8c-tw4e-9rbj-gu6s`.
pub use spdyn_common::tokens::generate as update_token;
/// The stored form of any secret (dnsd hashes update tokens the same way).
pub use spdyn_common::tokens::hash;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_distinct() {
        let s = random_secret();
        assert_eq!(s.len(), 43);
        assert_ne!(s, random_secret());
        assert!(api_token().starts_with(API_TOKEN_PREFIX));
    }
}
