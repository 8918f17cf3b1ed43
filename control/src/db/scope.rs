//! Transactions in a scope: the application half of tenant isolation.
//!
//! Every query runs in a [`Tx`] that names what it may see — one tenant, one
//! reseller's customers, everything (an operator), or the system's own work
//! (sign-in look-ups before anyone is known, jobs). Beginning one sets
//! `spdyn.scope` for the transaction only (`set_config(…, true)`), which the
//! row-level security policies read (the database half, see
//! `migrations/20261129000000_tenants.sql`); the functions of `db::` that
//! touch tenant data take a `Tx` of the matching scope type and also name its
//! tenant or reseller in their WHERE. A pooled connection never carries a
//! scope from one transaction to the next.
//!
//! A transaction that will append to the change feed is a [`FeedTx`]: it
//! takes the feed lock before anything else (see `db::feed` on lock order).

use std::ops::{Deref, DerefMut};

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::domain::tenants::{ResellerId, TenantId};

/// Advisory lock taken by every transaction that appends to the feed: it
/// makes `seq` order equal commit order, so a follower that has applied
/// `seq` N never later sees an entry below N commit. dnsd's
/// `dnsd_apply_host_states` takes the same key.
const FEED_LOCK: i64 = 0x7370_6479_6e66; // "spdynf"

/// What a transaction may see.
pub trait Scope: Send + Sync {
    /// The value of `spdyn.scope` the policies read.
    fn setting(&self) -> String;
}

/// One tenant: a standalone account's or a customer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant(pub TenantId);

/// A reseller: its own users, its customers, their licences, users and hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reseller(pub ResellerId);

/// An operator: everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator;

/// The system's own work: authentication look-ups before the principal is
/// known (session, API token, sign-in name, reset link), sign-up, and jobs
/// (mail, housekeeping, the licence sweep). Sees everything; used only by
/// `auth`, `ops::system` and the jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct System;

impl Scope for Tenant {
    fn setting(&self) -> String {
        format!("tenant:{}", self.0)
    }
}

impl Scope for Reseller {
    fn setting(&self) -> String {
        format!("reseller:{}", self.0)
    }
}

impl Scope for Operator {
    fn setting(&self) -> String {
        "operator".into()
    }
}

impl Scope for System {
    fn setting(&self) -> String {
        "system".into()
    }
}

/// A transaction confined to a scope.
#[derive(Debug)]
pub struct Tx<S> {
    conn: Transaction<'static, Postgres>,
    scope: S,
}

impl<S: Scope> Tx<S> {
    /// Begins a transaction in `scope`.
    pub async fn begin(pool: &PgPool, scope: S) -> sqlx::Result<Self> {
        let mut conn = pool.begin().await?;
        sqlx::query("SELECT set_config('spdyn.scope', $1, true)")
            .bind(scope.setting())
            .execute(&mut *conn)
            .await?;
        Ok(Self { conn, scope })
    }

    pub fn scope(&self) -> &S {
        &self.scope
    }

    /// The connection, for queries.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        self.conn.commit().await
    }
}

impl Tx<Tenant> {
    /// The tenant this transaction is confined to.
    pub fn tenant(&self) -> TenantId {
        self.scope.0
    }
}

impl Tx<Reseller> {
    /// The reseller this transaction is confined to.
    pub fn reseller(&self) -> ResellerId {
        self.scope.0
    }
}

/// A transaction in a scope that holds the feed lock from its first
/// statement. Feed entries can be appended only through one.
#[derive(Debug)]
pub struct FeedTx<S>(Tx<S>);

impl<S: Scope> FeedTx<S> {
    /// Begins a transaction in `scope`, taking the feed lock first.
    pub async fn begin(pool: &PgPool, scope: S) -> sqlx::Result<Self> {
        let mut conn = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($2), set_config('spdyn.scope', $1, true)")
            .bind(scope.setting())
            .bind(FEED_LOCK)
            .execute(&mut *conn)
            .await?;
        Ok(Self(Tx { conn, scope }))
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        self.0.commit().await
    }
}

impl<S> Deref for FeedTx<S> {
    type Target = Tx<S>;

    fn deref(&self) -> &Tx<S> {
        &self.0
    }
}

impl<S> DerefMut for FeedTx<S> {
    fn deref_mut(&mut self) -> &mut Tx<S> {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        db::{
            api_tokens, email_changes, hosts, licences,
            log::{self, Action, NewEntry, Who},
            oauth, resellers, resets, sessions, tenants,
            testing::TestDb,
            two_factor, update_tokens,
        },
        domain::{
            licences::{LicenceRules, Product, Validity},
            names::{HostName, Zone},
            tokens,
        },
    };

    /// Puts at least one row into every table that row-level security guards.
    async fn fill(db: &TestDb) {
        let account = db.standalone("alice", 5).await;
        let (id, tenant) = (account.account_id(), Tenant(account.tenant().unwrap()));
        let today = time::OffsetDateTime::now_utc().date();
        let rules = LicenceRules {
            expiring_days: 30,
            grace_days: 14,
        };
        let mut tx = FeedTx::begin(&db.app, tenant).await.unwrap();
        let zones = [Zone::parse("dyn.example").unwrap()];
        let name = HostName::new("home", "dyn.example", &zones).unwrap();
        let host = hosts::create(&mut tx, &name, 60, false, today, rules)
            .await
            .unwrap();
        update_tokens::set(&mut tx, host.host_id(), &tokens::hash("t"))
            .await
            .unwrap();
        api_tokens::create(&mut tx, id, "n", &tokens::hash("a"), &["read:hosts".into()])
            .await
            .unwrap();
        resets::create(&mut tx, id, &tokens::hash("r"), 60)
            .await
            .unwrap();
        email_changes::put(&mut tx, id, "new@example.net", &tokens::hash("e"))
            .await
            .unwrap();
        two_factor::put_pending(&mut tx, id, &[0; 12], b"sealed")
            .await
            .unwrap();
        two_factor::replace_recovery_codes(&mut tx, id, &[tokens::hash("c")])
            .await
            .unwrap();
        let entry = NewEntry {
            account: Some(id),
            tenant: Some(tenant.0),
            reseller: None,
            actor: Who::named("alice"),
            action: Action::HostCreate,
            target: "home.dyn.example",
            detail: "",
            source: None,
        };
        log::add(&mut tx, &entry).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = Tx::begin(&db.app, System).await.unwrap();
        let session = sessions::NewSession {
            id_hash: &tokens::hash("s"),
            account: id,
            csrf_token: "c",
            lifetime_secs: 60,
            source: None,
            user_agent: "",
            second_factor_pending: false,
            password_set: false,
        };
        sessions::create(&mut tx, &session).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = Tx::begin(&db.app, Operator).await.unwrap();
        let reseller = resellers::create(&mut tx, "R").await.unwrap();
        let client = oauth::create_client(&mut tx, "client-id-0123456789", "App", "https://a/cb")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = Tx::begin(&db.app, tenant).await.unwrap();
        let code = oauth::NewCode {
            hash: &tokens::hash("code"),
            client: client.id,
            account: id,
            redirect_uri: "https://a/cb",
            scopes: &["read:hosts".into()],
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        };
        oauth::create_code(&mut tx, &code).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = Tx::begin(&db.app, Reseller(reseller.reseller_id()))
            .await
            .unwrap();
        let customer = tenants::create_customer(&mut tx, "C").await.unwrap();
        let validity = Validity::new(today, today).unwrap();
        licences::create(&mut tx, customer.tenant_id(), Product::Dyndns, 1, validity)
            .await
            .unwrap()
            .expect("the reseller's customer");
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn without_a_scope_the_application_role_reads_no_row_of_any_guarded_table() {
        let db = TestDb::new().await;
        fill(&db).await;
        // Every table that holds a tenant's, reseller's, account's or host's
        // rows is guarded, and guarded for its owner too (FORCE).
        let unguarded: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT c.relname FROM pg_class c
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
               AND a.attname IN ('tenant_id', 'reseller_id', 'account_id', 'host_id')
               AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
        )
        .fetch_all(&db.owner)
        .await
        .unwrap();
        assert!(
            unguarded.is_empty(),
            "tables without forced RLS: {unguarded:?}"
        );
        let guarded: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_class
             WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relrowsecurity
             ORDER BY relname",
        )
        .fetch_all(&db.owner)
        .await
        .unwrap();
        assert_eq!(guarded.len(), 15, "{guarded:?}");
        for table in &guarded {
            let count = |pool| {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                    "SELECT count(*) FROM {table}"
                )))
                .fetch_one(pool)
            };
            assert!(count(&db.owner).await.unwrap() > 0, "{table} has rows");
            // A plain connection (no transaction, no scope) and a
            // transaction whose scope is empty both read nothing.
            assert_eq!(count(&db.app).await.unwrap(), 0, "{table} without a scope");
            let mut tx = db.app.begin().await.unwrap();
            sqlx::query("SELECT set_config('spdyn.scope', '', true)")
                .execute(&mut *tx)
                .await
                .unwrap();
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
            assert_eq!(n, 0, "{table} with an empty scope");
        }
    }

    #[tokio::test]
    async fn a_scope_sees_its_own_rows_only_and_cannot_write_into_another_tenant() {
        let db = TestDb::new().await;
        let alice = db.standalone("alice", 5).await;
        let bob = db.standalone("bob", 5).await;
        let (a, b) = (alice.tenant().unwrap(), bob.tenant().unwrap());
        let mut tx = Tx::begin(&db.app, Tenant(a)).await.unwrap();
        let visible: Vec<String> = sqlx::query_scalar("SELECT name FROM accounts ORDER BY name")
            .fetch_all(tx.conn())
            .await
            .unwrap();
        assert_eq!(visible, ["alice"]);
        // Even a query that names bob's tenant in its WHERE and in its
        // INSERT is refused by Postgres.
        let foreign: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants WHERE id = $1")
            .bind(b.0)
            .fetch_one(tx.conn())
            .await
            .unwrap();
        assert_eq!(foreign, 0);
        let insert = sqlx::query(
            "INSERT INTO hosts (tenant_id, name, zone, ttl) VALUES ($1, 'x.dyn.example', 'dyn.example', 60)",
        )
        .bind(b.0)
        .execute(tx.conn())
        .await;
        let error = insert.expect_err("another tenant's row");
        assert!(error.to_string().contains("row-level security"), "{error}");
    }
}
