//! The key that signs the CSRF tokens of forms shown before sign-in
//! (signed double-submit): the browser holds a random nonce in a cookie, the
//! form carries HMAC-SHA256(key, nonce). Nothing is stored per visitor, so
//! anonymous page views cannot grow a table; a cross-site page can neither
//! read the nonce nor sign one it chose. The key is generated into
//! `data_dir/form-key` on first start (like the TOTP key); replacing it only
//! invalidates forms open at that moment.

use base64::Engine;
use ring::hmac;
use subtle::ConstantTimeEq;

use crate::config::Config;

/// Under data_dir: the key.
pub const KEY_FILE: &str = "form-key";

/// The HMAC key. Nonces are `domain::tokens::random_secret` (256 bits).
pub struct FormKey(hmac::Key);

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(…)")
    }
}

impl FormKey {
    /// The key in `data_dir/form-key`, generated there on first use.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let path = config.data_dir.join(KEY_FILE);
        let text = super::totp_key::read_or_generate(&path, "a key for sign-in forms")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| anyhow::anyhow!("{} is not base64", path.display()))?;
        anyhow::ensure!(bytes.len() >= 32, "{} is too short", path.display());
        Ok(Self::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, bytes))
    }

    /// The form token for `nonce`.
    pub fn token(&self, nonce: &str) -> String {
        let tag = hmac::sign(&self.0, nonce.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// Whether `presented` is the token of `nonce` (in constant time).
    pub fn accepts(&self, nonce: &str, presented: &str) -> bool {
        !presented.is_empty()
            && bool::from(self.token(nonce).as_bytes().ct_eq(presented.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tokens::random_secret;

    #[test]
    fn a_token_fits_its_nonce_and_key_only() {
        let key = FormKey::from_bytes(&[1; 32]);
        let nonce = random_secret();
        let token = key.token(&nonce);
        assert!(key.accepts(&nonce, &token));
        assert!(!key.accepts(&random_secret(), &token), "other nonce");
        assert!(
            !FormKey::from_bytes(&[2; 32]).accepts(&nonce, &token),
            "other key"
        );
        assert!(!key.accepts(&nonce, ""));
        assert!(!key.accepts(&nonce, &nonce), "the nonce is no token");
    }
}
