//! Server-side web sessions, keyed by the SHA-256 of the cookie value.

use std::net::IpAddr;

use super::scope::{Scope, System, Tx};
use crate::domain::tenants::TenantId;

use crate::domain::{accounts::AccountId, tokens::SecretHash};

/// A live session with the account it belongs to (if signed in).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub csrf_token: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub is_admin: Option<bool>,
    pub language: Option<String>,
    /// The account's kind, tenant, reseller and role (see `db::accounts`).
    pub kind: Option<String>,
    pub tenant_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub role: Option<String>,
    /// A reseller user's chosen customer, with what its banner shows.
    pub acting_tenant_id: Option<i64>,
    pub acting_tenant_name: Option<String>,
    pub acting_customer_number: Option<String>,
    pub reseller_name: Option<String>,
    /// Password checked, TOTP code not yet: reaches only the code prompt.
    pub second_factor_pending: bool,
    /// Whether the account has 2FA switched on (a linked account: its
    /// reseller user's).
    pub two_factor: bool,
    /// A dynamic-DNS account linked to a reseller user.
    pub linked: bool,
    /// The session was opened by setting the password through a reset link
    /// within the last [`RESET_PROOF_MINUTES`]: the 2FA enrolment right
    /// after needs no password.
    pub fresh_reset: bool,
}

/// How long a session opened by a password reset stands in for the
/// password at the 2FA enrolment that follows.
pub const RESET_PROOF_MINUTES: i64 = 15;

/// A new session.
#[derive(Debug)]
pub struct NewSession<'a> {
    pub id_hash: &'a SecretHash,
    /// Signed in, or waiting for its code: before sign-in nothing is stored.
    pub account: AccountId,
    pub csrf_token: &'a str,
    pub lifetime_secs: i64,
    pub source: Option<IpAddr>,
    pub user_agent: &'a str,
    pub second_factor_pending: bool,
    /// Opened by setting the password through a reset link.
    pub password_set: bool,
}

pub async fn create(tx: &mut Tx<System>, new: &NewSession<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, csrf_token, expires_at, source_addr,
                               user_agent, second_factor_pending, password_set_at)
         VALUES ($1, $2, $3, now() + $4 * interval '1 second', $5, $6, $7,
                 CASE WHEN $8 THEN now() END)",
    )
    .bind(new.id_hash.as_slice())
    .bind(new.account.0)
    .bind(new.csrf_token)
    .bind(new.lifetime_secs)
    .bind(new.source)
    .bind(new.user_agent)
    .bind(new.second_factor_pending)
    .bind(new.password_set)
    .execute(tx.conn())
    .await
    .map(drop)
}

/// The unexpired session with this id hash. Sessions of disabled accounts
/// count as gone.
pub async fn load(tx: &mut Tx<System>, id_hash: &SecretHash) -> sqlx::Result<Option<Session>> {
    sqlx::query_as(
        "SELECT s.csrf_token, s.account_id, a.name AS account_name, a.is_admin, a.language,
                a.kind, a.tenant_id, a.reseller_id, a.role,
                s.acting_tenant_id, act.name AS acting_tenant_name,
                act.customer_number AS acting_customer_number, r.name AS reseller_name,
                s.second_factor_pending,
                EXISTS (SELECT 1 FROM totp_credentials t
                        WHERE t.account_id = coalesce(a.linked_reseller_user_id, s.account_id)
                          AND t.enabled_at IS NOT NULL)
                  AS two_factor,
                coalesce(a.linked_reseller_user_id IS NOT NULL, false) AS linked,
                coalesce(s.password_set_at > now() - $2 * interval '1 minute', false)
                  AS fresh_reset
         FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
              LEFT JOIN resellers r ON r.id = a.reseller_id
              LEFT JOIN tenants act ON act.id = s.acting_tenant_id
                                   AND act.reseller_id = a.reseller_id
         WHERE s.id_hash = $1 AND s.expires_at > now()
           AND (s.account_id IS NULL OR a.enabled)",
    )
    .bind(id_hash.as_slice())
    .bind(RESET_PROOF_MINUTES)
    .fetch_optional(tx.conn())
    .await
}

pub async fn delete(tx: &mut Tx<System>, id_hash: &SecretHash) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash.as_slice())
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Sets (or clears) the customer a reseller user's session acts in.
pub async fn set_acting(
    tx: &mut Tx<System>,
    id_hash: &SecretHash,
    tenant: Option<TenantId>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET acting_tenant_id = $2 WHERE id_hash = $1")
        .bind(id_hash.as_slice())
        .bind(tenant.map(|t| t.0))
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Ends every session of an account except `keep` (after a password change
/// or reset, other devices are signed out).
pub async fn delete_for_account(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    keep: Option<&SecretHash>,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash IS DISTINCT FROM $2")
        .bind(account.0)
        .bind(keep.map(|h| h.as_slice()))
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Removes expired sessions.
pub async fn prune(tx: &mut Tx<System>) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= now()")
        .execute(tx.conn())
        .await
        .map(|r| r.rows_affected())
}
