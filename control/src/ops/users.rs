//! The users of a customer's tenant: invite, change role, deactivate and
//! reactivate. One code path for the tenant's admins and for its reseller
//! (acting in the tenant's portal, or from the customer's page): everything
//! runs in the tenant's scope. A tenant keeps at least one active admin.

use sqlx::PgPool;

use super::{Actor, accounts::send_welcome, retrying};
use crate::{
    config::Config,
    db::{
        self,
        accounts::{Account, CreateAccountError, Kind, NewUser},
        log::Action,
        scope::{FeedTx, Tenant, Tx},
    },
    domain::{
        accounts::{AccountId, AccountName, Email, Language, Role},
        tenants,
    },
    error::{Conflict, Error, Invalid},
    paths,
};

/// A user to invite into a tenant.
#[derive(Debug, Clone, Copy)]
pub struct Invitation<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub language: Language,
    pub role: Role,
}

/// The tenant's users, by name.
pub async fn list(pool: &PgPool, tenant: Tenant) -> Result<Vec<Account>, Error> {
    let mut tx = Tx::begin(pool, tenant).await?;
    Ok(db::accounts::of_tenant(&mut tx, tenant.0).await?)
}

/// Adds a user to a customer's tenant; the user gets a mail with a link to
/// choose a password, after which (admins) the portal goes on to two-factor
/// enrolment. A standalone account's tenant has its holder only.
pub async fn invite(
    pool: &PgPool,
    config: &Config,
    actor: &Actor,
    tenant: Tenant,
    user: Invitation<'_>,
) -> Result<Account, Error> {
    let name = AccountName::parse(user.name)?;
    let email = Email::parse(user.email)?;
    let mut tx = Tx::begin(pool, tenant).await?;
    let row = db::tenants::get(&mut tx, tenant.0)
        .await?
        .ok_or(Error::NotFound)?;
    let reseller = row.reseller().ok_or(Error::Forbidden)?;
    let new = NewUser {
        name: &name,
        email: &email,
        language: user.language,
        role: user.role,
    };
    let account = db::accounts::create_tenant_user(&mut tx, reseller, &new)
        .await
        .map_err(|e| match e {
            CreateAccountError::NameTaken => Error::Conflict(Conflict::NameTaken),
            CreateAccountError::Db(e) => Error::Db(e),
        })?;
    let domain = tenants::domain(
        row.customer_number.as_deref().unwrap_or_default(),
        &config.tenants.domain_suffix,
    );
    let sign_in = paths::tenant_login_at(&domain);
    send_welcome(&mut tx, config, &account, &row.name, &sign_in).await?;
    let entry = actor.entry_in(
        tenant.0,
        Action::UserCreate,
        &account.name,
        user.role.code(),
    );
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(account)
}

/// What may change about a user.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    Role(Role),
    Active(bool),
}

/// Changes a user's role or deactivates / reactivates it. Refused when the
/// tenant would be left without an active admin, and for one's own
/// account's deactivation (another admin does that).
pub async fn change(
    pool: &PgPool,
    actor: &Actor,
    tenant: Tenant,
    id: AccountId,
    change: Change,
) -> Result<Account, Error> {
    if matches!(change, Change::Active(false)) && id == actor.account {
        return Err(Invalid::DisableSelf.into());
    }
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, tenant).await?;
        let admins = db::accounts::lock_active_admins(&mut tx).await?;
        let user = db::accounts::by_id(&mut tx, id)
            .await?
            .filter(|a| a.tenant() == Some(tenant.0) && a.kind() == Kind::TenantUser)
            .ok_or(Error::NotFound)?;
        let (role, active) = match change {
            Change::Role(role) => (role, user.enabled),
            Change::Active(active) => (user.role(), active),
        };
        let stays_admin = role == Role::Admin && active;
        if admins.contains(&id) && !stays_admin && admins.len() == 1 {
            return Err(Conflict::LastAdmin.into());
        }
        let action = match change {
            Change::Role(role) if role == user.role() => return Ok(user),
            Change::Active(active) if active == user.enabled => return Ok(user),
            Change::Role(_) => {
                db::accounts::set_role(&mut tx, id, role).await?;
                Action::UserRole
            }
            Change::Active(active) => {
                db::accounts::set_enabled(&mut tx, id, active).await?;
                if active {
                    Action::UserReactivate
                } else {
                    Action::UserDeactivate
                }
            }
        };
        let entry = actor.entry_in(tenant.0, action, &user.name, role.code());
        db::log::add(&mut tx, &entry).await?;
        let user = db::accounts::by_id(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(user)
    })
    .await
}
