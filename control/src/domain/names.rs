//! Host names: one LDH label under one of the offered zones. The syntax is
//! `spdyn_common::names`, shared with dnsd; the offered zones are control's.

use std::fmt;

use spdyn_common::names::{self as syntax, MAX_NAME_LEN};

/// Why a name is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Against the host-name syntax both binaries share.
    #[error(transparent)]
    Syntax(#[from] syntax::NameError),
    #[error("the name is not directly under an offered zone")]
    NotOffered,
}

/// An offered zone, lowercase, without trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Zone(String);

impl Zone {
    /// Parses a zone apex: two or more LDH labels.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        // Every trailing dot goes, not just one: configured zones such as
        // `example.net..` have always been accepted.
        Ok(Self(syntax::parse_name(
            input.trim().trim_end_matches('.'),
        )?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A host name `<label>.<zone>` with the zone among the offered ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName {
    fqdn: String,
    zone: Zone,
}

impl HostName {
    /// A host from its label and the chosen zone. Stricter than dnsd, which
    /// serves names at any depth: the portal hands out exactly one label
    /// directly under an offered zone.
    pub fn new(label: &str, zone: &str, offered: &[Zone]) -> Result<Self, NameError> {
        let label = label.trim().to_ascii_lowercase();
        syntax::check_label(&label)?;
        let zone = offered
            .iter()
            .find(|z| z.as_str() == zone.trim().trim_end_matches('.').to_ascii_lowercase())
            .ok_or(NameError::NotOffered)?;
        let fqdn = format!("{label}.{zone}");
        if fqdn.len() > MAX_NAME_LEN {
            return Err(syntax::NameError::TooLong.into());
        }
        Ok(Self {
            fqdn,
            zone: zone.clone(),
        })
    }

    /// A host from its full name; the first label is the host's own, the rest
    /// must be an offered zone.
    pub fn parse(fqdn: &str, offered: &[Zone]) -> Result<Self, NameError> {
        let name = fqdn.trim().trim_end_matches('.');
        if name.is_empty() {
            return Err(syntax::NameError::Empty.into());
        }
        let (label, zone) = name.split_once('.').ok_or(NameError::NotOffered)?;
        Self::new(label, zone, offered)
    }

    pub fn as_str(&self) -> &str {
        &self.fqdn
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fqdn)
    }
}

#[cfg(test)]
mod tests {
    use spdyn_common::names::NameError as Syntax;

    use super::*;

    fn zones() -> Vec<Zone> {
        vec![
            Zone::parse("dyn.example.net").unwrap(),
            Zone::parse("Home.Example.ORG.").unwrap(),
        ]
    }

    #[test]
    fn a_host_is_one_lowercase_label_under_an_offered_zone() {
        let host = HostName::new("My-Router", "home.example.org", &zones()).unwrap();
        assert_eq!(host.as_str(), "my-router.home.example.org");
        assert_eq!(host.zone().as_str(), "home.example.org");
        let parsed = HostName::parse("a1.DYN.example.net.", &zones()).unwrap();
        assert_eq!(parsed.as_str(), "a1.dyn.example.net");
    }

    #[test]
    fn labels_follow_the_ldh_rule() {
        let z = zones();
        assert_eq!(
            HostName::new("", "dyn.example.net", &z),
            Err(NameError::Syntax(Syntax::BadLabelLength))
        );
        assert_eq!(
            HostName::new("-a", "dyn.example.net", &z),
            Err(NameError::Syntax(Syntax::BadCharacter))
        );
        assert_eq!(
            HostName::new("a-", "dyn.example.net", &z),
            Err(NameError::Syntax(Syntax::BadCharacter))
        );
        assert_eq!(
            HostName::new("a_b", "dyn.example.net", &z),
            Err(NameError::Syntax(Syntax::BadCharacter))
        );
        assert_eq!(
            HostName::new("a.b", "dyn.example.net", &z),
            Err(NameError::Syntax(Syntax::BadCharacter))
        );
        assert_eq!(
            HostName::new("ä", "dyn.example.net", &z),
            Err(NameError::Syntax(Syntax::BadCharacter))
        );
        assert!(HostName::new(&"a".repeat(63), "dyn.example.net", &z).is_ok());
        assert_eq!(
            HostName::new(&"a".repeat(64), "dyn.example.net", &z),
            Err(NameError::Syntax(Syntax::BadLabelLength))
        );
        assert!(HostName::new("xn--bcher-kva", "dyn.example.net", &z).is_ok());
    }

    #[test]
    fn only_offered_zones_and_one_label_are_accepted() {
        let z = zones();
        assert_eq!(
            HostName::new("a", "example.net", &z),
            Err(NameError::NotOffered)
        );
        assert_eq!(
            HostName::parse("a.b.dyn.example.net", &z),
            Err(NameError::NotOffered)
        );
        assert_eq!(HostName::parse("dyn", &z), Err(NameError::NotOffered));
        assert_eq!(
            HostName::parse(" ", &z),
            Err(NameError::Syntax(Syntax::Empty))
        );
    }

    #[test]
    fn the_full_name_is_at_most_253_characters() {
        let long_zone = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(40),
        ]
        .join(".");
        let z = vec![Zone::parse(&long_zone).unwrap()];
        assert_eq!(long_zone.len(), 232);
        assert!(HostName::new(&"x".repeat(20), &long_zone, &z).is_ok()); // 253
        assert_eq!(
            HostName::new(&"x".repeat(21), &long_zone, &z),
            Err(NameError::Syntax(Syntax::TooLong))
        );
    }
}
