//! The licence sweep: keeps what dnsd knows of every licence (past its grace
//! period or not) in step with the date, so a customer's hosts start
//! answering `!donator` the day the grace period ends — without anyone
//! touching the licence — and stop when it is renewed.

use sqlx::PgPool;

use super::retrying;
use crate::{
    db::{
        self,
        log::{Action, NewEntry, Who},
        scope::{FeedTx, System, Tx},
    },
    domain::{
        licences::{LicenceState, Licensing},
        tenants::TenantId,
    },
    error::Error,
};

/// Brings every licence's grace flag up to date on `licensing.today`;
/// returns how many licences changed.
pub async fn sweep(pool: &PgPool, licensing: Licensing) -> Result<usize, Error> {
    let mut tx = Tx::begin(pool, System).await?;
    let due: Vec<_> = db::licences::all(&mut tx)
        .await?
        .into_iter()
        .filter(|l| (licensing.state(l.validity()) == LicenceState::PastGrace) != l.past_grace)
        .collect();
    drop(tx);
    for licence in &due {
        let past_grace = !licence.past_grace;
        retrying(|| async move {
            let mut tx = FeedTx::begin(pool, System).await?;
            let hosts =
                db::licences::sync_past_grace(&mut tx, licence.licence_id(), past_grace).await?;
            let detail = format!(
                "licence {}: {} ({hosts} hosts)",
                licence.id,
                if past_grace {
                    "grace period over, updates answer !donator"
                } else {
                    "running again"
                }
            );
            let entry = NewEntry {
                account: None,
                tenant: Some(TenantId(licence.tenant_id)),
                reseller: None,
                actor: Who::named("system"),
                action: Action::LicenceGrace,
                target: &licence.customer_name,
                detail: &detail,
                source: None,
            };
            db::log::add(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
    }
    Ok(due.len())
}
