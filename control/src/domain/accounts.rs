//! Account rules: sign-in names (which double as dyndns2 account names),
//! e-mail addresses, password policy and the interface language.

use std::fmt;

/// Database id of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

/// What a user may do in its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Every permission of the tenant (standalone account holders are the
    /// admin of their own tenant).
    Admin,
    /// Sees everything of the tenant and changes nothing.
    ReadOnly,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReadOnly => "read_only",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Role::Admin, Role::ReadOnly]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

/// Why an input is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("an account name is 2 to 64 characters of a-z, 0-9, '.', '_', '@' and '-'")]
    BadName,
    #[error("this is not an e-mail address")]
    BadEmail,
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("a password may have at most {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
}

/// Shortest accepted password (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password: bounds the hashing work an attacker can cause.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A sign-in name: 2–64 characters of `a-z 0-9 . _ @ -`, stored lowercase.
/// dnsd applies the same rule to account-mode update user names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountName(String);

impl AccountName {
    pub fn parse(input: &str) -> Result<Self, AccountError> {
        let name = input.trim().to_ascii_lowercase();
        let ok = (2..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_@".contains(&b));
        if ok {
            Ok(Self(name))
        } else {
            Err(AccountError::BadName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plausible e-mail address: one `@`, non-empty local part, a dotted
/// domain, no spaces or control characters. Whether it exists is proven only
/// by a mail arriving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, AccountError> {
        let email = input.trim();
        let ok = (3..=254).contains(&email.len())
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if ok {
            Ok(Self(email.to_owned()))
        } else {
            Err(AccountError::BadEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password against the policy.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::PasswordTooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooShort);
    }
    Ok(())
}

/// Interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    De,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::De];

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Language::En),
            "de" => Some(Language::De),
            _ => None,
        }
    }

    /// The best supported language of an `Accept-Language` header, by
    /// q-value and then order; English when none matches.
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best: Option<(f32, Language)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Self::from_code(primary)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Language::En, |(_, lang)| lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_follow_the_dyndns_account_rule_and_are_lowercased() {
        assert_eq!(
            AccountName::parse(" Alice@Home ").unwrap().as_str(),
            "alice@home"
        );
        assert!(AccountName::parse("a.b_c-d@e9").is_ok());
        assert_eq!(AccountName::parse("a"), Err(AccountError::BadName));
        assert!(AccountName::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            AccountName::parse(&"a".repeat(65)),
            Err(AccountError::BadName)
        );
        assert_eq!(AccountName::parse("al ice"), Err(AccountError::BadName));
        assert_eq!(AccountName::parse("alice!"), Err(AccountError::BadName));
        assert_eq!(AccountName::parse("jürgen"), Err(AccountError::BadName));
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("a@example.net").is_ok());
        for bad in [
            "",
            "a",
            "a@b",
            "@example.net",
            "a@@example.net",
            "a b@example.net",
            "a@example.net.",
            "<a@example.net>",
        ] {
            assert_eq!(Email::parse(bad), Err(AccountError::BadEmail), "{bad}");
        }
    }

    #[test]
    fn password_policy_bounds_length() {
        assert_eq!(check_password("short"), Err(AccountError::PasswordTooShort));
        assert!(check_password("ten chars!").is_ok());
        assert!(check_password("zehn Zeichen äöü").is_ok());
        assert_eq!(
            check_password(&"x".repeat(1025)),
            Err(AccountError::PasswordTooLong)
        );
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Language::negotiate("de-DE,de;q=0.9,en;q=0.8"), Language::De);
        assert_eq!(
            Language::negotiate("fr-FR, en;q=0.5, de;q=0.7"),
            Language::De
        );
        assert_eq!(Language::negotiate("en-US,de;q=0.9"), Language::En);
        assert_eq!(Language::negotiate("fr"), Language::En);
        assert_eq!(Language::negotiate("de;q=0"), Language::En);
        assert_eq!(Language::negotiate(""), Language::En);
    }
}
