//! Accounts: everyone who signs in — standalone dynamic-DNS account holders
//! (each the one user of its own tenant), users of a customer's tenant, and
//! reseller portal users. What dnsd must know of a standalone account (it
//! checks account-mode update passwords) is published to the change feed in
//! the same transaction.

use sqlx::types::Json;
use time::{Date, OffsetDateTime};

use super::{
    feed::{self, Kind as FeedKind},
    scope::{FeedTx, Operator, Scope, System, Tenant, Tx},
};
use crate::domain::{
    accounts::{AccountId, AccountName, Email, Language, Role},
    tenants::{ResellerId, TenantId},
};

/// What kind of principal an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A dynamic-DNS account holder: the one user of its own tenant, signs
    /// in by name alone, may update with its password (account mode).
    Standalone,
    /// A user of a reseller's customer: signs in with the tenant domain.
    TenantUser,
    /// A reseller portal user: signs in by name, acts for the reseller.
    ResellerUser,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Standalone => "standalone",
            Kind::TenantUser => "tenant_user",
            Kind::ResellerUser => "reseller_user",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Kind::Standalone, Kind::TenantUser, Kind::ResellerUser]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// An account as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub language: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub kind: String,
    pub tenant_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub role: String,
    pub digest: bool,
    pub digest_sent_on: Option<Date>,
    pub created_at: OffsetDateTime,
    /// The reseller user a standalone account is linked to.
    pub linked_reseller_user_id: Option<i64>,
}

impl Account {
    pub fn account_id(&self) -> AccountId {
        AccountId(self.id)
    }

    pub fn language(&self) -> Language {
        Language::from_code(&self.language).unwrap_or_default()
    }

    pub fn kind(&self) -> Kind {
        Kind::from_code(&self.kind).unwrap_or(Kind::Standalone)
    }

    pub fn tenant(&self) -> Option<TenantId> {
        self.tenant_id.map(TenantId)
    }

    pub fn reseller(&self) -> Option<ResellerId> {
        self.reseller_id.map(ResellerId)
    }

    pub fn role(&self) -> Role {
        Role::from_code(&self.role).unwrap_or(Role::ReadOnly)
    }
}

const COLUMNS: &str = "id, name, email, password_hash, language, is_admin, enabled, kind, \
                       tenant_id, reseller_id, role, digest, digest_sent_on, created_at, \
                       linked_reseller_user_id";

/// A new standalone account (with its tenant).
#[derive(Debug)]
pub struct NewAccount<'a> {
    pub name: &'a AccountName,
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub language: Language,
    pub is_admin: bool,
    pub host_quota: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("the account name is taken")]
    NameTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn name_taken(e: sqlx::Error) -> CreateAccountError {
    let taken = e.as_database_error().is_some_and(|d| {
        d.is_unique_violation()
            && matches!(
                d.constraint(),
                Some(
                    "accounts_standalone_name_key"
                        | "accounts_reseller_user_name_key"
                        | "accounts_tenant_user_name_key"
                )
            )
    });
    if taken {
        CreateAccountError::NameTaken
    } else {
        CreateAccountError::Db(e)
    }
}

/// Creates a standalone account and its tenant, and publishes the account.
pub async fn create(
    tx: &mut FeedTx<System>,
    new: &NewAccount<'_>,
) -> Result<Account, CreateAccountError> {
    let account: Account = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH tenant AS (INSERT INTO tenants (name, host_quota) VALUES ($1, $6) RETURNING id)
         INSERT INTO accounts (name, email, password_hash, language, is_admin, kind, tenant_id)
         SELECT $1, $2, $3, $4, $5, 'standalone', id FROM tenant
         RETURNING {COLUMNS}"
    )))
    .bind(new.name.as_str())
    .bind(new.email.as_str())
    .bind(new.password_hash)
    .bind(new.language.code())
    .bind(new.is_admin)
    .bind(new.host_quota)
    .fetch_one(tx.conn())
    .await
    .map_err(name_taken)?;
    publish(tx, &account).await?;
    Ok(account)
}

/// A new user of a customer tenant or of a reseller. Its password is set
/// through a mailed link: until then it holds a hash nothing matches.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub name: &'a AccountName,
    pub email: &'a Email,
    pub language: Language,
    pub role: Role,
}

/// The password hash of an account whose password is yet to be set.
const NO_PASSWORD: &str = "!";

/// Creates a user of a customer's tenant (in the tenant's scope: its
/// admins, or its reseller acting in it).
pub async fn create_tenant_user(
    tx: &mut Tx<Tenant>,
    reseller: ResellerId,
    new: &NewUser<'_>,
) -> Result<Account, CreateAccountError> {
    let tenant = tx.tenant();
    insert_user(tx, Kind::TenantUser, Some(tenant), reseller, new).await
}

/// Creates a reseller portal user (operator action).
pub async fn create_reseller_user(
    tx: &mut Tx<Operator>,
    reseller: ResellerId,
    new: &NewUser<'_>,
) -> Result<Account, CreateAccountError> {
    insert_user(tx, Kind::ResellerUser, None, reseller, new).await
}

async fn insert_user(
    tx: &mut Tx<impl Scope>,
    kind: Kind,
    tenant: Option<TenantId>,
    reseller: ResellerId,
    new: &NewUser<'_>,
) -> Result<Account, CreateAccountError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO accounts (name, email, password_hash, language, kind, tenant_id,
                               reseller_id, role)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    )))
    .bind(new.name.as_str())
    .bind(new.email.as_str())
    .bind(NO_PASSWORD)
    .bind(new.language.code())
    .bind(kind.code())
    .bind(tenant.map(|t| t.0))
    .bind(reseller.0)
    .bind(new.role.code())
    .fetch_one(tx.conn())
    .await
    .map_err(name_taken)
}

/// An account by id, if the scope sees it.
pub async fn by_id(tx: &mut Tx<impl Scope>, id: AccountId) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(tx.conn())
    .await
}

/// Where a sign-in looks for the name typed.
#[derive(Debug, Clone, Copy)]
pub enum SigninRealm<'a> {
    /// The main sign-in page: standalone accounts.
    Standalone,
    /// The reseller portal.
    Reseller,
    /// A tenant's portal, by its customer number.
    Tenant(&'a str),
}

/// The account a sign-in names, if any (before anyone is known: system scope).
pub async fn for_signin(
    tx: &mut Tx<System>,
    realm: SigninRealm<'_>,
    name: &str,
) -> sqlx::Result<Option<Account>> {
    let (kind, number) = match realm {
        SigninRealm::Standalone => (Kind::Standalone, None),
        SigninRealm::Reseller => (Kind::ResellerUser, None),
        SigninRealm::Tenant(number) => (Kind::TenantUser, Some(number)),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts a
         WHERE a.name = $1 AND a.kind = $2
           AND ($3::text IS NULL
                OR a.tenant_id = (SELECT t.id FROM tenants t WHERE t.customer_number = $3))"
    )))
    .bind(name)
    .bind(kind.code())
    .bind(number)
    .fetch_optional(tx.conn())
    .await
}

/// The standalone account of this name, if the scope sees it.
pub async fn standalone_by_name(
    tx: &mut Tx<impl Scope>,
    name: &str,
) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE name = $1 AND kind = 'standalone'"
    )))
    .bind(name)
    .fetch_optional(tx.conn())
    .await
}

/// Enabled accounts whose e-mail address is `email` (case-insensitive).
pub async fn enabled_by_email(tx: &mut Tx<System>, email: &str) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE lower(email) = lower($1) AND enabled ORDER BY id"
    )))
    .bind(email)
    .fetch_all(tx.conn())
    .await
}

/// The operator created first (the command line acts as it).
pub async fn first_operator(tx: &mut Tx<Operator>) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE is_admin AND enabled ORDER BY id LIMIT 1"
    )))
    .fetch_optional(tx.conn())
    .await
}

/// Whether any administrator exists (first-start detection).
pub async fn any_admin(tx: &mut Tx<System>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE is_admin)")
        .fetch_one(tx.conn())
        .await
}

/// Changes language and the daily digest.
pub async fn set_preferences(
    tx: &mut Tx<impl Scope>,
    id: AccountId,
    language: Language,
    digest: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET language = $2, digest = $3, updated_at = now() WHERE id = $1")
        .bind(id.0)
        .bind(language.code())
        .bind(digest)
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Changes the e-mail address (once the new one is confirmed).
pub async fn set_email(tx: &mut Tx<impl Scope>, id: AccountId, email: &Email) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET email = $2, updated_at = now() WHERE id = $1")
        .bind(id.0)
        .bind(email.as_str())
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Changes the password hash and publishes it (account-mode updates use it).
pub async fn set_password(
    tx: &mut FeedTx<impl Scope>,
    id: AccountId,
    password_hash: &str,
) -> sqlx::Result<()> {
    let account: Account = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id.0)
    .bind(password_hash)
    .fetch_one(tx.conn())
    .await?;
    publish(tx, &account).await
}

/// Changes a tenant user's role.
pub async fn set_role(tx: &mut Tx<Tenant>, id: AccountId, role: Role) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE accounts SET role = $3, updated_at = now()
         WHERE id = $1 AND tenant_id = $2 AND kind = 'tenant_user'",
    )
    .bind(id.0)
    .bind(tx.tenant().0)
    .bind(role.code())
    .execute(tx.conn())
    .await
    .map(drop)
}

/// The tenant's active admins, locked until the transaction ends (so two
/// concurrent changes cannot each leave the other as the last admin).
pub async fn lock_active_admins(tx: &mut Tx<Tenant>) -> sqlx::Result<Vec<AccountId>> {
    sqlx::query_scalar(
        "SELECT id FROM accounts
         WHERE tenant_id = $1 AND role = 'admin' AND enabled
         ORDER BY id FOR UPDATE",
    )
    .bind(tx.tenant().0)
    .fetch_all(tx.conn())
    .await
    .map(|ids| ids.into_iter().map(AccountId).collect())
}

/// Why a link was not made.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The account is linked already (or is no standalone account).
    #[error("the account is linked already")]
    AccountLinked,
    /// The reseller user is linked to another account.
    #[error("the reseller user is linked to another account")]
    ResellerUserLinked,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Links a standalone account to a reseller user and publishes it (dnsd
/// then refuses its account-mode updates). The unique column decides a
/// race for the same reseller user; the `IS NULL` condition one for the
/// same account.
pub async fn link(
    tx: &mut FeedTx<System>,
    account: AccountId,
    reseller_user: AccountId,
) -> Result<Account, LinkError> {
    let linked: Option<Account> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET linked_reseller_user_id = $2, updated_at = now()
         WHERE id = $1 AND kind = 'standalone' AND linked_reseller_user_id IS NULL
         RETURNING {COLUMNS}"
    )))
    .bind(account.0)
    .bind(reseller_user.0)
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| {
        if e.as_database_error()
            .is_some_and(|d| d.constraint() == Some("accounts_linked_reseller_user_key"))
        {
            LinkError::ResellerUserLinked
        } else {
            LinkError::Db(e)
        }
    })?;
    let linked = linked.ok_or(LinkError::AccountLinked)?;
    publish(tx, &linked).await?;
    Ok(linked)
}

/// Releases a link: the account's password is unset (a mail lets the owner
/// choose a new one), and it is published.
pub async fn unlink(tx: &mut FeedTx<System>, account: AccountId) -> sqlx::Result<Option<Account>> {
    let unlinked: Option<Account> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET linked_reseller_user_id = NULL, password_hash = '{NO_PASSWORD}',
                             updated_at = now()
         WHERE id = $1 AND linked_reseller_user_id IS NOT NULL RETURNING {COLUMNS}"
    )))
    .bind(account.0)
    .fetch_optional(tx.conn())
    .await?;
    if let Some(account) = &unlinked {
        publish(tx, account).await?;
    }
    Ok(unlinked)
}

/// A reseller user's name and its reseller's.
pub async fn reseller_user_names(
    tx: &mut Tx<System>,
    user: AccountId,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT a.name, r.name FROM accounts a JOIN resellers r ON r.id = a.reseller_id
         WHERE a.id = $1 AND a.kind = 'reseller_user'",
    )
    .bind(user.0)
    .fetch_optional(tx.conn())
    .await
}

/// The account linked to a reseller user, if any.
pub async fn linked_to(
    tx: &mut Tx<System>,
    reseller_user: AccountId,
) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE linked_reseller_user_id = $1"
    )))
    .bind(reseller_user.0)
    .fetch_optional(tx.conn())
    .await
}

/// Enables or disables an account and publishes it.
pub async fn set_enabled(
    tx: &mut FeedTx<impl Scope>,
    id: AccountId,
    enabled: bool,
) -> sqlx::Result<Option<Account>> {
    let account: Option<Account> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET enabled = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id.0)
    .bind(enabled)
    .fetch_optional(tx.conn())
    .await?;
    if let Some(account) = &account {
        publish(tx, account).await?;
    }
    Ok(account)
}

/// Records that today's digest went out.
pub async fn digest_sent(tx: &mut Tx<System>, id: AccountId, today: Date) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET digest_sent_on = $2 WHERE id = $1")
        .bind(id.0)
        .bind(today)
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Accounts that asked for the daily digest and have not had today's.
pub async fn digest_due(tx: &mut Tx<System>, today: Date) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts
         WHERE digest AND enabled AND digest_sent_on IS DISTINCT FROM $1 ORDER BY id"
    )))
    .bind(today)
    .fetch_all(tx.conn())
    .await
}

/// A standalone account in the operator's list.
#[derive(Debug, sqlx::FromRow)]
pub struct AccountSummary {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub tenant_id: i64,
    pub host_quota: i32,
    pub hosts: i64,
    pub created_at: OffsetDateTime,
}

/// Every standalone account with its tenant's quota and host count.
pub async fn list(tx: &mut Tx<Operator>) -> sqlx::Result<Vec<AccountSummary>> {
    sqlx::query_as(
        "SELECT a.id, a.name, a.email, a.is_admin, a.enabled, a.created_at,
                t.id AS tenant_id, t.host_quota,
                (SELECT count(*) FROM hosts h WHERE h.tenant_id = t.id) AS hosts
         FROM accounts a JOIN tenants t ON t.id = a.tenant_id
         WHERE a.kind = 'standalone' ORDER BY a.name",
    )
    .fetch_all(tx.conn())
    .await
}

/// The users of a tenant (tenant scope: its own; a reseller's scope: its
/// customer's).
pub async fn of_tenant(tx: &mut Tx<impl Scope>, tenant: TenantId) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 ORDER BY name"
    )))
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await
}

/// Appends the account's full state to the change feed (`account.upsert`),
/// shaped by the `dnsd_account_rows` view — for standalone accounts only,
/// the only ones dnsd knows. Also for changes outside this file that dnsd
/// must see (2FA switched on or off).
pub async fn publish(tx: &mut FeedTx<impl Scope>, account: &Account) -> sqlx::Result<()> {
    if account.kind() != Kind::Standalone {
        return Ok(());
    }
    let payload: Json<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM dnsd_account_rows WHERE id = $1")
            .bind(account.id)
            .fetch_one(tx.conn())
            .await?;
    feed::append(tx, FeedKind::AccountUpsert, payload.0)
        .await
        .map(drop)
}
