//! The dashboard: what needs attention in the tenant in view, or across a
//! reseller's customers.

use axum::{extract::State, response::Response};

use super::{chrome, pages::DashboardPage, render};
use crate::{auth::CurrentUser, html::HtmlError, ops, state::AppState};

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn dashboard_get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, HtmlError> {
    let licensing = state.licensing();
    let (items, reseller) = match (user.tenant(), user.reseller()) {
        (Ok(tenant), _) => (
            ops::dashboard::items(&state.db, &state.config, tenant, licensing).await?,
            false,
        ),
        (Err(_), Ok(reseller)) => (
            ops::dashboard::items(&state.db, &state.config, reseller, licensing).await?,
            true,
        ),
        (Err(error), Err(_)) => return Err(error.into()),
    };
    let page = DashboardPage {
        c: chrome(&state, &user).await?,
        items,
        reseller,
        stale_days: state.config.dashboard.stale_days,
    };
    Ok(render(&page))
}
