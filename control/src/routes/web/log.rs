//! The action log of the tenant in view and its CSV export.

use axum::{
    extract::{Query, State},
    response::Response,
};
use serde::Deserialize;

use super::{
    pages::{Chrome, LogPage},
    render,
};
use crate::{
    auth::CurrentUser,
    db::{self, scope::Tx},
    domain::csv,
    html::HtmlError,
    routes::csv_download,
    state::AppState,
};

/// Entries per page.
const PAGE: i64 = 100;
/// Most entries in one export.
const EXPORT_LIMIT: i64 = 100_000;

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    before: Option<i64>,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn log_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<LogQuery>,
) -> Result<Response, HtmlError> {
    let mut tx = Tx::begin(&state.db, user.tenant()?).await?;
    let entries = db::log::list(&mut tx, query.before, PAGE).await?;
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(render(&LogPage {
        c: Chrome::signed_in(&user),
        entries,
        older,
    }))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn log_csv(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, HtmlError> {
    let mut tx = Tx::begin(&state.db, user.tenant()?).await?;
    let entries = db::log::list(&mut tx, None, EXPORT_LIMIT).await?;
    Ok(csv_download("spdyn_action_log.csv", log_csv_text(&entries)))
}

/// The export: one line per entry, newest first, times in RFC 3339 (UTC).
pub(crate) fn log_csv_text(entries: &[db::log::Entry]) -> String {
    let mut out = csv::line(&[
        "time",
        "actor",
        "actor_reseller",
        "actor_via",
        "action",
        "target",
        "detail",
        "source",
    ]);
    for e in entries {
        out.push_str(&csv::line(&[
            crate::routes::rfc3339(e.at),
            e.actor.clone(),
            e.actor_reseller.clone().unwrap_or_default(),
            e.actor_via.clone().unwrap_or_default(),
            e.action.clone(),
            e.target.clone(),
            e.detail.clone(),
            e.source_addr.map(|a| a.to_string()).unwrap_or_default(),
        ]));
    }
    out
}
