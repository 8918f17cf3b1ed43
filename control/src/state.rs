//! Shared state of the HTTP handlers.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Notify;

use crate::{config::Config, domain::names::Zone};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    pub zones: Arc<Vec<Zone>>,
    /// Wakes the mail sender when a mail was queued.
    pub mail_wake: Arc<Notify>,
}

impl AppState {
    pub fn new(db: PgPool, config: Config) -> Self {
        Self {
            db,
            zones: Arc::new(config.zones()),
            config: Arc::new(config),
            mail_wake: Arc::new(Notify::new()),
        }
    }
}
