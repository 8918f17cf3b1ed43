//! Hosts and their publication to the change feed. Every function that
//! changes a host appends its full state (`host.upsert`) or its deletion
//! (`host.delete`) in the same transaction.

use std::net::IpAddr;

use serde_json::json;
use sqlx::{PgConnection, types::Json};
use time::OffsetDateTime;

use super::feed::{self, FeedTx, Kind};
use crate::domain::{accounts::AccountId, hosts::HostId, names::HostName};

/// A host with its token's state (never the token).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Host {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub zone: String,
    pub ttl: i32,
    pub wildcard: bool,
    pub enabled: bool,
    pub ipv4: Option<IpAddr>,
    pub ipv6: Option<IpAddr>,
    pub ipv4_changed_at: Option<OffsetDateTime>,
    pub ipv6_changed_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
    pub last_client_addr: Option<IpAddr>,
    pub last_user_agent: Option<String>,
    pub txt: Vec<String>,
    pub created_at: OffsetDateTime,
    pub changed_at: OffsetDateTime,
    pub has_token: bool,
    pub token_created_at: Option<OffsetDateTime>,
    pub token_first_used_at: Option<OffsetDateTime>,
    pub token_last_used_at: Option<OffsetDateTime>,
    pub token_last_client_addr: Option<IpAddr>,
    pub token_last_user_agent: Option<String>,
}

impl Host {
    pub fn host_id(&self) -> HostId {
        HostId(self.id)
    }
}

/// `SELECT … FROM hosts h LEFT JOIN update_tokens t` followed by `$rest`.
macro_rules! select_hosts {
    ($rest:literal) => {
        concat!(
            "SELECT h.id, h.account_id, h.name, h.zone, h.ttl, h.wildcard, h.enabled,
                    h.ipv4, h.ipv6, h.ipv4_changed_at, h.ipv6_changed_at, h.updated_at,
                    h.last_client_addr, h.last_user_agent, h.txt, h.created_at, h.changed_at,
                    t.host_id IS NOT NULL AS has_token, t.created_at AS token_created_at,
                    t.first_used_at AS token_first_used_at, t.last_used_at AS token_last_used_at,
                    t.last_client_addr AS token_last_client_addr,
                    t.last_user_agent AS token_last_user_agent
             FROM hosts h LEFT JOIN update_tokens t ON t.host_id = h.id ",
            $rest
        )
    };
}

/// The account's hosts by name.
pub async fn list(conn: &mut PgConnection, account: AccountId) -> sqlx::Result<Vec<Host>> {
    sqlx::query_as(select_hosts!("WHERE h.account_id = $1 ORDER BY h.name"))
        .bind(account.0)
        .fetch_all(conn)
        .await
}

/// One of the account's hosts; another account's host is `None`.
pub async fn get(
    conn: &mut PgConnection,
    account: AccountId,
    id: HostId,
) -> sqlx::Result<Option<Host>> {
    sqlx::query_as(select_hosts!("WHERE h.id = $1 AND h.account_id = $2"))
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(conn)
        .await
}

/// Any host by name (operator actions only).
pub async fn by_name_any_account(
    conn: &mut PgConnection,
    name: &str,
) -> sqlx::Result<Option<Host>> {
    sqlx::query_as(select_hosts!("WHERE h.name = $1"))
        .bind(name)
        .fetch_optional(conn)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum CreateHostError {
    #[error("the host name is taken")]
    NameTaken,
    #[error("the account's host quota is used up")]
    QuotaExceeded,
    #[error("no such account")]
    NoAccount,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates a host within the account's quota and publishes it. Locks the
/// account row, so concurrent creations cannot overrun the quota.
pub async fn create(
    tx: &mut FeedTx,
    account: AccountId,
    name: &HostName,
    ttl: u32,
    wildcard: bool,
) -> Result<Host, CreateHostError> {
    let quota: Option<i32> =
        sqlx::query_scalar("SELECT host_quota FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(account.0)
            .fetch_optional(&mut **tx)
            .await?;
    let quota = quota.ok_or(CreateHostError::NoAccount)?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM hosts WHERE account_id = $1")
        .bind(account.0)
        .fetch_one(&mut **tx)
        .await?;
    if !crate::domain::hosts::within_quota(count, quota) {
        return Err(CreateHostError::QuotaExceeded);
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO hosts (account_id, name, zone, ttl, wildcard) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ON CONSTRAINT hosts_name_key DO NOTHING RETURNING id",
    )
    .bind(account.0)
    .bind(name.as_str())
    .bind(name.zone().as_str())
    .bind(i32::try_from(ttl).unwrap_or(i32::MAX))
    .bind(wildcard)
    .fetch_optional(&mut **tx)
    .await?;
    let id = HostId(id.ok_or(CreateHostError::NameTaken)?);
    publish(tx, id).await?;
    get(tx, account, id)
        .await?
        .ok_or(CreateHostError::Db(sqlx::Error::RowNotFound))
}

/// Settings an owner may change; `None` keeps the current value.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostChanges {
    pub ttl: Option<u32>,
    pub wildcard: Option<bool>,
    pub enabled: Option<bool>,
}

/// Changes settings of one of the account's hosts and publishes it.
pub async fn update(
    tx: &mut FeedTx,
    account: AccountId,
    id: HostId,
    changes: HostChanges,
) -> sqlx::Result<Option<Host>> {
    let updated = sqlx::query(
        "UPDATE hosts SET ttl = coalesce($3, ttl), wildcard = coalesce($4, wildcard),
                enabled = coalesce($5, enabled), changed_at = now()
         WHERE id = $1 AND account_id = $2",
    )
    .bind(id.0)
    .bind(account.0)
    .bind(changes.ttl.map(|t| i32::try_from(t).unwrap_or(i32::MAX)))
    .bind(changes.wildcard)
    .bind(changes.enabled)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    publish(tx, id).await?;
    get(tx, account, id).await
}

/// Deletes one of the account's hosts (its token goes with it); returns its name.
pub async fn delete(
    tx: &mut FeedTx,
    account: AccountId,
    id: HostId,
) -> sqlx::Result<Option<String>> {
    let name: Option<String> =
        sqlx::query_scalar("DELETE FROM hosts WHERE id = $1 AND account_id = $2 RETURNING name")
            .bind(id.0)
            .bind(account.0)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(name) = &name {
        feed::append(tx, Kind::HostDelete, json!({ "name": name })).await?;
    }
    Ok(name)
}

/// Moves a host to another account (operator action), keeping its token,
/// addresses and records; returns the previous owner.
pub async fn move_to(
    tx: &mut FeedTx,
    id: HostId,
    to: AccountId,
) -> sqlx::Result<Option<AccountId>> {
    let from: Option<i64> = sqlx::query_scalar(
        "UPDATE hosts h SET account_id = $2, changed_at = now()
         FROM (SELECT id, account_id FROM hosts WHERE id = $1 FOR UPDATE) old
         WHERE h.id = old.id RETURNING old.account_id",
    )
    .bind(id.0)
    .bind(to.0)
    .fetch_optional(&mut **tx)
    .await?;
    if from.is_some() {
        publish(tx, id).await?;
    }
    Ok(from.map(AccountId))
}

/// Appends the host's full state to the change feed (`host.upsert`). The
/// payload's shape has one definition, the `dnsd_host_payloads` view, which
/// dnsd also bootstraps from.
pub(crate) async fn publish(tx: &mut FeedTx, id: HostId) -> sqlx::Result<()> {
    let payload: Json<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM dnsd_host_payloads WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut **tx)
            .await?;
    feed::append(tx, Kind::HostUpsert, payload.0)
        .await
        .map(drop)
}
