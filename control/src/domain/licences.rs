//! Licences: what a reseller sold a customer (a product, a quantity of hosts,
//! a validity), and their state on a given day. The day is a parameter:
//! nothing here reads a clock, so every state is testable.

use time::{Date, Duration};

/// Database id of a licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct LicenceId(pub i64);

/// What a licence is for. Today there is one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Dynamic DNS: the quantity is the number of hosts.
    Dyndns,
}

impl Product {
    pub const ALL: [Product; 1] = [Product::Dyndns];

    pub fn code(self) -> &'static str {
        match self {
            Product::Dyndns => "dyndns",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Where a licence stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceState {
    /// Not started yet (`valid_from` is later): no hosts may be created under it.
    Pending,
    Valid,
    /// Valid, and ends within the expiring window.
    Expiring,
    /// Ended: its hosts keep resolving and updating, but nothing may be
    /// changed under it.
    Expired,
    /// Ended more than the grace period ago: its hosts answer `!donator`.
    PastGrace,
}

impl LicenceState {
    pub fn code(self) -> &'static str {
        match self {
            LicenceState::Pending => "pending",
            LicenceState::Valid => "valid",
            LicenceState::Expiring => "expiring",
            LicenceState::Expired => "expired",
            LicenceState::PastGrace => "past_grace",
        }
    }

    /// Whether changes under the licence are allowed (creating hosts,
    /// changing their settings and tokens).
    pub fn allows_changes(self) -> bool {
        matches!(self, LicenceState::Valid | LicenceState::Expiring)
    }

    /// Whether the licence has ended (expired, with or without grace).
    pub fn has_ended(self) -> bool {
        matches!(self, LicenceState::Expired | LicenceState::PastGrace)
    }
}

/// The configured windows: how soon before its end a licence counts as
/// expiring, and how long after it its hosts still take updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenceRules {
    pub expiring_days: u32,
    pub grace_days: u32,
}

/// The day licence states are computed for (control's clock, shifted in
/// tests), with the windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Licensing {
    pub today: Date,
    pub rules: LicenceRules,
}

impl Licensing {
    pub fn state(&self, validity: Validity) -> LicenceState {
        validity.state(self.today, self.rules)
    }
}

/// A licence's validity: the first and the last day it covers (UTC, both
/// inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub from: Date,
    pub until: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LicenceError {
    #[error("the licence must end on or after the day it starts")]
    EndsBeforeStart,
    #[error("the quantity must be between 1 and 100000")]
    BadQuantity,
    #[error("unknown product")]
    UnknownProduct,
}

/// Largest quantity of one licence (the database checks it too).
pub const MAX_QUANTITY: i32 = 100_000;

impl Validity {
    pub fn new(from: Date, until: Date) -> Result<Self, LicenceError> {
        if until < from {
            return Err(LicenceError::EndsBeforeStart);
        }
        Ok(Self { from, until })
    }

    /// The state on `today`.
    pub fn state(&self, today: Date, rules: LicenceRules) -> LicenceState {
        if today < self.from {
            LicenceState::Pending
        } else if today <= self.until {
            if self.until - today <= Duration::days(i64::from(rules.expiring_days)) {
                LicenceState::Expiring
            } else {
                LicenceState::Valid
            }
        } else if today - self.until > Duration::days(i64::from(rules.grace_days)) {
            LicenceState::PastGrace
        } else {
            LicenceState::Expired
        }
    }
}

/// Checks a licence's quantity.
pub fn check_quantity(quantity: i32) -> Result<(), LicenceError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(LicenceError::BadQuantity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::parse_date;

    fn day(text: &str) -> Date {
        parse_date(text).unwrap()
    }

    const RULES: LicenceRules = LicenceRules {
        expiring_days: 30,
        grace_days: 14,
    };

    #[test]
    fn a_licence_goes_from_pending_through_valid_expiring_expired_to_past_grace() {
        let v = Validity::new(day("2027-01-01"), day("2027-12-31")).unwrap();
        let at = |d| v.state(d, RULES);
        assert_eq!(at(day("2026-12-31")), LicenceState::Pending);
        assert_eq!(at(day("2027-01-01")), LicenceState::Valid);
        assert_eq!(at(day("2027-11-30")), LicenceState::Valid);
        assert_eq!(
            at(day("2027-12-01")),
            LicenceState::Expiring,
            "30 days left"
        );
        assert_eq!(
            at(day("2027-12-31")),
            LicenceState::Expiring,
            "its last day"
        );
        assert_eq!(at(day("2028-01-01")), LicenceState::Expired);
        assert_eq!(
            at(day("2028-01-14")),
            LicenceState::Expired,
            "14 days of grace"
        );
        assert_eq!(at(day("2028-01-15")), LicenceState::PastGrace);
    }

    #[test]
    fn only_running_licences_allow_changes() {
        assert!(LicenceState::Valid.allows_changes());
        assert!(LicenceState::Expiring.allows_changes());
        for s in [
            LicenceState::Pending,
            LicenceState::Expired,
            LicenceState::PastGrace,
        ] {
            assert!(!s.allows_changes(), "{s:?}");
        }
    }

    #[test]
    fn dates_and_quantities_are_checked() {
        assert_eq!(
            Validity::new(day("2027-02-01"), day("2027-01-31")),
            Err(LicenceError::EndsBeforeStart)
        );
        assert!(Validity::new(day("2027-02-01"), day("2027-02-01")).is_ok());
        assert!(check_quantity(1).is_ok() && check_quantity(MAX_QUANTITY).is_ok());
        assert!(check_quantity(0).is_err() && check_quantity(MAX_QUANTITY + 1).is_err());
        assert_eq!(Product::from_code("dyndns"), Some(Product::Dyndns));
        assert_eq!(Product::from_code("mdm"), None);
    }
}
