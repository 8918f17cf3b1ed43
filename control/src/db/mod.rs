//! All SQL of the control plane, one file per aggregate. Functions take a
//! connection (`&mut PgConnection`), so callers decide what runs in one
//! transaction; every query on account data names the account in its WHERE.

pub mod accounts;
pub mod api_tokens;
pub mod feed;
pub mod hosts;
pub mod log;
pub mod mail;
pub mod resets;
pub mod sessions;
pub mod two_factor;
pub mod update_tokens;

use sqlx::{PgPool, postgres::PgPoolOptions};

/// The schema, from `migrations/` at the workspace root.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Connects a pool (without touching the schema).
pub async fn connect(url: &str, max_connections: u32) -> sqlx::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
}

/// Applies every migration not applied yet.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// True when Postgres aborted the transaction as a deadlock (40P01) or a
/// serialization failure (40001): running it again may succeed.
pub fn is_retryable(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| spdyn_common::postgres::is_retryable_sqlstate(&code))
}

/// True when `error` is a unique violation of `constraint`.
pub(crate) fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation() && e.constraint() == Some(constraint))
}

#[cfg(test)]
mod tests {
    use crate::{
        db::{accounts, feed, mail, resets, sessions},
        domain::{
            accounts::{AccountName, Email, Language},
            tokens,
        },
        pg::scratch::Scratch,
    };

    #[tokio::test]
    async fn housekeeping_removes_only_what_is_old() {
        let scratch = Scratch::new().await.expect("test database");
        let pool = super::connect(&scratch.url, 2).await.unwrap();
        super::migrate(&pool).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let new = accounts::NewAccount {
            name: &AccountName::parse("keeper").unwrap(),
            email: &Email::parse("keeper@example.net").unwrap(),
            password_hash: "x",
            language: Language::En,
            is_admin: false,
            host_quota: 1,
        };
        let mut tx = feed::FeedTx::begin(&pool).await.unwrap();
        let account = accounts::create(&mut tx, &new).await.unwrap().account_id();
        tx.commit().await.unwrap();
        for (id, lifetime) in [("live", 60), ("dead", -60)] {
            let session = sessions::NewSession {
                id_hash: &tokens::hash(id),
                account: Some(account),
                csrf_token: "c",
                lifetime_secs: lifetime,
                source: None,
                user_agent: "",
                second_factor_pending: false,
            };
            sessions::create(&mut conn, &session).await.unwrap();
        }
        resets::create(&mut conn, account, &tokens::hash("fresh"))
            .await
            .unwrap();
        resets::create(&mut conn, account, &tokens::hash("old"))
            .await
            .unwrap();
        sqlx::query("UPDATE password_resets SET expires_at = now() - interval '2 days' WHERE token_hash = $1")
            .bind(tokens::hash("old").as_slice())
            .execute(&mut *conn)
            .await
            .unwrap();
        mail::enqueue(&mut conn, "a@example.net", "s", "b")
            .await
            .unwrap();
        mail::enqueue(&mut conn, "b@example.net", "s", "b")
            .await
            .unwrap();
        sqlx::query("UPDATE mail_outbox SET sent_at = now() - interval '31 days' WHERE to_addr = 'a@example.net'")
            .execute(&mut *conn)
            .await
            .unwrap();

        assert_eq!(sessions::prune(&mut conn).await.unwrap(), 1);
        assert!(
            sessions::load(&mut conn, &tokens::hash("live"))
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(resets::prune(&mut conn).await.unwrap(), 1);
        assert!(
            resets::peek(&mut conn, &tokens::hash("fresh"))
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(mail::prune(&mut conn).await.unwrap(), 1);
        assert_eq!(
            mail::due(&mut conn, 10).await.unwrap().len(),
            1,
            "unsent mail stays"
        );
    }
}
