//! Account use cases: sign-up, sign-in (standalone accounts, tenant users
//! with their tenant domain, reseller users) with throttling, password reset
//! by mail (throttled too), profile and password changes (the current
//! password checked through the same throttle), the first administrator.

use std::net::IpAddr;

use sqlx::PgPool;

use super::{Actor, Home, retrying};
use crate::{
    auth::password,
    config::Config,
    db::{
        self,
        accounts::{Account, CreateAccountError, NewAccount, SigninRealm},
        log::{Action, NewEntry, Who},
        scope::{FeedTx, Operator, Scope, System, Tx},
    },
    domain::{
        accounts::{AccountId, AccountName, Email, Language, check_password},
        tenants::{self, TenantId},
        throttle::{Limits, blocked},
        tokens,
    },
    error::{Conflict, Error, Invalid},
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

fn name_taken(e: CreateAccountError) -> Error {
    match e {
        CreateAccountError::NameTaken => Conflict::NameTaken.into(),
        CreateAccountError::Db(e) => Error::Db(e),
    }
}

/// Creates a standalone account (with its tenant) and the default quota.
pub async fn signup(pool: &PgPool, config: &Config, input: Signup<'_>) -> Result<Account, Error> {
    let name = &AccountName::parse(input.name)?;
    let email = &Email::parse(input.email)?;
    check_password(input.password)?;
    let hash = &password::hash(input.password.to_owned()).await?;
    let quota = i32::try_from(config.accounts.default_host_quota).unwrap_or(i32::MAX);
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, System).await?;
        let new = NewAccount {
            name,
            email,
            password_hash: hash,
            language: input.language,
            is_admin: false,
            host_quota: quota,
        };
        let account = db::accounts::create(&mut tx, &new)
            .await
            .map_err(name_taken)?;
        let entry = NewEntry {
            account: Some(account.account_id()),
            tenant: account.tenant(),
            reseller: None,
            actor: Who::named(&account.name),
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

/// Why a sign-in did not succeed. The answer is the same for unknown names,
/// unknown tenant domains, another tenant's user, wrong passwords and
/// disabled accounts.
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    #[error("wrong name or password")]
    Failed,
    #[error("too many failed attempts; try again later")]
    Throttled,
    /// The account is linked to a reseller account: its own password no
    /// longer signs in (said only after the right password).
    #[error("the account is linked to a reseller account")]
    Linked,
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

/// Where a sign-in comes from: which portal, and for a tenant's portal the
/// tenant domain as typed.
#[derive(Debug, Clone, Copy)]
pub enum Portal<'a> {
    Standalone,
    Reseller,
    Tenant {
        domain: &'a str,
    },
    /// "Sign in with reseller account": a reseller user's credentials (and
    /// second factor) sign in to the dynamic-DNS account linked to it.
    Linked,
}

/// The throttle counts failures by the name as the sign-in named it: a
/// tenant user as `name@domain`, so names of different tenants do not share
/// a counter, and a guessed domain counts like a guessed password.
fn signin_target(portal: Portal<'_>, name: &str) -> String {
    match portal {
        Portal::Tenant { domain } => {
            let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            format!("{name}@{}", domain.chars().take(253).collect::<String>())
        }
        Portal::Standalone | Portal::Reseller | Portal::Linked => name.to_owned(),
    }
}

/// The sign-in throttle of the configuration.
fn signin_limits(config: &Config) -> Limits {
    Limits {
        per_name: config.accounts.signin_failures_per_account,
        per_source: config.accounts.signin_failures_per_source,
        window_minutes: config.accounts.signin_window_minutes,
    }
}

/// A password check recorded as [`Action::SigninAttempt`] before argon2
/// runs: concurrent checks count it, so a burst of guesses cannot all pass
/// the throttle on the same count. The caller settles it with the outcome.
#[derive(Debug)]
#[must_use = "an attempt stays counted until it is settled"]
struct Attempt {
    id: i64,
    ok: bool,
}

/// Checks `input` against `phc` (or the decoy) behind the sign-in throttle:
/// counts recent failures and attempts in flight for the entry's target and
/// source (under their locks), refuses when either is at its limit (logged
/// as `signin.throttled`, at most once a minute per name and per source),
/// else records the attempt, lets the connection go and runs argon2.
async fn checked_password(
    pool: &PgPool,
    limits: Limits,
    entry: NewEntry<'_>,
    input: &str,
    phc: Option<String>,
) -> Result<Attempt, SigninError> {
    let mut tx = Tx::begin(pool, System).await?;
    let counts = db::log::lock_and_count(
        &mut tx,
        &[Action::SigninFailure, Action::SigninAttempt],
        Some(entry.target),
        entry.source,
        limits.window_minutes,
    )
    .await?;
    if blocked(limits, counts) {
        let throttled = NewEntry {
            action: Action::SigninThrottled,
            ..entry.clone()
        };
        db::log::add_throttled(&mut tx, &throttled).await?;
        tx.commit().await?;
        return Err(SigninError::Throttled);
    }
    let attempt = NewEntry {
        action: Action::SigninAttempt,
        ..entry
    };
    let id = db::log::add_returning(&mut tx, &attempt).await?;
    // The connection goes back to the pool while argon2 runs.
    tx.commit().await?;
    match password::verify(input.to_owned(), phc).await {
        Ok(ok) => Ok(Attempt { id, ok }),
        Err(error) => {
            // Never checked (no argon2 slot in time): it does not count.
            let mut tx = Tx::begin(pool, System).await?;
            db::log::settle(&mut tx, id, None).await?;
            tx.commit().await?;
            Err(error.into())
        }
    }
}

/// Checks a sign-in's password and logs it (success — or, with 2FA, the
/// passed first step — failure or throttled). The attempt is looked up and
/// counted before anyone is known: system scope.
pub async fn signin(
    pool: &PgPool,
    config: &Config,
    portal: Portal<'_>,
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
    let target = signin_target(portal, &name);
    let mut tx = Tx::begin(pool, System).await?;
    let account = match portal {
        Portal::Standalone => {
            db::accounts::for_signin(&mut tx, SigninRealm::Standalone, &name).await?
        }
        Portal::Reseller | Portal::Linked => {
            db::accounts::for_signin(&mut tx, SigninRealm::Reseller, &name).await?
        }
        Portal::Tenant { domain } => {
            match tenants::customer_number_of(domain, &config.tenants.domain_suffix) {
                Ok(number) => {
                    db::accounts::for_signin(&mut tx, SigninRealm::Tenant(&number), &name).await?
                }
                Err(_) => None,
            }
        }
    };
    tx.commit().await?;
    let entry = NewEntry {
        account: account.as_ref().map(Account::account_id),
        tenant: account.as_ref().and_then(Account::tenant),
        reseller: account.as_ref().and_then(Account::reseller),
        actor: Who::named(&target),
        action: Action::SigninAttempt,
        target: &target,
        detail: "",
        source,
    };
    let attempt = checked_password(
        pool,
        signin_limits(config),
        entry,
        password_input,
        account.as_ref().map(|a| a.password_hash.clone()),
    )
    .await?;
    let mut tx = Tx::begin(pool, System).await?;
    // Through a reseller user: the account linked to it (whose second
    // factor is the reseller user's, required).
    let account = match (portal, account) {
        (Portal::Linked, Some(user)) if attempt.ok => {
            let linked = db::accounts::linked_to(&mut tx, user.account_id()).await?;
            let has_code = db::two_factor::is_enabled(&mut tx, user.account_id()).await?;
            linked.filter(|_| user.enabled && has_code)
        }
        (Portal::Linked, _) => None,
        (_, account) => account,
    };
    let result = match account {
        Some(ref found)
            if attempt.ok
                && found.linked_reseller_user_id.is_some()
                && !matches!(portal, Portal::Linked) =>
        {
            db::log::settle(&mut tx, attempt.id, Some(Action::SigninFailure)).await?;
            Err(SigninError::Linked)
        }
        Some(ref found) if attempt.ok && found.enabled => {
            let needs_code = matches!(portal, Portal::Linked)
                || db::two_factor::is_enabled(&mut tx, found.account_id()).await?;
            let action = if needs_code {
                Action::SigninPassword
            } else {
                Action::SigninSuccess
            };
            db::log::settle(&mut tx, attempt.id, Some(action)).await?;
            Ok(PasswordOk {
                account: found.clone(),
                needs_code,
            })
        }
        _ => {
            db::log::settle(&mut tx, attempt.id, Some(Action::SigninFailure)).await?;
            Err(SigninError::Failed)
        }
    };
    tx.commit().await?;
    result
}

/// Checks the signed-in actor's current password (a linked account: its
/// reseller user's) (before a password change,
/// a change of the e-mail address, 2FA enrolment or switching it off):
/// behind the sign-in throttle, counted by the account's name, so a stolen
/// session cannot try passwords at argon2's speed. A wrong password is
/// logged as `signin.failure` ("current password").
pub async fn verify_current_password(
    pool: &PgPool,
    config: &Config,
    actor: &Actor,
    input: &str,
) -> Result<(), Error> {
    let account = own_account(pool, actor).await?;
    // A linked account's password is its reseller user's (its own no
    // longer signs in).
    let phc = match account.linked_reseller_user_id {
        Some(user) => {
            let mut tx = Tx::begin(pool, System).await?;
            let user = db::accounts::by_id(&mut tx, AccountId(user)).await?;
            user.map(|u| u.password_hash)
        }
        None => Some(account.password_hash.clone()),
    };
    let entry = actor.entry(Action::SigninAttempt, &account.name, "current password");
    let attempt = checked_password(pool, signin_limits(config), entry, input, phc)
        .await
        .map_err(|e| match e {
            SigninError::Throttled => Error::TooManyRequests,
            SigninError::Failed | SigninError::Linked => Invalid::CurrentPassword.into(),
            SigninError::Other(e) => e,
        })?;
    let outcome = (!attempt.ok).then_some(Action::SigninFailure);
    let mut tx = Tx::begin(pool, System).await?;
    // A right password leaves no entry of its own: the change it allows is
    // logged by its use case.
    db::log::settle(&mut tx, attempt.id, outcome).await?;
    tx.commit().await?;
    if attempt.ok {
        Ok(())
    } else {
        Err(Invalid::CurrentPassword.into())
    }
}

/// How a signed-in actor proves again that it is the account's owner before
/// a change that a stolen session alone must not make (2FA enrolment).
#[derive(Debug, Clone, Copy)]
pub enum Reauthentication<'a> {
    /// The current password, as typed.
    Password(&'a str),
    /// The session was opened minutes ago by setting the password through a
    /// reset link (`sessions.password_set_at`): the user just chose it, the
    /// link proved the mailbox, and asking again would prove nothing more.
    FreshReset,
}

/// Checks a [`Reauthentication`]: the password behind the throttle, or
/// nothing more for a fresh reset.
pub async fn reauthenticate(
    pool: &PgPool,
    config: &Config,
    actor: &Actor,
    proof: Reauthentication<'_>,
) -> Result<(), Error> {
    match proof {
        Reauthentication::Password(input) => {
            verify_current_password(pool, config, actor, input).await
        }
        Reauthentication::FreshReset => Ok(()),
    }
}

/// The link to a reset page (or a new user's first-password page).
fn reset_link(config: &Config, token: &str) -> String {
    format!(
        "{}/reset/{token}",
        config.http.public_url.trim_end_matches('/')
    )
}

/// Sends a reset link to every enabled account whose name or e-mail address is
/// `who`; the answer is the same whether or not any exists. Mail flooding is
/// bounded twice: per source (every request counts, known names or not, so
/// the 429 tells nothing) and per account (past its limit no mail is sent,
/// silently). A new link replaces the account's open ones: only the newest
/// mail works, so a lost mail is fixed by asking again.
pub async fn request_reset(
    pool: &PgPool,
    config: &Config,
    who: &str,
    source: Option<IpAddr>,
) -> Result<(), Error> {
    let who = who.trim();
    let typed = who.chars().take(254).collect::<String>();
    let a = &config.accounts;
    let window = a.reset_window_minutes;
    let mut tx = Tx::begin(pool, System).await?;
    let (_, by_source) = db::log::lock_and_count(
        &mut tx,
        &[Action::PasswordResetRequest, Action::PasswordResetRefused],
        None,
        source,
        window,
    )
    .await?;
    fn entry<'a>(
        account: Option<&'a Account>,
        typed: &'a str,
        action: Action,
        source: Option<IpAddr>,
    ) -> NewEntry<'a> {
        NewEntry {
            account: account.map(Account::account_id),
            tenant: account.and_then(Account::tenant),
            reseller: account.and_then(Account::reseller),
            actor: Who::named("-"),
            action,
            target: account.map_or(typed, |a| &a.name),
            detail: "",
            source,
        }
    }
    if by_source >= i64::from(a.reset_requests_per_source) {
        let throttled = entry(None, &typed, Action::PasswordResetThrottled, source);
        db::log::add_throttled(&mut tx, &throttled).await?;
        tx.commit().await?;
        return Err(Error::TooManyRequests);
    }
    let mut accounts = db::accounts::enabled_by_email(&mut tx, who).await?;
    if let Some(account) =
        db::accounts::standalone_by_name(&mut tx, &who.to_ascii_lowercase()).await?
        && account.enabled
        && !accounts.iter().any(|a| a.id == account.id)
    {
        accounts.push(account);
    }
    if accounts.is_empty() {
        // Counted per source like a request for a known name.
        let nobody = entry(None, &typed, Action::PasswordResetRequest, source);
        db::log::add(&mut tx, &nobody).await?;
    }
    // In id order: the per-account locks are taken in one order.
    accounts.sort_by_key(|a| a.id);
    for account in &accounts {
        let sent = db::log::lock_and_count_for_account(
            &mut tx,
            Action::PasswordResetRequest,
            account.account_id(),
            window,
        )
        .await?;
        if sent >= i64::from(a.reset_requests_per_account) {
            let refused = entry(Some(account), &typed, Action::PasswordResetRefused, source);
            db::log::add(&mut tx, &refused).await?;
            continue;
        }
        db::resets::revoke_open(&mut tx, account.account_id()).await?;
        let token = tokens::random_secret();
        let hash = tokens::hash(&token);
        db::resets::create(
            &mut tx,
            account.account_id(),
            &hash,
            db::resets::LIFETIME_SECS,
        )
        .await?;
        let link = reset_link(config, &token);
        let (subject, body) = mail::texts::reset(account.language(), &account.name, &link);
        db::mail::enqueue(&mut tx, &account.email, subject, &body).await?;
        let sent = entry(Some(account), &typed, Action::PasswordResetRequest, source);
        db::log::add(&mut tx, &sent).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queues the mail a new user gets: a link to choose the first password,
/// and where to sign in afterwards.
pub async fn send_welcome(
    tx: &mut Tx<impl Scope>,
    config: &Config,
    user: &Account,
    organisation: &str,
    sign_in: &str,
) -> Result<(), Error> {
    let token = tokens::random_secret();
    let hash = tokens::hash(&token);
    db::resets::create(
        tx,
        user.account_id(),
        &hash,
        db::resets::WELCOME_LIFETIME_SECS,
    )
    .await?;
    let link = reset_link(config, &token);
    let sign_in = format!("{}{sign_in}", config.http.public_url.trim_end_matches('/'));
    let (subject, body) =
        mail::texts::welcome(user.language(), &user.name, organisation, &sign_in, &link);
    db::mail::enqueue(tx, &user.email, subject, &body).await?;
    Ok(())
}

/// Queues the mail that lets an account whose link to a reseller account
/// was released choose a new password (a single-use link, 72 hours).
pub async fn send_password_link(
    tx: &mut Tx<impl Scope>,
    config: &Config,
    account: &Account,
) -> Result<(), Error> {
    let token = tokens::random_secret();
    db::resets::create(
        tx,
        account.account_id(),
        &tokens::hash(&token),
        db::resets::WELCOME_LIFETIME_SECS,
    )
    .await?;
    let link = reset_link(config, &token);
    let (subject, body) = mail::texts::unlinked(account.language(), &account.name, &link);
    db::mail::enqueue(tx, &account.email, subject, &body).await?;
    Ok(())
}

/// Whether a reset link is still usable (for showing its form).
pub async fn reset_link_valid(pool: &PgPool, token: &str) -> Result<bool, Error> {
    let mut tx = Tx::begin(pool, System).await?;
    Ok(db::resets::peek(&mut tx, &tokens::hash(token))
        .await?
        .is_some())
}

/// What a reset link did: whose password it set, and whether the account
/// has 2FA (then the next sign-in asks for the code as always).
#[derive(Debug, Clone)]
pub struct ResetDone {
    pub account: Account,
    pub two_factor: bool,
    /// The sign-in page of the account's portal.
    pub sign_in: String,
}

/// The sign-in page of an account's portal.
async fn sign_in_path(
    tx: &mut Tx<impl Scope>,
    config: &Config,
    account: &Account,
) -> Result<String, Error> {
    Ok(match account.kind() {
        db::accounts::Kind::Standalone => crate::paths::LOGIN.to_owned(),
        db::accounts::Kind::ResellerUser => crate::paths::RESELLER_LOGIN.to_owned(),
        db::accounts::Kind::TenantUser => {
            let tenant = match account.tenant() {
                Some(tenant) => db::tenants::get(tx, tenant).await?,
                None => None,
            }
            .ok_or(Error::NotFound)?;
            let number = tenant.customer_number.unwrap_or_default();
            crate::paths::tenant_login_at(&tenants::domain(&number, &config.tenants.domain_suffix))
        }
    })
}

/// Sets a new password through a reset link; the link (and every other of the
/// account) stops working, and every session of the account ends. The link
/// is checked before argon2 runs: a made-up link costs no hashing.
pub async fn reset_password(
    pool: &PgPool,
    config: &Config,
    token: &str,
    new_password: &str,
    source: Option<IpAddr>,
) -> Result<ResetDone, Error> {
    check_password(new_password)?;
    if !reset_link_valid(pool, token).await? {
        return Err(Error::NotFound);
    }
    let hash = &password::hash(new_password.to_owned()).await?;
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, System).await?;
        let account = db::resets::consume(&mut tx, &tokens::hash(token))
            .await?
            .ok_or(Error::NotFound)?;
        db::accounts::set_password(&mut tx, account, hash).await?;
        db::sessions::delete_for_account(&mut tx, account, None).await?;
        let account = db::accounts::by_id(&mut tx, account)
            .await?
            .ok_or(Error::NotFound)?;
        let entry = NewEntry {
            account: Some(account.account_id()),
            tenant: account.tenant(),
            reseller: account.reseller(),
            actor: Who::named(&account.name),
            action: Action::PasswordReset,
            target: &account.name,
            detail: "",
            source,
        };
        db::log::add(&mut tx, &entry).await?;
        let two_factor = db::two_factor::is_enabled(&mut tx, account.account_id()).await?;
        let sign_in = sign_in_path(&mut tx, config, &account).await?;
        tx.commit().await?;
        Ok(ResetDone {
            account,
            two_factor,
            sign_in,
        })
    })
    .await
}

/// Changes the actor's password after checking the current one; the actor's
/// other sessions end.
pub async fn change_password(
    pool: &PgPool,
    config: &Config,
    actor: &Actor,
    keep_session: &tokens::SecretHash,
    current: &str,
    new_password: &str,
) -> Result<(), Error> {
    check_password(new_password).map_err(|_| Invalid::NewPassword)?;
    // A linked account has no password of its own to change: it signs in
    // with its reseller account's, changed in the reseller portal.
    if own_account(pool, actor)
        .await?
        .linked_reseller_user_id
        .is_some()
    {
        return Err(Error::Forbidden);
    }
    verify_current_password(pool, config, actor, current).await?;
    let hash = &password::hash(new_password.to_owned()).await?;
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, actor.home).await?;
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

/// The actor's own account, read in its home scope.
pub async fn own_account(pool: &PgPool, actor: &Actor) -> Result<Account, Error> {
    let mut tx = Tx::begin(pool, actor.home).await?;
    db::accounts::by_id(&mut tx, actor.account)
        .await?
        .ok_or(Error::Unauthorized)
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
        return Err(Invalid::DisableSelf.into());
    }
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, Operator).await?;
        let account = db::accounts::set_enabled(&mut tx, id, enabled)
            .await?
            .ok_or(Error::NotFound)?;
        let action = if enabled {
            Action::AccountEnable
        } else {
            Action::AccountDisable
        };
        match account.tenant() {
            Some(tenant) => {
                operator
                    .log_on(&mut tx, tenant, action, &account.name, "")
                    .await?
            }
            None => {
                let entry = NewEntry {
                    reseller: account.reseller(),
                    ..operator.entry(action, &account.name, "")
                };
                db::log::add(&mut tx, &entry).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Operator action: sets a standalone tenant's host quota.
pub async fn set_quota(
    pool: &PgPool,
    operator: &Actor,
    tenant: TenantId,
    quota: i32,
) -> Result<(), Error> {
    if !(0..=100_000).contains(&quota) {
        return Err(Invalid::Quota.into());
    }
    let mut tx = Tx::begin(pool, Operator).await?;
    let row = db::tenants::get(&mut tx, tenant)
        .await?
        .ok_or(Error::NotFound)?;
    if !db::tenants::set_quota(&mut tx, tenant, quota).await? {
        return Err(Error::NotFound);
    }
    let detail = format!("quota={quota}");
    operator
        .log_on(&mut tx, tenant, Action::AccountQuota, &row.name, &detail)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates the first administrator when none exists; returns it and the
/// generated password, which the caller prints once.
pub async fn ensure_first_admin(
    pool: &PgPool,
    config: &Config,
) -> Result<Option<(Account, String)>, Error> {
    let name = &AccountName::parse(&config.accounts.first_admin)
        .map_err(|e| anyhow::anyhow!("accounts.first_admin: {e}"))?;
    let email = &Email::parse(&config.accounts.first_admin_email)
        .map_err(|e| anyhow::anyhow!("accounts.first_admin_email: {e}"))?;
    let secret = &tokens::update_token();
    let hash = &password::hash(secret.clone()).await?;
    retrying(|| async move {
        let mut tx = FeedTx::begin(pool, System).await?;
        // Serialises concurrent first starts.
        sqlx::query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
            .execute(tx.conn())
            .await?;
        if db::accounts::any_admin(&mut tx).await? {
            return Ok(None);
        }
        let new = NewAccount {
            name,
            email,
            password_hash: hash,
            language: Language::En,
            is_admin: true,
            host_quota: i32::try_from(config.accounts.default_host_quota).unwrap_or(i32::MAX),
        };
        let account = db::accounts::create(&mut tx, &new)
            .await
            .map_err(|e| match e {
                CreateAccountError::NameTaken => Conflict::FirstAdminNotOperator.into(),
                CreateAccountError::Db(e) => Error::Db(e),
            })?;
        let entry = NewEntry {
            account: Some(account.account_id()),
            tenant: account.tenant(),
            reseller: None,
            actor: Who::named("system"),
            action: Action::AccountCreate,
            target: &account.name,
            detail: db::log::detail::FIRST_ADMIN,
            source: None,
        };
        db::log::add(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Some((account, secret.clone())))
    })
    .await
}

/// The home scope of an account (where its own data lives).
pub fn home_of(account: &Account) -> Option<Home> {
    match (account.tenant(), account.reseller()) {
        (Some(tenant), _) => Some(Home::Tenant(tenant)),
        (None, Some(reseller)) => Some(Home::Reseller(reseller)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::db::testing::TestDb;

    fn config() -> Config {
        let text = "data_dir = \"/nonexistent\"\n[http]\nlisten = \"127.0.0.1:0\"\n\
                    public_url = \"http://x\"\n[hosts]\nzones = [\"dyn.example\"]\n\
                    [mail]\nfrom = \"a@b.c\"\nmail_dir = \"m\"\n";
        Config::parse_with_env(text, []).unwrap()
    }

    #[tokio::test]
    async fn argon2_is_waited_for_without_a_connection_and_a_made_up_reset_link_costs_none() {
        let db = TestDb::new().await;
        let hash = password::hash(PASSWORD.into()).await.unwrap();
        let account = db.standalone("waiter", 1).await;
        let mut tx = FeedTx::begin(&db.app, System).await.unwrap();
        db::accounts::set_password(&mut tx, account.account_id(), &hash)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // One connection in all, and every argon2 slot taken.
        let pool = db::connect_as_app(db.url(), 1).await.unwrap();
        let config = config();
        let slots = crate::auth::password::slots();
        let held = slots
            .acquire_many(u32::try_from(slots.available_permits()).unwrap())
            .await
            .unwrap();
        // A link nobody was sent is refused before any hashing.
        let made_up = tokio::time::timeout(
            Duration::from_secs(2),
            reset_password(&pool, &config, "made-up", "a long new password", None),
        )
        .await
        .expect("no wait for argon2");
        assert!(matches!(made_up, Err(Error::NotFound)));
        // A sign-in records its attempt, then waits for a slot with no
        // connection: the pool's one connection stays free meanwhile.
        let signin = tokio::spawn({
            let (pool, config) = (pool.clone(), config.clone());
            async move {
                let portal = Portal::Standalone;
                signin(&pool, &config, portal, "waiter", PASSWORD, None).await
            }
        });
        let recorded = async {
            loop {
                let mut tx = Tx::begin(&pool, System).await.unwrap();
                let attempts: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM action_log WHERE action = 'signin.attempt'",
                )
                .fetch_one(tx.conn())
                .await
                .unwrap();
                tx.commit().await.unwrap();
                if attempts == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), recorded)
            .await
            .expect("the attempt is recorded while argon2 waits, and the pool is free");
        assert!(!signin.is_finished());
        drop(held);
        let ok = signin.await.unwrap().expect("right password");
        assert!(!ok.needs_code);
        let mut tx = Tx::begin(&pool, System).await.unwrap();
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM action_log ORDER BY id")
            .fetch_all(tx.conn())
            .await
            .unwrap();
        assert_eq!(actions, ["signin.success"], "the attempt settled");
    }

    const PASSWORD: &str = "correct horse battery";
}
