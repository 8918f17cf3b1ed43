//! Account use cases: sign-up, sign-in with throttling, password reset by
//! mail, profile and password changes, the first administrator.

use std::net::IpAddr;

use sqlx::PgPool;

use super::{Actor, retrying};
use crate::db::feed::FeedTx;
use crate::{
    auth::password,
    config::Config,
    db::{
        self,
        accounts::{Account, CreateAccountError, NewAccount},
        log::{Action, NewEntry},
    },
    domain::{
        accounts::{AccountId, AccountName, Email, Language, check_password},
        throttle::{SigninLimits, signin_blocked},
        tokens,
    },
    error::Error,
    mail,
};

/// Input of a sign-up.
#[derive(Debug)]
pub struct Signup<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub language: Language,
    pub source: Option<IpAddr>,
}

/// Creates an account with the default quota.
pub async fn signup(pool: &PgPool, config: &Config, input: Signup<'_>) -> Result<Account, Error> {
    let name = AccountName::parse(input.name).map_err(|e| Error::invalid("name", e))?;
    let email = Email::parse(input.email).map_err(|e| Error::invalid("email", e))?;
    check_password(input.password).map_err(|e| Error::invalid("password", e))?;
    let hash = password::hash(input.password.to_owned()).await?;
    let quota = i32::try_from(config.accounts.default_host_quota).unwrap_or(i32::MAX);
    let (name, email, hash) = (&name, &email, &hash);
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let account = db::accounts::create(
            &mut tx,
            &NewAccount {
                name,
                email,
                password_hash: hash,
                language: input.language,
                is_admin: false,
                host_quota: quota,
            },
        )
        .await
        .map_err(|e| match e {
            CreateAccountError::NameTaken => Error::Conflict("this account name is taken".into()),
            CreateAccountError::Db(e) => Error::Db(e),
        })?;
        let entry = NewEntry {
            account: Some(account.account_id()),
            actor: &account.name,
            action: Action::Signup,
            target: &account.name,
            detail: "",
            source: input.source,
        };
        db::log::add(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(account)
    })
    .await
}

/// Why a sign-in did not succeed. Both answers are the same for unknown
/// names, wrong passwords and disabled accounts.
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    #[error("wrong account name or password")]
    Failed,
    #[error("too many failed attempts; try again later")]
    Throttled,
    #[error(transparent)]
    Other(#[from] Error),
}

impl From<sqlx::Error> for SigninError {
    fn from(e: sqlx::Error) -> Self {
        SigninError::Other(e.into())
    }
}

/// A right password.
#[derive(Debug, Clone)]
pub struct PasswordOk {
    pub account: Account,
    /// The account has 2FA: the sign-in is complete only with the code
    /// (`ops::two_factor::signin_second_step`).
    pub needs_code: bool,
}

/// Checks a sign-in's password and logs it (success — or, with 2FA, the
/// passed first step — failure or throttled).
pub async fn signin(
    pool: &PgPool,
    config: &Config,
    name: &str,
    password_input: &str,
    source: Option<IpAddr>,
) -> Result<PasswordOk, SigninError> {
    // Names are compared as stored (lowercase); anything else is logged as
    // typed, bounded in length.
    let name = name
        .trim()
        .to_ascii_lowercase()
        .chars()
        .take(64)
        .collect::<String>();
    let mut conn = pool.acquire().await?;
    let account = db::accounts::by_name(&mut conn, &name).await?;
    let (by_name, by_source) = db::log::recent_failures(
        &mut conn,
        Action::SigninFailure,
        &name,
        source,
        config.accounts.signin_window_minutes,
    )
    .await?;
    let limits = SigninLimits {
        per_account: config.accounts.signin_failures_per_account,
        per_source: config.accounts.signin_failures_per_source,
    };
    let log = |action| NewEntry {
        account: account.as_ref().map(Account::account_id),
        actor: &name,
        action,
        target: &name,
        detail: "",
        source,
    };
    if signin_blocked(limits, by_name, by_source) {
        db::log::add(&mut conn, &log(Action::SigninThrottled)).await?;
        return Err(SigninError::Throttled);
    }
    let ok = password::verify(
        password_input.to_owned(),
        account.as_ref().map(|a| a.password_hash.clone()),
    )
    .await;
    match account {
        Some(ref found) if ok && found.enabled => {
            let needs_code = db::two_factor::is_enabled(&mut conn, found.account_id()).await?;
            let action = if needs_code {
                Action::SigninPassword
            } else {
                Action::SigninSuccess
            };
            db::log::add(&mut conn, &log(action)).await?;
            Ok(PasswordOk {
                account: found.clone(),
                needs_code,
            })
        }
        _ => {
            db::log::add(&mut conn, &log(Action::SigninFailure)).await?;
            Err(SigninError::Failed)
        }
    }
}

/// Sends a reset link to every enabled account whose name or e-mail address is
/// `who`. Answers the same whether or not any exists.
pub async fn request_reset(
    pool: &PgPool,
    config: &Config,
    who: &str,
    source: Option<IpAddr>,
) -> Result<(), Error> {
    let who = who.trim();
    let mut tx = pool.begin().await?;
    let mut accounts = db::accounts::enabled_by_email(&mut tx, who).await?;
    if let Some(account) = db::accounts::by_name(&mut tx, &who.to_ascii_lowercase()).await?
        && account.enabled
        && !accounts.iter().any(|a| a.id == account.id)
    {
        accounts.push(account);
    }
    for account in &accounts {
        let token = tokens::random_secret();
        db::resets::create(&mut tx, account.account_id(), &tokens::hash(&token)).await?;
        let link = format!(
            "{}/reset/{token}",
            config.http.public_url.trim_end_matches('/')
        );
        let (subject, body) = mail::texts::reset(account.language(), &account.name, &link);
        db::mail::enqueue(&mut tx, &account.email, subject, &body).await?;
        let entry = NewEntry {
            account: Some(account.account_id()),
            actor: "-",
            action: Action::PasswordResetRequest,
            target: &account.name,
            detail: "",
            source,
        };
        db::log::add(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether a reset link is still usable (for showing its form).
pub async fn reset_link_valid(pool: &PgPool, token: &str) -> Result<bool, Error> {
    let mut conn = pool.acquire().await?;
    Ok(db::resets::peek(&mut conn, &tokens::hash(token))
        .await?
        .is_some())
}

/// Sets a new password through a reset link; the link (and every other of the
/// account) stops working, and every session of the account ends. Returns
/// the account and whether it has 2FA.
pub async fn reset_password(
    pool: &PgPool,
    token: &str,
    new_password: &str,
    source: Option<IpAddr>,
) -> Result<(AccountId, bool), Error> {
    check_password(new_password).map_err(|e| Error::invalid("password", e))?;
    let hash = &password::hash(new_password.to_owned()).await?;
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let account = db::resets::consume(&mut tx, &tokens::hash(token))
            .await?
            .ok_or(Error::NotFound)?;
        db::accounts::set_password(&mut tx, account, hash).await?;
        db::sessions::delete_for_account(&mut tx, account, None).await?;
        let name = db::accounts::by_id(&mut tx, account)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let entry = NewEntry {
            account: Some(account),
            actor: &name,
            action: Action::PasswordReset,
            target: &name,
            detail: "",
            source,
        };
        db::log::add(&mut tx, &entry).await?;
        let two_factor = db::two_factor::is_enabled(&mut tx, account).await?;
        tx.commit().await?;
        Ok((account, two_factor))
    })
    .await
}

/// Changes the actor's password after checking the current one; the actor's
/// other sessions end.
pub async fn change_password(
    pool: &PgPool,
    actor: &Actor,
    keep_session: &tokens::SecretHash,
    current: &str,
    new_password: &str,
) -> Result<(), Error> {
    check_password(new_password).map_err(|e| Error::invalid("new_password", e))?;
    let mut conn = pool.acquire().await?;
    let account = db::accounts::by_id(&mut conn, actor.account)
        .await?
        .ok_or(Error::Unauthorized)?;
    drop(conn);
    if !password::verify(current.to_owned(), Some(account.password_hash)).await {
        return Err(Error::invalid(
            "current_password",
            "the current password is wrong",
        ));
    }
    let hash = &password::hash(new_password.to_owned()).await?;
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        db::accounts::set_password(&mut tx, actor.account, hash).await?;
        db::sessions::delete_for_account(&mut tx, actor.account, Some(keep_session)).await?;
        db::log::add(
            &mut tx,
            &actor.entry(Action::PasswordChange, &actor.name, ""),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Changes e-mail address and language.
pub async fn update_profile(
    pool: &PgPool,
    actor: &Actor,
    email: &str,
    language: &str,
) -> Result<(), Error> {
    let email = Email::parse(email).map_err(|e| Error::invalid("email", e))?;
    let language = Language::from_code(language)
        .ok_or_else(|| Error::invalid("language", "unknown language"))?;
    let mut tx = pool.begin().await?;
    db::accounts::set_profile(&mut tx, actor.account, &email, language).await?;
    let detail = format!("email={} language={}", email.as_str(), language.code());
    db::log::add(
        &mut tx,
        &actor.entry(Action::ProfileChange, &actor.name, &detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Operator action: enables or disables an account. A disabled account's
/// sessions and API tokens stop working at once (they are checked per request).
pub async fn set_enabled(
    pool: &PgPool,
    operator: &Actor,
    id: AccountId,
    enabled: bool,
) -> Result<(), Error> {
    if id == operator.account && !enabled {
        return Err(Error::invalid(
            "account",
            "operators cannot disable themselves",
        ));
    }
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        let account = db::accounts::set_enabled(&mut tx, id, enabled)
            .await?
            .ok_or(Error::NotFound)?;
        let action = if enabled {
            Action::AccountEnable
        } else {
            Action::AccountDisable
        };
        operator
            .log_on(&mut tx, id, action, &account.name, "")
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Operator action: sets an account's host quota.
pub async fn set_quota(
    pool: &PgPool,
    operator: &Actor,
    id: AccountId,
    quota: i32,
) -> Result<(), Error> {
    if !(0..=100_000).contains(&quota) {
        return Err(Error::invalid(
            "quota",
            "the quota must be between 0 and 100000",
        ));
    }
    let mut tx = pool.begin().await?;
    let account = db::accounts::by_id(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    db::accounts::set_quota(&mut tx, id, quota).await?;
    let detail = format!("quota={quota}");
    operator
        .log_on(&mut tx, id, Action::AccountQuota, &account.name, &detail)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates the first administrator when none exists; returns its name and
/// the generated password, which the caller prints once.
pub async fn ensure_first_admin(
    pool: &PgPool,
    config: &Config,
) -> Result<Option<(String, String)>, Error> {
    let name = AccountName::parse(&config.accounts.first_admin)
        .map_err(|e| Error::invalid("first_admin", e))?;
    let email = Email::parse(&config.accounts.first_admin_email)
        .map_err(|e| Error::invalid("first_admin_email", e))?;
    let secret = tokens::update_token();
    let hash = password::hash(secret.clone()).await?;
    let (name, email, hash, secret) = (&name, &email, &hash, &secret);
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool).await?;
        // Serialises concurrent first starts.
        sqlx::query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        if db::accounts::any_admin(&mut tx).await? {
            return Ok(None);
        }
        let account = db::accounts::create(
            &mut tx,
            &NewAccount {
                name,
                email,
                password_hash: hash,
                language: Language::En,
                is_admin: true,
                host_quota: i32::try_from(config.accounts.default_host_quota).unwrap_or(i32::MAX),
            },
        )
        .await
        .map_err(|e| match e {
            CreateAccountError::NameTaken => Error::Conflict(format!(
                "accounts.first_admin: an account named {name} exists but is no administrator"
            )),
            CreateAccountError::Db(e) => Error::Db(e),
        })?;
        let entry = NewEntry {
            account: Some(account.account_id()),
            actor: "system",
            action: Action::AccountCreate,
            target: &account.name,
            detail: "first administrator",
            source: None,
        };
        db::log::add(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Some((account.name, secret.clone())))
    })
    .await
}
