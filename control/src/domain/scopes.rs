//! Scopes of personal API tokens.

use std::fmt;

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    AccountRead,
    HostsRead,
    HostsWrite,
    TokensWrite,
    LogRead,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::AccountRead,
        Scope::HostsRead,
        Scope::HostsWrite,
        Scope::TokensWrite,
        Scope::LogRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AccountRead => "account:read",
            Scope::HostsRead => "hosts:read",
            Scope::HostsWrite => "hosts:write",
            Scope::TokensWrite => "tokens:write",
            Scope::LogRead => "log:read",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a token with `granted` scopes may act with `needed`. Writing hosts
/// includes reading them: a client that changes a host must see it.
pub fn allows(granted: &[Scope], needed: Scope) -> bool {
    granted.contains(&needed)
        || (needed == Scope::HostsRead && granted.contains(&Scope::HostsWrite))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_names() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn write_implies_read_for_hosts_only() {
        assert!(allows(&[Scope::HostsWrite], Scope::HostsRead));
        assert!(!allows(&[Scope::HostsRead], Scope::HostsWrite));
        assert!(!allows(&[Scope::TokensWrite], Scope::HostsWrite));
        assert!(!allows(&[], Scope::LogRead));
    }
}
