//! The action log: every change and every sign-in attempt.

use std::net::IpAddr;

use time::OffsetDateTime;

use super::scope::{Reseller, Scope, System, Tenant, Tx};
use crate::domain::{
    accounts::AccountId,
    tenants::{ResellerId, TenantId},
};

/// What was done. The codes are stable: exports and filters use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SigninSuccess,
    SigninFailure,
    SigninThrottled,
    /// A password check in flight: counted like a failure until it is
    /// settled (so concurrent guesses cannot all pass the throttle).
    SigninAttempt,
    Signout,
    Signup,
    PasswordChange,
    /// A reset mail was sent (or, without an account, a request for a name
    /// nobody has: counted per source alike).
    PasswordResetRequest,
    /// The account had its reset mails for the window: none was sent.
    PasswordResetRefused,
    /// Too many reset requests from one source.
    PasswordResetThrottled,
    PasswordReset,
    ProfileChange,
    /// A new e-mail address was asked for; the link went there.
    EmailChangeRequest,
    /// The new address confirmed its link and became the account's.
    EmailChange,
    HostCreate,
    HostUpdate,
    HostEnable,
    HostDisable,
    HostDelete,
    HostMoveOut,
    HostMoveIn,
    TokenCreate,
    TokenExchange,
    TokenRevoke,
    ApiTokenCreate,
    ApiTokenRevoke,
    AccountEnable,
    AccountDisable,
    AccountQuota,
    AccountCreate,
    /// The password of an account with 2FA was right; the code comes next.
    SigninPassword,
    TwoFactorEnable,
    TwoFactorDisable,
    TwoFactorFailure,
    TwoFactorThrottled,
    RecoveryCodeUse,
    ResellerCreate,
    /// A user was added to a reseller or to a customer's tenant.
    UserCreate,
    UserRole,
    UserDeactivate,
    UserReactivate,
    /// A dynamic-DNS account was linked to a reseller user, or released.
    AccountLink,
    AccountUnlink,
    /// An operator registered an OAuth application.
    OauthClientCreate,
    /// A user authorized an application (a code was issued) or denied it.
    OauthAuthorize,
    OauthDeny,
    /// A user revoked an application's access.
    OauthRevoke,
    /// A code was presented a second time: what it granted was revoked.
    OauthReplay,
    CustomerCreate,
    CustomerUpdate,
    /// A reseller user opened a customer's tenant portal.
    CustomerOpen,
    LicenceCreate,
    LicenceUpdate,
    /// A licence's grace period ended (or it runs again after a renewal).
    LicenceGrace,
}

impl Action {
    /// Every action (the translation table has a text for each).
    pub const ALL: [Action; 54] = [
        Action::SigninSuccess,
        Action::SigninFailure,
        Action::SigninThrottled,
        Action::SigninAttempt,
        Action::Signout,
        Action::Signup,
        Action::PasswordChange,
        Action::PasswordResetRequest,
        Action::PasswordResetRefused,
        Action::PasswordResetThrottled,
        Action::PasswordReset,
        Action::ProfileChange,
        Action::EmailChangeRequest,
        Action::EmailChange,
        Action::HostCreate,
        Action::HostUpdate,
        Action::HostEnable,
        Action::HostDisable,
        Action::HostDelete,
        Action::HostMoveOut,
        Action::HostMoveIn,
        Action::TokenCreate,
        Action::TokenExchange,
        Action::TokenRevoke,
        Action::ApiTokenCreate,
        Action::ApiTokenRevoke,
        Action::AccountEnable,
        Action::AccountDisable,
        Action::AccountQuota,
        Action::AccountCreate,
        Action::SigninPassword,
        Action::TwoFactorEnable,
        Action::TwoFactorDisable,
        Action::TwoFactorFailure,
        Action::TwoFactorThrottled,
        Action::RecoveryCodeUse,
        Action::ResellerCreate,
        Action::UserCreate,
        Action::UserRole,
        Action::UserDeactivate,
        Action::UserReactivate,
        Action::AccountLink,
        Action::AccountUnlink,
        Action::OauthClientCreate,
        Action::OauthAuthorize,
        Action::OauthDeny,
        Action::OauthRevoke,
        Action::OauthReplay,
        Action::CustomerCreate,
        Action::CustomerUpdate,
        Action::CustomerOpen,
        Action::LicenceCreate,
        Action::LicenceUpdate,
        Action::LicenceGrace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::SigninSuccess => "signin.success",
            Action::SigninFailure => "signin.failure",
            Action::SigninThrottled => "signin.throttled",
            Action::SigninAttempt => "signin.attempt",
            Action::Signout => "signout",
            Action::Signup => "signup",
            Action::PasswordChange => "password.change",
            Action::PasswordResetRequest => "password.reset_request",
            Action::PasswordResetRefused => "password.reset_refused",
            Action::PasswordResetThrottled => "password.reset_throttled",
            Action::PasswordReset => "password.reset",
            Action::ProfileChange => "profile.change",
            Action::EmailChangeRequest => "email.change_request",
            Action::EmailChange => "email.change",
            Action::HostCreate => "host.create",
            Action::HostUpdate => "host.update",
            Action::HostEnable => "host.enable",
            Action::HostDisable => "host.disable",
            Action::HostDelete => "host.delete",
            Action::HostMoveOut => "host.move_out",
            Action::HostMoveIn => "host.move_in",
            Action::TokenCreate => "token.create",
            Action::TokenExchange => "token.exchange",
            Action::TokenRevoke => "token.revoke",
            Action::ApiTokenCreate => "api_token.create",
            Action::ApiTokenRevoke => "api_token.revoke",
            Action::AccountEnable => "account.enable",
            Action::AccountDisable => "account.disable",
            Action::AccountQuota => "account.quota",
            Action::AccountCreate => "account.create",
            Action::SigninPassword => "signin.password",
            Action::TwoFactorEnable => "2fa.enable",
            Action::TwoFactorDisable => "2fa.disable",
            Action::TwoFactorFailure => "2fa.failure",
            Action::TwoFactorThrottled => "2fa.throttled",
            Action::RecoveryCodeUse => "2fa.recovery_code",
            Action::ResellerCreate => "reseller.create",
            Action::UserCreate => "user.create",
            Action::UserRole => "user.role",
            Action::UserDeactivate => "user.deactivate",
            Action::UserReactivate => "user.reactivate",
            Action::AccountLink => "account.link",
            Action::AccountUnlink => "account.unlink",
            Action::OauthClientCreate => "oauth.client_create",
            Action::OauthAuthorize => "oauth.authorize",
            Action::OauthDeny => "oauth.deny",
            Action::OauthRevoke => "oauth.revoke",
            Action::OauthReplay => "oauth.code_replay",
            Action::CustomerCreate => "customer.create",
            Action::CustomerUpdate => "customer.update",
            Action::CustomerOpen => "customer.open",
            Action::LicenceCreate => "licence.create",
            Action::LicenceUpdate => "licence.update",
            Action::LicenceGrace => "licence.grace",
        }
    }
}

/// Details that are words, not values, are stored as codes (`@…`) and shown
/// in the reader's language (`i18n::Tr::detail`).
pub mod detail {
    pub const BULK: &str = "@bulk";
    pub const FIRST_ADMIN: &str = "@first_admin";
}

/// Who acted: an account's name, the reseller a reseller user acted for,
/// the API token it came through. The portal words the parts in the
/// reader's language.
#[derive(Debug, Clone, Copy, Default)]
pub struct Who<'a> {
    pub name: &'a str,
    pub reseller: Option<&'a str>,
    pub via: Option<&'a str>,
}

impl<'a> Who<'a> {
    /// Only a name (an account acting for itself, "system").
    pub fn named(name: &'a str) -> Self {
        Who {
            name,
            ..Who::default()
        }
    }
}

/// A new entry.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// The account the entry is about (sign-ins, profile changes), if any.
    pub account: Option<AccountId>,
    /// Whose log shows it: the tenant the action happened in (its reseller
    /// sees it too), else the reseller it belongs to; neither = operators
    /// only.
    pub tenant: Option<TenantId>,
    pub reseller: Option<ResellerId>,
    pub actor: Who<'a>,
    pub action: Action,
    pub target: &'a str,
    pub detail: &'a str,
    pub source: Option<IpAddr>,
}

/// Adds an entry; an entry in a tenant's log carries the tenant's reseller.
pub async fn add(tx: &mut Tx<impl Scope>, entry: &NewEntry<'_>) -> sqlx::Result<()> {
    add_returning(tx, entry).await.map(drop)
}

/// Adds an entry and returns its id.
pub async fn add_returning(tx: &mut Tx<impl Scope>, entry: &NewEntry<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO action_log (account_id, tenant_id, reseller_id, actor, actor_reseller,
                                 actor_via, action, target, detail, source_addr)
         VALUES ($1, $2, coalesce($3, (SELECT reseller_id FROM tenants WHERE id = $2)),
                 $4, $5, $6, $7, $8, $9, $10)
         RETURNING id",
    )
    .bind(entry.account.map(|a| a.0))
    .bind(entry.tenant.map(|t| t.0))
    .bind(entry.reseller.map(|r| r.0))
    .bind(entry.actor.name)
    .bind(entry.actor.reseller)
    .bind(entry.actor.via)
    .bind(entry.action.as_str())
    .bind(entry.target)
    .bind(entry.detail)
    .bind(entry.source)
    .fetch_one(tx.conn())
    .await
}

/// Adds a throttled entry unless one of the same action was added within the
/// last minute for the same target or from the same source: a client
/// hammering a throttle (rotating names, or sources) would otherwise write a
/// row per request.
pub async fn add_throttled(tx: &mut Tx<System>, entry: &NewEntry<'_>) -> sqlx::Result<()> {
    let recent: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM action_log
                        WHERE action = $1 AND at > now() - interval '1 minute'
                          AND (target = $2 OR source_net = spdyn_source_net($3)))",
    )
    .bind(entry.action.as_str())
    .bind(entry.target)
    .bind(entry.source)
    .fetch_one(tx.conn())
    .await?;
    if recent {
        return Ok(());
    }
    add(tx, entry).await
}

/// Settles an attempt recorded with [`Action::SigninAttempt`]: it becomes
/// `outcome`, or disappears with `None` (it was never checked).
pub async fn settle(
    tx: &mut Tx<System>,
    attempt: i64,
    outcome: Option<Action>,
) -> sqlx::Result<()> {
    let query = match outcome {
        Some(action) => sqlx::query(
            "UPDATE action_log SET action = $2 WHERE id = $1 AND action = 'signin.attempt'",
        )
        .bind(attempt)
        .bind(action.as_str()),
        None => sqlx::query("DELETE FROM action_log WHERE id = $1 AND action = 'signin.attempt'")
            .bind(attempt),
    };
    query.execute(tx.conn()).await.map(drop)
}

/// A stored entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub actor_reseller: Option<String>,
    pub actor_via: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub source_addr: Option<IpAddr>,
    /// The customer the entry belongs to, in a reseller's combined log.
    pub customer: Option<String>,
}

/// Which entries a reader asks for: by who acted (the account's name), by
/// action code, by time (`from` inclusive, `until` exclusive), and the page
/// (entries older than `before`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub before: Option<i64>,
}

const SELECT: &str = "SELECT l.id, l.at, l.actor, l.actor_reseller, l.actor_via, l.action,
                             l.target, l.detail, l.source_addr, t.name AS customer
                      FROM action_log l LEFT JOIN tenants t ON t.id = l.tenant_id";
const FILTERED: &str = "($2::text IS NULL OR l.actor = $2)
                        AND ($3::text IS NULL OR l.action = $3)
                        AND ($4::timestamptz IS NULL OR l.at >= $4)
                        AND ($5::timestamptz IS NULL OR l.at < $5)
                        AND ($6::bigint IS NULL OR l.id < $6)
                      ORDER BY l.id DESC LIMIT $7";

/// The tenant's entries, newest first.
pub async fn list(tx: &mut Tx<Tenant>, filter: &Filter, limit: i64) -> sqlx::Result<Vec<Entry>> {
    let tenant = tx.tenant();
    query(tx, "l.tenant_id = $1", tenant.0, filter, limit).await
}

/// The entries of all of a reseller's customers and of the reseller
/// itself, newest first, each with its customer.
pub async fn list_reseller(
    tx: &mut Tx<Reseller>,
    filter: &Filter,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    let reseller = tx.reseller();
    query(tx, "l.reseller_id = $1", reseller.0, filter, limit).await
}

async fn query(
    tx: &mut Tx<impl Scope>,
    owner: &str,
    id: i64,
    filter: &Filter,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {owner} AND {FILTERED}"
    )))
    .bind(id)
    .bind(filter.actor.as_deref())
    .bind(filter.action.as_deref())
    .bind(filter.from)
    .bind(filter.until)
    .bind(filter.before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// The names that acted in the tenant's log (the filter's choices).
pub async fn tenant_actors(tx: &mut Tx<Tenant>) -> sqlx::Result<Vec<String>> {
    let tenant = tx.tenant();
    actors(tx, "tenant_id = $1", tenant.0).await
}

/// The names that acted in a reseller's combined log.
pub async fn reseller_actors(tx: &mut Tx<Reseller>) -> sqlx::Result<Vec<String>> {
    let reseller = tx.reseller();
    actors(tx, "reseller_id = $1", reseller.0).await
}

async fn actors(tx: &mut Tx<impl Scope>, owner: &str, id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT actor FROM action_log WHERE {owner} ORDER BY actor LIMIT 500"
    )))
    .bind(id)
    .fetch_all(tx.conn())
    .await
}

/// Advisory-lock classes (the two-key form, apart from the feed lock's
/// one-key space) that serialise a throttle's count and the entry that
/// follows it: per name, per source, per account. Taken in this order only,
/// so two throttled checks cannot deadlock.
const LOCK_NAME: i32 = 0x7370_0001;
const LOCK_SOURCE: i32 = 0x7370_0002;
const LOCK_ACCOUNT: i32 = 0x7370_0003;

/// Recent entries of `actions` within the last `minutes`: (for this name,
/// from this source — an IPv4 address, or an IPv6 /64). Locks the name and
/// the source first, until the transaction ends, so that a concurrent check
/// counts this one's entry (added before the commit) and a burst of
/// requests cannot all pass on the same count.
pub async fn lock_and_count(
    tx: &mut Tx<System>,
    actions: &[Action],
    name: Option<&str>,
    source: Option<IpAddr>,
    minutes: u32,
) -> sqlx::Result<(i64, i64)> {
    if let Some(name) = name {
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(LOCK_NAME)
            .bind(name)
            .execute(tx.conn())
            .await?;
    }
    if let Some(source) = source {
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(spdyn_source_net($2)::text))")
            .bind(LOCK_SOURCE)
            .bind(source)
            .execute(tx.conn())
            .await?;
    }
    let actions: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE target = $1),
                count(*) FILTER (WHERE source_net = spdyn_source_net($2))
         FROM action_log
         WHERE action = ANY($4) AND at > now() - $3 * interval '1 minute'
           AND (target = $1 OR source_net = spdyn_source_net($2))",
    )
    .bind(name)
    .bind(source)
    .bind(i64::from(minutes))
    .bind(actions)
    .fetch_one(tx.conn())
    .await
}

/// Entries of `action` about `account` within the last `minutes`, after
/// locking the account's count until the transaction ends (taken after
/// [`lock_and_count`]'s locks).
pub async fn lock_and_count_for_account(
    tx: &mut Tx<System>,
    action: Action,
    account: AccountId,
    minutes: u32,
) -> sqlx::Result<i64> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2::text))")
        .bind(LOCK_ACCOUNT)
        .bind(account.0)
        .execute(tx.conn())
        .await?;
    sqlx::query_scalar(
        "SELECT count(*) FROM action_log
         WHERE action = $1 AND account_id = $2 AND at > now() - $3 * interval '1 minute'",
    )
    .bind(action.as_str())
    .bind(account.0)
    .bind(i64::from(minutes))
    .fetch_one(tx.conn())
    .await
}

/// Deletes entries older than `retention_days`, and entries about nobody
/// (sign-ins and reset requests for names no account has, which only the
/// throttles read) older than a day. Returns how many went.
pub async fn prune(tx: &mut Tx<System>, retention_days: u32) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM action_log
         WHERE at < now() - $1 * interval '1 day'
            OR (at < now() - interval '1 day' AND account_id IS NULL AND tenant_id IS NULL
                AND reseller_id IS NULL)",
    )
    .bind(i64::from(retention_days))
    .execute(tx.conn())
    .await
    .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::TestDb;

    fn attempt<'a>(target: &'a str, source: &str, action: Action) -> NewEntry<'a> {
        NewEntry {
            account: None,
            tenant: None,
            reseller: None,
            actor: Who::named(target),
            action,
            target,
            detail: "",
            source: Some(source.parse().unwrap()),
        }
    }

    #[tokio::test]
    async fn sources_count_by_ipv4_address_and_ipv6_slash_64_through_an_index() {
        let db = TestDb::new().await;
        let mut tx = Tx::begin(&db.app, System).await.unwrap();
        for (name, source) in [
            ("a", "2001:db8:0:1::1"),
            ("b", "2001:db8:0:1:ffff::2"),
            ("c", "::ffff:192.0.2.1"),
            ("d", "192.0.2.1"),
            ("e", "2001:db8:0:2::1"),
        ] {
            add(&mut tx, &attempt(name, source, Action::SigninFailure))
                .await
                .unwrap();
        }
        add(
            &mut tx,
            &attempt("a", "2001:db8:0:1::9", Action::SigninAttempt),
        )
        .await
        .unwrap();
        let failures = [Action::SigninFailure, Action::SigninAttempt];
        let app = &db.app;
        let count = |name, source: &str| {
            let source = Some(source.parse().unwrap());
            async move {
                let mut tx = Tx::begin(app, System).await.unwrap();
                lock_and_count(&mut tx, &failures, Some(name), source, 15)
                    .await
                    .unwrap()
            }
        };
        tx.commit().await.unwrap();
        assert_eq!(count("a", "2001:db8:0:1::77").await, (2, 3), "same /64");
        assert_eq!(count("x", "2001:db8:0:2::77").await, (0, 1), "next /64");
        // control stores mapped addresses as IPv4; one stored mapped counts
        // apart, which is why the extractor canonicalises.
        assert_eq!(count("x", "192.0.2.1").await, (0, 1));
        let mut tx = Tx::begin(&db.app, System).await.unwrap();
        let only_failures = lock_and_count(
            &mut tx,
            &[Action::SigninFailure],
            None,
            Some("2001:db8:0:1::1".parse().unwrap()),
            15,
        )
        .await
        .unwrap();
        assert_eq!(only_failures, (0, 2), "no name: counted by source only");
        // Both counts are index scans, not scans of the log (under
        // row-level security, which lets only leak-proof conditions into an
        // index scan: hence the stored `source_net`).
        sqlx::query(
            "INSERT INTO action_log (actor, action, target, source_addr, at)
             SELECT 'x', 'signin.failure', 'user' || (i % 5000),
                    ('10.' || (i % 200) || '.' || (i % 250) || '.1')::inet,
                    now() - (i % 3000) * interval '1 minute'
             FROM generate_series(1, 50000) AS i",
        )
        .execute(&db.owner)
        .await
        .unwrap();
        sqlx::query("ANALYZE action_log")
            .execute(&db.owner)
            .await
            .unwrap();
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN SELECT count(*) FROM action_log
             WHERE action = ANY($1) AND at > now() - interval '15 minutes'
               AND (target = $2 OR source_net = spdyn_source_net($3))",
        )
        .bind(vec!["signin.failure"])
        .bind("a")
        .bind("2001:db8::1".parse::<IpAddr>().unwrap())
        .fetch_all(tx.conn())
        .await
        .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("action_log_source_net_idx"), "{plan}");
        assert!(plan.contains("action_log_failure_target_idx"), "{plan}");
    }

    #[tokio::test]
    async fn attempts_settle_into_their_outcome_and_throttled_entries_come_once_a_minute() {
        let db = TestDb::new().await;
        let mut tx = Tx::begin(&db.app, System).await.unwrap();
        let first = add_returning(&mut tx, &attempt("a", "192.0.2.1", Action::SigninAttempt))
            .await
            .unwrap();
        let second = add_returning(&mut tx, &attempt("a", "192.0.2.1", Action::SigninAttempt))
            .await
            .unwrap();
        settle(&mut tx, first, Some(Action::SigninFailure))
            .await
            .unwrap();
        settle(&mut tx, second, None).await.unwrap();
        // Settling again changes nothing: only attempts are settled.
        settle(&mut tx, first, Some(Action::SigninSuccess))
            .await
            .unwrap();
        // Once a minute per name and per source: rotating either is no way
        // around it; a new name from a new source is a new entry.
        for (name, source) in [("a", "192.0.2.1"), ("a", "192.0.2.2"), ("b", "192.0.2.1")] {
            add_throttled(&mut tx, &attempt(name, source, Action::SigninThrottled))
                .await
                .unwrap();
        }
        add_throttled(&mut tx, &attempt("c", "192.0.2.3", Action::SigninThrottled))
            .await
            .unwrap();
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM action_log ORDER BY id")
            .fetch_all(tx.conn())
            .await
            .unwrap();
        assert_eq!(
            actions,
            ["signin.failure", "signin.throttled", "signin.throttled"]
        );
    }

    #[tokio::test]
    async fn old_entries_and_a_day_old_entries_about_nobody_are_pruned() {
        let db = TestDb::new().await;
        let account = db.standalone("keeper", 1).await;
        let mut tx = Tx::begin(&db.app, System).await.unwrap();
        let mut owned = attempt("keeper", "192.0.2.1", Action::SigninFailure);
        owned.account = Some(account.account_id());
        owned.tenant = account.tenant();
        let nobody = attempt("ghost", "192.0.2.1", Action::SigninFailure);
        for (entry, age) in [
            (&owned, "0 days"),
            (&owned, "2 days"),
            (&owned, "40 days"),
            (&nobody, "0 days"),
            (&nobody, "2 days"),
        ] {
            let id = add_returning(&mut tx, entry).await.unwrap();
            sqlx::query("UPDATE action_log SET at = now() - $2::interval WHERE id = $1")
                .bind(id)
                .bind(age)
                .execute(tx.conn())
                .await
                .unwrap();
        }
        assert_eq!(prune(&mut tx, 30).await.unwrap(), 2);
        let left: Vec<(String, i32)> = sqlx::query_as(
            "SELECT target, extract(day FROM now() - at)::int FROM action_log ORDER BY id",
        )
        .fetch_all(tx.conn())
        .await
        .unwrap();
        assert_eq!(
            left,
            [
                ("keeper".into(), 0),
                ("keeper".into(), 2),
                ("ghost".into(), 0)
            ]
        );
    }
}
