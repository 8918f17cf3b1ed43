//! Accounts: creation, look-up, profile and password changes. Every change
//! that dnsd must know (it checks account-mode update passwords) is published
//! to the change feed in the same transaction.

use sqlx::{PgConnection, types::Json};
use time::OffsetDateTime;

use super::feed::{self, FeedTx, Kind};
use crate::domain::accounts::{AccountId, AccountName, Email, Language};

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
    pub host_quota: i32,
    pub created_at: OffsetDateTime,
}

impl Account {
    pub fn account_id(&self) -> AccountId {
        AccountId(self.id)
    }

    pub fn language(&self) -> Language {
        Language::from_code(&self.language).unwrap_or_default()
    }
}

const COLUMNS: &str =
    "id, name, email, password_hash, language, is_admin, enabled, host_quota, created_at";

/// A new account's data.
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

/// Creates an account and publishes it.
pub async fn create(tx: &mut FeedTx, new: &NewAccount<'_>) -> Result<Account, CreateAccountError> {
    let account: Account = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO accounts (name, email, password_hash, language, is_admin, host_quota)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    )))
    .bind(new.name.as_str())
    .bind(new.email.as_str())
    .bind(new.password_hash)
    .bind(new.language.code())
    .bind(new.is_admin)
    .bind(new.host_quota)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if super::is_unique_violation(&e, "accounts_name_key") {
            CreateAccountError::NameTaken
        } else {
            CreateAccountError::Db(e)
        }
    })?;
    publish(tx, &account).await?;
    Ok(account)
}

pub async fn by_id(conn: &mut PgConnection, id: AccountId) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

pub async fn by_name(conn: &mut PgConnection, name: &str) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Enabled accounts whose e-mail address is `email` (case-insensitive).
pub async fn enabled_by_email(conn: &mut PgConnection, email: &str) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE lower(email) = lower($1) AND enabled ORDER BY id"
    )))
    .bind(email)
    .fetch_all(conn)
    .await
}

/// Whether any administrator exists (first-start detection).
pub async fn any_admin(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE is_admin)")
        .fetch_one(conn)
        .await
}

/// Changes e-mail address and language.
pub async fn set_profile(
    conn: &mut PgConnection,
    id: AccountId,
    email: &Email,
    language: Language,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET email = $2, language = $3, updated_at = now() WHERE id = $1")
        .bind(id.0)
        .bind(email.as_str())
        .bind(language.code())
        .execute(conn)
        .await
        .map(drop)
}

/// Changes the password hash and publishes it (account-mode updates use it).
pub async fn set_password(tx: &mut FeedTx, id: AccountId, password_hash: &str) -> sqlx::Result<()> {
    let account: Account = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id.0)
    .bind(password_hash)
    .fetch_one(&mut **tx)
    .await?;
    publish(tx, &account).await
}

/// Enables or disables an account (operator action) and publishes it.
pub async fn set_enabled(
    tx: &mut FeedTx,
    id: AccountId,
    enabled: bool,
) -> sqlx::Result<Option<Account>> {
    let account: Option<Account> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET enabled = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id.0)
    .bind(enabled)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(account) = &account {
        publish(tx, account).await?;
    }
    Ok(account)
}

/// Sets the host quota (operator action).
pub async fn set_quota(conn: &mut PgConnection, id: AccountId, quota: i32) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE accounts SET host_quota = $2, updated_at = now() WHERE id = $1")
            .bind(id.0)
            .bind(quota)
            .execute(conn)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// An account in the operator's list.
#[derive(Debug, sqlx::FromRow)]
pub struct AccountSummary {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub host_quota: i32,
    pub hosts: i64,
    pub created_at: OffsetDateTime,
}

/// Every account with its host count (operator view).
pub async fn list(conn: &mut PgConnection) -> sqlx::Result<Vec<AccountSummary>> {
    sqlx::query_as(
        "SELECT a.id, a.name, a.email, a.is_admin, a.enabled, a.host_quota, a.created_at,
                (SELECT count(*) FROM hosts h WHERE h.account_id = a.id) AS hosts
         FROM accounts a ORDER BY a.name",
    )
    .fetch_all(conn)
    .await
}

/// Appends the account's full state to the change feed (`account.upsert`),
/// shaped by the `dnsd_account_payloads` view.
async fn publish(tx: &mut FeedTx, account: &Account) -> sqlx::Result<()> {
    let payload: Json<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM dnsd_account_payloads WHERE id = $1")
            .bind(account.id)
            .fetch_one(&mut **tx)
            .await?;
    feed::append(tx, Kind::AccountUpsert, payload.0)
        .await
        .map(drop)
}
