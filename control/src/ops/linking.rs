//! Linking a dynamic-DNS account with a reseller portal user (PRODUCT.md
//! §8): only once every active host has an update token that has been used
//! (routers must not depend on the account's password, which stops working),
//! proven with the reseller user's password and second factor; exactly one
//! each way. Unlinking sets no password: a mail lets the owner choose one.

use std::net::IpAddr;

use sqlx::PgPool;

use super::{
    Actor, Home,
    accounts::{Portal, SigninError, send_password_link, signin},
    retrying,
    two_factor::{CodeCheckError, Subject, check},
};
use crate::{
    auth::totp_key::TotpKey,
    config::Config,
    db::{
        self,
        accounts::{Account, Kind, LinkError},
        hosts::Host,
        log::Action,
        scope::{FeedTx, System, Tenant, Tx},
    },
    domain::accounts::AccountId,
    error::{Conflict, Error, Invalid},
};

/// Where the account stands: its active hosts and which of them block a
/// link, or the reseller user it is linked to.
#[derive(Debug, Clone)]
pub struct Standing {
    pub hosts: Vec<Host>,
    /// Active hosts without a token, or whose token was never used.
    pub blocking: Vec<String>,
    /// The reseller user (name, reseller) when linked.
    pub linked: Option<(String, String)>,
}

fn blocking(hosts: &[Host]) -> Vec<String> {
    hosts
        .iter()
        .filter(|h| h.enabled && (!h.has_token || h.token_first_used_at.is_none()))
        .map(|h| h.name.clone())
        .collect()
}

/// The standalone account the actor is (linking is theirs alone).
fn own_tenant(actor: &Actor) -> Result<Tenant, Error> {
    match actor.home {
        Home::Tenant(tenant) => Ok(Tenant(tenant)),
        Home::Reseller(_) => Err(Error::Forbidden),
    }
}

pub async fn standing(pool: &PgPool, actor: &Actor) -> Result<Standing, Error> {
    let tenant = own_tenant(actor)?;
    let mut tx = Tx::begin(pool, tenant).await?;
    let hosts: Vec<Host> = db::hosts::list(&mut tx)
        .await?
        .into_iter()
        .filter(|h| h.enabled)
        .collect();
    drop(tx);
    let mut tx = Tx::begin(pool, System).await?;
    let account = db::accounts::by_id(&mut tx, actor.account)
        .await?
        .ok_or(Error::Unauthorized)?;
    let linked = match account.linked_reseller_user_id {
        Some(user) => db::accounts::reseller_user_names(&mut tx, AccountId(user)).await?,
        None => None,
    };
    Ok(Standing {
        blocking: blocking(&hosts),
        hosts,
        linked,
    })
}

/// The reseller user's proof: name, password, and a code of its second
/// factor (or one of its recovery codes).
#[derive(Debug, Clone, Copy)]
pub struct ResellerProof<'a> {
    pub name: &'a str,
    pub password: &'a str,
    pub code: &'a str,
}

/// Links the actor's dynamic-DNS account to the reseller user that proves
/// itself. Refused while a host blocks it (the hosts are named), for an
/// account that is not standalone, and when either side is linked already.
pub async fn link(
    pool: &PgPool,
    config: &Config,
    key: &TotpKey,
    actor: &Actor,
    proof: ResellerProof<'_>,
) -> Result<(), Error> {
    let standing = standing(pool, actor).await?;
    if standing.linked.is_some() {
        return Err(Conflict::AlreadyLinked.into());
    }
    if !standing.blocking.is_empty() {
        return Err(Invalid::LinkBlocked.into());
    }
    let reseller_user = reseller_user(pool, config, key, proof, actor.source).await?;
    retrying(|| async {
        let mut tx = FeedTx::begin(pool, System).await?;
        let account = db::accounts::by_id(&mut tx, actor.account)
            .await?
            .filter(|a| a.kind() == Kind::Standalone)
            .ok_or(Error::Forbidden)?;
        // The hosts again, in the transaction that links.
        let tenant = account.tenant().ok_or(Error::Forbidden)?;
        let hosts = db::hosts::of_tenant(&mut tx, tenant).await?;
        if !blocking(&hosts).is_empty() {
            return Err(Invalid::LinkBlocked.into());
        }
        db::accounts::link(&mut tx, actor.account, reseller_user.account_id())
            .await
            .map_err(|e| match e {
                LinkError::AccountLinked | LinkError::ResellerUserLinked => {
                    Error::Conflict(Conflict::AlreadyLinked)
                }
                LinkError::Db(e) => Error::Db(e),
            })?;
        // Its own second factor is replaced by the reseller user's.
        db::two_factor::delete(&mut tx, actor.account).await?;
        let detail = format!("reseller user {}", reseller_user.name);
        db::log::add(
            &mut tx,
            &actor.entry(Action::AccountLink, &account.name, &detail),
        )
        .await?;
        let entry = db::log::NewEntry {
            account: Some(reseller_user.account_id()),
            tenant: None,
            reseller: reseller_user.reseller(),
            ..actor.entry(Action::AccountLink, &account.name, &detail)
        };
        db::log::add(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The reseller user a proof names, if password and code are right (both
/// behind the sign-in throttles).
async fn reseller_user(
    pool: &PgPool,
    config: &Config,
    key: &TotpKey,
    proof: ResellerProof<'_>,
    source: Option<IpAddr>,
) -> Result<Account, Error> {
    let ok = signin(
        pool,
        config,
        Portal::Reseller,
        proof.name,
        proof.password,
        source,
    )
    .await
    .map_err(|e| match e {
        SigninError::Throttled => Error::TooManyRequests,
        SigninError::Other(e) => e,
        SigninError::Failed | SigninError::Linked => Invalid::ResellerCredentials.into(),
    })?;
    if !ok.needs_code {
        // A reseller user without its second factor cannot vouch for one.
        return Err(Invalid::ResellerCredentials.into());
    }
    let user = ok.account;
    let home = Home::Reseller(user.reseller().ok_or(Error::Forbidden)?);
    let who = Subject {
        account: user.account_id(),
        name: &user.name,
        source,
        home,
    };
    check(pool, config, key, who, proof.code)
        .await
        .map_err(|e| match e {
            CodeCheckError::Wrong => Invalid::ResellerCredentials.into(),
            other => Error::from(other),
        })?;
    Ok(user)
}

/// Releases the link (after the user confirmed): the account's password is
/// unset, and a mail to its address carries a single-use link to choose a
/// new one; until then nothing signs in to it with a password.
pub async fn unlink(pool: &PgPool, config: &Config, actor: &Actor) -> Result<(), Error> {
    retrying(|| async {
        let mut tx = FeedTx::begin(pool, System).await?;
        let account = db::accounts::unlink(&mut tx, actor.account)
            .await?
            .ok_or(Error::NotFound)?;
        send_password_link(&mut tx, config, &account).await?;
        let entry = actor.entry(Action::AccountUnlink, &account.name, "");
        db::log::add(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}
