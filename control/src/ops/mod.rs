//! Use cases shared by the web UI and the JSON API: each runs its change, the
//! change-feed entry and the action-log entry in one transaction.

pub mod accounts;
pub mod api_tokens;
pub mod hosts;
pub mod two_factor;

use std::{net::IpAddr, time::Duration};

use sqlx::PgConnection;

use crate::{
    db::{
        self,
        log::{Action, NewEntry},
    },
    domain::accounts::AccountId,
    error::Error,
};

/// How often a transaction Postgres aborted as a deadlock or serialization
/// failure is run in all.
const ATTEMPTS: u32 = 5;

/// Runs `attempt` — one whole transaction, from begin to commit — and runs
/// it again when Postgres aborted it as a deadlock or serialization failure
/// (SQLSTATE 40P01, 40001), up to [`ATTEMPTS`] times in all. An attempt must
/// not act outside the database before its commit.
pub(crate) async fn retrying<T, F: Future<Output = Result<T, Error>>>(
    mut attempt: impl FnMut() -> F,
) -> Result<T, Error> {
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(Error::Db(e)) if tries < ATTEMPTS && db::is_retryable(&e) => {
                tracing::info!(error = %e, tries, "transaction aborted by postgres; running it again");
                tokio::time::sleep(Duration::from_millis(u64::from(tries) * 10)).await;
                tries += 1;
            }
            other => return other,
        }
    }
}

/// Who acts, for permission checks and the action log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: AccountId,
    /// How the log names the actor (account name, plus the API token's name).
    pub name: String,
    pub source: Option<IpAddr>,
}

impl Actor {
    /// A log entry in the actor's own log.
    pub fn entry<'a>(&'a self, action: Action, target: &'a str, detail: &'a str) -> NewEntry<'a> {
        NewEntry {
            account: Some(self.account),
            actor: &self.name,
            action,
            target,
            detail,
            source: self.source,
        }
    }

    /// Logs an action on `account`'s data in that account's log and, when
    /// the actor is someone else (an operator), in the actor's own log too.
    pub async fn log_on(
        &self,
        conn: &mut PgConnection,
        account: AccountId,
        action: Action,
        target: &str,
        detail: &str,
    ) -> sqlx::Result<()> {
        let mut entry = self.entry(action, target, detail);
        entry.account = Some(account);
        db::log::add(&mut *conn, &entry).await?;
        if account != self.account {
            entry.account = Some(self.account);
            db::log::add(conn, &entry).await?;
        }
        Ok(())
    }
}
