//! The change feed dnsd follows: entries appended in the transaction of the
//! change they describe, announced with NOTIFY on commit.
//!
//! Lock order: a transaction that appends to the feed takes the feed lock
//! *before* any row lock ([`FeedTx::begin`] takes it first), the same
//! order as `dnsd_apply_host_states`, which dnsd's outbox calls. Two orders
//! deadlock under load (a host change holding its row and waiting for the
//! feed lock while the outbox holds the feed lock and waits for the row).
//! [`append`] takes a [`FeedTx`], so no feed entry can be written without it.

use std::ops::{Deref, DerefMut};

use serde_json::Value;
use sqlx::{PgConnection, PgPool, Postgres, types::Json};

/// Channel of the NOTIFY sent for every entry (payload: its `seq`).
pub const CHANNEL: &str = "spdyn_feed";
/// Advisory lock taken by every appending transaction: it makes `seq` order
/// equal commit order, so a follower that has applied `seq` N never later
/// sees an entry below N commit.
const FEED_LOCK: i64 = 0x7370_6479_6e66; // "spdynf"

/// Kinds of feed entries (see ARCHITECTURE.md for the payloads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    HostUpsert,
    HostDelete,
    AccountUpsert,
    AccountDelete,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::HostUpsert => "host.upsert",
            Kind::HostDelete => "host.delete",
            Kind::AccountUpsert => "account.upsert",
            Kind::AccountDelete => "account.delete",
        }
    }
}

/// A transaction that holds the feed lock from its first statement until it
/// ends.
#[derive(Debug)]
pub struct FeedTx(sqlx::Transaction<'static, Postgres>);

impl FeedTx {
    /// Begins a transaction and takes the feed lock.
    pub async fn begin(pool: &PgPool) -> sqlx::Result<Self> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FEED_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(Self(tx))
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        self.0.commit().await
    }
}

impl Deref for FeedTx {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0
    }
}

impl DerefMut for FeedTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0
    }
}

/// Appends one entry and queues its NOTIFY. The entry and the notification
/// end with the transaction, as the lock does.
pub async fn append(tx: &mut FeedTx, kind: Kind, payload: Value) -> sqlx::Result<i64> {
    let conn: &mut PgConnection = tx;
    let seq: i64 =
        sqlx::query_scalar("INSERT INTO change_feed (kind, payload) VALUES ($1, $2) RETURNING seq")
            .bind(kind.as_str())
            .bind(Json(payload))
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(seq.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// One stored entry.
#[derive(Debug, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub kind: String,
    pub payload: Json<Value>,
}

/// Entries after `seq`, in order (what a follower reads).
pub async fn after(conn: &mut PgConnection, seq: i64, limit: i64) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(
        "SELECT seq, kind, payload FROM change_feed WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(seq)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[cfg(test)]
mod tests {
    use sqlx::postgres::PgListener;

    use super::*;
    use crate::{
        db::{accounts, hosts},
        domain::{
            accounts::{AccountName, Email, Language},
            names::{HostName, Zone},
        },
        pg::scratch::Scratch,
    };

    async fn max_seq(pool: &sqlx::PgPool) -> i64 {
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM change_feed")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_host_change_and_its_feed_entry_commit_or_roll_back_together() {
        let scratch = Scratch::new().await.expect("test database");
        let pool = crate::db::connect(&scratch.url, 3).await.unwrap();
        crate::db::migrate(&pool).await.unwrap();
        let mut tx = FeedTx::begin(&pool).await.unwrap();
        let new = accounts::NewAccount {
            name: &AccountName::parse("alice").unwrap(),
            email: &Email::parse("alice@example.net").unwrap(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            language: Language::En,
            is_admin: false,
            host_quota: 5,
        };
        let account = accounts::create(&mut tx, &new).await.unwrap();
        tx.commit().await.unwrap();
        let zones = [Zone::parse("dyn.example").unwrap()];
        let name = HostName::new("home", "dyn.example", &zones).unwrap();

        let before = max_seq(&pool).await;
        let mut tx = FeedTx::begin(&pool).await.unwrap();
        hosts::create(&mut tx, account.account_id(), &name, 60, false)
            .await
            .unwrap();
        drop(tx); // rolled back
        assert_eq!(max_seq(&pool).await, before, "rolled back: no feed entry");
        let mut conn = pool.acquire().await.unwrap();
        assert!(
            hosts::list(&mut conn, account.account_id())
                .await
                .unwrap()
                .is_empty()
        );

        let mut listener = PgListener::connect_with(&pool).await.unwrap();
        listener.listen(CHANNEL).await.unwrap();
        let mut tx = FeedTx::begin(&pool).await.unwrap();
        hosts::create(&mut tx, account.account_id(), &name, 120, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let entries = after(&mut conn, before, 10).await.unwrap();
        assert_eq!(entries.len(), 1, "committed: exactly one feed entry");
        let entry = &entries[0];
        assert_eq!(entry.kind, "host.upsert");
        let p = &entry.payload.0;
        assert_eq!(p["name"], "home.dyn.example");
        assert_eq!(p["account"], "alice");
        assert_eq!(p["ttl"], 120);
        assert_eq!(p["wildcard"], true);
        assert_eq!(p["enabled"], true);
        assert_eq!(p["licence_expired"], false);
        assert!(p["ipv4"].is_null() && p["token_hash"].is_null());
        assert_eq!(p["ipv4_changed_ms"], 0);
        assert_eq!(p["txt"], serde_json::json!([]));
        let notification = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
            .await
            .expect("NOTIFY after commit")
            .unwrap();
        assert_eq!(notification.payload(), entry.seq.to_string());
    }
}
