//! The page templates (askama) and the frame every page shares.

use std::net::IpAddr;

use askama::Template;
use time::OffsetDateTime;

use super::i18n::Tr;
use crate::{
    auth::CurrentUser,
    db::{accounts::AccountSummary, api_tokens::ApiToken, hosts::Host, log::Entry},
    domain::{accounts::Language, two_factor::Demand},
};

/// What the layout needs: language, who is signed in, the CSRF token of the
/// forms, and a notice or error to show.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub tr: Tr,
    pub user: Option<String>,
    pub is_admin: bool,
    /// 2FA will be mandatory: show the banner with its "Enable 2FA" button.
    pub two_factor_banner: bool,
    /// Only the enrolment is reachable: the navigation offers sign-out only.
    pub confined: bool,
    pub csrf: String,
    pub notice: Option<&'static str>,
    pub error: Option<&'static str>,
}

impl Chrome {
    pub fn signed_in(user: &CurrentUser) -> Self {
        Self {
            tr: Tr(user.language),
            user: Some(user.name.clone()),
            is_admin: user.is_admin,
            two_factor_banner: user.demand == Demand::Banner,
            confined: user.demand == Demand::Enrol,
            csrf: user.csrf.clone(),
            notice: None,
            error: None,
        }
    }

    pub fn anonymous(language: Language, csrf: String) -> Self {
        Self {
            tr: Tr(language),
            user: None,
            is_admin: false,
            two_factor_banner: false,
            confined: false,
            csrf,
            notice: None,
            error: None,
        }
    }

    /// Shows the notice named by a `?done=` parameter (known names only).
    pub fn with_done(mut self, done: Option<&str>) -> Self {
        const NOTICES: &[(&str, &str)] = &[
            ("signed_up", "notice.signed_up"),
            ("created", "notice.created"),
            ("saved", "notice.saved"),
            ("deleted", "notice.deleted"),
            ("revoked", "notice.revoked"),
            ("moved", "notice.moved"),
            ("password_changed", "notice.password_changed"),
            ("reset_done", "notice.reset_done"),
            ("no_missing", "notice.no_missing"),
            ("2fa_disabled", "notice.2fa_disabled"),
            ("recovery_used", "notice.recovery_used"),
        ];
        self.notice = done
            .and_then(|d| NOTICES.iter().find(|(name, _)| *name == d))
            .map(|(_, key)| *key);
        self
    }

    pub fn with_error(mut self, error: &'static str) -> Self {
        self.error = Some(error);
        self
    }

    /// A time for people, `2026-11-25 14:03 UTC`, or "never".
    pub fn when(&self, at: &Option<OffsetDateTime>) -> String {
        match at {
            None => self.tr.t("hosts.never").to_owned(),
            Some(at) => self.at(at),
        }
    }

    /// A time for people: `2026-11-25 14:03 UTC`.
    pub fn at(&self, at: &OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        )
    }

    pub fn ip(&self, addr: &Option<IpAddr>) -> String {
        addr.map_or_else(|| "–".to_owned(), |a| a.to_string())
    }

    pub fn text(&self, text: &Option<String>) -> String {
        text.clone().unwrap_or_default()
    }

    /// The text key of a token's state.
    pub fn token_state(
        &self,
        has_token: &bool,
        first_used: &Option<OffsetDateTime>,
    ) -> &'static str {
        match (has_token, first_used) {
            (false, _) => "token.none",
            (true, None) => "token.unused",
            (true, Some(_)) => "token.used",
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub en: &'static str,
    pub de: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub name: String,
    pub signup: bool,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage {
    pub c: Chrome,
    pub open: bool,
    pub name: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "reset_request.html")]
pub struct ResetRequestPage {
    pub c: Chrome,
    pub sent: bool,
}

#[derive(Template)]
#[template(path = "reset_form.html")]
pub struct ResetFormPage {
    pub c: Chrome,
    pub token: String,
    pub valid: bool,
}

#[derive(Template)]
#[template(path = "hosts.html")]
pub struct HostsPage {
    pub c: Chrome,
    pub hosts: Vec<Host>,
    pub quota: i32,
    pub zones: Vec<String>,
    pub default_ttl: u32,
    pub label: String,
}

#[derive(Template)]
#[template(path = "host.html")]
pub struct HostPage {
    pub c: Chrome,
    pub host: Host,
}

#[derive(Template)]
#[template(path = "token.html")]
pub struct TokenPage {
    pub c: Chrome,
    pub host: String,
    pub host_id: i64,
    pub token: String,
    /// dnsd's update URL (a placeholder when not configured).
    pub update_url: String,
}

#[derive(Template)]
#[template(path = "log.html")]
pub struct LogPage {
    pub c: Chrome,
    pub entries: Vec<Entry>,
    pub older: Option<i64>,
}

#[derive(Template)]
#[template(path = "api_tokens.html")]
pub struct ApiTokensPage {
    pub c: Chrome,
    pub tokens: Vec<ApiToken>,
    pub scopes: Vec<&'static str>,
    pub created: Option<String>,
}

/// One choice of the language select.
#[derive(Debug, Clone)]
pub struct LanguageOption {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub c: Chrome,
    pub email: String,
    pub languages: Vec<LanguageOption>,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub c: Chrome,
    pub accounts: Vec<AccountSummary>,
}

#[derive(Template)]
#[template(path = "login_code.html")]
pub struct LoginCodePage {
    pub c: Chrome,
}

#[derive(Template)]
#[template(path = "two_factor.html")]
pub struct TwoFactorPage {
    pub c: Chrome,
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// Operators must use 2FA (from the enforcement date, if one is set).
    pub mandatory: bool,
}

#[derive(Template)]
#[template(path = "enrol.html")]
pub struct EnrolPage {
    pub c: Chrome,
    /// The QR code of the otpauth URL, as inline SVG (made here, not input).
    pub qr_svg: String,
    /// The secret in base32, for typing it in by hand.
    pub secret: String,
    /// Whether "Not now" is offered (2FA is not mandatory yet).
    pub can_skip: bool,
    /// Reached from a password reset (step 3 of 3).
    pub from_reset: bool,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub c: Chrome,
    pub codes: Vec<String>,
}
