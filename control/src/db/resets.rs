//! Password-reset links: stored as SHA-256, single use, expiring.

use super::scope::{Scope, System, Tx};

use crate::domain::{accounts::AccountId, tokens::SecretHash};

/// How long a reset link works.
pub const LIFETIME_SECS: i64 = 3600;
/// How long the link a new user gets to set a first password works.
pub const WELCOME_LIFETIME_SECS: i64 = 72 * 3600;

pub async fn create(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    hash: &SecretHash,
    lifetime_secs: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (token_hash, account_id, expires_at)
         VALUES ($1, $2, now() + $3 * interval '1 second')",
    )
    .bind(hash.as_slice())
    .bind(account.0)
    .bind(lifetime_secs)
    .execute(tx.conn())
    .await
    .map(drop)
}

/// Ends the account's open links (a new one replaces them).
pub async fn revoke_open(tx: &mut Tx<System>, account: AccountId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM password_resets WHERE account_id = $1 AND used_at IS NULL")
        .bind(account.0)
        .execute(tx.conn())
        .await
        .map(drop)
}

/// The account of a usable (unused, unexpired) link, without using it.
pub async fn peek(tx: &mut Tx<System>, hash: &SecretHash) -> sqlx::Result<Option<AccountId>> {
    sqlx::query_scalar(
        "SELECT account_id FROM password_resets
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
    )
    .bind(hash.as_slice())
    .fetch_optional(tx.conn())
    .await
    .map(|id| id.map(AccountId))
}

/// Uses a link: returns its account once; every other link of the account
/// stops working too.
pub async fn consume(tx: &mut Tx<System>, hash: &SecretHash) -> sqlx::Result<Option<AccountId>> {
    let account: Option<i64> = sqlx::query_scalar(
        "UPDATE password_resets SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING account_id",
    )
    .bind(hash.as_slice())
    .fetch_optional(tx.conn())
    .await?;
    if let Some(account) = account {
        sqlx::query(
            "UPDATE password_resets SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
        )
        .bind(account)
        .execute(tx.conn())
        .await?;
    }
    Ok(account.map(AccountId))
}

/// Removes links that expired more than a day ago (used or not).
pub async fn prune(tx: &mut Tx<System>) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM password_resets WHERE expires_at < now() - interval '1 day'")
        .execute(tx.conn())
        .await
        .map(|r| r.rows_affected())
}
