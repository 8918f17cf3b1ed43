//! Sign-in throttling: recent failures per account name and per source
//! address decide whether another attempt is even checked.

/// Limits within the configured window.
#[derive(Debug, Clone, Copy)]
pub struct SigninLimits {
    pub per_account: u32,
    pub per_source: u32,
}

/// True when another attempt must be refused without checking the password.
/// Counting by the *name tried* (not by account) refuses unknown names the
/// same way, so the answer tells nothing about which names exist.
pub fn signin_blocked(limits: SigninLimits, account_failures: i64, source_failures: i64) -> bool {
    account_failures >= i64::from(limits.per_account)
        || source_failures >= i64::from(limits.per_source)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SigninLimits = SigninLimits {
        per_account: 5,
        per_source: 20,
    };

    #[test]
    fn blocks_at_either_limit() {
        assert!(!signin_blocked(LIMITS, 4, 19));
        assert!(signin_blocked(LIMITS, 5, 0));
        assert!(signin_blocked(LIMITS, 0, 20));
    }
}
