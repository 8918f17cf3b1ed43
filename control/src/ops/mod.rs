//! Use cases shared by the web UI and the JSON API: each runs its change, the
//! change-feed entry and the action-log entry in one transaction, in the
//! scope the request was resolved to.

pub mod accounts;
pub mod api_tokens;
pub mod customers;
pub mod dashboard;
pub mod hosts;
pub mod licences;
pub mod linking;
pub mod moves;
pub mod oauth;
pub mod profile;
pub mod resellers;
pub mod two_factor;
pub mod users;

use std::{net::IpAddr, time::Duration};

use crate::{
    db::{
        self,
        log::{Action, NewEntry, Who},
        scope::{Scope, Tx},
    },
    domain::{
        accounts::AccountId,
        tenants::{ResellerId, TenantId},
    },
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

/// A principal's own scope: where its profile, 2FA and API tokens live —
/// its tenant (standalone account holders, tenant users) or its reseller
/// (reseller users).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Tenant(TenantId),
    Reseller(ResellerId),
}

impl Home {
    /// The (tenant, reseller) whose log shows an entry about this principal.
    pub fn log_owner(self) -> (Option<TenantId>, Option<ResellerId>) {
        match self {
            Home::Tenant(tenant) => (Some(tenant), None),
            Home::Reseller(reseller) => (None, Some(reseller)),
        }
    }
}

impl Scope for Home {
    fn setting(&self) -> String {
        match self {
            Home::Tenant(tenant) => db::scope::Tenant(*tenant).setting(),
            Home::Reseller(reseller) => db::scope::Reseller(*reseller).setting(),
        }
    }
}

/// Who acts, for permission checks and the action log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: AccountId,
    /// The account's name, as the log names the actor.
    pub name: String,
    /// The reseller a reseller user acts for.
    pub reseller: Option<String>,
    /// The API token the action came through.
    pub via: Option<String>,
    pub source: Option<IpAddr>,
    pub home: Home,
}

impl Actor {
    /// A log entry about the actor's own account, in its home's log.
    pub fn entry<'a>(&'a self, action: Action, target: &'a str, detail: &'a str) -> NewEntry<'a> {
        let (tenant, reseller) = self.home.log_owner();
        NewEntry {
            account: Some(self.account),
            tenant,
            reseller,
            actor: Who {
                name: &self.name,
                reseller: self.reseller.as_deref(),
                via: self.via.as_deref(),
            },
            action,
            target,
            detail,
            source: self.source,
        }
    }

    /// A log entry of an action in `tenant`: in the tenant's log (and so
    /// its reseller's), whoever acted.
    pub fn entry_in<'a>(
        &'a self,
        tenant: TenantId,
        action: Action,
        target: &'a str,
        detail: &'a str,
    ) -> NewEntry<'a> {
        NewEntry {
            tenant: Some(tenant),
            reseller: None,
            ..self.entry(action, target, detail)
        }
    }

    /// Logs an operator's action on `tenant`'s data in that tenant's log
    /// and, when it is not the operator's own, in the operator's log too.
    pub async fn log_on(
        &self,
        tx: &mut Tx<impl Scope>,
        tenant: TenantId,
        action: Action,
        target: &str,
        detail: &str,
    ) -> sqlx::Result<()> {
        db::log::add(tx, &self.entry_in(tenant, action, target, detail)).await?;
        if self.home != Home::Tenant(tenant) {
            db::log::add(tx, &self.entry(action, target, detail)).await?;
        }
        Ok(())
    }
}
