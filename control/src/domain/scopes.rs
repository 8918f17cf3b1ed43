//! Scopes of personal API tokens: `<read|write>:<what>`.

use std::fmt;

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    ReadAccount,
    ReadHosts,
    WriteHosts,
    WriteTokens,
    ReadLog,
    /// A reseller's customers.
    ReadCustomers,
    WriteCustomers,
    /// A reseller's licences (or a tenant's own, read only).
    ReadLicences,
    WriteLicences,
    /// A tenant's users (a reseller's: its customers').
    ReadUsers,
    WriteUsers,
    /// Operators: reseller organisations.
    ReadResellers,
    WriteResellers,
}

impl Scope {
    pub const ALL: [Scope; 13] = [
        Scope::ReadAccount,
        Scope::ReadHosts,
        Scope::WriteHosts,
        Scope::WriteTokens,
        Scope::ReadLog,
        Scope::ReadCustomers,
        Scope::WriteCustomers,
        Scope::ReadLicences,
        Scope::WriteLicences,
        Scope::ReadUsers,
        Scope::WriteUsers,
        Scope::ReadResellers,
        Scope::WriteResellers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadAccount => "read:account",
            Scope::ReadHosts => "read:hosts",
            Scope::WriteHosts => "write:hosts",
            Scope::WriteTokens => "write:tokens",
            Scope::ReadLog => "read:log",
            Scope::ReadCustomers => "read:customers",
            Scope::WriteCustomers => "write:customers",
            Scope::ReadLicences => "read:licences",
            Scope::WriteLicences => "write:licences",
            Scope::ReadUsers => "read:users",
            Scope::WriteUsers => "write:users",
            Scope::ReadResellers => "read:resellers",
            Scope::WriteResellers => "write:resellers",
        }
    }

    /// The names tokens were made with before the `<read|write>:<what>` style.
    fn legacy(self) -> Option<&'static str> {
        match self {
            Scope::ReadAccount => Some("account:read"),
            Scope::ReadHosts => Some("hosts:read"),
            Scope::WriteHosts => Some("hosts:write"),
            Scope::WriteTokens => Some("tokens:write"),
            Scope::ReadLog => Some("log:read"),
            _ => None,
        }
    }

    /// Parses a scope name; the old `hosts:write` style is accepted too.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text || s.legacy() == Some(text))
    }

    /// The scope that writing this one implies reading (a client that
    /// changes something must see it).
    fn read_of_write(self) -> Option<Self> {
        match self {
            Scope::WriteHosts => Some(Scope::ReadHosts),
            Scope::WriteCustomers => Some(Scope::ReadCustomers),
            Scope::WriteLicences => Some(Scope::ReadLicences),
            Scope::WriteUsers => Some(Scope::ReadUsers),
            Scope::WriteResellers => Some(Scope::ReadResellers),
            _ => None,
        }
    }
}

/// Who holds a token, which decides the scopes it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A user of a tenant (a standalone account holder, a customer's user);
    /// operators may grant the reseller administration too.
    Tenant { operator: bool },
    /// A reseller user: customers, their licences and hosts.
    Reseller,
}

impl Scope {
    /// Whether a token of `holder` may carry this scope.
    pub fn grantable_by(self, holder: Holder) -> bool {
        match self {
            Scope::ReadAccount
            | Scope::ReadHosts
            | Scope::WriteHosts
            | Scope::ReadLicences
            | Scope::ReadUsers
            | Scope::WriteUsers => true,
            Scope::WriteTokens | Scope::ReadLog => matches!(holder, Holder::Tenant { .. }),
            Scope::ReadCustomers | Scope::WriteCustomers | Scope::WriteLicences => {
                holder == Holder::Reseller
            }
            Scope::ReadResellers | Scope::WriteResellers => {
                holder == Holder::Tenant { operator: true }
            }
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a token with `granted` scopes may act with `needed`.
pub fn allows(granted: &[Scope], needed: Scope) -> bool {
    granted
        .iter()
        .any(|&g| g == needed || g.read_of_write() == Some(needed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_names_and_old_names_still_parse() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("hosts:write"), Some(Scope::WriteHosts));
        assert_eq!(Scope::parse(" log:read "), Some(Scope::ReadLog));
        assert_eq!(Scope::parse("admin"), None);
        assert_eq!(Scope::parse("customers:read"), None, "no legacy name");
    }

    #[test]
    fn each_holder_may_grant_its_own_scopes_only() {
        let user = Holder::Tenant { operator: false };
        let operator = Holder::Tenant { operator: true };
        assert!(
            Scope::WriteHosts.grantable_by(user)
                && Scope::WriteHosts.grantable_by(Holder::Reseller)
        );
        assert!(!Scope::ReadCustomers.grantable_by(user));
        assert!(Scope::ReadCustomers.grantable_by(Holder::Reseller));
        assert!(!Scope::WriteTokens.grantable_by(Holder::Reseller));
        assert!(
            !Scope::WriteResellers.grantable_by(user)
                && !Scope::WriteResellers.grantable_by(Holder::Reseller)
        );
        assert!(Scope::WriteResellers.grantable_by(operator));
    }

    #[test]
    fn write_implies_read_of_the_same_thing_only() {
        assert!(allows(&[Scope::WriteHosts], Scope::ReadHosts));
        assert!(allows(&[Scope::WriteCustomers], Scope::ReadCustomers));
        assert!(!allows(&[Scope::ReadHosts], Scope::WriteHosts));
        assert!(!allows(&[Scope::WriteTokens], Scope::WriteHosts));
        assert!(!allows(&[Scope::WriteCustomers], Scope::ReadLicences));
        assert!(!allows(&[], Scope::ReadLog));
    }
}
