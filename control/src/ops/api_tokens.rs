//! Personal API token use cases.

use sqlx::PgPool;

use super::Actor;
use crate::{
    db::{self, log::Action, scope::Tx},
    domain::{
        scopes::{Holder, Scope},
        tokens,
    },
    error::{Error, Invalid},
};

/// Creates a token for the actor; returns it (shown once, stored hashed)
/// and its scopes without repetitions.
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    holder: Holder,
    name: &str,
    scopes: &[Scope],
) -> Result<(String, Vec<String>), Error> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 100
        || scopes.is_empty()
        || !scopes.iter().all(|s| s.grantable_by(holder))
    {
        return Err(Invalid::Scopes.into());
    }
    let mut names: Vec<String> = Vec::new();
    for scope in scopes {
        if !names.iter().any(|n| n == scope.as_str()) {
            names.push(scope.as_str().to_owned());
        }
    }
    let token = tokens::api_token();
    let mut tx = Tx::begin(pool, actor.home).await?;
    db::api_tokens::create(&mut tx, actor.account, name, &tokens::hash(&token), &names).await?;
    let detail = names.join(" ");
    db::log::add(&mut tx, &actor.entry(Action::ApiTokenCreate, name, &detail)).await?;
    tx.commit().await?;
    Ok((token, names))
}

/// Revokes one of the actor's tokens.
pub async fn revoke(pool: &PgPool, actor: &Actor, id: i64) -> Result<(), Error> {
    let mut tx = Tx::begin(pool, actor.home).await?;
    let name = db::api_tokens::delete(&mut tx, actor.account, id)
        .await?
        .ok_or(Error::NotFound)?;
    db::log::add(&mut tx, &actor.entry(Action::ApiTokenRevoke, &name, "")).await?;
    tx.commit().await?;
    Ok(())
}
