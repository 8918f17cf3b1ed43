//! Tenants: a reseller's customers (created, listed, searched and renamed
//! by the reseller) and the quota of standalone tenants (operators).

use time::OffsetDateTime;

use super::scope::{Operator, Reseller, Scope, Tx};
use crate::domain::tenants::{ResellerId, TenantId};

/// A tenant as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: i64,
    pub reseller_id: Option<i64>,
    pub customer_number: Option<String>,
    pub name: String,
    pub host_quota: Option<i32>,
    pub created_at: OffsetDateTime,
}

impl TenantRow {
    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.id)
    }

    pub fn reseller(&self) -> Option<ResellerId> {
        self.reseller_id.map(ResellerId)
    }
}

const COLUMNS: &str = "id, reseller_id, customer_number, name, host_quota, created_at";

/// A tenant the scope sees.
pub async fn get(tx: &mut Tx<impl Scope>, id: TenantId) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tenants WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(tx.conn())
    .await
}

/// Creates a customer of the reseller with the next customer number.
pub async fn create_customer(tx: &mut Tx<Reseller>, name: &str) -> sqlx::Result<TenantRow> {
    let reseller = tx.reseller();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tenants (reseller_id, customer_number, name)
         VALUES ($1, nextval('customer_numbers')::text, $2) RETURNING {COLUMNS}"
    )))
    .bind(reseller.0)
    .bind(name)
    .fetch_one(tx.conn())
    .await
}

/// One of the reseller's customers; another reseller's is `None`.
pub async fn customer(tx: &mut Tx<Reseller>, id: TenantId) -> sqlx::Result<Option<TenantRow>> {
    let reseller = tx.reseller();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tenants WHERE id = $1 AND reseller_id = $2"
    )))
    .bind(id.0)
    .bind(reseller.0)
    .fetch_optional(tx.conn())
    .await
}

/// Renames one of the reseller's customers.
pub async fn rename_customer(
    tx: &mut Tx<Reseller>,
    id: TenantId,
    name: &str,
) -> sqlx::Result<Option<TenantRow>> {
    let reseller = tx.reseller();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE tenants SET name = $3 WHERE id = $1 AND reseller_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(id.0)
    .bind(reseller.0)
    .bind(name)
    .fetch_optional(tx.conn())
    .await
}

/// A customer in the reseller's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerSummary {
    pub id: i64,
    pub customer_number: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub hosts: i64,
    pub licences: i64,
    /// The last day any of its licences covers.
    pub licensed_until: Option<time::Date>,
    /// The first day of the licence that runs longest.
    pub licensed_from: Option<time::Date>,
}

/// The reseller's customers by name; `search` matches name or number.
pub async fn customers(
    tx: &mut Tx<Reseller>,
    search: Option<&str>,
) -> sqlx::Result<Vec<CustomerSummary>> {
    let reseller = tx.reseller();
    let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map(|s| {
        format!(
            "%{}%",
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    sqlx::query_as(
        "SELECT t.id, t.customer_number, t.name, t.created_at,
                (SELECT count(*) FROM hosts h WHERE h.tenant_id = t.id) AS hosts,
                (SELECT count(*) FROM licences l WHERE l.tenant_id = t.id) AS licences,
                l.valid_until AS licensed_until, l.valid_from AS licensed_from
         FROM tenants t
         LEFT JOIN LATERAL (SELECT valid_from, valid_until FROM licences
                            WHERE tenant_id = t.id ORDER BY valid_until DESC LIMIT 1) l ON true
         WHERE t.reseller_id = $1
           AND ($2::text IS NULL OR t.name ILIKE $2 OR t.customer_number LIKE $2)
         ORDER BY lower(t.name), t.id",
    )
    .bind(reseller.0)
    .bind(pattern)
    .fetch_all(tx.conn())
    .await
}

/// Sets a standalone tenant's host quota (operator action).
pub async fn set_quota(tx: &mut Tx<Operator>, id: TenantId, quota: i32) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE tenants SET host_quota = $2 WHERE id = $1 AND reseller_id IS NULL")
            .bind(id.0)
            .bind(quota)
            .execute(tx.conn())
            .await?;
    Ok(result.rows_affected() == 1)
}
