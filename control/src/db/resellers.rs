//! Reseller organisations (operators create them).

use time::OffsetDateTime;

use super::scope::{Operator, Scope, Tx};
use crate::domain::tenants::ResellerId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResellerRow {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
}

impl ResellerRow {
    pub fn reseller_id(&self) -> ResellerId {
        ResellerId(self.id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateResellerError {
    #[error("a reseller with this name exists")]
    NameTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn create(tx: &mut Tx<Operator>, name: &str) -> Result<ResellerRow, CreateResellerError> {
    sqlx::query_as(
        "INSERT INTO resellers (name) VALUES ($1) RETURNING id, name, enabled, created_at",
    )
    .bind(name)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| {
        if super::is_unique_violation(&e, "resellers_name_key") {
            CreateResellerError::NameTaken
        } else {
            CreateResellerError::Db(e)
        }
    })
}

/// A reseller the scope sees (its own, or every one for operators).
pub async fn get(tx: &mut Tx<impl Scope>, id: ResellerId) -> sqlx::Result<Option<ResellerRow>> {
    sqlx::query_as("SELECT id, name, enabled, created_at FROM resellers WHERE id = $1")
        .bind(id.0)
        .fetch_optional(tx.conn())
        .await
}

/// A reseller in the operator's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResellerSummary {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
    pub customers: i64,
    pub users: i64,
}

pub async fn list(tx: &mut Tx<Operator>) -> sqlx::Result<Vec<ResellerSummary>> {
    sqlx::query_as(
        "SELECT r.id, r.name, r.enabled, r.created_at,
                (SELECT count(*) FROM tenants t WHERE t.reseller_id = r.id) AS customers,
                (SELECT count(*) FROM accounts a
                 WHERE a.reseller_id = r.id AND a.kind = 'reseller_user') AS users
         FROM resellers r ORDER BY lower(r.name)",
    )
    .fetch_all(tx.conn())
    .await
}
