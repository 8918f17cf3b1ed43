//! Host and update-token use cases, in one tenant. Every change is refused
//! to read-only users (by the routes, which hand out a writable tenant only
//! to admins) and under a licence that has ended.

use sqlx::PgPool;

use super::{Actor, retrying};
use crate::{
    db::{
        self,
        accounts::Account,
        hosts::{CreateHostError, Host, HostChanges},
        log::Action,
        scope::{FeedTx, Operator, Tenant, Tx},
    },
    domain::{
        hosts::{HostId, valid_ttl},
        licences::Licensing,
        names::HostName,
        tokens,
    },
    error::{Conflict, Error, Invalid},
};

/// The first start's demo host (`[hosts] demo_host`) for the first
/// administrator, with a fresh token: returns the host name and the token.
pub async fn create_demo_host(
    pool: &PgPool,
    config: &crate::Config,
    admin: &Account,
    label: &str,
    licensing: Licensing,
) -> Result<(String, String), Error> {
    let tenant = Tenant(
        admin
            .tenant()
            .ok_or_else(|| anyhow::anyhow!("the first administrator has no tenant"))?,
    );
    let actor = Actor {
        account: admin.account_id(),
        name: "system".into(),
        reseller: None,
        via: None,
        source: None,
        home: super::Home::Tenant(tenant.0),
    };
    let zones = config.zones();
    let zone = zones
        .first()
        .ok_or_else(|| anyhow::anyhow!("hosts.zones: no zone is offered"))?;
    let name = HostName::new(label, zone.as_str(), &zones)
        .map_err(|e| anyhow::anyhow!("hosts.demo_host: {e}"))?;
    let host = create(
        pool,
        &actor,
        tenant,
        licensing,
        &name,
        config.hosts.default_ttl,
        false,
    )
    .await?;
    let (host, token) = set_token(pool, &actor, tenant, licensing, host.host_id()).await?;
    Ok((host.name, token))
}

/// Refuses a change to a host whose licence has ended (or not begun).
pub fn changeable(host: &Host, licensing: Licensing) -> Result<(), Error> {
    match host.licence_state(licensing.today, licensing.rules) {
        Some(state) if !state.allows_changes() => Err(Error::LicenceExpired),
        _ => Ok(()),
    }
}

/// One of the tenant's hosts that may be changed now.
async fn changeable_host(
    tx: &mut Tx<Tenant>,
    id: HostId,
    licensing: Licensing,
) -> Result<Host, Error> {
    let host = db::hosts::get(tx, id).await?.ok_or(Error::NotFound)?;
    changeable(&host, licensing)?;
    Ok(host)
}

fn check_ttl(ttl: u32) -> Result<(), Error> {
    if valid_ttl(i64::from(ttl)) {
        Ok(())
    } else {
        Err(Invalid::Ttl.into())
    }
}

/// Creates a host in the tenant.
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    tenant: Tenant,
    licensing: Licensing,
    name: &HostName,
    ttl: u32,
    wildcard: bool,
) -> Result<Host, Error> {
    check_ttl(ttl)?;
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, tenant).await?;
        let host = db::hosts::create(
            &mut tx,
            name,
            ttl,
            wildcard,
            licensing.today,
            licensing.rules,
        )
        .await?;
        let detail = format!("ttl={ttl} wildcard={wildcard}");
        db::log::add(
            &mut tx,
            &actor.entry_in(tenant.0, Action::HostCreate, &host.name, &detail),
        )
        .await?;
        tx.commit().await?;
        Ok(host)
    })
    .await
}

/// Changes TTL, wildcard or enabled state of one of the tenant's hosts.
pub async fn update(
    pool: &PgPool,
    actor: &Actor,
    tenant: Tenant,
    licensing: Licensing,
    id: HostId,
    changes: HostChanges,
) -> Result<Host, Error> {
    if let Some(ttl) = changes.ttl {
        check_ttl(ttl)?;
    }
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, tenant).await?;
        let before = changeable_host(&mut tx, id, licensing).await?;
        let host = db::hosts::update(&mut tx, id, changes)
            .await?
            .ok_or(Error::NotFound)?;
        if before.enabled != host.enabled {
            let action = if host.enabled {
                Action::HostEnable
            } else {
                Action::HostDisable
            };
            db::log::add(&mut tx, &actor.entry_in(tenant.0, action, &host.name, "")).await?;
        }
        if before.ttl != host.ttl || before.wildcard != host.wildcard {
            let detail = format!("ttl={} wildcard={}", host.ttl, host.wildcard);
            let entry = actor.entry_in(tenant.0, Action::HostUpdate, &host.name, &detail);
            db::log::add(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(host)
    })
    .await
}

/// Deletes one of the tenant's hosts and its token.
pub async fn delete(
    pool: &PgPool,
    actor: &Actor,
    tenant: Tenant,
    licensing: Licensing,
    id: HostId,
) -> Result<String, Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, tenant).await?;
        changeable_host(&mut tx, id, licensing).await?;
        let name = db::hosts::delete(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        db::log::add(
            &mut tx,
            &actor.entry_in(tenant.0, Action::HostDelete, &name, ""),
        )
        .await?;
        tx.commit().await?;
        Ok(name)
    })
    .await
}

/// Creates the host's update token, or exchanges it (the old one stops at
/// once). Returns the host and the new token, which is never stored.
pub async fn set_token(
    pool: &PgPool,
    actor: &Actor,
    tenant: Tenant,
    licensing: Licensing,
    id: HostId,
) -> Result<(Host, String), Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, tenant).await?;
        let before = changeable_host(&mut tx, id, licensing).await?;
        let token = tokens::update_token();
        if !db::update_tokens::set(&mut tx, id, &tokens::hash(&token)).await? {
            return Err(Error::NotFound);
        }
        let action = if before.has_token {
            Action::TokenExchange
        } else {
            Action::TokenCreate
        };
        db::log::add(&mut tx, &actor.entry_in(tenant.0, action, &before.name, "")).await?;
        let host = db::hosts::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok((host, token))
    })
    .await
}

/// Revokes the host's update token.
pub async fn revoke_token(
    pool: &PgPool,
    actor: &Actor,
    tenant: Tenant,
    licensing: Licensing,
    id: HostId,
) -> Result<Host, Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, tenant).await?;
        let host = changeable_host(&mut tx, id, licensing).await?;
        if !db::update_tokens::revoke(&mut tx, id).await? {
            return Err(Conflict::NoToken.into());
        }
        db::log::add(
            &mut tx,
            &actor.entry_in(tenant.0, Action::TokenRevoke, &host.name, ""),
        )
        .await?;
        let host = db::hosts::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(host)
    })
    .await
}

/// A host name with its new token, for `spdyn_update_token.csv`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub hostname: String,
    pub token: String,
}

/// Creates tokens for every host of the tenant that has none (and may be
/// changed: hosts under an ended licence are left as they are).
pub async fn create_missing_tokens(
    pool: &PgPool,
    actor: &Actor,
    tenant: Tenant,
    licensing: Licensing,
) -> Result<Vec<NewToken>, Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, tenant).await?;
        let mut created = Vec::new();
        for (id, name) in db::update_tokens::hosts_without_token(&mut tx).await? {
            if changeable_host(&mut tx, HostId(id), licensing)
                .await
                .is_err()
            {
                continue;
            }
            let token = tokens::update_token();
            db::update_tokens::set(&mut tx, HostId(id), &tokens::hash(&token)).await?;
            db::log::add(
                &mut tx,
                &actor.entry_in(tenant.0, Action::TokenCreate, &name, db::log::detail::BULK),
            )
            .await?;
            created.push(NewToken {
                hostname: name,
                token,
            });
        }
        tx.commit().await?;
        Ok(created)
    })
    .await
}

/// The CSV offered as `spdyn_update_token.csv`.
pub fn tokens_csv(tokens: &[NewToken]) -> String {
    let mut csv = crate::domain::csv::line(&["hostname", "token"]);
    for t in tokens {
        csv.push_str(&crate::domain::csv::line(&[&t.hostname, &t.token]));
    }
    csv
}

/// Operator action: moves a host (with its token, addresses and records)
/// from one standalone account to another. Both accounts' logs show it.
pub async fn move_host(pool: &PgPool, operator: &Actor, host: &str, to: &str) -> Result<(), Error> {
    let to = &crate::domain::accounts::AccountName::parse(to)
        .map_err(|_| Error::Invalid(Invalid::UnknownAccount))?;
    let host = &host.trim().trim_end_matches('.').to_ascii_lowercase();
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, Operator).await?;
        let host = db::hosts::by_name(&mut tx, host)
            .await?
            .ok_or(Invalid::UnknownHost)?;
        let target = db::accounts::standalone_by_name(&mut tx, to.as_str())
            .await?
            .ok_or(Invalid::UnknownAccount)?;
        let target_tenant = target.tenant().ok_or(Invalid::UnknownAccount)?;
        if host.tenant_id == target_tenant.0 {
            return Err(Invalid::SameOwner.into());
        }
        let from = db::hosts::move_to(&mut tx, host.host_id(), target_tenant)
            .await?
            .ok_or(Invalid::UnknownHost)?;
        let from_name = db::tenants::get(&mut tx, from)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        // Arrows instead of words: a detail is shown in any language.
        let out_detail = format!("→ {}", target.name);
        let in_detail = format!("← {from_name}");
        for (tenant, action, detail) in [
            (from, Action::HostMoveOut, &out_detail),
            (target_tenant, Action::HostMoveIn, &in_detail),
        ] {
            operator
                .log_on(&mut tx, tenant, action, &host.name, detail)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

impl From<CreateHostError> for Error {
    fn from(e: CreateHostError) -> Self {
        match e {
            CreateHostError::NameTaken => Error::Conflict(Conflict::NameTaken),
            CreateHostError::QuotaExceeded => Error::QuotaExceeded,
            CreateHostError::NoRunningLicence => Error::LicenceExpired,
            CreateHostError::NoTenant => Error::NotFound,
            CreateHostError::Db(e) => Error::Db(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    };

    use serde_json::json;

    use super::*;
    use crate::{
        db::testing::TestDb, domain::licences::LicenceRules, domain::names::Zone, ops::Home,
    };

    /// The outbox drain as dnsd sends it: one state per host, newer each round.
    async fn drain(pool: &PgPool, names: &[String], round: i64) -> sqlx::Result<()> {
        let states: Vec<_> = names
            .iter()
            .map(|name| {
                json!({
                    "name": name,
                    "ipv4": format!("192.0.2.{}", round % 250 + 1),
                    "ipv4_changed_ms": 1_000_000 + round,
                    "updated_ms": 1_000_000 + round,
                    "token_last_used_ms": 1_000_000 + round,
                })
            })
            .collect();
        sqlx::query("SELECT dnsd_apply_host_states($1::jsonb)")
            .bind(serde_json::Value::Array(states).to_string())
            .execute(pool)
            .await
            .map(drop)
    }

    /// Issue 20: control's host and token changes and dnsd's outbox drains
    /// take their locks in one order, so side by side they never deadlock.
    /// The drains run without any retry: a deadlock that Postgres resolves
    /// by aborting a drain fails the test.
    #[tokio::test]
    async fn host_changes_and_outbox_drains_side_by_side_never_fail() {
        let db = TestDb::new().await;
        let pool = db.app.clone();
        let account = db.standalone("alice", 10).await;
        let tenant = Tenant(account.tenant().unwrap());
        let actor = Actor {
            account: account.account_id(),
            name: "alice".into(),
            reseller: None,
            via: None,
            source: None,
            home: Home::Tenant(tenant.0),
        };
        let licensing = Licensing {
            today: time::OffsetDateTime::now_utc().date(),
            rules: LicenceRules {
                expiring_days: 30,
                grace_days: 14,
            },
        };
        let zones = [Zone::parse("dyn.example").unwrap()];
        let hosts: Vec<HostName> = (0..4)
            .map(|i| HostName::new(&format!("h{i}"), "dyn.example", &zones).unwrap())
            .collect();
        let names: Vec<String> = hosts.iter().map(|h| h.as_str().to_owned()).collect();
        let mut ids = Vec::new();
        for name in &hosts {
            ids.push(
                create(&pool, &actor, tenant, licensing, name, 60, false)
                    .await
                    .unwrap()
                    .host_id(),
            );
        }

        let done = Arc::new(AtomicBool::new(false));
        let drains = Arc::new(AtomicU32::new(0));
        const ROUNDS: u32 = 300;
        let drainer = tokio::spawn({
            let (pool, done, drains) = (db.dnsd.clone(), done.clone(), drains.clone());
            async move {
                let mut round = 0;
                while !done.load(Ordering::Relaxed) || round < i64::from(ROUNDS) {
                    round += 1;
                    drain(&pool, &names, round)
                        .await
                        .expect("outbox drain failed");
                    drains.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        for round in 0..ROUNDS {
            let i = round as usize % hosts.len();
            let id = ids[i];
            let ttl = 60 + round % 100;
            update(
                &pool,
                &actor,
                tenant,
                licensing,
                id,
                HostChanges {
                    ttl: Some(ttl),
                    ..HostChanges::default()
                },
            )
            .await
            .expect("settings change");
            set_token(&pool, &actor, tenant, licensing, id)
                .await
                .expect("token exchange");
            revoke_token(&pool, &actor, tenant, licensing, id)
                .await
                .expect("token revoke");
            if round % 10 == 0 {
                create_missing_tokens(&pool, &actor, tenant, licensing)
                    .await
                    .expect("bulk tokens");
                delete(&pool, &actor, tenant, licensing, id)
                    .await
                    .expect("delete");
                ids[i] = create(&pool, &actor, tenant, licensing, &hosts[i], 60, false)
                    .await
                    .expect("create again")
                    .host_id();
            }
        }
        done.store(true, Ordering::Relaxed);
        drainer.await.expect("the drains never failed");
        let drains = drains.load(Ordering::Relaxed);
        eprintln!("{ROUNDS} rounds of host changes beside {drains} outbox drains");
    }
}
