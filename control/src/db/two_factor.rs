//! TOTP credentials (sealed secrets, replay step) and recovery codes.

use super::scope::{Scope, Tx};

use crate::domain::{accounts::AccountId, tokens::SecretHash};

/// A stored credential: the sealed secret and its state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credential {
    pub secret_ciphertext: Vec<u8>,
    pub secret_nonce: Vec<u8>,
    pub enabled: bool,
    pub last_used_step: Option<i64>,
}

/// The account's credential, enabled or waiting for its first code.
pub async fn get(tx: &mut Tx<impl Scope>, account: AccountId) -> sqlx::Result<Option<Credential>> {
    sqlx::query_as(
        "SELECT secret_ciphertext, secret_nonce, enabled_at IS NOT NULL AS enabled, last_used_step
         FROM totp_credentials WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(tx.conn())
    .await
}

/// Whether the account has 2FA switched on.
pub async fn is_enabled(tx: &mut Tx<impl Scope>, account: AccountId) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM totp_credentials
                        WHERE account_id = $1 AND enabled_at IS NOT NULL)",
    )
    .bind(account.0)
    .fetch_one(tx.conn())
    .await
}

/// Stores a new pending (not yet enabled) secret; does nothing when the
/// account has an enabled credential. Returns whether it was stored.
pub async fn put_pending(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    nonce: &[u8],
    ciphertext: &[u8],
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO totp_credentials (account_id, secret_ciphertext, secret_nonce)
         VALUES ($1, $2, $3)
         ON CONFLICT (account_id) DO UPDATE
           SET secret_ciphertext = EXCLUDED.secret_ciphertext,
               secret_nonce = EXCLUDED.secret_nonce, created_at = now(), last_used_step = NULL
           WHERE totp_credentials.enabled_at IS NULL",
    )
    .bind(account.0)
    .bind(ciphertext)
    .bind(nonce)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records `step` as used if it is newer than the last used one (compare
/// and set: of two concurrent requests with the same code only one wins),
/// and switches the credential on when `enable`. Returns whether it won.
pub async fn use_step(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    step: i64,
    enable: bool,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE totp_credentials
         SET last_used_step = $2,
             enabled_at = CASE WHEN $3 THEN coalesce(enabled_at, now()) ELSE enabled_at END
         WHERE account_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)
           AND (enabled_at IS NOT NULL) <> $3",
    )
    .bind(account.0)
    .bind(step)
    .bind(enable)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Removes the credential and every recovery code of the account.
pub async fn delete(tx: &mut Tx<impl Scope>, account: AccountId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
        .bind(account.0)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM totp_credentials WHERE account_id = $1")
        .bind(account.0)
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Replaces the account's recovery codes.
pub async fn replace_recovery_codes(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    hashes: &[SecretHash],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
        .bind(account.0)
        .execute(tx.conn())
        .await?;
    let hashes: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
    sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) SELECT $1, unnest($2::bytea[])")
        .bind(account.0)
        .bind(hashes)
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Uses an unused recovery code of the account: true once per code.
pub async fn use_recovery_code(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    hash: &SecretHash,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE recovery_codes SET used_at = now()
         WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(account.0)
    .bind(hash.as_slice())
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Unused recovery codes of the account.
pub async fn recovery_codes_left(tx: &mut Tx<impl Scope>, account: AccountId) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
    )
    .bind(account.0)
    .fetch_one(tx.conn())
    .await
}
