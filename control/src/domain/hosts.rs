//! Host rules: ids, TTL bounds, quota.

use std::ops::RangeInclusive;

/// TTLs an account may set (seconds).
pub const TTL_RANGE: RangeInclusive<u32> = 30..=86_400;

/// Database id of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct HostId(pub i64);

/// Whether a TTL is acceptable.
pub fn valid_ttl(ttl: i64) -> bool {
    u32::try_from(ttl).is_ok_and(|t| TTL_RANGE.contains(&t))
}

/// Whether an account that has `count` hosts may create one more.
pub fn within_quota(count: i64, quota: i32) -> bool {
    count < i64::from(quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_bounds_are_inclusive() {
        assert!(valid_ttl(30));
        assert!(valid_ttl(86_400));
        assert!(!valid_ttl(29));
        assert!(!valid_ttl(86_401));
        assert!(!valid_ttl(-60));
        assert!(!valid_ttl(i64::MAX));
    }

    #[test]
    fn quota_allows_exactly_quota_hosts() {
        assert!(within_quota(0, 1));
        assert!(!within_quota(1, 1));
        assert!(!within_quota(0, 0));
    }
}
