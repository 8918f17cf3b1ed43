//! Domain names: host names and the lowercase wire-format keys the in-memory
//! index and the store are keyed by. The host-name syntax itself is
//! `spdyn_common::names`, shared with control.
//!
//! A *key* is the name in DNS wire format (length-prefixed labels, terminating
//! zero byte), ASCII-lowercased. Every suffix of a key that starts at a label
//! boundary is the key of an ancestor, which makes zone matching and wildcard
//! search cheap byte-slice operations.

use std::fmt;

use spdyn_common::names::{self, MAX_LABEL_LEN, MAX_NAME_LEN, NameError};

/// Longest key: a name in wire form (RFC 1035 §3.1).
const MAX_KEY_LEN: usize = 255;

/// A validated, lowercase, fully qualified host name without the trailing dot
/// (two or more LDH labels, [`names::parse_name`]).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Fqdn(String);

impl TryFrom<String> for Fqdn {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, NameError> {
        Self::parse(&value)
    }
}

impl From<Fqdn> for String {
    fn from(value: Fqdn) -> Self {
        value.0
    }
}

impl Fqdn {
    /// Parses a host name as clients send it: any case, optional trailing dot,
    /// surrounding white space ignored.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        names::parse_name(input.trim()).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercase wire-format key of this name.
    pub fn key(&self) -> Vec<u8> {
        key_of(&self.0)
    }

    /// The key of a child name `<label>.<key>`, written into `buf`; `None`
    /// when the child would be longer than any DNS name may be (a host name
    /// near 253 characters has no room for `*.` or `_acme-challenge.`). The
    /// label is trusted (internal use: `*` and `_acme-challenge`).
    pub fn child_key_in<'b>(key: &[u8], label: &str, buf: &'b mut [u8; 256]) -> Option<&'b [u8]> {
        let len = 1 + label.len() + key.len();
        if len > MAX_KEY_LEN {
            return None;
        }
        buf[0] = label.len() as u8;
        for (dst, src) in buf[1..].iter_mut().zip(label.bytes()) {
            *dst = src.to_ascii_lowercase();
        }
        buf[1 + label.len()..len].copy_from_slice(key);
        Some(&buf[..len])
    }

    /// True when `self` equals `apex` or lies below it.
    pub fn is_within(&self, apex: &str) -> bool {
        self.0 == apex
            || (self.0.len() > apex.len()
                && self.0.ends_with(apex)
                && self.0.as_bytes()[self.0.len() - apex.len() - 1] == b'.')
    }
}

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Converts a dotted name (no validation beyond label lengths, trailing dot
/// optional) into its lowercase wire key. Used for names from the configuration,
/// which may contain `_` and `*` labels.
pub fn key_of(dotted: &str) -> Vec<u8> {
    let name = dotted.strip_suffix('.').unwrap_or(dotted);
    let mut key = Vec::with_capacity(name.len() + 2);
    if !name.is_empty() {
        for label in name.split('.') {
            key.push(label.len() as u8);
            key.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
        }
    }
    key.push(0);
    key
}

/// Checks that a configured name is a syntactically valid domain name
/// (labels 1–63 octets, total ≤ 253). Unlike [`Fqdn::parse`] it accepts any
/// printable label characters and a single label, as zone files do: static
/// records may be `_acme-challenge` or `*` names, and only dnsd serves them,
/// so this looser rule is dnsd's own.
pub fn check_domain(dotted: &str) -> Result<(), NameError> {
    let name = dotted.strip_suffix('.').unwrap_or(dotted);
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return Err(NameError::BadLabelLength);
        }
        if !label.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(NameError::BadCharacter);
        }
    }
    Ok(())
}

/// The key of the parent name, or `None` for the root.
pub fn parent_key(key: &[u8]) -> Option<&[u8]> {
    let len = *key.first()? as usize;
    if len == 0 { None } else { key.get(len + 1..) }
}

/// Renders a wire key back to a dotted name (for logs and listings).
pub fn key_to_dotted(key: &[u8]) -> String {
    let mut out = String::with_capacity(key.len());
    let mut rest = key;
    while let Some((&len, tail)) = rest.split_first() {
        if len == 0 {
            break;
        }
        let len = usize::from(len).min(tail.len());
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&String::from_utf8_lossy(&tail[..len]));
        rest = &tail[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_space_case_and_trailing_dot() {
        let name = Fqdn::parse(" Home.DYN.example.NET. ").unwrap();
        assert_eq!(name.as_str(), "home.dyn.example.net");
        assert_eq!(Fqdn::parse(" . "), Err(NameError::Empty));
        assert_eq!(Fqdn::parse("localhost"), Err(NameError::NotQualified));
    }

    #[test]
    fn configured_names_may_hold_any_printable_label() {
        assert!(check_domain("_acme-challenge.example.").is_ok());
        assert!(check_domain("*.example").is_ok());
        assert!(check_domain("localhost").is_ok());
        assert_eq!(check_domain("a..b"), Err(NameError::BadLabelLength));
        assert_eq!(check_domain("a b.c"), Err(NameError::BadCharacter));
    }

    #[test]
    fn keys_are_lowercase_wire_names_and_parents_are_suffixes() {
        let key = key_of("Ab.Example.");
        assert_eq!(key, b"\x02ab\x07example\x00");
        let parent = parent_key(&key).unwrap();
        assert_eq!(parent, b"\x07example\x00");
        assert_eq!(parent_key(parent).unwrap(), b"\x00");
        assert_eq!(parent_key(b"\x00"), None);
        assert_eq!(key_to_dotted(&key), "ab.example");
        let host = Fqdn::parse("h.example").unwrap();
        let mut buf = [0u8; 256];
        assert_eq!(
            Fqdn::child_key_in(&host.key(), "*", &mut buf),
            Some(&b"\x01*\x01h\x07example\x00"[..])
        );
    }

    /// Found by the `update_params` fuzz target: a valid host name of 253
    /// characters has a 255-byte key, and its `*.` child overran the buffer.
    #[test]
    fn a_child_too_long_for_a_name_has_no_key() {
        let label = "a".repeat(63);
        let longest = Fqdn::parse(&format!(
            "{label}.{label}.{label}.{}.example",
            "b".repeat(53)
        ))
        .unwrap();
        assert_eq!(longest.key().len(), MAX_KEY_LEN);
        let mut buf = [0u8; 256];
        assert_eq!(Fqdn::child_key_in(&longest.key(), "*", &mut buf), None);
        let room = Fqdn::parse(&format!(
            "{label}.{label}.{label}.{}.example",
            "b".repeat(51)
        ))
        .unwrap();
        assert_eq!(
            Fqdn::child_key_in(&room.key(), "*", &mut buf).map(<[u8]>::len),
            Some(MAX_KEY_LEN)
        );
    }

    #[test]
    fn within_respects_label_boundaries() {
        let name = Fqdn::parse("a.dyn.example").unwrap();
        assert!(name.is_within("dyn.example"));
        assert!(!name.is_within("yn.example"));
        assert!(Fqdn::parse("dyn.example").unwrap().is_within("dyn.example"));
    }
}
