//! Facts about Postgres that dnsd and control must read alike.

/// True for the SQLSTATEs of a transaction Postgres aborted to resolve a
/// conflict with another one — deadlock detected (40P01) and serialization
/// failure (40001): running the transaction again may succeed.
pub fn is_retryable_sqlstate(code: &str) -> bool {
    matches!(code, "40P01" | "40001")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_conflict_aborts_are_retryable() {
        assert!(is_retryable_sqlstate("40P01"));
        assert!(is_retryable_sqlstate("40001"));
        for other in ["23505", "42P01", "57P01", "08006", ""] {
            assert!(!is_retryable_sqlstate(other), "{other}");
        }
    }
}
