//! Account passwords: argon2id hashes in PHC form, computed on a blocking
//! thread so the async workers keep serving.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Hashes with argon2id and the crate's default parameters (OWASP minimum:
/// 19 MiB, 2 passes); the salt is generated inside.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await?
}

/// Whether `password` matches the PHC string. With no stored hash (unknown
/// account) a decoy hash is verified instead, so the answer takes as long as
/// for a real account and timing tells nothing about which names exist.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let real = phc.is_some();
        let phc = phc.unwrap_or_else(|| decoy_hash().to_owned());
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), phc.as_str())
            .is_ok();
        ok && real
    })
    .await
    .unwrap_or(false)
}

fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(crate::domain::tokens::random_secret().as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let phc = hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(phc.clone())).await);
        assert!(!verify("wrong".into(), Some(phc.clone())).await);
        assert!(!verify("correct horse".into(), None).await);
        assert_ne!(hash("correct horse".into()).await.unwrap(), phc, "salted");
    }
}
