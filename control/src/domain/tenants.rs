//! Tenants and resellers: ids, customer numbers and tenant domains.
//!
//! A tenant owns hosts, tokens and log entries. A standalone dynamic-DNS
//! account is a tenant without a reseller; a reseller's customer is a tenant
//! with a customer number, reached under the tenant domain
//! `<customer number>.<suffix>`.

use std::fmt;

/// Database id of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub i64);

/// Database id of a reseller organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ResellerId(pub i64);

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ResellerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Longest name of a reseller or customer.
pub const MAX_NAME_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    #[error("a name is 1 to 200 characters, without control characters")]
    BadName,
    #[error("this is not a tenant domain")]
    BadDomain,
}

/// A display name of a reseller or customer: trimmed, 1–200 characters,
/// no control characters.
pub fn parse_name(input: &str) -> Result<String, TenantError> {
    let name = input.trim();
    let chars = name.chars().count();
    if (1..=MAX_NAME_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(TenantError::BadName)
    }
}

/// The tenant domain of a customer: `<number>.<suffix>`.
pub fn domain(customer_number: &str, suffix: &str) -> String {
    format!("{customer_number}.{suffix}")
}

/// The customer number in a tenant domain typed at sign-in (case and a
/// trailing dot do not matter). Only the configured suffix is accepted.
pub fn customer_number_of(domain: &str, suffix: &str) -> Result<String, TenantError> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let number = domain
        .strip_suffix(&suffix.to_ascii_lowercase())
        .and_then(|rest| rest.strip_suffix('.'))
        .ok_or(TenantError::BadDomain)?;
    if (1..=12).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit()) {
        Ok(number.to_owned())
    } else {
        Err(TenantError::BadDomain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_domain_carries_the_customer_number() {
        let suffix = "tenants.example.net";
        assert_eq!(domain("123456", suffix), "123456.tenants.example.net");
        assert_eq!(
            customer_number_of("123456.Tenants.Example.NET.", suffix).as_deref(),
            Ok("123456")
        );
        for bad in [
            "123456.other.example",
            "tenants.example.net",
            ".tenants.example.net",
            "12a.tenants.example.net",
            "1.2.tenants.example.net",
            "1234567890123.tenants.example.net",
            "",
        ] {
            assert_eq!(
                customer_number_of(bad, suffix),
                Err(TenantError::BadDomain),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  ACME GmbH ").as_deref(), Ok("ACME GmbH"));
        assert!(parse_name("").is_err() && parse_name("   ").is_err());
        assert!(parse_name("a\u{7}b").is_err());
        assert!(parse_name(&"ä".repeat(200)).is_ok());
        assert!(parse_name(&"ä".repeat(201)).is_err());
    }
}
