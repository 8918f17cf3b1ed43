//! Use cases shared by the web UI and the JSON API: each runs its change, the
//! change-feed entry and the action-log entry in one transaction.

pub mod accounts;
pub mod api_tokens;
pub mod hosts;
pub mod two_factor;

use std::net::IpAddr;

use sqlx::PgConnection;

use crate::{
    db::{
        self,
        log::{Action, NewEntry},
    },
    domain::accounts::AccountId,
};

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
