//! The action log: every change and every sign-in attempt.

use std::net::IpAddr;

use time::OffsetDateTime;

use super::scope::{Scope, System, Tenant, Tx};
use crate::domain::{
    accounts::AccountId,
    tenants::{ResellerId, TenantId},
};

/// What was done. The codes are stable: exports and filters use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SigninSuccess,
    SigninFailure,
    SigninThrottled,
    Signout,
    Signup,
    PasswordChange,
    PasswordResetRequest,
    PasswordReset,
    ProfileChange,
    HostCreate,
    HostUpdate,
    HostEnable,
    HostDisable,
    HostDelete,
    HostMoveOut,
    HostMoveIn,
    TokenCreate,
    TokenExchange,
    TokenRevoke,
    ApiTokenCreate,
    ApiTokenRevoke,
    AccountEnable,
    AccountDisable,
    AccountQuota,
    AccountCreate,
    /// The password of an account with 2FA was right; the code comes next.
    SigninPassword,
    TwoFactorEnable,
    TwoFactorDisable,
    TwoFactorFailure,
    TwoFactorThrottled,
    RecoveryCodeUse,
    ResellerCreate,
    /// A user was added to a reseller or to a customer's tenant.
    UserCreate,
    CustomerCreate,
    CustomerUpdate,
    /// A reseller user opened a customer's tenant portal.
    CustomerOpen,
    LicenceCreate,
    LicenceUpdate,
    /// A licence's grace period ended (or it runs again after a renewal).
    LicenceGrace,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SigninSuccess => "signin.success",
            Action::SigninFailure => "signin.failure",
            Action::SigninThrottled => "signin.throttled",
            Action::Signout => "signout",
            Action::Signup => "signup",
            Action::PasswordChange => "password.change",
            Action::PasswordResetRequest => "password.reset_request",
            Action::PasswordReset => "password.reset",
            Action::ProfileChange => "profile.change",
            Action::HostCreate => "host.create",
            Action::HostUpdate => "host.update",
            Action::HostEnable => "host.enable",
            Action::HostDisable => "host.disable",
            Action::HostDelete => "host.delete",
            Action::HostMoveOut => "host.move_out",
            Action::HostMoveIn => "host.move_in",
            Action::TokenCreate => "token.create",
            Action::TokenExchange => "token.exchange",
            Action::TokenRevoke => "token.revoke",
            Action::ApiTokenCreate => "api_token.create",
            Action::ApiTokenRevoke => "api_token.revoke",
            Action::AccountEnable => "account.enable",
            Action::AccountDisable => "account.disable",
            Action::AccountQuota => "account.quota",
            Action::AccountCreate => "account.create",
            Action::SigninPassword => "signin.password",
            Action::TwoFactorEnable => "2fa.enable",
            Action::TwoFactorDisable => "2fa.disable",
            Action::TwoFactorFailure => "2fa.failure",
            Action::TwoFactorThrottled => "2fa.throttled",
            Action::RecoveryCodeUse => "2fa.recovery_code",
            Action::ResellerCreate => "reseller.create",
            Action::UserCreate => "user.create",
            Action::CustomerCreate => "customer.create",
            Action::CustomerUpdate => "customer.update",
            Action::CustomerOpen => "customer.open",
            Action::LicenceCreate => "licence.create",
            Action::LicenceUpdate => "licence.update",
            Action::LicenceGrace => "licence.grace",
        }
    }
}

/// A new entry.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// The account the entry is about (sign-ins, profile changes), if any.
    pub account: Option<AccountId>,
    /// Whose log shows it: the tenant the action happened in (its reseller
    /// sees it too), else the reseller it belongs to; neither = operators
    /// only.
    pub tenant: Option<TenantId>,
    pub reseller: Option<ResellerId>,
    pub actor: &'a str,
    pub action: Action,
    pub target: &'a str,
    pub detail: &'a str,
    pub source: Option<IpAddr>,
}

/// Adds an entry; an entry in a tenant's log carries the tenant's reseller.
pub async fn add(tx: &mut Tx<impl Scope>, entry: &NewEntry<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO action_log (account_id, tenant_id, reseller_id, actor, action, target,
                                 detail, source_addr)
         VALUES ($1, $2, coalesce($3, (SELECT reseller_id FROM tenants WHERE id = $2)),
                 $4, $5, $6, $7, $8)",
    )
    .bind(entry.account.map(|a| a.0))
    .bind(entry.tenant.map(|t| t.0))
    .bind(entry.reseller.map(|r| r.0))
    .bind(entry.actor)
    .bind(entry.action.as_str())
    .bind(entry.target)
    .bind(entry.detail)
    .bind(entry.source)
    .execute(tx.conn())
    .await
    .map(drop)
}

/// A stored entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub source_addr: Option<IpAddr>,
}

/// The tenant's entries, newest first, older than `before` when given.
pub async fn list(
    tx: &mut Tx<Tenant>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, at, actor, action, target, detail, source_addr FROM action_log
         WHERE tenant_id = $1 AND ($2::bigint IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3",
    )
    .bind(tenant.0)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// Recent `failure` entries (failed passwords, failed codes) within the last
/// `minutes`: (for this name, from this source).
pub async fn recent_failures(
    tx: &mut Tx<System>,
    failure: Action,
    name: &str,
    source: Option<IpAddr>,
    minutes: u32,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE target = $1),
                count(*) FILTER (WHERE source_addr = $2)
         FROM action_log
         WHERE action = $4 AND at > now() - $3 * interval '1 minute'
           AND (target = $1 OR source_addr = $2)",
    )
    .bind(name)
    .bind(source)
    .bind(i64::from(minutes))
    .bind(failure.as_str())
    .fetch_one(tx.conn())
    .await
}
