//! Moving a host into one of a reseller's customers, with its records, its
//! update token (which keeps working) and its history: by the reseller (from
//! the customer's portal it acts in), or by the owner of a dynamic-DNS
//! account linked to one of the reseller's users (rights on both sides).
//! The target must have room (a running licence with room); both tenants'
//! logs record the move. Operators move hosts between standalone accounts
//! (`ops::hosts::move_host`).

use sqlx::PgPool;

use super::{Actor, Home, retrying};
use crate::{
    db::{
        self,
        log::Action,
        scope::{FeedTx, Reseller, System, Tenant, Tx},
        tenants::CustomerSummary,
    },
    domain::{
        accounts::AccountId,
        hosts::HostId,
        licences::Licensing,
        tenants::{ResellerId, TenantId},
    },
    error::{Error, Invalid},
};

/// The reseller whose customers the actor may move hosts into: its own
/// (a reseller user), or its linked reseller user's.
async fn reseller_of(pool: &PgPool, actor: &Actor) -> Result<Option<ResellerId>, Error> {
    match actor.home {
        Home::Reseller(reseller) => Ok(Some(reseller)),
        Home::Tenant(_) => {
            let mut tx = Tx::begin(pool, System).await?;
            let linked = db::accounts::by_id(&mut tx, actor.account)
                .await?
                .and_then(|a| a.linked_reseller_user_id);
            Ok(match linked {
                Some(user) => db::accounts::by_id(&mut tx, AccountId(user))
                    .await?
                    .and_then(|u| u.reseller()),
                None => None,
            })
        }
    }
}

/// The customers a host of `from` may move to (none: no move is offered).
pub async fn targets(
    pool: &PgPool,
    actor: &Actor,
    from: Tenant,
) -> Result<Vec<CustomerSummary>, Error> {
    let Some(reseller) = reseller_of(pool, actor).await? else {
        return Ok(Vec::new());
    };
    let mut tx = Tx::begin(pool, Reseller(reseller)).await?;
    let customers = db::tenants::customers(&mut tx, None).await?;
    Ok(customers.into_iter().filter(|c| c.id != from.0.0).collect())
}

/// Moves the host `id` of `from` (the tenant the actor changes) into the
/// customer `to`.
pub async fn move_to_customer(
    pool: &PgPool,
    actor: &Actor,
    licensing: Licensing,
    from: Tenant,
    id: HostId,
    to: TenantId,
) -> Result<(), Error> {
    if !targets(pool, actor, from)
        .await?
        .iter()
        .any(|c| c.id == to.0)
    {
        return Err(Invalid::MoveTarget.into());
    }
    let mut tx = Tx::begin(pool, from).await?;
    let host = db::hosts::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
    drop(tx);
    retrying(|| async {
        let mut tx = FeedTx::begin(pool, System).await?;
        let moved_from =
            db::hosts::move_into(&mut tx, id, to, licensing.today, licensing.rules).await?;
        if moved_from != from.0 {
            // Moved meanwhile by someone else.
            return Err(Error::NotFound);
        }
        let to_name = tenant_name(&mut tx, to).await?;
        let from_name = tenant_name(&mut tx, from.0).await?;
        for (tenant, action, detail) in [
            (from.0, Action::HostMoveOut, format!("→ {to_name}")),
            (to, Action::HostMoveIn, format!("← {from_name}")),
        ] {
            let entry = actor.entry_in(tenant, action, &host.name, &detail);
            db::log::add(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

async fn tenant_name(tx: &mut FeedTx<System>, tenant: TenantId) -> Result<String, Error> {
    Ok(db::tenants::get(tx, tenant)
        .await?
        .map(|t| t.name)
        .unwrap_or_default())
}
