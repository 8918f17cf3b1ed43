//! The change feed dnsd follows: entries appended in the transaction of the
//! change they describe, announced with NOTIFY on commit.

use serde_json::Value;
use sqlx::{PgConnection, types::Json};

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

/// Appends one entry and queues its NOTIFY. Call inside the transaction of the
/// change: the entry, the lock and the notification all end with it.
pub async fn append(conn: &mut PgConnection, kind: Kind, payload: Value) -> sqlx::Result<i64> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(FEED_LOCK)
        .execute(&mut *conn)
        .await?;
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
