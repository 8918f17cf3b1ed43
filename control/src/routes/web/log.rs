//! The action log: the tenant's, and a reseller's combined log across its
//! customers (with a customer column); both filterable by who, what and
//! which days, paged, and exported as CSV with the same filter.

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Response},
};

use super::{
    pages::{Chrome, LogPage},
    render,
};
use crate::{
    auth::CurrentUser,
    db::{
        self,
        log::{Action, Entry, Filter},
        scope::Tx,
    },
    domain::csv,
    error::Error,
    html::HtmlError,
    routes::{csv_download, log_query::LogQuery},
    state::AppState,
};

/// Entries per page.
const PAGE: i64 = 100;
/// Most entries in one export.
const EXPORT_LIMIT: i64 = 100_000;

/// Whose log a page shows.
#[derive(Clone, Copy)]
enum Whose {
    Tenant,
    Reseller,
}

impl Whose {
    fn path(self) -> &'static str {
        match self {
            Whose::Tenant => "/log",
            Whose::Reseller => "/reseller/log",
        }
    }

    /// The entries and the names that acted.
    async fn read(
        self,
        state: &AppState,
        user: &CurrentUser,
        filter: &Filter,
        limit: i64,
    ) -> Result<(Vec<Entry>, Vec<String>), Error> {
        Ok(match self {
            Whose::Tenant => {
                let mut tx = Tx::begin(&state.db, user.tenant()?).await?;
                let entries = db::log::list(&mut tx, filter, limit).await?;
                (entries, db::log::tenant_actors(&mut tx).await?)
            }
            Whose::Reseller => {
                let mut tx = Tx::begin(&state.db, user.reseller()?).await?;
                let entries = db::log::list_reseller(&mut tx, filter, limit).await?;
                (entries, db::log::reseller_actors(&mut tx).await?)
            }
        })
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    whose: Whose,
    query: LogQuery,
) -> Result<Response, HtmlError> {
    let c = Chrome::signed_in(user);
    let (filter, c) = match query.filter() {
        Ok(filter) => (filter, c),
        Err(error) => (Filter::default(), c.with_error(&error)),
    };
    let (entries, actors) = whose.read(state, user, &filter, PAGE).await?;
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| query.query_string(Some(e.id))))
        .flatten();
    let status = if c.error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = LogPage {
        c,
        entries,
        older,
        path: whose.path(),
        csv: query.query_string(None),
        actors,
        actions: Action::ALL.iter().map(|a| a.as_str()).collect(),
        query,
        customer_column: matches!(whose, Whose::Reseller),
    };
    Ok((status, render(&page)).into_response())
}

async fn export(
    state: &AppState,
    user: &CurrentUser,
    whose: Whose,
    query: LogQuery,
) -> Result<Response, HtmlError> {
    let (entries, _) = whose
        .read(state, user, &query.filter()?, EXPORT_LIMIT)
        .await?;
    let customers = matches!(whose, Whose::Reseller);
    Ok(csv_download(
        "spdyn_action_log.csv",
        log_csv_text(&entries, customers),
    ))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn log_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<LogQuery>,
) -> Result<Response, HtmlError> {
    page(&state, &user, Whose::Tenant, query).await
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn log_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<LogQuery>,
) -> Result<Response, HtmlError> {
    export(&state, &user, Whose::Tenant, query).await
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn reseller_log_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<LogQuery>,
) -> Result<Response, HtmlError> {
    page(&state, &user, Whose::Reseller, query).await
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn reseller_log_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<LogQuery>,
) -> Result<Response, HtmlError> {
    export(&state, &user, Whose::Reseller, query).await
}

/// The byte-order mark spreadsheets need to read the file as UTF-8.
const BOM: &str = "\u{feff}";

/// The export: a UTF-8 BOM, then one line per entry, newest first, times in
/// RFC 3339 (UTC); a reseller's has the customer as second column.
pub(crate) fn log_csv_text(entries: &[Entry], customers: bool) -> String {
    let mut head = vec!["time", "actor", "actor_reseller", "actor_via"];
    if customers {
        head.insert(1, "customer");
    }
    head.extend(["action", "target", "detail", "source"]);
    let mut out = format!("{BOM}{}", csv::line(&head));
    for e in entries {
        let mut fields = vec![
            crate::routes::rfc3339(e.at),
            e.actor.clone(),
            e.actor_reseller.clone().unwrap_or_default(),
            e.actor_via.clone().unwrap_or_default(),
            e.action.clone(),
            e.target.clone(),
            e.detail.clone(),
            e.source_addr.map(|a| a.to_string()).unwrap_or_default(),
        ];
        if customers {
            fields.insert(1, e.customer.clone().unwrap_or_default());
        }
        out.push_str(&csv::line(&fields));
    }
    out
}
