//! For the unit tests of `db` and `ops`: a migrated throwaway database with
//! pools as the owner and as the application role, and standalone accounts.

use sqlx::PgPool;

use super::{
    accounts::{self, Account, NewAccount},
    scope::{FeedTx, System},
};
use crate::{
    domain::accounts::{AccountName, Email, Language},
    pg::scratch::Scratch,
};

/// A migrated database: `owner` bypasses row-level security (it runs the
/// migrations), `app` is bound by it as control is, `dnsd` has dnsd's rights.
pub struct TestDb {
    pub owner: PgPool,
    pub app: PgPool,
    pub dnsd: PgPool,
    _scratch: Scratch,
}

impl TestDb {
    pub async fn new() -> Self {
        let scratch = Scratch::new().await.expect("test database");
        let owner = super::connect(&scratch.url, 3).await.unwrap();
        super::migrate(&owner).await.unwrap();
        let app = super::connect_as_app(&scratch.url, 6).await.unwrap();
        let dnsd = super::connect_as(&scratch.url, 2, super::DNSD_ROLE)
            .await
            .unwrap();
        Self {
            owner,
            app,
            dnsd,
            _scratch: scratch,
        }
    }

    /// The database's URL (for pools of other sizes).
    pub fn url(&self) -> &str {
        &self._scratch.url
    }

    /// A standalone account (and its tenant) with `quota` hosts.
    pub async fn standalone(&self, name: &str, quota: i32) -> Account {
        let mut tx = FeedTx::begin(&self.app, System).await.unwrap();
        let new = NewAccount {
            name: &AccountName::parse(name).unwrap(),
            email: &Email::parse(&format!("{name}@example.net")).unwrap(),
            password_hash: "x",
            language: Language::En,
            is_admin: false,
            host_quota: quota,
        };
        let account = accounts::create(&mut tx, &new).await.unwrap();
        tx.commit().await.unwrap();
        account
    }
}
