//! Two-factor use cases: enrolment (a pending secret, confirmed by a first
//! code, then recovery codes), the code step of a sign-in (throttled like
//! passwords, every failure logged), and switching 2FA off with password
//! and code. The clock is read here, once per check, and handed to the pure
//! rules in `domain::two_factor`.

use std::net::IpAddr;

use sqlx::PgPool;

use super::{Actor, Home};
use crate::{
    auth::totp_key::{Sealed, TotpKey},
    config::Config,
    db::{
        self,
        log::{Action, NewEntry, Who},
        scope::{FeedTx, Scope, System, Tx},
        two_factor::Credential,
    },
    domain::{
        accounts::AccountId,
        throttle::{Limits, blocked},
        tokens,
        two_factor::{self as rules, CodeError, TotpSecret},
    },
    error::{Conflict, Error, Invalid},
    mail,
};

/// Seconds since the Unix epoch.
fn unix_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

fn open_secret(
    key: &TotpKey,
    account: AccountId,
    credential: &Credential,
) -> Result<TotpSecret, Error> {
    let sealed = Sealed {
        nonce: credential.secret_nonce.clone(),
        ciphertext: credential.secret_ciphertext.clone(),
    };
    Ok(TotpSecret::from_bytes(key.open(account, &sealed)?))
}

/// The secret to enrol with: the pending one (so reloading the page shows
/// the same QR code), or a new one. A conflict when 2FA is on already.
pub async fn enrolment(
    pool: &PgPool,
    key: &TotpKey,
    home: Home,
    account: AccountId,
) -> Result<TotpSecret, Error> {
    let mut tx = Tx::begin(pool, home).await?;
    let secret = match db::two_factor::get(&mut tx, account).await? {
        Some(credential) if credential.enabled => Err(already_on()),
        Some(credential) => open_secret(key, account, &credential),
        None => {
            let secret = TotpSecret::generate();
            let sealed = key.seal(account, secret.as_bytes())?;
            if db::two_factor::put_pending(&mut tx, account, &sealed.nonce, &sealed.ciphertext)
                .await?
            {
                Ok(secret)
            } else {
                Err(already_on())
            }
        }
    }?;
    tx.commit().await?;
    Ok(secret)
}

fn already_on() -> Error {
    Conflict::TwoFactorOn.into()
}

/// Switches 2FA on with the first correct code of the pending secret and
/// returns ten recovery codes (shown once, stored as SHA-256). Needs the
/// password again (or a fresh reset): a stolen session must not bind the
/// account to the thief's authenticator. Every session of the account ends:
/// they were opened with the password alone.
pub async fn confirm_enrolment(
    pool: &PgPool,
    config: &Config,
    key: &TotpKey,
    actor: &Actor,
    proof: super::accounts::Reauthentication<'_>,
    code: &str,
) -> Result<Vec<String>, Error> {
    super::accounts::reauthenticate(pool, config, actor, proof).await?;
    // dnsd learns of the switch in the same transaction (`switched`).
    let mut tx = FeedTx::begin(pool, actor.home).await?;
    let credential = db::two_factor::get(&mut tx, actor.account)
        .await?
        .ok_or(Conflict::NoEnrolment)?;
    if credential.enabled {
        return Err(already_on());
    }
    let secret = open_secret(key, actor.account, &credential)?;
    let accepted = match rules::verify(&secret, code, unix_now(), credential.last_used_step) {
        Ok(step) => db::two_factor::use_step(&mut tx, actor.account, step, true).await?,
        Err(_) => false,
    };
    if !accepted {
        drop(tx);
        let mut tx = Tx::begin(pool, actor.home).await?;
        db::log::add(
            &mut tx,
            &actor.entry(Action::TwoFactorFailure, &actor.name, "enrolment"),
        )
        .await?;
        tx.commit().await?;
        return Err(wrong_code());
    }
    let codes = rules::recovery_codes();
    let hashes: Vec<_> = codes
        .iter()
        .map(|c| tokens::hash(&rules::normalize_recovery_code(c)))
        .collect();
    db::two_factor::replace_recovery_codes(&mut tx, actor.account, &hashes).await?;
    // Sessions opened with the password alone end; the caller gives the
    // current one a new id.
    db::sessions::delete_for_account(&mut tx, actor.account, None).await?;
    switched(&mut tx, actor, true).await?;
    tx.commit().await?;
    Ok(codes)
}

fn wrong_code() -> Error {
    Invalid::Code.into()
}

/// Logs that 2FA was switched on or off, queues the notice mail to the
/// account's address, so a change the owner did not make is noticed, and
/// republishes the account: dnsd refuses account-mode updates with 2FA on.
async fn switched(tx: &mut FeedTx<impl Scope>, actor: &Actor, enabled: bool) -> Result<(), Error> {
    let action = if enabled {
        Action::TwoFactorEnable
    } else {
        Action::TwoFactorDisable
    };
    db::log::add(tx, &actor.entry(action, &actor.name, "")).await?;
    let account = db::accounts::by_id(tx, actor.account)
        .await?
        .ok_or(Error::NotFound)?;
    let (subject, body) =
        mail::texts::two_factor_changed(account.language(), &account.name, enabled);
    db::mail::enqueue(tx, &account.email, subject, &body).await?;
    db::accounts::publish(tx, &account).await?;
    Ok(())
}

/// How the second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Code,
    /// A recovery code, now used up; `left` remain.
    RecoveryCode {
        left: i64,
    },
}

/// Why a second factor was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CodeCheckError {
    #[error("the code is wrong or was used already")]
    Wrong,
    #[error("too many failed codes; try again later")]
    Throttled,
    #[error(transparent)]
    Other(#[from] Error),
}

impl From<sqlx::Error> for CodeCheckError {
    fn from(e: sqlx::Error) -> Self {
        CodeCheckError::Other(e.into())
    }
}

impl From<CodeCheckError> for Error {
    fn from(e: CodeCheckError) -> Self {
        match e {
            CodeCheckError::Wrong => wrong_code(),
            CodeCheckError::Throttled => Error::TooManyRequests,
            CodeCheckError::Other(e) => e,
        }
    }
}

/// The account whose second factor is checked.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub account: AccountId,
    pub name: &'a str,
    pub source: Option<IpAddr>,
    /// Where the account's log entries go.
    pub home: Home,
}

impl Subject<'_> {
    fn entry<'a>(&'a self, action: Action, detail: &'a str) -> NewEntry<'a> {
        let (tenant, reseller) = self.home.log_owner();
        NewEntry {
            account: Some(self.account),
            tenant,
            reseller,
            actor: Who::named(self.name),
            action,
            target: self.name,
            detail,
            source: self.source,
        }
    }
}

/// Checks a TOTP code or a recovery code of an account with 2FA. Throttled
/// per account and per source like passwords (failed codes in the action
/// log), under the throttle's locks until the failure is logged, so
/// concurrent guesses cannot pass on one count; every failure and every
/// used recovery code is logged.
pub async fn check(
    pool: &PgPool,
    config: &Config,
    key: &TotpKey,
    who: Subject<'_>,
    input: &str,
) -> Result<Proof, CodeCheckError> {
    // Before the sign-in is complete nobody is known: system scope.
    let mut tx = Tx::begin(pool, System).await?;
    let counts = db::log::lock_and_count(
        &mut tx,
        &[Action::TwoFactorFailure],
        Some(who.name),
        who.source,
        config.accounts.signin_window_minutes,
    )
    .await?;
    let limits = Limits {
        per_name: config.accounts.signin_failures_per_account,
        per_source: config.accounts.signin_failures_per_source,
        window_minutes: config.accounts.signin_window_minutes,
    };
    if blocked(limits, counts) {
        db::log::add_throttled(&mut tx, &who.entry(Action::TwoFactorThrottled, "")).await?;
        tx.commit().await?;
        return Err(CodeCheckError::Throttled);
    }
    // A linked account's second factor is its reseller user's (delegated
    // 2FA): the code, its replay guard and the recovery codes are that
    // user's.
    let owner = db::accounts::by_id(&mut tx, who.account)
        .await?
        .and_then(|a| a.linked_reseller_user_id)
        .map_or(who.account, AccountId);
    let credential = db::two_factor::get(&mut tx, owner)
        .await?
        .filter(|c| c.enabled);
    let failure = match credential {
        None => "2FA is off",
        Some(credential) if rules::is_totp_shaped(input) => {
            let secret = open_secret(key, owner, &credential)?;
            match rules::verify(&secret, input, unix_now(), credential.last_used_step) {
                Ok(step) if db::two_factor::use_step(&mut tx, owner, step, false).await? => {
                    tx.commit().await?;
                    return Ok(Proof::Code);
                }
                Ok(_) | Err(CodeError::Replayed) => "code used already",
                Err(CodeError::Wrong) => "wrong code",
            }
        }
        Some(_) => {
            let hash = tokens::hash(&rules::normalize_recovery_code(input));
            if db::two_factor::use_recovery_code(&mut tx, owner, &hash).await? {
                let left = db::two_factor::recovery_codes_left(&mut tx, owner).await?;
                let detail = format!("{left} left");
                db::log::add(&mut tx, &who.entry(Action::RecoveryCodeUse, &detail)).await?;
                tx.commit().await?;
                return Ok(Proof::RecoveryCode { left });
            }
            "wrong recovery code"
        }
    };
    db::log::add(&mut tx, &who.entry(Action::TwoFactorFailure, failure)).await?;
    tx.commit().await?;
    Err(CodeCheckError::Wrong)
}

/// The second step of a sign-in: the code (or a recovery code) of an account
/// whose password was right. Logs the completed sign-in.
pub async fn signin_second_step(
    pool: &PgPool,
    config: &Config,
    key: &TotpKey,
    who: Subject<'_>,
    input: &str,
) -> Result<Proof, CodeCheckError> {
    let proof = check(pool, config, key, who, input).await?;
    let detail = match proof {
        Proof::Code => "with TOTP code",
        Proof::RecoveryCode { .. } => "with recovery code",
    };
    let mut tx = Tx::begin(pool, System).await?;
    db::log::add(&mut tx, &who.entry(Action::SigninSuccess, detail)).await?;
    tx.commit().await?;
    Ok(proof)
}

/// Switches 2FA off (to turn it off, or to enrol a new device) after the
/// password and a code or recovery code.
pub async fn disable(
    pool: &PgPool,
    config: &Config,
    key: &TotpKey,
    actor: &Actor,
    password_input: &str,
    code: &str,
) -> Result<(), Error> {
    super::accounts::verify_current_password(pool, config, actor, password_input).await?;
    let who = Subject {
        account: actor.account,
        name: &actor.name,
        source: actor.source,
        home: actor.home,
    };
    check(pool, config, key, who, code).await?;
    let mut tx = FeedTx::begin(pool, actor.home).await?;
    db::two_factor::delete(&mut tx, actor.account).await?;
    switched(&mut tx, actor, false).await?;
    tx.commit().await?;
    Ok(())
}
