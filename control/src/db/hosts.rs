//! Hosts of a tenant and their publication to the change feed. Every
//! function that changes a host appends its full state (`host.upsert`) or its
//! deletion (`host.delete`) in the same transaction.

use std::net::IpAddr;

use serde_json::json;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};

use super::{
    feed::{self, Kind},
    scope::{FeedTx, Operator, Scope, System, Tenant, Tx},
};
use crate::domain::{
    hosts::HostId,
    licences::{LicenceRules, LicenceState, Validity},
    names::HostName,
    tenants::TenantId,
};

/// A host with its token's state (never the token) and its licence's dates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Host {
    pub id: i64,
    pub tenant_id: i64,
    pub licence_id: Option<i64>,
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
    pub licence_valid_from: Option<Date>,
    pub licence_valid_until: Option<Date>,
}

impl Host {
    pub fn host_id(&self) -> HostId {
        HostId(self.id)
    }

    /// The state of the host's licence on `today`; `None` for hosts of a
    /// standalone account, which have none.
    pub fn licence_state(&self, today: Date, rules: LicenceRules) -> Option<LicenceState> {
        let (from, until) = (self.licence_valid_from?, self.licence_valid_until?);
        Some(Validity { from, until }.state(today, rules))
    }
}

/// `SELECT … FROM hosts h LEFT JOIN update_tokens t LEFT JOIN licences l`
/// followed by `$rest`.
macro_rules! select_hosts {
    ($rest:literal) => {
        concat!(
            "SELECT h.id, h.tenant_id, h.licence_id, h.name, h.zone, h.ttl, h.wildcard, h.enabled,
                    h.ipv4, h.ipv6, h.ipv4_changed_at, h.ipv6_changed_at, h.updated_at,
                    h.last_client_addr, h.last_user_agent, h.txt, h.created_at, h.changed_at,
                    t.host_id IS NOT NULL AS has_token, t.created_at AS token_created_at,
                    t.first_used_at AS token_first_used_at, t.last_used_at AS token_last_used_at,
                    t.last_client_addr AS token_last_client_addr,
                    t.last_user_agent AS token_last_user_agent,
                    l.valid_from AS licence_valid_from, l.valid_until AS licence_valid_until
             FROM hosts h LEFT JOIN update_tokens t ON t.host_id = h.id
                          LEFT JOIN licences l ON l.id = h.licence_id ",
            $rest
        )
    };
}

/// The tenant's hosts by name.
pub async fn list(tx: &mut Tx<Tenant>) -> sqlx::Result<Vec<Host>> {
    let tenant = tx.tenant();
    sqlx::query_as(select_hosts!("WHERE h.tenant_id = $1 ORDER BY h.name"))
        .bind(tenant.0)
        .fetch_all(tx.conn())
        .await
}

/// A tenant's hosts in a scope that sees several tenants (the system
/// checking a link's preconditions in the transaction that links).
pub async fn of_tenant(tx: &mut Tx<System>, tenant: TenantId) -> sqlx::Result<Vec<Host>> {
    sqlx::query_as(select_hosts!("WHERE h.tenant_id = $1 ORDER BY h.name"))
        .bind(tenant.0)
        .fetch_all(tx.conn())
        .await
}

/// One of the tenant's hosts; another tenant's host is `None`.
pub async fn get(tx: &mut Tx<Tenant>, id: HostId) -> sqlx::Result<Option<Host>> {
    let tenant = tx.tenant();
    sqlx::query_as(select_hosts!("WHERE h.id = $1 AND h.tenant_id = $2"))
        .bind(id.0)
        .bind(tenant.0)
        .fetch_optional(tx.conn())
        .await
}

/// Any host by name (operator actions).
pub async fn by_name(tx: &mut Tx<Operator>, name: &str) -> sqlx::Result<Option<Host>> {
    sqlx::query_as(select_hosts!("WHERE h.name = $1"))
        .bind(name)
        .fetch_optional(tx.conn())
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum CreateHostError {
    #[error("the host name is taken")]
    NameTaken,
    #[error("the tenant's host quota is used up")]
    QuotaExceeded,
    /// A customer without a running licence (none, not started, or ended).
    #[error("no licence of this customer allows new hosts")]
    NoRunningLicence,
    #[error("no such tenant")]
    NoTenant,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A licence of the tenant with the hosts it covers.
#[derive(Debug, sqlx::FromRow)]
struct LicenceUse {
    id: i64,
    valid_from: Date,
    valid_until: Date,
    quantity: i32,
    used: i64,
}

/// Creates a host in the tenant and publishes it. A standalone tenant is
/// held to its host quota; a customer's host goes under the running licence
/// with room that runs longest. The tenant row is locked first, so
/// concurrent creations in one tenant queue and cannot overrun a quota.
pub async fn create(
    tx: &mut FeedTx<Tenant>,
    name: &HostName,
    ttl: u32,
    wildcard: bool,
    today: Date,
    rules: LicenceRules,
) -> Result<Host, CreateHostError> {
    let tenant = tx.tenant();
    let (reseller, licence) = room(tx, tenant, today, rules).await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO hosts (tenant_id, reseller_id, licence_id, name, zone, ttl, wildcard)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT ON CONSTRAINT hosts_name_key DO NOTHING RETURNING id",
    )
    .bind(tenant.0)
    .bind(reseller)
    .bind(licence)
    .bind(name.as_str())
    .bind(name.zone().as_str())
    .bind(i32::try_from(ttl).unwrap_or(i32::MAX))
    .bind(wildcard)
    .fetch_optional(tx.conn())
    .await?;
    let id = HostId(id.ok_or(CreateHostError::NameTaken)?);
    publish(tx, id).await?;
    get(tx, id)
        .await?
        .ok_or(CreateHostError::Db(sqlx::Error::RowNotFound))
}

/// Room for one more host in `tenant`, its row locked until the
/// transaction ends (so concurrent creations and moves count each other):
/// a standalone tenant within its quota, a customer under its running
/// licence with room that runs longest. Returns the tenant's reseller and
/// that licence.
async fn room(
    tx: &mut Tx<impl Scope>,
    tenant: TenantId,
    today: Date,
    rules: LicenceRules,
) -> Result<(Option<i64>, Option<i64>), CreateHostError> {
    let quota: Option<(Option<i64>, Option<i32>)> =
        sqlx::query_as("SELECT reseller_id, host_quota FROM tenants WHERE id = $1 FOR UPDATE")
            .bind(tenant.0)
            .fetch_optional(tx.conn())
            .await?;
    let (reseller, quota) = quota.ok_or(CreateHostError::NoTenant)?;
    let licence = match quota {
        Some(quota) => {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM hosts WHERE tenant_id = $1")
                .bind(tenant.0)
                .fetch_one(tx.conn())
                .await?;
            if !crate::domain::hosts::within_quota(count, quota) {
                return Err(CreateHostError::QuotaExceeded);
            }
            None
        }
        None => Some(choose_licence(tx, tenant, today, rules).await?),
    };
    Ok((reseller, licence))
}

/// The customer's running licence with room that runs longest.
async fn choose_licence(
    tx: &mut Tx<impl Scope>,
    tenant: TenantId,
    today: Date,
    rules: LicenceRules,
) -> Result<i64, CreateHostError> {
    let licences: Vec<LicenceUse> = sqlx::query_as(
        "SELECT l.id, l.valid_from, l.valid_until, l.quantity,
                (SELECT count(*) FROM hosts h WHERE h.licence_id = l.id) AS used
         FROM licences l WHERE l.tenant_id = $1 ORDER BY l.valid_until DESC, l.id",
    )
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await?;
    let running: Vec<&LicenceUse> = licences
        .iter()
        .filter(|l| {
            Validity {
                from: l.valid_from,
                until: l.valid_until,
            }
            .state(today, rules)
            .allows_changes()
        })
        .collect();
    if running.is_empty() {
        return Err(CreateHostError::NoRunningLicence);
    }
    running
        .iter()
        .find(|l| l.used < i64::from(l.quantity))
        .map(|l| l.id)
        .ok_or(CreateHostError::QuotaExceeded)
}

/// Settings an owner may change; `None` keeps the current value.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostChanges {
    pub ttl: Option<u32>,
    pub wildcard: Option<bool>,
    pub enabled: Option<bool>,
}

/// Changes settings of one of the tenant's hosts and publishes it.
pub async fn update(
    tx: &mut FeedTx<Tenant>,
    id: HostId,
    changes: HostChanges,
) -> sqlx::Result<Option<Host>> {
    let tenant = tx.tenant();
    let updated = sqlx::query(
        "UPDATE hosts SET ttl = coalesce($3, ttl), wildcard = coalesce($4, wildcard),
                enabled = coalesce($5, enabled), changed_at = now()
         WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id.0)
    .bind(tenant.0)
    .bind(changes.ttl.map(|t| i32::try_from(t).unwrap_or(i32::MAX)))
    .bind(changes.wildcard)
    .bind(changes.enabled)
    .execute(tx.conn())
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    publish(tx, id).await?;
    get(tx, id).await
}

/// Deletes one of the tenant's hosts (its token goes with it); returns its name.
pub async fn delete(tx: &mut FeedTx<Tenant>, id: HostId) -> sqlx::Result<Option<String>> {
    let tenant = tx.tenant();
    let name: Option<String> =
        sqlx::query_scalar("DELETE FROM hosts WHERE id = $1 AND tenant_id = $2 RETURNING name")
            .bind(id.0)
            .bind(tenant.0)
            .fetch_optional(tx.conn())
            .await?;
    if let Some(name) = &name {
        feed::append(tx, Kind::HostDelete, json!({ "name": name })).await?;
    }
    Ok(name)
}

/// Moves a host between standalone tenants (operator action), keeping its
/// token, addresses and records; returns the previous tenant. Hosts of a
/// reseller's customers stay under their licences: `None` for them.
pub async fn move_to(
    tx: &mut FeedTx<Operator>,
    id: HostId,
    to: TenantId,
) -> sqlx::Result<Option<TenantId>> {
    let from: Option<i64> = sqlx::query_scalar(
        "UPDATE hosts h SET tenant_id = $2, changed_at = now()
         FROM (SELECT id, tenant_id FROM hosts WHERE id = $1 AND reseller_id IS NULL FOR UPDATE) old
         WHERE h.id = old.id
           AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = $2 AND t.reseller_id IS NULL)
         RETURNING old.tenant_id",
    )
    .bind(id.0)
    .bind(to.0)
    .fetch_optional(tx.conn())
    .await?;
    if from.is_some() {
        publish(tx, id).await?;
    }
    Ok(from.map(TenantId))
}

/// Moves a host into `to` with its records, token and history, if `to` has
/// room for it (quota, or a running licence with room); returns the tenant
/// it came from. For moves an owner of both sides, a reseller or an
/// operator asked for (checked by the caller): the system scope sees both.
pub async fn move_into(
    tx: &mut FeedTx<System>,
    id: HostId,
    to: TenantId,
    today: Date,
    rules: LicenceRules,
) -> Result<TenantId, CreateHostError> {
    let from: TenantId = sqlx::query_scalar("SELECT tenant_id FROM hosts WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .fetch_optional(tx.conn())
        .await?
        .map(TenantId)
        .ok_or(CreateHostError::NoTenant)?;
    let (reseller, licence) = room(tx, to, today, rules).await?;
    sqlx::query(
        "UPDATE hosts SET tenant_id = $2, reseller_id = $3, licence_id = $4, changed_at = now()
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(to.0)
    .bind(reseller)
    .bind(licence)
    .execute(tx.conn())
    .await?;
    publish(tx, id).await?;
    Ok(from)
}

/// Appends the host's full state to the change feed (`host.upsert`). The
/// payload's shape has one definition, the `dnsd_host_rows` view, which
/// dnsd also bootstraps from.
pub(crate) async fn publish(tx: &mut FeedTx<impl Scope>, id: HostId) -> sqlx::Result<()> {
    let payload: Json<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM dnsd_host_rows WHERE id = $1")
            .bind(id.0)
            .fetch_one(tx.conn())
            .await?;
    feed::append(tx, Kind::HostUpsert, payload.0)
        .await
        .map(drop)
}
