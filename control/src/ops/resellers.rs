//! Operator use cases: reseller organisations and their portal users.

use sqlx::PgPool;

use super::{Actor, accounts::send_welcome};
use crate::{
    config::Config,
    db::{
        self,
        accounts::{Account, CreateAccountError, NewUser},
        log::{Action, NewEntry},
        resellers::{CreateResellerError, ResellerRow},
        scope::{Operator, Tx},
    },
    domain::{
        accounts::{AccountName, Email, Language, Role},
        tenants,
    },
    error::{Conflict, Error},
    paths,
};

/// A reseller's first (or further) portal user: name, e-mail, language.
#[derive(Debug, Clone, Copy)]
pub struct NewResellerUser<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub language: Language,
}

/// Creates a reseller organisation with its first portal user, who gets a
/// mail with a link to choose a password (two-factor enrolment follows at
/// the first sign-in: it is mandatory for reseller users).
pub async fn create(
    pool: &PgPool,
    config: &Config,
    operator: &Actor,
    name: &str,
    user: NewResellerUser<'_>,
) -> Result<(ResellerRow, Account), Error> {
    let name = tenants::parse_name(name)?;
    let mut tx = Tx::begin(pool, Operator).await?;
    let reseller = db::resellers::create(&mut tx, &name)
        .await
        .map_err(|e| match e {
            CreateResellerError::NameTaken => Error::Conflict(Conflict::NameTaken),
            CreateResellerError::Db(e) => Error::Db(e),
        })?;
    let account = add_user_in(&mut tx, config, &reseller, user).await?;
    let entry = NewEntry {
        reseller: Some(reseller.reseller_id()),
        ..operator.entry(Action::ResellerCreate, &reseller.name, &account.name)
    };
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok((reseller, account))
}

/// Creates a reseller from the command line, acting as the first operator.
pub async fn create_as_first_operator(
    pool: &PgPool,
    config: &Config,
    name: &str,
    user: NewResellerUser<'_>,
) -> Result<(ResellerRow, Account), Error> {
    let mut tx = Tx::begin(pool, Operator).await?;
    let operator = db::accounts::first_operator(&mut tx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no operator account exists yet: start control once"))?;
    drop(tx);
    let actor = Actor {
        account: operator.account_id(),
        name: operator.name.clone(),
        reseller: None,
        via: Some("cli".into()),
        source: None,
        home: super::accounts::home_of(&operator).ok_or(Error::NotFound)?,
    };
    create(pool, config, &actor, name, user).await
}

/// Creates a reseller user and queues its welcome mail.
async fn add_user_in(
    tx: &mut Tx<Operator>,
    config: &Config,
    reseller: &ResellerRow,
    user: NewResellerUser<'_>,
) -> Result<Account, Error> {
    let new = NewUser {
        name: &AccountName::parse(user.name)?,
        email: &Email::parse(user.email)?,
        language: user.language,
        role: Role::Admin,
    };
    let account = db::accounts::create_reseller_user(tx, reseller.reseller_id(), &new)
        .await
        .map_err(|e| match e {
            CreateAccountError::NameTaken => Error::Conflict(Conflict::NameTaken),
            CreateAccountError::Db(e) => Error::Db(e),
        })?;
    send_welcome(tx, config, &account, &reseller.name, paths::RESELLER_LOGIN).await?;
    Ok(account)
}

/// Every reseller (operators).
pub async fn list(pool: &PgPool) -> Result<Vec<db::resellers::ResellerSummary>, Error> {
    let mut tx = Tx::begin(pool, Operator).await?;
    Ok(db::resellers::list(&mut tx).await?)
}
