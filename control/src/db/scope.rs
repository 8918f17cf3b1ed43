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
