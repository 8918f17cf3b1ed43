//! Personal API tokens: stored as SHA-256 with their scopes.

use time::OffsetDateTime;

use super::scope::{Scope, System, Tx};
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
    pub kind: String,
    pub tenant_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub role: String,
    pub reseller_name: Option<String>,
    /// Whether the account has 2FA on (operators must, from a date).
    pub two_factor: bool,
    pub linked: bool,
}

pub async fn create(
    tx: &mut Tx<impl Scope>,
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
    .fetch_one(tx.conn())
    .await
}

pub async fn list(tx: &mut Tx<impl Scope>, account: AccountId) -> sqlx::Result<Vec<ApiToken>> {
    sqlx::query_as(
        "SELECT id, name, scopes, created_at, last_used_at FROM api_tokens
         WHERE account_id = $1 AND oauth_client_id IS NULL ORDER BY id",
    )
    .bind(account.0)
    .fetch_all(tx.conn())
    .await
}

/// Revokes one of the account's tokens; returns its name.
pub async fn delete(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM api_tokens WHERE id = $1 AND account_id = $2 AND oauth_client_id IS NULL
         RETURNING name",
    )
    .bind(id)
    .bind(account.0)
    .fetch_optional(tx.conn())
    .await
}

/// The owner of a presented token (of an enabled account), noting the use.
pub async fn authenticate(
    tx: &mut Tx<System>,
    hash: &SecretHash,
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as(
        "UPDATE api_tokens t SET last_used_at = now() FROM accounts a
         WHERE t.token_hash = $1 AND a.id = t.account_id AND a.enabled
         RETURNING t.id AS token_id, t.name AS token_name, t.scopes, a.id AS account_id,
                   a.name AS account_name, a.is_admin, a.kind, a.tenant_id, a.reseller_id,
                   a.role, (SELECT r.name FROM resellers r WHERE r.id = a.reseller_id)
                     AS reseller_name,
                   EXISTS (SELECT 1 FROM totp_credentials c
                           WHERE c.account_id = coalesce(a.linked_reseller_user_id, a.id)
                             AND c.enabled_at IS NOT NULL) AS two_factor,
                   a.linked_reseller_user_id IS NOT NULL AS linked",
    )
    .bind(hash.as_slice())
    .fetch_optional(tx.conn())
    .await
}
