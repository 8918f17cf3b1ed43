//! One's own profile: language and the daily digest take effect at once; a
//! new e-mail address only once the link sent to it is confirmed (whoever
//! holds a session alone must not redirect the reset mails, and a typo must
//! not lose the account its mail), and the current address is told both
//! times.

use std::net::IpAddr;

use sqlx::PgPool;

use super::{Actor, accounts::verify_current_password};
use crate::{
    config::Config,
    db::{
        self,
        log::{Action, NewEntry, Who},
        scope::{System, Tx},
    },
    domain::{
        accounts::{Email, Language},
        tokens,
    },
    error::{Error, Invalid},
    mail,
};

/// A change of the profile.
#[derive(Debug, Clone, Copy)]
pub struct ProfileChange<'a> {
    pub email: &'a str,
    pub language: &'a str,
    pub digest: bool,
    /// Needed only when the e-mail address changes.
    pub current_password: &'a str,
}

/// What was saved: a new address, if one was asked for, waits for its link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub email_pending: Option<String>,
}

/// Saves language and digest; a new e-mail address needs the current
/// password and is sent a confirmation link (24 hours, once), and the
/// current address is told.
pub async fn update(
    pool: &PgPool,
    config: &Config,
    actor: &Actor,
    change: ProfileChange<'_>,
) -> Result<Saved, Error> {
    let email = Email::parse(change.email)?;
    let language = Language::from_code(change.language).ok_or(Invalid::Language)?;
    let digest = change.digest;
    let before = super::accounts::own_account(pool, actor).await?;
    let new_email = (before.email != email.as_str()).then_some(email);
    if new_email.is_some() {
        verify_current_password(pool, config, actor, change.current_password).await?;
    }
    let mut tx = Tx::begin(pool, actor.home).await?;
    let account = db::accounts::by_id(&mut tx, actor.account)
        .await?
        .ok_or(Error::Unauthorized)?;
    db::accounts::set_preferences(&mut tx, actor.account, language, digest).await?;
    let detail = format!("language={} digest={digest}", language.code());
    db::log::add(
        &mut tx,
        &actor.entry(Action::ProfileChange, &actor.name, &detail),
    )
    .await?;
    if let Some(new_email) = &new_email {
        let token = tokens::random_secret();
        db::email_changes::put(
            &mut tx,
            actor.account,
            new_email.as_str(),
            &tokens::hash(&token),
        )
        .await?;
        // The mails go out in the language just chosen.
        let link = format!(
            "{}/profile/email/{token}",
            config.http.public_url.trim_end_matches('/')
        );
        let (subject, body) =
            mail::texts::email_confirm(language, &account.name, new_email.as_str(), &link);
        db::mail::enqueue(&mut tx, new_email.as_str(), subject, &body).await?;
        let (subject, body) =
            mail::texts::email_change_requested(language, &account.name, new_email.as_str());
        db::mail::enqueue(&mut tx, &account.email, subject, &body).await?;
        let entry = actor.entry(Action::EmailChangeRequest, &actor.name, new_email.as_str());
        db::log::add(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(Saved {
        email_pending: new_email.map(|e| e.as_str().to_owned()),
    })
}

/// The new address waiting for its link, if any.
pub async fn pending_email(pool: &PgPool, actor: &Actor) -> Result<Option<String>, Error> {
    let mut tx = Tx::begin(pool, actor.home).await?;
    Ok(db::email_changes::pending(&mut tx, actor.account)
        .await?
        .map(|(email, _)| email))
}

/// The new address a confirmation link would set, if it is still usable.
pub async fn email_link(pool: &PgPool, token: &str) -> Result<Option<String>, Error> {
    let mut tx = Tx::begin(pool, System).await?;
    Ok(db::email_changes::peek(&mut tx, &tokens::hash(token)).await?)
}

/// Confirms a new address with its link (once): it becomes the account's,
/// and the old address is told.
pub async fn confirm_email(
    pool: &PgPool,
    token: &str,
    source: Option<IpAddr>,
) -> Result<String, Error> {
    let mut tx = Tx::begin(pool, System).await?;
    let (id, new_email) = db::email_changes::take(&mut tx, &tokens::hash(token))
        .await?
        .ok_or(Error::NotFound)?;
    let email = Email::parse(&new_email)?;
    let account = db::accounts::by_id(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    db::accounts::set_email(&mut tx, id, &email).await?;
    let (subject, body) =
        mail::texts::email_changed(account.language(), &account.name, email.as_str());
    db::mail::enqueue(&mut tx, &account.email, subject, &body).await?;
    let entry = NewEntry {
        account: Some(id),
        tenant: account.tenant(),
        reseller: account.reseller(),
        actor: Who::named(&account.name),
        action: Action::EmailChange,
        target: &account.name,
        detail: email.as_str(),
        source,
    };
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(new_email)
}
