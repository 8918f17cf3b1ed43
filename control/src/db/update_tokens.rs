//! Per-host update tokens: set (create or exchange), revoke, bulk creation.
//! Only SHA-256 hashes are stored; each change republishes the host.

use sqlx::PgConnection;

use super::{feed::FeedTx, hosts::publish};
use crate::domain::{accounts::AccountId, hosts::HostId, tokens::SecretHash};

/// Gives one of the account's hosts a token with this hash, replacing any
/// earlier one (whose use history goes with it). False: no such host.
pub async fn set(
    tx: &mut FeedTx,
    account: AccountId,
    host: HostId,
    hash: &SecretHash,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO update_tokens (host_id, token_hash)
         SELECT id, $3 FROM hosts WHERE id = $1 AND account_id = $2
         ON CONFLICT (host_id) DO UPDATE SET token_hash = excluded.token_hash,
             created_at = now(), first_used_at = NULL, last_used_at = NULL,
             last_client_addr = NULL, last_user_agent = NULL",
    )
    .bind(host.0)
    .bind(account.0)
    .bind(hash.as_slice())
    .execute(&mut **tx)
    .await?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    publish(tx, host).await?;
    Ok(true)
}

/// Removes the token of one of the account's hosts. False: the host had none.
pub async fn revoke(tx: &mut FeedTx, account: AccountId, host: HostId) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "DELETE FROM update_tokens t USING hosts h
         WHERE t.host_id = h.id AND h.id = $1 AND h.account_id = $2",
    )
    .bind(host.0)
    .bind(account.0)
    .execute(&mut **tx)
    .await?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    publish(tx, host).await?;
    Ok(true)
}

/// The account's hosts that have no token, locked for the bulk action.
pub async fn hosts_without_token(
    conn: &mut PgConnection,
    account: AccountId,
) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT h.id, h.name FROM hosts h
         WHERE h.account_id = $1
           AND NOT EXISTS (SELECT 1 FROM update_tokens t WHERE t.host_id = h.id)
         ORDER BY h.name FOR UPDATE OF h",
    )
    .bind(account.0)
    .fetch_all(conn)
    .await
}
