//! What the dashboard (and the notifications panel, and the daily digest)
//! points out: licences that have ended or end soon, hosts not updated for a
//! while, update tokens never used, users without two-factor sign-in — for
//! one tenant or across a reseller's customers.

use time::{Date, OffsetDateTime};

use super::scope::{Reseller, Scope, Tenant, Tx};

/// Whose items a scope shows: one tenant's, or a reseller's customers'.
pub trait Owner: Scope {
    /// (tenant, reseller) to filter rows by; exactly one is set.
    fn filter(&self) -> (Option<i64>, Option<i64>);
}

impl Owner for Tenant {
    fn filter(&self) -> (Option<i64>, Option<i64>) {
        (Some(self.0.0), None)
    }
}

impl Owner for Reseller {
    fn filter(&self) -> (Option<i64>, Option<i64>) {
        (None, Some(self.0.0))
    }
}

/// A licence that has ended or ends within the window.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LicenceItem {
    pub id: i64,
    pub tenant_id: i64,
    pub customer_name: String,
    pub valid_from: Date,
    pub valid_until: Date,
}

/// A host, for "not updated" and "token never used".
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HostItem {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub customer_name: String,
    /// The last update, or when it was made if it never had one.
    pub since: OffsetDateTime,
}

/// A user without two-factor sign-in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserItem {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub name: String,
    pub kind: String,
}

/// Everything the dashboard points out.
#[derive(Debug, Clone, Default)]
pub struct Items {
    pub licences: Vec<LicenceItem>,
    pub stale_hosts: Vec<HostItem>,
    pub unused_tokens: Vec<HostItem>,
    pub users_without_2fa: Vec<UserItem>,
}

impl Items {
    pub fn is_empty(&self) -> bool {
        self.licences.is_empty()
            && self.stale_hosts.is_empty()
            && self.unused_tokens.is_empty()
            && self.users_without_2fa.is_empty()
    }
}

/// Most items of one kind listed (the rest are counted on their pages).
const LIMIT: i64 = 50;

/// The items on `today`: licences ending by `today + expiring_days` (ended
/// ones included), hosts without an update for `stale_days`.
pub async fn items<S: Owner>(
    tx: &mut Tx<S>,
    today: Date,
    expiring_days: u32,
    stale_days: u32,
) -> sqlx::Result<Items> {
    let (tenant, reseller) = tx.scope().filter();
    let licences = sqlx::query_as(
        "SELECT l.id, l.tenant_id, t.name AS customer_name, l.valid_from, l.valid_until
         FROM licences l JOIN tenants t ON t.id = l.tenant_id
         WHERE ($1::bigint IS NULL OR l.tenant_id = $1) AND ($2::bigint IS NULL OR l.reseller_id = $2)
           AND l.valid_until <= $3::date + $4::int
         ORDER BY l.valid_until, l.id LIMIT $5",
    )
    .bind(tenant)
    .bind(reseller)
    .bind(today)
    .bind(i32::try_from(expiring_days).unwrap_or(i32::MAX))
    .bind(LIMIT)
    .fetch_all(tx.conn())
    .await?;
    let stale_hosts = sqlx::query_as(
        "SELECT h.id, h.tenant_id, h.name, t.name AS customer_name,
                coalesce(h.updated_at, h.created_at) AS since
         FROM hosts h JOIN tenants t ON t.id = h.tenant_id
         WHERE ($1::bigint IS NULL OR h.tenant_id = $1) AND ($2::bigint IS NULL OR h.reseller_id = $2)
           AND h.enabled
           AND coalesce(h.updated_at, h.created_at) < now() - $3::int * interval '1 day'
         ORDER BY since, h.id LIMIT $4",
    )
    .bind(tenant)
    .bind(reseller)
    .bind(i32::try_from(stale_days).unwrap_or(i32::MAX))
    .bind(LIMIT)
    .fetch_all(tx.conn())
    .await?;
    let unused_tokens = sqlx::query_as(
        "SELECT h.id, h.tenant_id, h.name, t.name AS customer_name, k.created_at AS since
         FROM hosts h JOIN tenants t ON t.id = h.tenant_id
                      JOIN update_tokens k ON k.host_id = h.id
         WHERE ($1::bigint IS NULL OR h.tenant_id = $1) AND ($2::bigint IS NULL OR h.reseller_id = $2)
           AND k.first_used_at IS NULL
         ORDER BY k.created_at, h.id LIMIT $3",
    )
    .bind(tenant)
    .bind(reseller)
    .bind(LIMIT)
    .fetch_all(tx.conn())
    .await?;
    let users_without_2fa = sqlx::query_as(
        "SELECT a.id, a.tenant_id, a.name, a.kind FROM accounts a
         WHERE ($1::bigint IS NULL OR a.tenant_id = $1) AND ($2::bigint IS NULL OR a.reseller_id = $2)
           AND a.enabled
           AND NOT EXISTS (SELECT 1 FROM totp_credentials c
                           WHERE c.account_id = a.id AND c.enabled_at IS NOT NULL)
         ORDER BY a.name, a.id LIMIT $3",
    )
    .bind(tenant)
    .bind(reseller)
    .bind(LIMIT)
    .fetch_all(tx.conn())
    .await?;
    Ok(Items {
        licences,
        stale_hosts,
        unused_tokens,
        users_without_2fa,
    })
}
