//! Requested e-mail address changes, waiting for the link sent to the new
//! address: stored as SHA-256, single use, expiring, one per account.

use time::OffsetDateTime;

use super::scope::{Scope, System, Tx};
use crate::domain::{accounts::AccountId, tokens::SecretHash};

/// How long the confirmation link works.
pub const LIFETIME_SECS: i64 = 24 * 3600;

/// Records a request, replacing the account's previous one.
pub async fn put(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    new_email: &str,
    hash: &SecretHash,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_changes (token_hash, account_id, new_email, expires_at)
         VALUES ($1, $2, $3, now() + $4 * interval '1 second')
         ON CONFLICT (account_id) DO UPDATE
            SET token_hash = excluded.token_hash, new_email = excluded.new_email,
                created_at = now(), expires_at = excluded.expires_at",
    )
    .bind(hash.as_slice())
    .bind(account.0)
    .bind(new_email)
    .bind(LIFETIME_SECS)
    .execute(tx.conn())
    .await
    .map(drop)
}

/// The account's request still waiting: the new address and until when.
pub async fn pending(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
) -> sqlx::Result<Option<(String, OffsetDateTime)>> {
    sqlx::query_as(
        "SELECT new_email, expires_at FROM email_changes
         WHERE account_id = $1 AND expires_at > now()",
    )
    .bind(account.0)
    .fetch_optional(tx.conn())
    .await
}

/// The request of a usable link, without using it.
pub async fn peek(tx: &mut Tx<System>, hash: &SecretHash) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT new_email FROM email_changes WHERE token_hash = $1 AND expires_at > now()",
    )
    .bind(hash.as_slice())
    .fetch_optional(tx.conn())
    .await
}

/// Uses a link: its account and new address, once.
pub async fn take(
    tx: &mut Tx<System>,
    hash: &SecretHash,
) -> sqlx::Result<Option<(AccountId, String)>> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "DELETE FROM email_changes WHERE token_hash = $1 AND expires_at > now()
         RETURNING account_id, new_email",
    )
    .bind(hash.as_slice())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|(id, email)| (AccountId(id), email)))
}

/// Drops the account's request (the address was set another way).
pub async fn cancel(tx: &mut Tx<impl Scope>, account: AccountId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM email_changes WHERE account_id = $1")
        .bind(account.0)
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Removes requests whose link has expired.
pub async fn prune(tx: &mut Tx<System>) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM email_changes WHERE expires_at < now()")
        .execute(tx.conn())
        .await
        .map(|r| r.rows_affected())
}
