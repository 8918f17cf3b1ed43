//! The key that seals TOTP secrets at rest: AES-256-GCM (ring, the crypto
//! provider the rest of the process uses) with a fresh 96-bit nonce per
//! secret and the account id as associated data, so a sealed secret opens
//! only for the account it was sealed for. The key comes from the
//! configuration, or is generated into `data_dir` on first start.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};

use crate::{config::Config, domain::accounts::AccountId};

/// Under data_dir: the generated key when none is configured.
pub const KEY_FILE: &str = "totp-key";
/// Bytes of a key.
const KEY_LEN: usize = 32;

/// The base64 text of a 32-byte key kept in `path`, generated there
/// (owner-only) when the file does not exist yet.
pub(crate) fn read_or_generate(path: &Path, what: &str) -> anyhow::Result<String> {
    if !path.exists() {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| anyhow::anyhow!("no randomness for {what}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        crate::pg::write_private(path, &text)?;
        tracing::info!(file = %path.display(), "generated {what}");
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// A secret sealed for one account.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// The AEAD key.
pub struct TotpKey(LessSafeKey);

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpKey(…)")
    }
}

impl TotpKey {
    /// A key from 32 bytes in standard base64.
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .context("the TOTP key is not base64")?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            bytes.len() == KEY_LEN,
            "the TOTP key must be {KEY_LEN} bytes (openssl rand -base64 32)"
        );
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| anyhow::anyhow!("the TOTP key was refused"))?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// The configured key (`security.totp_key`, `…_file`, or
    /// `CONTROL__SECURITY__TOTP_KEY`); without one, the key in
    /// `data_dir/totp-key`, generated there (owner-only) on first use so a
    /// development setup needs no key management.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        if let Some(text) = config.security.totp_key()? {
            return Self::from_base64(&text).context("security.totp_key");
        }
        let path = config.data_dir.join(KEY_FILE);
        let text = read_or_generate(&path, "a TOTP key (keep it with the database backups)")?;
        Self::from_base64(&text).with_context(|| path.display().to_string())
    }

    /// Seals `secret` for `account` under a fresh random nonce.
    pub fn seal(&self, account: AccountId, secret: &[u8]) -> anyhow::Result<Sealed> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness for a nonce"))?;
        let mut ciphertext = secret.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(account.0.to_be_bytes()),
                &mut ciphertext,
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Opens a secret sealed for `account`; fails for another account, a
    /// changed byte or another key.
    pub fn open(&self, account: AccountId, sealed: &Sealed) -> anyhow::Result<Vec<u8>> {
        let nonce = Nonce::try_assume_unique_for_key(&sealed.nonce)
            .map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let mut buffer = sealed.ciphertext.clone();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(account.0.to_be_bytes()), &mut buffer)
            .map_err(|_| anyhow::anyhow!("a TOTP secret did not open (wrong key or account)"))?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> TotpKey {
        TotpKey::from_bytes(&[byte; KEY_LEN]).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_for_its_account_only() {
        let key = key(7);
        let secret = b"12345678901234567890";
        let sealed = key.seal(AccountId(42), secret).unwrap();
        assert_ne!(&sealed.ciphertext[..secret.len()], secret, "encrypted");
        assert_eq!(sealed.nonce.len(), NONCE_LEN);
        assert_eq!(key.open(AccountId(42), &sealed).unwrap(), secret);
        assert!(key.open(AccountId(43), &sealed).is_err(), "row swapped");
        let again = key.seal(AccountId(42), secret).unwrap();
        assert_ne!(again.nonce, sealed.nonce, "a fresh nonce each time");
    }

    #[test]
    fn tampering_or_another_key_is_detected() {
        let sealed = key(7).seal(AccountId(1), b"secret secret secret").unwrap();
        for i in [0, sealed.ciphertext.len() - 1] {
            let mut bad = sealed.clone();
            bad.ciphertext[i] ^= 1;
            assert!(key(7).open(AccountId(1), &bad).is_err(), "byte {i}");
        }
        let mut bad_nonce = sealed.clone();
        bad_nonce.nonce[0] ^= 1;
        assert!(key(7).open(AccountId(1), &bad_nonce).is_err());
        assert!(key(8).open(AccountId(1), &sealed).is_err());
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        assert!(TotpKey::from_base64("AAAA").is_err());
        assert!(TotpKey::from_base64("not base64!").is_err());
        let text = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert!(TotpKey::from_base64(&text).is_ok());
    }

    #[test]
    fn without_a_configured_key_one_is_generated_once_into_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "data_dir = \"{}\"\n[http]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://x\"\n\
             [hosts]\nzones = [\"dyn.example\"]\n[mail]\nfrom = \"a@b.c\"\nmail_dir = \"m\"\n",
            dir.path().display()
        );
        let config = Config::parse_with_env(&text, []).unwrap();
        let first = TotpKey::load(&config).unwrap();
        let sealed = first.seal(AccountId(1), b"abc").unwrap();
        let second = TotpKey::load(&config).unwrap();
        assert_eq!(
            second.open(AccountId(1), &sealed).unwrap(),
            b"abc",
            "same key"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "owner-only");
        let configured = Config::parse_with_env(
            &text,
            [(
                "CONTROL__SECURITY__TOTP_KEY".to_owned(),
                base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
            )],
        )
        .unwrap();
        assert!(
            TotpKey::load(&configured)
                .unwrap()
                .open(AccountId(1), &sealed)
                .is_err()
        );
    }
}
