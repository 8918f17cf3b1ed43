//! Shared state of the HTTP handlers.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Notify;

use crate::{
    auth::{form_key::FormKey, totp_key::TotpKey},
    config::Config,
    domain::{
        licences::Licensing,
        names::Zone,
        two_factor::{self, Demand, Roles},
    },
    shown_once::ShownOnce,
};

/// Today for licences, from the configuration (also for the jobs, which
/// have no `AppState`).
pub fn licensing(config: &Config) -> Licensing {
    let today = time::OffsetDateTime::now_utc().date();
    Licensing {
        today: today
            .checked_add(time::Duration::days(config.licences.clock_offset_days))
            .unwrap_or(today),
        rules: config.licences.rules(),
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    pub zones: Arc<Vec<Zone>>,
    /// Wakes the mail sender when a mail was queued.
    pub mail_wake: Arc<Notify>,
    /// Seals TOTP secrets at rest.
    pub totp_key: Arc<TotpKey>,
    /// Signs the CSRF tokens of forms before sign-in.
    pub form_key: Arc<FormKey>,
    /// New secrets waiting for the page that shows them once.
    pub shown_once: Arc<ShownOnce>,
}

impl AppState {
    pub fn new(db: PgPool, config: Config, totp_key: TotpKey, form_key: FormKey) -> Self {
        Self {
            db,
            zones: Arc::new(config.zones()),
            config: Arc::new(config),
            mail_wake: Arc::new(Notify::new()),
            totp_key: Arc::new(totp_key),
            form_key: Arc::new(form_key),
            shown_once: Arc::default(),
        }
    }

    /// Today (UTC, shifted by `licences.clock_offset_days`) and the
    /// licence windows: what every licence state is computed from.
    pub fn licensing(&self) -> Licensing {
        licensing(&self.config)
    }

    /// What 2FA asks of a signed-in principal today (UTC).
    pub fn two_factor_demand(&self, roles: Roles, has_two_factor: bool) -> Demand {
        two_factor::demand(
            roles,
            has_two_factor,
            self.config.security.admin_2fa_from(),
            time::OffsetDateTime::now_utc().date(),
        )
    }
}
