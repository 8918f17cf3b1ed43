//! The page templates (askama) and the frame every page shares.

use std::net::IpAddr;

use askama::Template;
use time::OffsetDateTime;

use crate::{
    auth::{CurrentUser, principal::Acting},
    db::{
        accounts::{Account, AccountSummary, Kind},
        api_tokens::ApiToken,
        dashboard::Items,
        hosts::Host,
        licences::Licence,
        log::Entry,
        resellers::ResellerSummary,
        tenants::{CustomerSummary, TenantRow},
    },
    domain::{
        accounts::Language,
        licences::{LicenceState, Licensing},
        two_factor::Demand,
    },
    error::Error,
    i18n::Tr,
};

/// What the layout needs: language, who is signed in (and as what), the CSRF
/// token of the forms, the notifications panel, and a notice or error.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub tr: Tr,
    pub user: Option<String>,
    pub is_admin: bool,
    /// A reseller user (reseller navigation) …
    pub reseller_user: bool,
    /// … who opened a customer's portal: the marker "acting as reseller …".
    pub acting: Option<(String, Acting)>,
    /// A user of a customer's tenant.
    pub customer_user: bool,
    /// A dynamic-DNS account holder (may link to a reseller account).
    pub standalone: bool,
    /// A dynamic-DNS account linked to a reseller account: the "RSP" label;
    /// its 2FA is the reseller account's.
    pub linked: bool,
    /// A read-only user: the forms that change things are not offered.
    pub read_only: bool,
    /// 2FA will be mandatory: show the banner with its "Enable 2FA" button.
    pub two_factor_banner: bool,
    /// Only the enrolment is reachable: the navigation offers sign-out only.
    pub confined: bool,
    /// Between password and code: no "Sign in" or "Create account" links.
    pub mid_sign_in: bool,
    /// The path of the page, for the navigation's current-page marker.
    pub path: String,
    pub csrf: String,
    /// The notifications panel: the dashboard's items, when there are any.
    pub panel: Option<Items>,
    pub notice: Option<&'static str>,
    pub error: Option<String>,
    /// The form field the error is about, when the page shows it next to
    /// that field (instead of above the page).
    pub error_field: Option<&'static str>,
}

impl Chrome {
    pub fn signed_in(user: &CurrentUser) -> Self {
        let reseller_user = user.kind == Kind::ResellerUser;
        Self {
            tr: Tr(user.language),
            user: Some(user.name.clone()),
            is_admin: user.is_admin,
            reseller_user,
            acting: user
                .acting
                .clone()
                .filter(|_| reseller_user)
                .map(|a| (user.reseller_name.clone().unwrap_or_default(), a)),
            customer_user: user.kind == Kind::TenantUser,
            standalone: user.kind == Kind::Standalone,
            linked: user.linked,
            read_only: user.role == crate::domain::accounts::Role::ReadOnly,
            two_factor_banner: user.demand == Demand::Banner,
            confined: user.demand == Demand::Enrol,
            mid_sign_in: false,
            path: user.path.clone(),
            csrf: user.csrf.clone(),
            panel: None,
            notice: None,
            error: None,
            error_field: None,
        }
    }

    pub fn anonymous(language: Language, csrf: String) -> Self {
        Self {
            tr: Tr(language),
            user: None,
            is_admin: false,
            reseller_user: false,
            customer_user: false,
            standalone: false,
            linked: false,
            acting: None,
            read_only: false,
            two_factor_banner: false,
            confined: false,
            mid_sign_in: false,
            path: String::new(),
            csrf,
            panel: None,
            notice: None,
            error: None,
            error_field: None,
        }
    }

    /// `aria-current="page"` for the navigation link to `href` when the page
    /// is that one or below it (a host page under "Hosts").
    pub fn page_marker(&self, href: &str) -> &'static str {
        let below = self
            .path
            .strip_prefix(href)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if below { " aria-current=\"page\"" } else { "" }
    }

    /// The page between password and code.
    pub fn mid_sign_in(mut self) -> Self {
        self.mid_sign_in = true;
        self
    }

    /// Shows the notifications panel (when there is something in it).
    pub fn with_panel(mut self, items: Items) -> Self {
        self.panel = Some(items).filter(|i| !i.is_empty());
        self
    }

    /// Whether the tenant navigation is shown (not for a reseller user who
    /// has not opened a customer).
    pub fn tenant_nav(&self) -> bool {
        !self.reseller_user || self.acting.is_some()
    }

    /// A customer's portal (its users, or its reseller acting in it): the
    /// one with several users.
    pub fn customer_portal(&self) -> bool {
        self.customer_user || self.acting.is_some()
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
            ("email_pending", "notice.email_pending"),
            ("reset_done", "notice.reset_done"),
            ("no_missing", "notice.no_missing"),
            ("shown_once", "notice.shown_once"),
            ("2fa_disabled", "notice.2fa_disabled"),
            ("recovery_used", "notice.recovery_used"),
            ("customer_created", "notice.customer_created"),
            ("licence_created", "notice.licence_created"),
            ("user_created", "notice.user_created"),
            ("user_invited", "notice.user_invited"),
            ("linked", "notice.linked"),
            ("unlinked", "notice.unlinked"),
            ("application_registered", "notice.application_registered"),
            ("reseller_created", "notice.reseller_created"),
        ];
        self.notice = done
            .and_then(|d| NOTICES.iter().find(|(name, _)| *name == d))
            .map(|(_, key)| *key);
        self
    }

    /// Shows an error's text in the page's language.
    pub fn with_error(mut self, error: &Error) -> Self {
        self.error = Some(error.message(self.tr.0));
        self
    }

    /// Shows an error next to the input it is about (`aria-invalid`, the
    /// message as the input's description) when its field is one of
    /// `placed`: (error field, id of the input that shows it) for the inputs
    /// of the form that was sent. Any other error stays above the page.
    pub fn with_field_error(
        mut self,
        error: &Error,
        placed: &[(&'static str, &'static str)],
    ) -> Self {
        self.error_field = error.invalid_field().and_then(|field| {
            placed
                .iter()
                .find(|(name, _)| *name == field)
                .map(|(_, input)| *input)
        });
        self.with_error(error)
    }

    /// The error to show next to the input `input`, if it is about it.
    pub fn error_for(&self, input: &str) -> Option<&str> {
        self.error
            .as_deref()
            .filter(|_| self.error_field == Some(input))
    }

    /// Shows a text of the table as the error.
    pub fn with_error_key(mut self, key: &str) -> Self {
        self.error = Some(self.tr.t(key).to_owned());
        self
    }

    /// A day, `2026-11-25`.
    pub fn day(&self, day: &time::Date) -> String {
        day.to_string()
    }

    /// Why DNS answers no record for a host.
    pub fn no_records_key(&self, host: &Host) -> &'static str {
        if host.enabled {
            "guide.no_address"
        } else {
            "guide.disabled"
        }
    }

    /// The text key of a licence state.
    pub fn state_key(&self, state: &LicenceState) -> &'static str {
        state_key(*state)
    }

    /// The text key of a licence's state.
    pub fn licence_key(&self, licence: &Licence, licensing: &Licensing) -> &'static str {
        state_key(self.licence_state(licence, licensing))
    }

    /// The badge class of a licence's state.
    pub fn licence_badge(&self, licence: &Licence, licensing: &Licensing) -> &'static str {
        self.badge(&self.licence_state(licence, licensing))
    }

    fn licence_state(&self, licence: &Licence, licensing: &Licensing) -> LicenceState {
        licensing.state(licence.validity())
    }

    /// The state of a host's licence, as a state (for the class) and text key.
    pub fn host_licence(&self, host: &Host, licensing: &Licensing) -> Option<LicenceState> {
        host.licence_state(licensing.today, licensing.rules)
    }

    /// The state of a customer's longest-running licence ("none" without one).
    pub fn customer_licence_key(
        &self,
        customer: &CustomerSummary,
        licensing: &Licensing,
    ) -> &'static str {
        match (customer.licensed_from, customer.licensed_until) {
            (Some(from), Some(until)) => {
                state_key(licensing.state(crate::domain::licences::Validity { from, until }))
            }
            _ => "licence.none",
        }
    }

    /// The text key of a user's role.
    pub fn role_key(&self, user: &Account) -> &'static str {
        match user.role() {
            crate::domain::accounts::Role::Admin => "users.admin",
            crate::domain::accounts::Role::ReadOnly => "users.read_only",
        }
    }

    /// Whether a licence state is shown as a warning (ended, or not begun).
    /// The badge class of a licence state: running, about to end (or not
    /// begun), ended.
    pub fn badge(&self, state: &LicenceState) -> &'static str {
        match state {
            LicenceState::Valid => "on",
            LicenceState::Pending | LicenceState::Expiring => "warn",
            LicenceState::Expired | LicenceState::PastGrace => "off",
        }
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

/// Which sign-in a login page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    Standalone,
    Tenant,
    Reseller,
    /// A dynamic-DNS account linked to a reseller account, signed in with
    /// the reseller account's credentials.
    Linked,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub kind: LoginKind,
    /// Where the form posts.
    pub action: String,
    pub name: String,
    /// The tenant domain (tenant sign-in): typed, or from the URL.
    pub domain: String,
    /// The domain came from the URL: shown, not asked.
    pub domain_fixed: bool,
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
    /// Hosts the tenant may have: its quota, or its running licences' hosts.
    pub quota: i64,
    pub licensing: Licensing,
    pub zones: Vec<String>,
    pub default_ttl: u32,
    pub label: String,
    /// The bulk action's CSV file waiting for its download: key and how
    /// many tokens it holds.
    pub download: Option<(String, usize)>,
    pub stale_days: u32,
}

impl HostsPage {
    /// An enabled host without an update for `stale_days` (the dashboard's
    /// rule): its router may have lost its settings.
    pub fn stale(&self, host: &Host) -> bool {
        let since = host.updated_at.unwrap_or(host.created_at);
        host.enabled
            && since < OffsetDateTime::now_utc() - time::Duration::days(self.stale_days.into())
    }

    /// No room for another host: the form to make one is not offered.
    pub fn full(&self) -> bool {
        i64::try_from(self.hosts.len()).unwrap_or(i64::MAX) >= self.quota
    }
}

#[derive(Template)]
#[template(path = "host.html")]
pub struct HostPage {
    pub c: Chrome,
    pub host: Host,
    pub licensing: Licensing,
    /// The setup guide: each client's settings, and what DNS answers.
    pub clients: Vec<super::guide::ClientSetup>,
    pub records: Vec<String>,
    /// The update limits dnsd enforces, as configured.
    pub limits: spdyn_common::update_limits::UpdateLimits,
    /// Customers the host may move to (a reseller's, or a linked
    /// reseller user's); empty: no move is offered.
    pub move_targets: Vec<crate::db::tenants::CustomerSummary>,
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

/// An error in the page frame (`routes::web::framed_errors`).
#[derive(Template)]
#[template(path = "error_framed.html")]
pub struct ErrorFramePage {
    pub c: Chrome,
    pub status: u16,
    /// Text key of the error.
    pub message: &'static str,
}

/// "Really …?" before a destructive action: the same form again with
/// `confirm` set (or, for deleting, the name typed), and a way back.
#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub c: Chrome,
    pub users: Vec<Account>,
    /// The account viewing (no "deactivate" on one's own row).
    pub me: i64,
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub c: Chrome,
    /// Text keys: heading, what happens, the button.
    pub title: &'static str,
    pub consequence: &'static str,
    pub submit: &'static str,
    /// What the action is done to (a host name).
    pub subject: String,
    pub action: String,
    /// Fields the original form carried (e.g. `enabled=false`).
    pub hidden: Vec<(&'static str, String)>,
    /// The subject must be typed to confirm (deleting).
    pub type_subject: bool,
    pub back: String,
}

#[derive(Template)]
#[template(path = "log.html")]
pub struct LogPage {
    pub c: Chrome,
    pub entries: Vec<Entry>,
    /// The next page's query string, when there is one.
    pub older: Option<String>,
    /// `/log` or `/reseller/log`.
    pub path: &'static str,
    /// The CSV link's query string (the same filter).
    pub csv: String,
    /// The filter's choices and what is chosen.
    pub actors: Vec<String>,
    pub actions: Vec<&'static str>,
    pub query: crate::routes::log_query::LogQuery,
    /// A reseller's combined log: which customer each entry is of.
    pub customer_column: bool,
}

impl LogPage {
    /// Whether `value` is what the filter field holds (for `selected`).
    pub fn chosen(&self, field: &Option<String>, value: &str) -> bool {
        field.as_deref() == Some(value)
    }

    pub fn field<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or_default()
    }
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
    /// A new address waiting for its confirmation link.
    pub email_pending: Option<String>,
    pub languages: Vec<LanguageOption>,
    pub digest: bool,
}

/// The page a confirmation link for a new e-mail address opens.
#[derive(Template)]
#[template(path = "email_confirm.html")]
pub struct EmailConfirmPage {
    pub c: Chrome,
    pub token: String,
    /// The address the link would set (`None`: used, expired or unknown).
    pub new_email: Option<String>,
    /// Confirmed: the account's address now.
    pub done: Option<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub c: Chrome,
    pub accounts: Vec<AccountSummary>,
    pub resellers: Vec<ResellerSummary>,
    pub applications: Vec<crate::db::oauth::Client>,
    /// Where registered applications send their users.
    pub authorize_url: String,
}

/// Linking with a reseller account.
#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkPage {
    pub c: Chrome,
    pub standing: crate::ops::linking::Standing,
}

impl LinkPage {
    pub fn blocks(&self, host: &Host) -> bool {
        self.standing.blocking.contains(&host.name)
    }
}

/// An application's authorization request: the consent page (its scopes in
/// words, *Authorize* / *Deny*), a refusal shown here, or — signed out —
/// the request to sign in first.
#[derive(Template)]
#[template(path = "oauth.html")]
pub struct ConsentPage {
    pub c: Chrome,
    pub app: Option<String>,
    /// Each scope asked for: its code and the text key that says it.
    pub scopes: Vec<(&'static str, String)>,
    /// The request, sent back with the decision.
    pub hidden: Vec<(&'static str, String)>,
    /// Why the request is refused (a text key).
    pub refusal: Option<&'static str>,
}

impl ConsentPage {
    pub fn new(
        c: Chrome,
        request: &crate::ops::oauth::Request,
        consent: Option<crate::ops::oauth::Consent>,
        refusal: Option<&'static str>,
    ) -> Self {
        let hidden = [
            ("response_type", &request.response_type),
            ("client_id", &request.client_id),
            ("redirect_uri", &request.redirect_uri),
            ("scope", &request.scope),
            ("state", &request.state),
            ("code_challenge", &request.code_challenge),
            ("code_challenge_method", &request.code_challenge_method),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect();
        let scopes = consent
            .as_ref()
            .map(|c| {
                c.scopes
                    .iter()
                    .map(|s| (s.as_str(), crate::i18n::scope_key(*s)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            c,
            app: consent.map(|c| c.client.name),
            scopes,
            hidden,
            refusal,
        }
    }
}

/// The applications a user granted access to.
#[derive(Template)]
#[template(path = "applications.html")]
pub struct ApplicationsPage {
    pub c: Chrome,
    pub grants: Vec<crate::db::oauth::Grant>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub c: Chrome,
    pub items: Items,
    /// Across a reseller's customers (a customer column and its links).
    pub reseller: bool,
    pub stale_days: u32,
}

#[derive(Template)]
#[template(path = "customers.html")]
pub struct CustomersPage {
    pub c: Chrome,
    pub customers: Vec<CustomerSummary>,
    pub search: String,
    pub suffix: String,
    pub licensing: Licensing,
    /// The form of a new customer, kept after an error.
    pub name: String,
}

#[derive(Template)]
#[template(path = "customer.html")]
pub struct CustomerPage {
    pub c: Chrome,
    pub customer: TenantRow,
    pub domain: String,
    pub licences: Vec<Licence>,
    pub users: Vec<Account>,
    pub licensing: Licensing,
    pub today: String,
    pub year_later: String,
}

#[derive(Template)]
#[template(path = "licences.html")]
pub struct LicencesPage {
    pub c: Chrome,
    pub licences: Vec<Licence>,
    /// The reseller's view (customer column, edit links).
    pub reseller: bool,
    pub licensing: Licensing,
}

#[derive(Template)]
#[template(path = "licence.html")]
pub struct LicencePage {
    pub c: Chrome,
    pub licence: Licence,
    pub licensing: Licensing,
}

#[derive(Template)]
#[template(path = "select.html")]
pub struct SelectPage {
    pub c: Chrome,
    pub customers: Vec<CustomerSummary>,
    pub suffix: String,
}

/// The text key of a licence state.
pub fn state_key(state: LicenceState) -> &'static str {
    match state {
        LicenceState::Pending => "licence.pending",
        LicenceState::Valid => "licence.valid",
        LicenceState::Expiring => "licence.expiring",
        LicenceState::Expired => "licence.expired",
        LicenceState::PastGrace => "licence.past_grace",
    }
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
    /// The confirmation asks for the current password (not right after a
    /// reset, whose session stands in for it).
    pub needs_password: bool,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub c: Chrome,
    pub codes: Vec<String>,
}

impl RecoveryCodesPage {
    /// The codes one per line, to copy.
    pub fn text(&self) -> String {
        self.codes.join("\n")
    }

    /// The codes as a text file to download: a `data:` URL, so it works
    /// without script and the codes are never stored or sent again.
    pub fn data_url(&self) -> String {
        let body: String = self.text().bytes().fold(String::new(), |mut out, byte| {
            if byte.is_ascii_alphanumeric() || byte == b'-' {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
            out
        });
        format!("data:text/plain;charset=utf-8,{body}%0A")
    }
}
