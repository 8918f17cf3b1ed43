//! Account passwords: argon2id hashes in PHC form, and the decoy check that
//! makes an unknown account take as long to refuse as a known one. dnsd
//! checks account-mode updates with it, control signs people in.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes with argon2id and the crate's default parameters (OWASP minimum:
/// 19 MiB, 2 passes); the salt is generated inside.
pub fn hash(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True when `password` matches the PHC string. Unparseable hashes never match.
pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A hash of a password nobody knows, made once per process.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&crate::tokens::generate()).unwrap_or_default())
}

/// Whether `password` matches the stored hash. Without one (no such account,
/// or one that may not sign in) the decoy hash is verified and the answer is
/// false, so the answer takes as long as for a real account and its timing
/// tells nothing about which names exist.
pub fn verify_or_decoy(password: &str, phc: Option<&str>) -> bool {
    match phc {
        Some(phc) => verify(password, phc),
        None => {
            // black_box: the result is unused, the work is the point.
            std::hint::black_box(verify(password, decoy_hash()));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse", &phc));
        assert!(!verify("wrong", &phc));
        assert!(!verify("correct horse", "not a hash"));
        assert_ne!(hash("correct horse").unwrap(), phc, "salted");
    }

    #[test]
    fn without_a_stored_hash_no_password_matches() {
        let phc = hash("correct horse").unwrap();
        assert!(verify_or_decoy("correct horse", Some(&phc)));
        assert!(!verify_or_decoy("wrong", Some(&phc)));
        assert!(!verify_or_decoy("correct horse", None));
        // A real hash, so checking against it costs what a real check costs.
        assert!(decoy_hash().starts_with("$argon2id$"));
    }
}
