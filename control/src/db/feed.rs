//! The change feed dnsd follows: entries appended in the transaction of the
//! change they describe, announced with NOTIFY on commit.
//!
//! Lock order: a transaction that appends to the feed takes the feed lock
//! *before* any row lock ([`FeedTx::begin`] takes it first), the same
//! order as `dnsd_apply_host_states`, which dnsd's outbox calls. Two orders
//! deadlock under load (a host change holding its row and waiting for the
//! feed lock while the outbox holds the feed lock and waits for the row).
//! [`append`] takes a [`FeedTx`], so no feed entry can be written without it.

use serde_json::Value;
use sqlx::types::Json;

use super::scope::{FeedTx, Scope};

/// Channel of the NOTIFY sent for every entry (payload: its `seq`).
pub const CHANNEL: &str = "spdyn_feed";
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

/// Appends one entry and queues its NOTIFY. The entry and the notification
/// end with the transaction, as the lock does.
pub async fn append(tx: &mut FeedTx<impl Scope>, kind: Kind, payload: Value) -> sqlx::Result<i64> {
    let conn = tx.conn();
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

#[cfg(test)]
mod tests {
    use sqlx::{PgConnection, postgres::PgListener};

    use super::*;
    use crate::{
        db::{
            hosts,
            scope::{Tenant, Tx},
            testing::TestDb,
        },
        domain::{
            licences::LicenceRules,
            names::{HostName, Zone},
        },
    };

    /// One stored entry.
    #[derive(Debug, sqlx::FromRow)]
    struct Entry {
        seq: i64,
        kind: String,
        payload: Json<Value>,
    }

    /// Entries after `seq`, in order (what a follower reads).
    async fn after(conn: &mut PgConnection, seq: i64, limit: i64) -> sqlx::Result<Vec<Entry>> {
        sqlx::query_as(
            "SELECT seq, kind, payload FROM change_feed WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(conn)
        .await
    }

    async fn max_seq(pool: &sqlx::PgPool) -> i64 {
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM change_feed")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    const RULES: LicenceRules = LicenceRules {
        expiring_days: 30,
        grace_days: 14,
    };

    #[tokio::test]
    async fn a_host_change_and_its_feed_entry_commit_or_roll_back_together() {
        let db = TestDb::new().await;
        let account = db.standalone("alice", 5).await;
        let tenant = Tenant(account.tenant().unwrap());
        let zones = [Zone::parse("dyn.example").unwrap()];
        let name = HostName::new("home", "dyn.example", &zones).unwrap();
        let today = time::OffsetDateTime::now_utc().date();

        let before = max_seq(&db.owner).await;
        let mut tx = FeedTx::begin(&db.app, tenant).await.unwrap();
        hosts::create(&mut tx, &name, 60, false, today, RULES)
            .await
            .unwrap();
        drop(tx); // rolled back
        assert_eq!(
            max_seq(&db.owner).await,
            before,
            "rolled back: no feed entry"
        );
        let mut tx = Tx::begin(&db.app, tenant).await.unwrap();
        assert!(hosts::list(&mut tx).await.unwrap().is_empty());
        drop(tx);

        let mut listener = PgListener::connect_with(&db.owner).await.unwrap();
        listener.listen(CHANNEL).await.unwrap();
        let mut tx = FeedTx::begin(&db.app, tenant).await.unwrap();
        hosts::create(&mut tx, &name, 120, true, today, RULES)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.owner.acquire().await.unwrap();
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
