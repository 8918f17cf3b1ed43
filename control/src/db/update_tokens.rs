//! Per-host update tokens: set (create or exchange), revoke, bulk creation.
//! Only SHA-256 hashes are stored; each change republishes the host.

use super::{
    hosts::publish,
    scope::{FeedTx, Tenant, Tx},
};
use crate::domain::{hosts::HostId, tokens::SecretHash};

/// Gives one of the tenant's hosts a token with this hash, replacing any
/// earlier one (whose use history goes with it). False: no such host.
pub async fn set(tx: &mut FeedTx<Tenant>, host: HostId, hash: &SecretHash) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "INSERT INTO update_tokens (host_id, token_hash)
         SELECT id, $3 FROM hosts WHERE id = $1 AND tenant_id = $2
         ON CONFLICT (host_id) DO UPDATE SET token_hash = excluded.token_hash,
             created_at = now(), first_used_at = NULL, last_used_at = NULL,
             last_client_addr = NULL, last_user_agent = NULL",
    )
    .bind(host.0)
    .bind(tenant.0)
    .bind(hash.as_slice())
    .execute(tx.conn())
    .await?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    publish(tx, host).await?;
    Ok(true)
}

/// Removes the token of one of the tenant's hosts. False: the host had none.
pub async fn revoke(tx: &mut FeedTx<Tenant>, host: HostId) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "DELETE FROM update_tokens t USING hosts h
         WHERE t.host_id = h.id AND h.id = $1 AND h.tenant_id = $2",
    )
    .bind(host.0)
    .bind(tenant.0)
    .execute(tx.conn())
    .await?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    publish(tx, host).await?;
    Ok(true)
}

/// The tenant's hosts that have no token, locked for the bulk action.
pub async fn hosts_without_token(tx: &mut Tx<Tenant>) -> sqlx::Result<Vec<(i64, String)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT h.id, h.name FROM hosts h
         WHERE h.tenant_id = $1
           AND NOT EXISTS (SELECT 1 FROM update_tokens t WHERE t.host_id = h.id)
         ORDER BY h.name FOR UPDATE OF h",
    )
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await
}
