//! Host and update-token use cases.

use sqlx::PgPool;

use super::{Actor, retrying};
use crate::db::feed::FeedTx;
use crate::{
    db::{
        self,
        hosts::{CreateHostError, Host, HostChanges},
        log::Action,
    },
    domain::{accounts::AccountName, hosts::HostId, names::HostName, tokens},
    error::Error,
};

/// The first start's demo host (`[hosts] demo_host`) for the administrator
/// `admin`, with a fresh token: returns the host name and the token.
pub async fn create_demo_host(
    pool: &PgPool,
    config: &crate::Config,
    admin: &str,
    label: &str,
) -> Result<(String, String), Error> {
    let mut conn = pool.acquire().await?;
    let account = db::accounts::by_name(&mut conn, admin)
        .await?
        .ok_or_else(|| Error::invalid("first_admin", "the first administrator is missing"))?;
    drop(conn);
    let actor = Actor {
        account: account.account_id(),
        name: "system".into(),
        source: None,
    };
    let zones = config.zones();
    let zone = zones
        .first()
        .ok_or_else(|| Error::invalid("hosts.zones", "no zone is offered"))?;
    let name = HostName::new(label, zone.as_str(), &zones)
        .map_err(|e| Error::invalid("hosts.demo_host", e))?;
    let host = create(pool, &actor, &name, config.hosts.default_ttl, false).await?;
    let (host, token) = set_token(pool, &actor, crate::domain::hosts::HostId(host.id)).await?;
    Ok((host.name, token))
}

/// Creates a host for the actor's account.
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    name: &HostName,
    ttl: u32,
    wildcard: bool,
) -> Result<Host, Error> {
    if !crate::domain::hosts::valid_ttl(i64::from(ttl)) {
        return Err(Error::invalid(
            "ttl",
            "the TTL must be between 30 and 86400 seconds",
        ));
    }
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let host = db::hosts::create(&mut tx, actor.account, name, ttl, wildcard)
            .await
            .map_err(|e| match e {
                CreateHostError::NameTaken => Error::Conflict(format!("{name} is taken")),
                CreateHostError::QuotaExceeded => Error::QuotaExceeded,
                CreateHostError::NoAccount => Error::Unauthorized,
                CreateHostError::Db(e) => Error::Db(e),
            })?;
        let detail = format!("ttl={ttl} wildcard={wildcard}");
        db::log::add(
            &mut tx,
            &actor.entry(Action::HostCreate, &host.name, &detail),
        )
        .await?;
        tx.commit().await?;
        Ok(host)
    })
    .await
}

/// Changes TTL, wildcard or enabled state of one of the actor's hosts.
pub async fn update(
    pool: &PgPool,
    actor: &Actor,
    id: HostId,
    changes: HostChanges,
) -> Result<Host, Error> {
    if let Some(ttl) = changes.ttl
        && !crate::domain::hosts::valid_ttl(i64::from(ttl))
    {
        return Err(Error::invalid(
            "ttl",
            "the TTL must be between 30 and 86400 seconds",
        ));
    }
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let before = db::hosts::get(&mut tx, actor.account, id)
            .await?
            .ok_or(Error::NotFound)?;
        let host = db::hosts::update(&mut tx, actor.account, id, changes)
            .await?
            .ok_or(Error::NotFound)?;
        if before.enabled != host.enabled {
            let action = if host.enabled {
                Action::HostEnable
            } else {
                Action::HostDisable
            };
            db::log::add(&mut tx, &actor.entry(action, &host.name, "")).await?;
        }
        if before.ttl != host.ttl || before.wildcard != host.wildcard {
            let detail = format!("ttl={} wildcard={}", host.ttl, host.wildcard);
            db::log::add(
                &mut tx,
                &actor.entry(Action::HostUpdate, &host.name, &detail),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(host)
    })
    .await
}

/// Deletes one of the actor's hosts and its token.
pub async fn delete(pool: &PgPool, actor: &Actor, id: HostId) -> Result<String, Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let name = db::hosts::delete(&mut tx, actor.account, id)
            .await?
            .ok_or(Error::NotFound)?;
        db::log::add(&mut tx, &actor.entry(Action::HostDelete, &name, "")).await?;
        tx.commit().await?;
        Ok(name)
    })
    .await
}

/// Creates the host's update token, or exchanges it (the old one stops at
/// once). Returns the host and the new token, which is never stored.
pub async fn set_token(pool: &PgPool, actor: &Actor, id: HostId) -> Result<(Host, String), Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let before = db::hosts::get(&mut tx, actor.account, id)
            .await?
            .ok_or(Error::NotFound)?;
        let token = tokens::update_token();
        if !db::update_tokens::set(&mut tx, actor.account, id, &tokens::hash(&token)).await? {
            return Err(Error::NotFound);
        }
        let action = if before.has_token {
            Action::TokenExchange
        } else {
            Action::TokenCreate
        };
        db::log::add(&mut tx, &actor.entry(action, &before.name, "")).await?;
        let host = db::hosts::get(&mut tx, actor.account, id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok((host, token))
    })
    .await
}

/// Revokes the host's update token.
pub async fn revoke_token(pool: &PgPool, actor: &Actor, id: HostId) -> Result<Host, Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let host = db::hosts::get(&mut tx, actor.account, id)
            .await?
            .ok_or(Error::NotFound)?;
        if !db::update_tokens::revoke(&mut tx, actor.account, id).await? {
            return Err(Error::Conflict(format!(
                "{} has no update token",
                host.name
            )));
        }
        db::log::add(&mut tx, &actor.entry(Action::TokenRevoke, &host.name, "")).await?;
        let value = db::hosts::get(&mut tx, actor.account, id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(value)
    })
    .await
}

/// A host name with its new token, for `spdyn_update_token.csv`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub hostname: String,
    pub token: String,
}

/// Creates tokens for every host of the actor that has none.
pub async fn create_missing_tokens(pool: &PgPool, actor: &Actor) -> Result<Vec<NewToken>, Error> {
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let mut created = Vec::new();
        for (id, name) in db::update_tokens::hosts_without_token(&mut tx, actor.account).await? {
            let token = tokens::update_token();
            db::update_tokens::set(&mut tx, actor.account, HostId(id), &tokens::hash(&token))
                .await?;
            db::log::add(&mut tx, &actor.entry(Action::TokenCreate, &name, "bulk")).await?;
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

/// Operator action: moves a host (with its token, addresses and records) to
/// another account. Both accounts' logs show the move.
pub async fn move_host(pool: &PgPool, operator: &Actor, host: &str, to: &str) -> Result<(), Error> {
    let to = &AccountName::parse(to).map_err(|e| Error::invalid("account", e))?;
    let host = &host.trim().trim_end_matches('.').to_ascii_lowercase();
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let host = db::hosts::by_name_any_account(&mut tx, host)
            .await?
            .ok_or_else(|| Error::invalid("host", "no such host"))?;
        let target = db::accounts::by_name(&mut tx, to.as_str())
            .await?
            .ok_or_else(|| Error::invalid("account", "no such account"))?;
        if host.account_id == target.id {
            return Err(Error::invalid(
                "account",
                "the host already belongs to this account",
            ));
        }
        let from = db::hosts::move_to(&mut tx, host.host_id(), target.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        let from_name = db::accounts::by_id(&mut tx, from)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let out_detail = format!("to {}", target.name);
        let in_detail = format!("from {from_name}");
        for (account, action, detail) in [
            (from, Action::HostMoveOut, &out_detail),
            (target.account_id(), Action::HostMoveIn, &in_detail),
        ] {
            operator
                .log_on(&mut tx, account, action, &host.name, detail)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
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
        db::accounts::NewAccount,
        domain::{
            accounts::{Email, Language},
            names::Zone,
        },
        pg::scratch::Scratch,
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
        let scratch = Scratch::new().await.expect("test database");
        let pool = db::connect(&scratch.url, 6).await.unwrap();
        db::migrate(&pool).await.unwrap();
        let mut tx = FeedTx::begin(&pool).await.unwrap();
        let account = db::accounts::create(
            &mut tx,
            &NewAccount {
                name: &AccountName::parse("alice").unwrap(),
                email: &Email::parse("alice@example.net").unwrap(),
                password_hash: "x",
                language: Language::En,
                is_admin: false,
                host_quota: 10,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let actor = Actor {
            account: account.account_id(),
            name: "alice".into(),
            source: None,
        };
        let zones = [Zone::parse("dyn.example").unwrap()];
        let hosts: Vec<HostName> = (0..4)
            .map(|i| HostName::new(&format!("h{i}"), "dyn.example", &zones).unwrap())
            .collect();
        let names: Vec<String> = hosts.iter().map(|h| h.as_str().to_owned()).collect();
        let mut ids = Vec::new();
        for name in &hosts {
            ids.push(
                create(&pool, &actor, name, 60, false)
                    .await
                    .unwrap()
                    .host_id(),
            );
        }

        let done = Arc::new(AtomicBool::new(false));
        let drains = Arc::new(AtomicU32::new(0));
        const ROUNDS: u32 = 300;
        let drainer = tokio::spawn({
            let (pool, done, drains) = (pool.clone(), done.clone(), drains.clone());
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
                id,
                HostChanges {
                    ttl: Some(ttl),
                    ..HostChanges::default()
                },
            )
            .await
            .expect("settings change");
            set_token(&pool, &actor, id).await.expect("token exchange");
            revoke_token(&pool, &actor, id).await.expect("token revoke");
            if round % 10 == 0 {
                create_missing_tokens(&pool, &actor)
                    .await
                    .expect("bulk tokens");
                delete(&pool, &actor, id).await.expect("delete");
                ids[i] = create(&pool, &actor, &hosts[i], 60, false)
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
