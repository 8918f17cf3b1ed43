//! One error type for every use case and handler. Each error names a text
//! of the one translation table ([`crate::i18n`]) by its variant: the JSON
//! adapter here answers with the English text, the HTML adapter
//! (`crate::html::HtmlError`) with the page's language. Server errors are
//! logged with their detail and answered without it.

use std::fmt;

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{
    domain::{
        accounts::{AccountError, Language},
        licences::LicenceError,
        names::NameError,
        tenants::TenantError,
    },
    i18n::Tr,
};

/// An input field whose value is not acceptable, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    AccountName,
    Email,
    Password,
    NewPassword,
    CurrentPassword,
    Language,
    Ttl,
    HostName,
    Scopes,
    Code,
    Quota,
    Limit,
    /// A reseller's or customer's name.
    Name,
    Quantity,
    /// Validity dates of a licence.
    Dates,
    Product,
    /// The quantity is below the hosts the licence covers already.
    QuantityBelowUse,
    /// Operator move: no such host, no such target account, same owner.
    UnknownHost,
    UnknownAccount,
    SameOwner,
    /// Nobody may disable their own account (operators, tenant admins).
    DisableSelf,
    /// Not a role: `admin` or `read_only`.
    Role,
    /// Not an action code of the log.
    Action,
    /// An application's redirect URI: https, or http to loopback.
    RedirectUri,
    /// Linking: an active host has no update token, or one never used.
    LinkBlocked,
    /// Not a customer this host may move to.
    MoveTarget,
    /// Linking: the reseller account's name, password or code is wrong.
    ResellerCredentials,
    /// The name typed to confirm deleting a host is not its name.
    ConfirmName,
    /// The form body is larger than any form of the portal.
    FormTooLarge,
}

impl Invalid {
    /// The request field, as the JSON error body names it.
    pub fn field(self) -> &'static str {
        match self {
            Invalid::AccountName => "name",
            Invalid::Email => "email",
            Invalid::Password => "password",
            Invalid::NewPassword => "new_password",
            Invalid::CurrentPassword => "current_password",
            Invalid::Language => "language",
            Invalid::Ttl => "ttl",
            Invalid::HostName => "name",
            Invalid::Scopes => "scopes",
            Invalid::Code => "code",
            Invalid::Quota => "quota",
            Invalid::Limit => "limit",
            Invalid::Name => "name",
            Invalid::Quantity | Invalid::QuantityBelowUse => "quantity",
            Invalid::Dates => "valid_until",
            Invalid::Product => "product",
            Invalid::UnknownHost => "host",
            Invalid::UnknownAccount | Invalid::SameOwner | Invalid::DisableSelf => "account",
            Invalid::Role => "role",
            Invalid::Action => "action",
            Invalid::RedirectUri => "redirect_uri",
            Invalid::LinkBlocked => "hosts",
            Invalid::MoveTarget => "to",
            Invalid::ResellerCredentials => "reseller",
            Invalid::FormTooLarge => "body",
            Invalid::ConfirmName => "confirm",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Invalid::AccountName => "err.name",
            Invalid::Email => "err.email",
            Invalid::Password | Invalid::NewPassword => "err.password",
            Invalid::CurrentPassword => "err.current_password",
            Invalid::Language => "err.language",
            Invalid::Ttl => "err.ttl",
            Invalid::HostName => "err.label",
            Invalid::Scopes => "err.scopes",
            Invalid::Code => "err.code",
            Invalid::Quota => "err.quota_value",
            Invalid::Limit => "err.limit",
            Invalid::Name => "err.org_name",
            Invalid::Quantity => "err.quantity",
            Invalid::Dates => "err.dates",
            Invalid::Product => "err.product",
            Invalid::QuantityBelowUse => "err.quantity_below_use",
            Invalid::UnknownHost => "err.unknown_host",
            Invalid::UnknownAccount => "err.unknown_account",
            Invalid::SameOwner => "err.same_owner",
            Invalid::DisableSelf => "err.disable_self",
            Invalid::Role => "err.role",
            Invalid::Action => "err.action",
            Invalid::RedirectUri => "err.redirect_uri",
            Invalid::LinkBlocked => "err.link_blocked",
            Invalid::MoveTarget => "err.move_target",
            Invalid::ResellerCredentials => "err.reseller_credentials",
            Invalid::FormTooLarge => "err.form_too_large",
            Invalid::ConfirmName => "err.confirm_name",
        }
    }
}

/// A change that contradicts the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The name (account, host, user, reseller) exists already.
    NameTaken,
    /// Revoking the token of a host that has none.
    NoToken,
    TwoFactorOn,
    NoEnrolment,
    /// `accounts.first_admin` names an account that is no operator.
    FirstAdminNotOperator,
    /// The change would leave a tenant without an active admin.
    LastAdmin,
    /// The account, or the reseller user, is linked already.
    AlreadyLinked,
}

impl Conflict {
    fn key(self) -> &'static str {
        match self {
            Conflict::NameTaken => "err.taken",
            Conflict::NoToken => "err.no_token",
            Conflict::TwoFactorOn => "err.two_factor_on",
            Conflict::NoEnrolment => "err.no_enrolment",
            Conflict::FirstAdminNotOperator => "err.first_admin",
            Conflict::LastAdmin => "err.last_admin",
            Conflict::AlreadyLinked => "err.already_linked",
        }
    }
}

#[derive(Debug)]
pub enum Error {
    NotFound,
    Unauthorized,
    Forbidden,
    /// A read-only user asked for a change.
    ReadOnly,
    Csrf,
    /// A request the API cannot parse (its own English text).
    BadRequest(String),
    Invalid(Invalid),
    Conflict(Conflict),
    QuotaExceeded,
    /// The licence the change falls under has ended (or none is running).
    LicenceExpired,
    /// A reseller user on a tenant's page without having chosen a customer.
    NoCustomerSelected,
    TooManyRequests,
    /// The account has 2FA: the password alone is not enough.
    SecondFactorRequired,
    /// Administrators must use 2FA; nothing but the enrolment is open to
    /// them until it is on.
    TwoFactorRequired,
    /// No password-check slot came free in time (argon2 is bounded).
    Busy,
    /// The request was not complete, or not answered, in time.
    RequestTimeout,
    Db(sqlx::Error),
    Internal(anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Db(e)
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Internal(e)
    }
}

impl From<Invalid> for Error {
    fn from(reason: Invalid) -> Self {
        Error::Invalid(reason)
    }
}

impl From<Conflict> for Error {
    fn from(conflict: Conflict) -> Self {
        Error::Conflict(conflict)
    }
}

impl From<AccountError> for Error {
    fn from(e: AccountError) -> Self {
        Error::Invalid(match e {
            AccountError::BadName => Invalid::AccountName,
            AccountError::BadEmail => Invalid::Email,
            AccountError::PasswordTooShort | AccountError::PasswordTooLong => Invalid::Password,
        })
    }
}

impl From<NameError> for Error {
    fn from(_: NameError) -> Self {
        Error::Invalid(Invalid::HostName)
    }
}

impl From<TenantError> for Error {
    fn from(_: TenantError) -> Self {
        Error::Invalid(Invalid::Name)
    }
}

impl From<LicenceError> for Error {
    fn from(e: LicenceError) -> Self {
        Error::Invalid(match e {
            LicenceError::EndsBeforeStart => Invalid::Dates,
            LicenceError::BadQuantity => Invalid::Quantity,
            LicenceError::UnknownProduct => Invalid::Product,
        })
    }
}

impl Error {
    /// The form field an invalid input error is about.
    pub fn invalid_field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid(invalid) => Some(invalid.field()),
            _ => None,
        }
    }
    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Unauthorized | Error::SecondFactorRequired => StatusCode::UNAUTHORIZED,
            Error::Forbidden
            | Error::ReadOnly
            | Error::Csrf
            | Error::TwoFactorRequired
            | Error::LicenceExpired => StatusCode::FORBIDDEN,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict(_) | Error::QuotaExceeded | Error::NoCustomerSelected => {
                StatusCode::CONFLICT
            }
            Error::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Error::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Error::Db(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "not_found",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::ReadOnly => "read_only",
            Error::Csrf => "csrf",
            Error::BadRequest(_) => "bad_request",
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::QuotaExceeded => "quota_exceeded",
            Error::LicenceExpired => "licence_expired",
            Error::NoCustomerSelected => "no_customer_selected",
            Error::TooManyRequests => "too_many_requests",
            Error::SecondFactorRequired => "second_factor_required",
            Error::TwoFactorRequired => "two_factor_required",
            Error::Busy => "busy",
            Error::RequestTimeout => "request_timeout",
            Error::Db(_) | Error::Internal(_) => "internal",
        }
    }

    /// The key of the error's text in the translation table.
    pub fn text_key(&self) -> &'static str {
        match self {
            Error::NotFound => "err.not_found",
            Error::Unauthorized => "err.unauthorized",
            Error::Forbidden => "err.forbidden",
            Error::ReadOnly => "err.read_only",
            Error::Csrf => "err.csrf",
            Error::BadRequest(_) => "err.generic",
            Error::Invalid(reason) => reason.key(),
            Error::Conflict(conflict) => conflict.key(),
            Error::QuotaExceeded => "err.quota",
            Error::LicenceExpired => "err.licence_expired",
            Error::NoCustomerSelected => "err.no_customer",
            Error::TooManyRequests => "login.throttled",
            Error::SecondFactorRequired => "err.second_factor_required",
            Error::TwoFactorRequired => "err.two_factor_required",
            Error::Busy => "err.busy",
            Error::RequestTimeout => "err.request_timeout",
            Error::Db(_) | Error::Internal(_) => "err.internal",
        }
    }

    /// The text shown to the client in `lang`: the detail of 5xx errors
    /// stays in the log.
    pub fn message(&self, lang: Language) -> String {
        match self {
            Error::BadRequest(text) => text.clone(),
            _ if self.status_code().is_server_error() => {
                tracing::error!(error = %self, "request failed");
                Tr(lang).t(self.text_key()).to_owned()
            }
            _ => Tr(lang).t(self.text_key()).to_owned(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Db(e) => write!(f, "database: {e}"),
            Error::Internal(e) => write!(f, "{e:#}"),
            Error::BadRequest(text) => f.write_str(text),
            _ => f.write_str(Tr(Language::En).t(self.text_key())),
        }
    }
}

impl std::error::Error for Error {}

/// The JSON body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: not_found, unauthorized, second_factor_required, forbidden,
    /// read_only, two_factor_required, licence_expired, bad_request, invalid,
    /// conflict, quota_exceeded, no_customer_selected, too_many_requests,
    /// busy, request_timeout, internal.
    pub error: &'static str,
    pub message: String,
    /// The offending input field, for `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = ErrorBody {
            error: self.code(),
            message: self.message(Language::En),
            field: match &self {
                Error::Invalid(reason) => Some(reason.field()),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"spdyn\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_text_in_both_languages() {
        let invalid = [
            Invalid::AccountName,
            Invalid::Email,
            Invalid::Password,
            Invalid::NewPassword,
            Invalid::CurrentPassword,
            Invalid::Language,
            Invalid::Ttl,
            Invalid::HostName,
            Invalid::Scopes,
            Invalid::Code,
            Invalid::Quota,
            Invalid::Limit,
            Invalid::Name,
            Invalid::Quantity,
            Invalid::Dates,
            Invalid::Product,
            Invalid::QuantityBelowUse,
            Invalid::UnknownHost,
            Invalid::UnknownAccount,
            Invalid::SameOwner,
            Invalid::DisableSelf,
            Invalid::Role,
            Invalid::Action,
            Invalid::RedirectUri,
            Invalid::LinkBlocked,
            Invalid::MoveTarget,
            Invalid::ResellerCredentials,
            Invalid::FormTooLarge,
            Invalid::ConfirmName,
        ];
        let conflicts = [
            Conflict::NameTaken,
            Conflict::NoToken,
            Conflict::TwoFactorOn,
            Conflict::NoEnrolment,
            Conflict::FirstAdminNotOperator,
            Conflict::LastAdmin,
            Conflict::AlreadyLinked,
        ];
        let errors = [
            Error::NotFound,
            Error::Unauthorized,
            Error::Forbidden,
            Error::ReadOnly,
            Error::Csrf,
            Error::QuotaExceeded,
            Error::LicenceExpired,
            Error::NoCustomerSelected,
            Error::TooManyRequests,
            Error::SecondFactorRequired,
            Error::TwoFactorRequired,
            Error::Busy,
            Error::RequestTimeout,
            Error::Internal(anyhow::anyhow!("x")),
        ]
        .into_iter()
        .chain(invalid.into_iter().map(Error::Invalid))
        .chain(conflicts.into_iter().map(Error::Conflict));
        for error in errors {
            for lang in Language::ALL {
                let text = Tr(lang).t(error.text_key());
                assert!(
                    text != "?" && !text.is_empty(),
                    "{} in {lang:?}",
                    error.text_key()
                );
            }
        }
    }

    #[test]
    fn server_errors_hide_their_detail() {
        let error = Error::Internal(anyhow::anyhow!("secret detail"));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.message(Language::En).contains("secret"));
        assert!(
            error.to_string().contains("secret detail"),
            "the log keeps it"
        );
    }
}
