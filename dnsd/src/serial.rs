//! Zone serial arithmetic (RFC 1982): serials wrap around 2^32, and "newer"
//! means ahead by less than half the circle.

/// True when `a` is newer than `b`. Two serials exactly half the circle
/// apart are not comparable and count as not newer.
pub fn gt(a: u32, b: u32) -> bool {
    a != b && (a.wrapping_sub(b) as i32) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_follows_rfc1982_across_the_wrap() {
        assert!(gt(2, 1));
        assert!(!gt(1, 2));
        assert!(gt(0, u32::MAX), "0 follows the largest serial");
        assert!(gt(5, u32::MAX - 5));
        assert!(!gt(1, 1));
        assert!(
            !gt(1 << 31, 0) && !gt(0, 1 << 31),
            "half the circle is undefined"
        );
    }
}
