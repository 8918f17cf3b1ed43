//! Server-side web sessions, keyed by the SHA-256 of the cookie value.

use std::net::IpAddr;

use sqlx::PgConnection;

use crate::domain::{accounts::AccountId, tokens::SecretHash};

/// A live session with the account it belongs to (if signed in).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub csrf_token: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub is_admin: Option<bool>,
    pub language: Option<String>,
    /// Password checked, TOTP code not yet: reaches only the code prompt.
    pub second_factor_pending: bool,
    /// Whether the account has 2FA switched on.
    pub two_factor: bool,
}

/// A new session.
#[derive(Debug)]
pub struct NewSession<'a> {
    pub id_hash: &'a SecretHash,
    pub account: Option<AccountId>,
    pub csrf_token: &'a str,
    pub lifetime_secs: i64,
    pub source: Option<IpAddr>,
    pub user_agent: &'a str,
    pub second_factor_pending: bool,
}

pub async fn create(conn: &mut PgConnection, new: &NewSession<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, csrf_token, expires_at, source_addr,
                               user_agent, second_factor_pending)
         VALUES ($1, $2, $3, now() + $4 * interval '1 second', $5, $6, $7)",
    )
    .bind(new.id_hash.as_slice())
    .bind(new.account.map(|a| a.0))
    .bind(new.csrf_token)
    .bind(new.lifetime_secs)
    .bind(new.source)
    .bind(new.user_agent)
    .bind(new.second_factor_pending)
    .execute(conn)
    .await
    .map(drop)
}

/// The unexpired session with this id hash. Sessions of disabled accounts
/// count as gone.
pub async fn load(conn: &mut PgConnection, id_hash: &SecretHash) -> sqlx::Result<Option<Session>> {
    sqlx::query_as(
        "SELECT s.csrf_token, s.account_id, a.name AS account_name, a.is_admin, a.language,
                s.second_factor_pending,
                EXISTS (SELECT 1 FROM totp_credentials t
                        WHERE t.account_id = s.account_id AND t.enabled_at IS NOT NULL)
                  AS two_factor
         FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
         WHERE s.id_hash = $1 AND s.expires_at > now()
           AND (s.account_id IS NULL OR a.enabled)",
    )
    .bind(id_hash.as_slice())
    .fetch_optional(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, id_hash: &SecretHash) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash.as_slice())
        .execute(conn)
        .await
        .map(drop)
}

/// Ends every session of an account except `keep` (after a password change
/// or reset, other devices are signed out).
pub async fn delete_for_account(
    conn: &mut PgConnection,
    account: AccountId,
    keep: Option<&SecretHash>,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash IS DISTINCT FROM $2")
        .bind(account.0)
        .bind(keep.map(|h| h.as_slice()))
        .execute(conn)
        .await
        .map(drop)
}

/// Removes expired sessions.
pub async fn prune(conn: &mut PgConnection) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= now()")
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}
