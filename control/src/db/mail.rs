//! The mail outbox: mails are queued in the transaction that causes them and
//! sent by the sender task.

use super::scope::{Scope, Tx};

/// A queued mail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

pub async fn enqueue(
    tx: &mut Tx<impl Scope>,
    to: &str,
    subject: &str,
    body: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO mail_outbox (to_addr, subject, body) VALUES ($1, $2, $3)")
        .bind(to)
        .bind(subject)
        .bind(body)
        .execute(tx.conn())
        .await
        .map(drop)
}

/// Mails due for sending, locked so that a second sender skips them.
pub async fn due(tx: &mut Tx<impl Scope>, limit: i64) -> sqlx::Result<Vec<QueuedMail>> {
    sqlx::query_as(
        "SELECT id, to_addr, subject, body, attempts FROM mail_outbox
         WHERE sent_at IS NULL AND next_attempt_at <= now()
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// Marks a mail sent and clears its body (reset links must not linger).
pub async fn mark_sent(tx: &mut Tx<impl Scope>, id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET sent_at = now(), body = '', attempts = attempts + 1 WHERE id = $1",
    )
    .bind(id)
    .execute(tx.conn())
    .await
    .map(drop)
}

/// Records a failed attempt and when to try again.
pub async fn mark_failed(
    tx: &mut Tx<impl Scope>,
    id: i64,
    error: &str,
    retry_secs: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2,
                next_attempt_at = now() + $3 * interval '1 second' WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_secs)
    .execute(tx.conn())
    .await
    .map(drop)
}

/// Removes the records of mails sent more than 30 days ago.
pub async fn prune(tx: &mut Tx<impl Scope>) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM mail_outbox WHERE sent_at < now() - interval '30 days'")
        .execute(tx.conn())
        .await
        .map(|r| r.rows_affected())
}
