//! Personal API tokens: stored as SHA-256 with their scopes.

use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::domain::{accounts::AccountId, tokens::SecretHash};

/// A token as listed (never the token itself).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// The account a presented token acts for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenOwner {
    pub token_id: i64,
    pub token_name: String,
    pub scopes: Vec<String>,
    pub account_id: i64,
    pub account_name: String,
    pub is_admin: bool,
    /// Whether the account has 2FA on (operators must, from a date).
    pub two_factor: bool,
}

pub async fn create(
    conn: &mut PgConnection,
    account: AccountId,
    name: &str,
    hash: &SecretHash,
    scopes: &[String],
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, name, token_hash, scopes) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(account.0)
    .bind(name)
    .bind(hash.as_slice())
    .bind(scopes)
    .fetch_one(conn)
    .await
}

pub async fn list(conn: &mut PgConnection, account: AccountId) -> sqlx::Result<Vec<ApiToken>> {
    sqlx::query_as(
        "SELECT id, name, scopes, created_at, last_used_at FROM api_tokens
         WHERE account_id = $1 ORDER BY id",
    )
    .bind(account.0)
    .fetch_all(conn)
    .await
}

/// Revokes one of the account's tokens; returns its name.
pub async fn delete(
    conn: &mut PgConnection,
    account: AccountId,
    id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM api_tokens WHERE id = $1 AND account_id = $2 RETURNING name")
        .bind(id)
        .bind(account.0)
        .fetch_optional(conn)
        .await
}

/// The owner of a presented token (of an enabled account), noting the use.
pub async fn authenticate(
    conn: &mut PgConnection,
    hash: &SecretHash,
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as(
        "UPDATE api_tokens t SET last_used_at = now() FROM accounts a
         WHERE t.token_hash = $1 AND a.id = t.account_id AND a.enabled
         RETURNING t.id AS token_id, t.name AS token_name, t.scopes, a.id AS account_id,
                   a.name AS account_name, a.is_admin,
                   EXISTS (SELECT 1 FROM totp_credentials c
                           WHERE c.account_id = a.id AND c.enabled_at IS NOT NULL) AS two_factor",
    )
    .bind(hash.as_slice())
    .fetch_optional(conn)
    .await
}
