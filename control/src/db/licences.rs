//! Licences: created and changed by the reseller for its customers, read by
//! the customer, and swept by the system so that dnsd learns when a
//! licence's grace period has passed.

use time::{Date, OffsetDateTime};

use super::{
    hosts::publish,
    scope::{FeedTx, Reseller, Scope, System, Tenant, Tx},
};
use crate::domain::{
    hosts::HostId,
    licences::{LicenceId, LicenceRules, LicenceState, Product, Validity},
    tenants::TenantId,
};

/// A licence with the hosts it covers and its customer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Licence {
    pub id: i64,
    pub tenant_id: i64,
    pub product: String,
    pub quantity: i32,
    pub valid_from: Date,
    pub valid_until: Date,
    pub past_grace: bool,
    pub created_at: OffsetDateTime,
    pub used: i64,
    pub customer_number: Option<String>,
    pub customer_name: String,
}

impl Licence {
    pub fn licence_id(&self) -> LicenceId {
        LicenceId(self.id)
    }

    pub fn validity(&self) -> Validity {
        Validity {
            from: self.valid_from,
            until: self.valid_until,
        }
    }

    pub fn state(&self, today: Date, rules: LicenceRules) -> LicenceState {
        self.validity().state(today, rules)
    }
}

/// `SELECT … FROM licences l JOIN tenants t` followed by `$rest`.
macro_rules! select_licences {
    ($rest:literal) => {
        concat!(
            "SELECT l.id, l.tenant_id, l.product, l.quantity, l.valid_from, l.valid_until,
                    l.past_grace, l.created_at,
                    (SELECT count(*) FROM hosts h WHERE h.licence_id = l.id) AS used,
                    t.customer_number, t.name AS customer_name
             FROM licences l JOIN tenants t ON t.id = l.tenant_id ",
            $rest
        )
    };
}

/// Creates a licence for one of the reseller's customers; `None` when the
/// customer is not the reseller's.
pub async fn create(
    tx: &mut Tx<Reseller>,
    customer: TenantId,
    product: Product,
    quantity: i32,
    validity: Validity,
) -> sqlx::Result<Option<Licence>> {
    let reseller = tx.reseller();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO licences (tenant_id, reseller_id, product, quantity, valid_from, valid_until)
         SELECT t.id, t.reseller_id, $3, $4, $5, $6 FROM tenants t
         WHERE t.id = $1 AND t.reseller_id = $2
         RETURNING id",
    )
    .bind(customer.0)
    .bind(reseller.0)
    .bind(product.code())
    .bind(quantity)
    .bind(validity.from)
    .bind(validity.until)
    .fetch_optional(tx.conn())
    .await?;
    match id {
        Some(id) => get(tx, LicenceId(id)).await,
        None => Ok(None),
    }
}

/// One of the reseller's licences.
pub async fn get(tx: &mut Tx<Reseller>, id: LicenceId) -> sqlx::Result<Option<Licence>> {
    let reseller = tx.reseller();
    sqlx::query_as(select_licences!("WHERE l.id = $1 AND l.reseller_id = $2"))
        .bind(id.0)
        .bind(reseller.0)
        .fetch_optional(tx.conn())
        .await
}

/// Changes the quantity and validity of one of the reseller's licences. The
/// caller publishes the grace state ([`sync_past_grace`]) in the same
/// transaction.
pub async fn update(
    tx: &mut FeedTx<Reseller>,
    id: LicenceId,
    quantity: i32,
    validity: Validity,
) -> sqlx::Result<Option<Licence>> {
    let reseller = tx.reseller();
    let updated = sqlx::query(
        "UPDATE licences SET quantity = $3, valid_from = $4, valid_until = $5
         WHERE id = $1 AND reseller_id = $2",
    )
    .bind(id.0)
    .bind(reseller.0)
    .bind(quantity)
    .bind(validity.from)
    .bind(validity.until)
    .execute(tx.conn())
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    get(tx, id).await
}

/// Every licence of the reseller, by end date; or those of one customer.
pub async fn of_reseller(
    tx: &mut Tx<Reseller>,
    customer: Option<TenantId>,
) -> sqlx::Result<Vec<Licence>> {
    let reseller = tx.reseller();
    sqlx::query_as(select_licences!(
        "WHERE l.reseller_id = $1 AND ($2::bigint IS NULL OR l.tenant_id = $2)
         ORDER BY l.valid_until, l.id"
    ))
    .bind(reseller.0)
    .bind(customer.map(|c| c.0))
    .fetch_all(tx.conn())
    .await
}

/// The tenant's own licences.
pub async fn of_tenant(tx: &mut Tx<Tenant>) -> sqlx::Result<Vec<Licence>> {
    let tenant = tx.tenant();
    sqlx::query_as(select_licences!(
        "WHERE l.tenant_id = $1 ORDER BY l.valid_until, l.id"
    ))
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await
}

/// Every licence (the sweep).
pub async fn all(tx: &mut Tx<System>) -> sqlx::Result<Vec<Licence>> {
    sqlx::query_as(select_licences!("ORDER BY l.id"))
        .fetch_all(tx.conn())
        .await
}

/// Records whether the licence is past its grace period and, when that
/// changed, republishes its hosts so dnsd answers their updates with
/// `!donator` (or stops doing so). Returns the hosts republished.
pub async fn sync_past_grace(
    tx: &mut FeedTx<impl Scope>,
    id: LicenceId,
    past_grace: bool,
) -> sqlx::Result<usize> {
    let changed: Option<i64> = sqlx::query_scalar(
        "UPDATE licences SET past_grace = $2 WHERE id = $1 AND past_grace <> $2 RETURNING id",
    )
    .bind(id.0)
    .bind(past_grace)
    .fetch_optional(tx.conn())
    .await?;
    if changed.is_none() {
        return Ok(0);
    }
    let hosts: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM hosts WHERE licence_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(tx.conn())
            .await?;
    for host in &hosts {
        publish(tx, HostId(*host)).await?;
    }
    Ok(hosts.len())
}
