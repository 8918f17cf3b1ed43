//! A reseller's use cases: its customers (tenants), their licences and
//! their portal users, and opening a customer's tenant portal. Everything
//! runs in the reseller's scope; a customer of another reseller is "not
//! found".

use sqlx::PgPool;

use super::{
    Actor, retrying,
    users::{self, Invitation},
};
use crate::{
    config::Config,
    db::{
        self,
        accounts::Account,
        licences::Licence,
        log::Action,
        scope::{FeedTx, Reseller, Tenant, Tx},
        tenants::{CustomerSummary, TenantRow},
    },
    domain::{
        licences::{LicenceId, Licensing, Product, Validity, check_quantity},
        tenants::{self, TenantId},
    },
    error::{Error, Invalid},
};

/// The reseller's customers; `search` matches name or customer number.
pub async fn list(
    pool: &PgPool,
    reseller: Reseller,
    search: Option<&str>,
) -> Result<Vec<CustomerSummary>, Error> {
    let mut tx = Tx::begin(pool, reseller).await?;
    Ok(db::tenants::customers(&mut tx, search).await?)
}

/// The customers a reseller user may open now: those with a running licence.
pub async fn selectable(
    pool: &PgPool,
    reseller: Reseller,
    licensing: Licensing,
) -> Result<Vec<CustomerSummary>, Error> {
    let customers = list(pool, reseller, None).await?;
    let mut tx = Tx::begin(pool, reseller).await?;
    let licences = db::licences::of_reseller(&mut tx, None).await?;
    Ok(customers
        .into_iter()
        .filter(|c| {
            licences
                .iter()
                .any(|l| l.tenant_id == c.id && licensing.state(l.validity()).allows_changes())
        })
        .collect())
}

/// Creates a customer (a tenant with the next customer number).
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    reseller: Reseller,
    name: &str,
) -> Result<TenantRow, Error> {
    let name = tenants::parse_name(name)?;
    let mut tx = Tx::begin(pool, reseller).await?;
    let customer = db::tenants::create_customer(&mut tx, &name).await?;
    let detail = customer.customer_number.clone().unwrap_or_default();
    let entry = actor.entry_in(
        customer.tenant_id(),
        Action::CustomerCreate,
        &customer.name,
        &detail,
    );
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(customer)
}

/// A customer with its licences and users.
#[derive(Debug, Clone)]
pub struct CustomerDetail {
    pub customer: TenantRow,
    pub licences: Vec<Licence>,
    pub users: Vec<Account>,
}

/// One of the reseller's customers, with its licences and users.
pub async fn get(pool: &PgPool, reseller: Reseller, id: TenantId) -> Result<CustomerDetail, Error> {
    let mut tx = Tx::begin(pool, reseller).await?;
    let customer = db::tenants::customer(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let licences = db::licences::of_reseller(&mut tx, Some(id)).await?;
    let users = db::accounts::of_tenant(&mut tx, id).await?;
    Ok(CustomerDetail {
        customer,
        licences,
        users,
    })
}

/// Renames one of the reseller's customers.
pub async fn rename(
    pool: &PgPool,
    actor: &Actor,
    reseller: Reseller,
    id: TenantId,
    name: &str,
) -> Result<TenantRow, Error> {
    let name = tenants::parse_name(name)?;
    let mut tx = Tx::begin(pool, reseller).await?;
    let customer = db::tenants::rename_customer(&mut tx, id, &name)
        .await?
        .ok_or(Error::NotFound)?;
    let entry = actor.entry_in(id, Action::CustomerUpdate, &customer.name, "");
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(customer)
}

/// What a licence is made of, as typed.
#[derive(Debug, Clone, Copy)]
pub struct LicenceInput<'a> {
    pub product: &'a str,
    pub quantity: i32,
    pub valid_from: &'a str,
    pub valid_until: &'a str,
}

impl LicenceInput<'_> {
    fn parse(&self) -> Result<(Product, i32, Validity), Error> {
        let product = Product::from_code(self.product.trim()).ok_or(Invalid::Product)?;
        check_quantity(self.quantity)?;
        let date = |text: &str| crate::domain::dates::parse_date(text).map_err(|_| Invalid::Dates);
        let validity = Validity::new(date(self.valid_from)?, date(self.valid_until)?)?;
        Ok((product, self.quantity, validity))
    }
}

/// Creates a licence for one of the reseller's customers.
pub async fn create_licence(
    pool: &PgPool,
    actor: &Actor,
    reseller: Reseller,
    customer: TenantId,
    input: LicenceInput<'_>,
) -> Result<Licence, Error> {
    let (product, quantity, validity) = input.parse()?;
    let mut tx = Tx::begin(pool, reseller).await?;
    let licence = db::licences::create(&mut tx, customer, product, quantity, validity)
        .await?
        .ok_or(Error::NotFound)?;
    let detail = licence_detail(&licence);
    let entry = actor.entry_in(
        customer,
        Action::LicenceCreate,
        &licence.customer_name,
        &detail,
    );
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(licence)
}

fn licence_detail(licence: &Licence) -> String {
    format!(
        "licence {} {} x{} {}..{}",
        licence.id, licence.product, licence.quantity, licence.valid_from, licence.valid_until
    )
}

/// Changes one of the reseller's licences (renewal, more hosts). The
/// quantity cannot drop below the hosts it covers. When the change moves
/// the licence across the end of its grace period, dnsd learns it in the
/// same transaction.
pub async fn update_licence(
    pool: &PgPool,
    actor: &Actor,
    reseller: Reseller,
    licensing: Licensing,
    id: LicenceId,
    input: LicenceInput<'_>,
) -> Result<Licence, Error> {
    let (_, quantity, validity) = input.parse()?;
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, reseller).await?;
        let before = db::licences::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        if i64::from(quantity) < before.used {
            return Err(Invalid::QuantityBelowUse.into());
        }
        let licence = db::licences::update(&mut tx, id, quantity, validity)
            .await?
            .ok_or(Error::NotFound)?;
        let past_grace =
            licensing.state(validity) == crate::domain::licences::LicenceState::PastGrace;
        db::licences::sync_past_grace(&mut tx, id, past_grace).await?;
        let detail = licence_detail(&licence);
        let tenant = TenantId(licence.tenant_id);
        let entry = actor.entry_in(
            tenant,
            Action::LicenceUpdate,
            &licence.customer_name,
            &detail,
        );
        db::log::add(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(licence)
    })
    .await
}

/// Every licence of the reseller.
pub async fn licences(pool: &PgPool, reseller: Reseller) -> Result<Vec<Licence>, Error> {
    let mut tx = Tx::begin(pool, reseller).await?;
    Ok(db::licences::of_reseller(&mut tx, None).await?)
}

/// One licence of the reseller.
pub async fn licence(pool: &PgPool, reseller: Reseller, id: LicenceId) -> Result<Licence, Error> {
    let mut tx = Tx::begin(pool, reseller).await?;
    db::licences::get(&mut tx, id).await?.ok_or(Error::NotFound)
}

/// A tenant's own licences (what its users see).
pub async fn tenant_licences(pool: &PgPool, tenant: Tenant) -> Result<Vec<Licence>, Error> {
    let mut tx = Tx::begin(pool, tenant).await?;
    Ok(db::licences::of_tenant(&mut tx).await?)
}

/// Adds a user to one of the reseller's customers (from the customer's
/// page): the same invitation as the tenant's admins send, once the
/// customer is known to be the reseller's.
pub async fn add_user(
    pool: &PgPool,
    config: &Config,
    actor: &Actor,
    reseller: Reseller,
    customer: TenantId,
    user: Invitation<'_>,
) -> Result<Account, Error> {
    let mut tx = Tx::begin(pool, reseller).await?;
    db::tenants::customer(&mut tx, customer)
        .await?
        .ok_or(Error::NotFound)?;
    drop(tx);
    users::invite(pool, config, actor, Tenant(customer), user).await
}

/// Checks that a reseller may open a customer's portal now (its customer,
/// with a running licence) and logs that it did.
pub async fn open_portal(
    pool: &PgPool,
    actor: &Actor,
    reseller: Reseller,
    licensing: Licensing,
    customer: TenantId,
) -> Result<TenantRow, Error> {
    let mut tx = Tx::begin(pool, reseller).await?;
    let tenant = db::tenants::customer(&mut tx, customer)
        .await?
        .ok_or(Error::NotFound)?;
    let running = db::licences::of_reseller(&mut tx, Some(customer))
        .await?
        .iter()
        .any(|l| licensing.state(l.validity()).allows_changes());
    if !running {
        return Err(Error::LicenceExpired);
    }
    let entry = actor.entry_in(customer, Action::CustomerOpen, &tenant.name, "");
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(tenant)
}
