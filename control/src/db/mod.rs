//! All SQL of the control plane, one file per aggregate. Every function
//! takes a transaction in a scope ([`scope::Tx`]): the callers decide what
//! runs in one transaction, the scope decides which rows Postgres shows it,
//! and queries on tenant data also name the scope's tenant or reseller in
//! their WHERE.

pub mod accounts;
pub mod api_tokens;
pub mod dashboard;
pub mod email_changes;
pub mod feed;
pub mod hosts;
pub mod licences;
pub mod log;
pub mod mail;
pub mod oauth;
pub mod resellers;
pub mod resets;
pub mod scope;
pub mod sessions;
pub mod tenants;
#[cfg(test)]
pub(crate) mod testing;
pub mod two_factor;
pub mod update_tokens;

use sqlx::{PgPool, postgres::PgPoolOptions};

/// The schema, from `migrations/` at the workspace root.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The role control's requests run as: it owns nothing and is bound by
/// every row-level security policy (created by the migrations).
pub const APP_ROLE: &str = "spdyn_app";

/// Connects a pool as the schema's owner (migrations, tests).
pub async fn connect(url: &str, max_connections: u32) -> sqlx::Result<PgPool> {
    options(max_connections).connect(url).await
}

/// dnsd's role: it may read its views and call its functions, nothing else.
pub const DNSD_ROLE: &str = "spdyn_dnsd";

/// Connects a pool whose every connection runs as [`APP_ROLE`] (the owner
/// logs in and switches with `SET ROLE`; the migrations made it a member).
pub async fn connect_as_app(url: &str, max_connections: u32) -> sqlx::Result<PgPool> {
    connect_as(url, max_connections, APP_ROLE).await
}

/// Connects a pool whose every connection runs as `role`.
pub async fn connect_as(
    url: &str,
    max_connections: u32,
    role: &'static str,
) -> sqlx::Result<PgPool> {
    options(max_connections)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                sqlx::query(sqlx::AssertSqlSafe(format!("SET ROLE {role}")))
                    .execute(conn)
                    .await
                    .map(drop)
            })
        })
        .connect(url)
        .await
}

fn options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
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
    use super::{
        mail, resets,
        scope::{System, Tx},
        sessions,
        testing::TestDb,
    };
    use crate::domain::tokens;

    #[tokio::test]
    async fn housekeeping_removes_only_what_is_old() {
        let db = TestDb::new().await;
        let account = db.standalone("keeper", 1).await.account_id();
        let mut tx = Tx::begin(&db.app, System).await.unwrap();
        for (id, lifetime) in [("live", 60), ("dead", -60)] {
            let session = sessions::NewSession {
                id_hash: &tokens::hash(id),
                account,
                csrf_token: "c",
                lifetime_secs: lifetime,
                source: None,
                user_agent: "",
                second_factor_pending: false,
                password_set: false,
            };
            sessions::create(&mut tx, &session).await.unwrap();
        }
        for token in ["fresh", "old"] {
            resets::create(
                &mut tx,
                account,
                &tokens::hash(token),
                resets::LIFETIME_SECS,
            )
            .await
            .unwrap();
        }
        sqlx::query("UPDATE password_resets SET expires_at = now() - interval '2 days' WHERE token_hash = $1")
            .bind(tokens::hash("old").as_slice())
            .execute(tx.conn())
            .await
            .unwrap();
        mail::enqueue(&mut tx, "a@example.net", "s", "b")
            .await
            .unwrap();
        mail::enqueue(&mut tx, "b@example.net", "s", "b")
            .await
            .unwrap();
        sqlx::query("UPDATE mail_outbox SET sent_at = now() - interval '31 days' WHERE to_addr = 'a@example.net'")
            .execute(tx.conn())
            .await
            .unwrap();

        assert_eq!(sessions::prune(&mut tx).await.unwrap(), 1);
        assert!(
            sessions::load(&mut tx, &tokens::hash("live"))
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(resets::prune(&mut tx).await.unwrap(), 1);
        assert!(
            resets::peek(&mut tx, &tokens::hash("fresh"))
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(mail::prune(&mut tx).await.unwrap(), 1);
        assert_eq!(
            mail::due(&mut tx, 10).await.unwrap().len(),
            1,
            "unsent mail stays"
        );
    }
}
