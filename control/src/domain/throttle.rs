//! Throttling: recent failures (and attempts in flight) per name and per
//! source decide whether another attempt is even checked.

/// Limits within a window.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_name: u32,
    pub per_source: u32,
    pub window_minutes: u32,
}

/// True when another attempt must be refused without checking it, given
/// the counts (by name, by source) within the window. Counting by the
/// *name tried* (not by account) refuses unknown names the same way, so the
/// answer tells nothing about which names exist.
pub fn blocked(limits: Limits, (by_name, by_source): (i64, i64)) -> bool {
    by_name >= i64::from(limits.per_name) || by_source >= i64::from(limits.per_source)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_name: 5,
        per_source: 20,
        window_minutes: 15,
    };

    #[test]
    fn blocks_at_either_limit() {
        assert!(!blocked(LIMITS, (4, 19)));
        assert!(blocked(LIMITS, (5, 0)));
        assert!(blocked(LIMITS, (0, 20)));
    }
}
