//! Two-factor rules: TOTP codes (RFC 6238: HMAC-SHA-1, 6 digits, 30-second
//! steps, ±1 step) checked against a time the caller passes in, replay
//! protection by time step, single-use recovery codes, and who must use 2FA
//! from when. Nothing here reads the clock.

use rand::Rng;
use time::Date;
use totp_rs::{Algorithm, Builder, Totp};

/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
/// Steps accepted before and after the current one (clock drift, typing).
pub const SKEW: u16 = 1;
/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// The issuer authenticator apps show next to the account name.
pub const ISSUER: &str = "spdyn";
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Groups of 4 characters (5 bits each) per recovery code: 80 random bits.
const RECOVERY_GROUPS: usize = 4;

/// A TOTP secret (the shared key of the authenticator app).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    /// 160 fresh random bits.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding, for typing into an app by hand.
    pub fn base32(&self) -> String {
        self.totp("x").secret().to_base32()
    }

    /// The `otpauth://totp/…` URL the QR code carries.
    pub fn otpauth_url(&self, account: &str) -> String {
        // Account names are `a-z0-9._@-` (no ':'), so the URL always builds.
        self.totp(account).to_url().unwrap_or_default()
    }

    fn totp(&self, account: &str) -> Totp {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW)
            .with_step_duration(STEP_SECS)
            .with_secret(self.0.clone())
            .with_issuer(Some(ISSUER))
            .with_account_name(account)
            .build_noncompliant()
    }
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the code is wrong")]
    Wrong,
    #[error("the code was used already")]
    Replayed,
}

/// Checks a 6-digit `code` at `unix_time` (seconds). Accepts the current
/// step and one either side, but only a step after `last_used_step`: each
/// step signs in once, and an older code is refused once a newer one was
/// used. Returns the matched step, which the caller stores.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    unix_time: u64,
    last_used_step: Option<i64>,
) -> Result<i64, CodeError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = secret
        .totp("x")
        .check(&code, unix_time)
        .and_then(|s| i64::try_from(s).ok())
        .ok_or(CodeError::Wrong)?;
    match last_used_step {
        Some(last) if step <= last => Err(CodeError::Replayed),
        _ => Ok(step),
    }
}

/// Whether the input is shaped like a TOTP code (else it may be a recovery
/// code).
pub fn is_totp_shaped(input: &str) -> bool {
    let digits: Vec<char> = input.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == usize::from(DIGITS) && digits.iter().all(char::is_ascii_digit)
}

/// Ten fresh recovery codes such as `k3vd-p7qa-x2mf-hn8c` (80 bits each).
pub fn recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            // The readable update-token alphabet; its first groups suffice.
            let token = super::tokens::update_token();
            token
                .split('-')
                .take(RECOVERY_GROUPS)
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The form of a recovery code that is hashed: lowercase, without dashes or
/// spaces, so `K3VD P7QA-x2mf hn8c` is the same code.
pub fn normalize_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// What 2FA asks of a signed-in principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demand {
    /// Nothing: 2FA is on, or optional for this principal.
    None,
    /// Mandatory later: a banner with an "Enable 2FA" button on every page.
    Banner,
    /// Mandatory now: nothing but the enrolment is reachable.
    Enrol,
}

/// What a principal is, as far as 2FA cares (PRODUCT.md §7): operators
/// (`accounts.is_admin`) and the admins of a customer's tenant must use 2FA
/// from the configured date; reseller users from their first sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles {
    pub operator: bool,
    pub tenant_admin: bool,
    pub reseller_user: bool,
}

impl Roles {
    pub fn must_use_two_factor(self) -> bool {
        self.operator || self.tenant_admin || self.reseller_user
    }
}

/// The demand on a principal with `roles`, with or without 2FA, on `today`
/// (UTC), given the configured enforcement date (`None`: never enforced).
pub fn demand(
    roles: Roles,
    has_two_factor: bool,
    enforce_from: Option<Date>,
    today: Date,
) -> Demand {
    if has_two_factor || !roles.must_use_two_factor() {
        Demand::None
    } else if roles.reseller_user || enforce_from.is_some_and(|from| today >= from) {
        Demand::Enrol
    } else {
        Demand::Banner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6238 appendix B key for SHA-1: ASCII "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    /// A code for `unix_time`, as an authenticator app computes it.
    fn code_at(secret: &TotpSecret, digits: u8, unix_time: u64) -> String {
        Builder::new()
            .with_digits(digits)
            .with_secret(secret.as_bytes().to_vec())
            .build_noncompliant()
            .generate(unix_time)
            .to_string()
    }

    /// RFC 6238 appendix B, SHA-1 rows: (time, 8-digit TOTP).
    const VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc_6238_vectors_with_8_digits_and_with_our_6() {
        let secret = rfc_secret();
        for (time, expected) in VECTORS {
            assert_eq!(code_at(&secret, 8, time), expected, "T={time}");
            // Our 6 digits are the same truncation modulo 10^6.
            let six = &expected[2..];
            assert_eq!(code_at(&secret, 6, time), six, "T={time}");
            assert_eq!(
                verify(&secret, six, time, None),
                Ok(i64::try_from(time / STEP_SECS).unwrap()),
                "T={time}"
            );
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_two_are_not() {
        let secret = TotpSecret::generate();
        let now = 1_800_000_015;
        let step = |offset: i64| (now as i64 + offset * STEP_SECS as i64) as u64;
        for offset in [-1, 0, 1] {
            let code = code_at(&secret, 6, step(offset));
            assert!(verify(&secret, &code, now, None).is_ok(), "{offset}");
        }
        for offset in [-2, 2] {
            let code = code_at(&secret, 6, step(offset));
            assert_eq!(
                verify(&secret, &code, now, None),
                Err(CodeError::Wrong),
                "{offset}"
            );
        }
    }

    #[test]
    fn a_step_is_accepted_once_and_older_steps_never_after_it() {
        let secret = TotpSecret::generate();
        let now = 1_800_000_000;
        let code = code_at(&secret, 6, now);
        let step = verify(&secret, &code, now, None).unwrap();
        assert_eq!(
            verify(&secret, &code, now + 5, Some(step)),
            Err(CodeError::Replayed)
        );
        let older = code_at(&secret, 6, now - STEP_SECS);
        assert_eq!(
            verify(&secret, &older, now, Some(step)),
            Err(CodeError::Replayed)
        );
        let next = code_at(&secret, 6, now + STEP_SECS);
        assert_eq!(
            verify(&secret, &next, now + STEP_SECS, Some(step)),
            Ok(step + 1)
        );
    }

    #[test]
    fn malformed_codes_are_wrong_and_spaces_are_ignored() {
        let secret = rfc_secret();
        for bad in ["", "12345", "1234567", "abcdef", "+28708", "28708２"] {
            assert_eq!(verify(&secret, bad, 59, None), Err(CodeError::Wrong));
        }
        assert!(verify(&secret, "287 082", 59, None).is_ok());
        assert!(is_totp_shaped("287 082") && !is_totp_shaped("k3vd-p7qa"));
    }

    #[test]
    fn the_secret_travels_as_base32_and_in_an_otpauth_url() {
        let secret = rfc_secret();
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let url = secret.otpauth_url("alice");
        assert!(url.starts_with("otpauth://totp/spdyn:alice?"), "{url}");
        assert!(url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        assert!(url.contains("issuer=spdyn"));
        assert_eq!(TotpSecret::generate().as_bytes().len(), SECRET_BYTES);
        assert!(!format!("{secret:?}").contains("GEZ"), "never printed");
    }

    #[test]
    fn recovery_codes_are_ten_distinct_80_bit_codes() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(normalize_recovery_code(code).len() * 5, 80);
        }
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        assert_eq!(
            normalize_recovery_code(" K3VD p7qa-x2mf HN8C "),
            "k3vdp7qax2mfhn8c"
        );
    }

    #[test]
    fn operators_get_a_banner_before_the_date_and_must_enrol_from_it() {
        let day = |d| Date::from_calendar_date(2027, time::Month::March, d).unwrap();
        let operator = Roles {
            operator: true,
            ..Roles::default()
        };
        let account = Roles::default();
        assert_eq!(demand(operator, false, None, day(1)), Demand::Banner);
        assert_eq!(
            demand(operator, false, Some(day(2)), day(1)),
            Demand::Banner
        );
        assert_eq!(demand(operator, false, Some(day(2)), day(2)), Demand::Enrol);
        assert_eq!(demand(operator, false, Some(day(2)), day(3)), Demand::Enrol);
        assert_eq!(demand(operator, true, Some(day(2)), day(3)), Demand::None);
        assert_eq!(demand(account, false, Some(day(2)), day(3)), Demand::None);
    }

    #[test]
    fn reseller_users_must_enrol_at_once_and_tenant_admins_from_the_date() {
        let day = |d| Date::from_calendar_date(2027, time::Month::January, d).unwrap();
        let reseller = Roles {
            reseller_user: true,
            ..Roles::default()
        };
        let tenant_admin = Roles {
            tenant_admin: true,
            ..Roles::default()
        };
        assert_eq!(demand(reseller, false, None, day(1)), Demand::Enrol);
        assert_eq!(demand(reseller, true, None, day(1)), Demand::None);
        assert_eq!(demand(tenant_admin, false, None, day(1)), Demand::Banner);
        assert_eq!(
            demand(tenant_admin, false, Some(day(2)), day(2)),
            Demand::Enrol
        );
    }
}
