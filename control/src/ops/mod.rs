//! Use cases shared by the web UI and the JSON API: each runs its change, the
//! change-feed entry and the action-log entry in one transaction.

pub mod accounts;
pub mod hosts;

use std::net::IpAddr;

use crate::{
    db::log::{Action, NewEntry},
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
}
