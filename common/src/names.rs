//! Host-name syntax: the LDH rule for labels and names (RFC 1035 §2.3.4,
//! RFC 1123 §2.1) that dnsd's host names and control's hosts and zones obey.

/// Longest name in presentation form without the trailing dot (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 253;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// Why a string is not an acceptable host name or label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than {MAX_NAME_LEN} characters")]
    TooLong,
    #[error("a label is empty or longer than {MAX_LABEL_LEN} characters")]
    BadLabelLength,
    #[error("labels may hold only letters, digits and inner hyphens")]
    BadCharacter,
    #[error("a host name needs at least two labels")]
    NotQualified,
}

/// Checks one LDH label: 1–63 letters, digits and hyphens, no hyphen at
/// either end. `xn--` labels are LDH too, so IDNs pass in their ASCII form;
/// `_` and `*` do not pass.
pub fn check_label(label: &str) -> Result<(), NameError> {
    if label.is_empty() || label.len() > MAX_LABEL_LEN {
        return Err(NameError::BadLabelLength);
    }
    let bytes = label.as_bytes();
    let ldh = bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    if !ldh || bytes[0] == b'-' || bytes[bytes.len() - 1] == b'-' {
        return Err(NameError::BadCharacter);
    }
    Ok(())
}

/// Validates a full name in presentation form (any case, one optional
/// trailing dot) and returns it as both binaries keep names: lowercase,
/// without the trailing dot. It needs two or more LDH labels.
pub fn parse_name(input: &str) -> Result<String, NameError> {
    let name = input.strip_suffix('.').unwrap_or(input);
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    let mut labels = 0;
    for label in name.split('.') {
        check_label(label)?;
        labels += 1;
    }
    if labels < 2 {
        return Err(NameError::NotQualified);
    }
    Ok(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_ldh_rule() {
        assert_eq!(check_label(""), Err(NameError::BadLabelLength));
        assert_eq!(check_label(&"a".repeat(64)), Err(NameError::BadLabelLength));
        assert!(check_label(&"a".repeat(63)).is_ok());
        for bad in ["-a", "a-", "a_b", "a.b", "*", "ä"] {
            assert_eq!(check_label(bad), Err(NameError::BadCharacter), "{bad}");
        }
        assert!(check_label("My-Router1").is_ok());
        assert!(check_label("xn--bcher-kva").is_ok());
    }

    #[test]
    fn names_are_lowercased_without_their_one_trailing_dot() {
        assert_eq!(
            parse_name("Home.DYN.example.NET.").unwrap(),
            "home.dyn.example.net"
        );
        assert_eq!(parse_name("a.example.."), Err(NameError::BadLabelLength));
    }

    #[test]
    fn parse_rejects_what_is_not_a_host_name() {
        assert_eq!(parse_name(""), Err(NameError::Empty));
        assert_eq!(parse_name("."), Err(NameError::Empty));
        assert_eq!(parse_name("localhost"), Err(NameError::NotQualified));
        assert_eq!(parse_name("a..b"), Err(NameError::BadLabelLength));
        assert_eq!(parse_name("-a.b"), Err(NameError::BadCharacter));
        assert_eq!(parse_name("a-.b"), Err(NameError::BadCharacter));
        assert_eq!(parse_name("a_b.c"), Err(NameError::BadCharacter));
        assert_eq!(parse_name("*.b.c"), Err(NameError::BadCharacter));
        assert_eq!(parse_name("ä.example"), Err(NameError::BadCharacter));
        let long_label = format!("{}.example", "a".repeat(64));
        assert_eq!(parse_name(&long_label), Err(NameError::BadLabelLength));
        let long_name = format!("{}.example", ["abcdefgh"; 30].join("."));
        assert_eq!(parse_name(&long_name), Err(NameError::TooLong));
        assert!(parse_name("xn--bcher-kva.example").is_ok());
    }
}
