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

/// True when `error` is a unique violation of `constraint`.
pub(crate) fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation() && e.constraint() == Some(constraint))
}
