//! The dashboard: what needs attention in a tenant or across a reseller's
//! customers (the same items fill the notifications panel), and the daily
//! digest mail of them for users who asked for it.

use sqlx::PgPool;

use crate::{
    config::Config,
    db::{
        self,
        dashboard::{Items, Owner},
        scope::{Reseller, System, Tenant, Tx},
    },
    domain::licences::Licensing,
    error::Error,
    mail, paths,
};

/// The items of a tenant or of a reseller's customers on `licensing.today`.
pub async fn items<S: Owner>(
    pool: &PgPool,
    config: &Config,
    scope: S,
    licensing: Licensing,
) -> Result<Items, Error> {
    let mut tx = Tx::begin(pool, scope).await?;
    Ok(db::dashboard::items(
        &mut tx,
        licensing.today,
        licensing.rules.expiring_days,
        config.dashboard.stale_days,
    )
    .await?)
}

/// The items as one line each (the digest mail).
pub fn lines(items: &Items) -> Vec<String> {
    let mut lines = Vec::new();
    for l in &items.licences {
        lines.push(format!(
            "- licence of {} valid until {}",
            l.customer_name, l.valid_until
        ));
    }
    for h in &items.stale_hosts {
        lines.push(format!(
            "- host {} not updated since {}",
            h.name,
            h.since.date()
        ));
    }
    for h in &items.unused_tokens {
        lines.push(format!("- update token of {} never used", h.name));
    }
    for u in &items.users_without_2fa {
        lines.push(format!("- user {} without two-factor sign-in", u.name));
    }
    lines
}

/// Sends today's digest to every user who asked for it and has items.
/// Returns how many mails were queued.
pub async fn send_digests(
    pool: &PgPool,
    config: &Config,
    licensing: Licensing,
) -> Result<usize, Error> {
    let mut tx = Tx::begin(pool, System).await?;
    let due = db::accounts::digest_due(&mut tx, licensing.today).await?;
    drop(tx);
    let mut sent = 0;
    for account in due {
        let found = match (account.tenant(), account.reseller()) {
            (Some(tenant), _) => items(pool, config, Tenant(tenant), licensing).await?,
            (None, Some(reseller)) => items(pool, config, Reseller(reseller), licensing).await?,
            (None, None) => continue,
        };
        let mut tx = Tx::begin(pool, System).await?;
        if !found.is_empty() {
            let url = format!(
                "{}{}",
                config.http.public_url.trim_end_matches('/'),
                paths::DASHBOARD
            );
            let (subject, body) =
                mail::texts::digest(account.language(), &account.name, &lines(&found), &url);
            db::mail::enqueue(&mut tx, &account.email, subject, &body).await?;
            sent += 1;
        }
        db::accounts::digest_sent(&mut tx, account.account_id(), licensing.today).await?;
        tx.commit().await?;
    }
    Ok(sent)
}
