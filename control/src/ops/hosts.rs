//! Host and update-token use cases.

use sqlx::PgPool;

use super::Actor;
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
    let mut tx = pool.begin().await?;
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
    let mut tx = pool.begin().await?;
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
}

/// Deletes one of the actor's hosts and its token.
pub async fn delete(pool: &PgPool, actor: &Actor, id: HostId) -> Result<String, Error> {
    let mut tx = pool.begin().await?;
    let name = db::hosts::delete(&mut tx, actor.account, id)
        .await?
        .ok_or(Error::NotFound)?;
    db::log::add(&mut tx, &actor.entry(Action::HostDelete, &name, "")).await?;
    tx.commit().await?;
    Ok(name)
}

/// Creates the host's update token, or exchanges it (the old one stops at
/// once). Returns the host and the new token, which is never stored.
pub async fn set_token(pool: &PgPool, actor: &Actor, id: HostId) -> Result<(Host, String), Error> {
    let mut tx = pool.begin().await?;
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
}

/// Revokes the host's update token.
pub async fn revoke_token(pool: &PgPool, actor: &Actor, id: HostId) -> Result<Host, Error> {
    let mut tx = pool.begin().await?;
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
    let host = db::hosts::get(&mut tx, actor.account, id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(host)
}

/// A host name with its new token, for `spdyn_update_token.csv`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub hostname: String,
    pub token: String,
}

/// Creates tokens for every host of the actor that has none.
pub async fn create_missing_tokens(pool: &PgPool, actor: &Actor) -> Result<Vec<NewToken>, Error> {
    let mut tx = pool.begin().await?;
    let mut created = Vec::new();
    for (id, name) in db::update_tokens::hosts_without_token(&mut tx, actor.account).await? {
        let token = tokens::update_token();
        db::update_tokens::set(&mut tx, actor.account, HostId(id), &tokens::hash(&token)).await?;
        db::log::add(&mut tx, &actor.entry(Action::TokenCreate, &name, "bulk")).await?;
        created.push(NewToken {
            hostname: name,
            token,
        });
    }
    tx.commit().await?;
    Ok(created)
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
    let to = AccountName::parse(to).map_err(|e| Error::invalid("account", e))?;
    let mut tx = pool.begin().await?;
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = db::hosts::by_name_any_account(&mut tx, &host)
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
}
