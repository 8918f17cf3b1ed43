//! A reseller's customers and licences over JSON, and a tenant's own
//! licences and dashboard.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    auth::{ApiUser, ClientAddr},
    config::Config,
    db::{dashboard::Items, licences::Licence, tenants::TenantRow},
    domain::{
        licences::{LicenceId, Licensing},
        scopes::Scope,
        tenants::{self, TenantId},
    },
    error::{Error, ErrorBody},
    ops::{self, customers::LicenceInput},
    routes::rfc3339,
    state::AppState,
};

/// An id from a path segment; anything unparseable is simply not found.
fn id(raw: &str) -> Result<i64, Error> {
    raw.parse().map_err(|_| Error::NotFound)
}

/// A customer (a tenant of the reseller).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: i64,
    pub name: String,
    pub customer_number: String,
    /// Where its users sign in: `<customer number>.<suffix>`.
    pub tenant_domain: String,
    pub created_at: String,
}

impl CustomerView {
    fn new(t: TenantRow, config: &Config) -> Self {
        let number = t.customer_number.unwrap_or_default();
        Self {
            id: t.id,
            name: t.name,
            tenant_domain: tenants::domain(&number, &config.tenants.domain_suffix),
            customer_number: number,
            created_at: rfc3339(t.created_at),
        }
    }
}

/// A licence.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenceView {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    /// `dyndns`.
    pub product: String,
    /// Hosts the licence covers, and how many it covers now.
    pub quantity: i32,
    pub used: i64,
    /// First and last day (UTC), `YYYY-MM-DD`.
    pub valid_from: String,
    pub valid_until: String,
    /// `pending`, `valid`, `expiring`, `expired` or `past_grace` (its hosts
    /// answer updates with `!donator`).
    pub state: String,
}

impl LicenceView {
    fn new(l: Licence, licensing: Licensing) -> Self {
        Self {
            id: l.id,
            customer_id: l.tenant_id,
            state: l.state(licensing.today, licensing.rules).code().to_owned(),
            customer_name: l.customer_name,
            product: l.product,
            quantity: l.quantity,
            used: l.used,
            valid_from: l.valid_from.to_string(),
            valid_until: l.valid_until.to_string(),
        }
    }
}

/// The reseller's customers.
#[utoipa::path(get, path = "/customers", tag = "customers",
    responses(
        (status = 200, body = [CustomerView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reseller token, or it lacks read:customers", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_customers(
    State(state): State<AppState>,
    api: ApiUser,
) -> Result<Json<Vec<CustomerView>>, Error> {
    api.require(Scope::ReadCustomers)?;
    let customers = ops::customers::list(&state.db, api.reseller()?, None).await?;
    let suffix = &state.config.tenants.domain_suffix;
    Ok(Json(
        customers
            .into_iter()
            .map(|c| CustomerView {
                id: c.id,
                name: c.name,
                tenant_domain: tenants::domain(&c.customer_number, suffix),
                customer_number: c.customer_number,
                created_at: rfc3339(c.created_at),
            })
            .collect(),
    ))
}

/// A customer's name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub name: String,
}

/// Creates a customer (it gets the next customer number).
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CustomerInput,
    responses(
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 201, body = CustomerView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reseller token, or it lacks write:customers", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_customer(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    ApiJson(input): ApiJson<CustomerInput>,
) -> Result<(StatusCode, Json<CustomerView>), Error> {
    api.require(Scope::WriteCustomers)?;
    let (reseller, actor) = (api.reseller()?, api.actor(&client)?);
    let customer = ops::customers::create(&state.db, &actor, reseller, &input.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CustomerView::new(customer, &state.config)),
    ))
}

/// One customer.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses(
        (status = 200, body = CustomerView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such customer of this reseller", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn get_customer(
    State(state): State<AppState>,
    api: ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<CustomerView>, Error> {
    api.require(Scope::ReadCustomers)?;
    let detail = ops::customers::get(&state.db, api.reseller()?, TenantId(id(&raw)?)).await?;
    Ok(Json(CustomerView::new(detail.customer, &state.config)))
}

/// Renames a customer.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    request_body = CustomerInput,
    responses(
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 200, body = CustomerView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn update_customer(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> Result<Json<CustomerView>, Error> {
    api.require(Scope::WriteCustomers)?;
    let (reseller, actor) = (api.reseller()?, api.actor(&client)?);
    let customer = ops::customers::rename(
        &state.db,
        &actor,
        reseller,
        TenantId(id(&raw)?),
        &input.name,
    )
    .await?;
    Ok(Json(CustomerView::new(customer, &state.config)))
}

/// A licence as given: product, quantity and validity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenceRequest {
    /// `dyndns` (the default).
    #[serde(default)]
    pub product: Option<String>,
    pub quantity: i32,
    /// `YYYY-MM-DD`, both days included.
    pub valid_from: String,
    pub valid_until: String,
}

impl LicenceRequest {
    fn input(&self) -> LicenceInput<'_> {
        LicenceInput {
            product: self.product.as_deref().unwrap_or("dyndns"),
            quantity: self.quantity,
            valid_from: &self.valid_from,
            valid_until: &self.valid_until,
        }
    }
}

/// A customer's licences.
#[utoipa::path(get, path = "/customers/{id}/licences", tag = "licences", params(("id" = i64, Path)),
    responses(
        (status = 200, body = [LicenceView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reseller token, or it lacks read:licences", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_customer_licences(
    State(state): State<AppState>,
    api: ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<Vec<LicenceView>>, Error> {
    api.require(Scope::ReadLicences)?;
    let detail = ops::customers::get(&state.db, api.reseller()?, TenantId(id(&raw)?)).await?;
    let licensing = state.licensing();
    Ok(Json(
        detail
            .licences
            .into_iter()
            .map(|l| LicenceView::new(l, licensing))
            .collect(),
    ))
}

/// Creates a licence for a customer.
#[utoipa::path(post, path = "/customers/{id}/licences", tag = "licences", params(("id" = i64, Path)),
    request_body = LicenceRequest,
    responses(
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 201, body = LicenceView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reseller token, or it lacks write:licences", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_licence(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<LicenceRequest>,
) -> Result<(StatusCode, Json<LicenceView>), Error> {
    api.require(Scope::WriteLicences)?;
    let (reseller, actor) = (api.reseller()?, api.actor(&client)?);
    let customer = TenantId(id(&raw)?);
    let licence =
        ops::customers::create_licence(&state.db, &actor, reseller, customer, input.input())
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(LicenceView::new(licence, state.licensing())),
    ))
}

/// The licences the token may see: all of a reseller's, or a tenant's own.
#[utoipa::path(get, path = "/licences", tag = "licences",
    responses(
        (status = 200, body = [LicenceView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the token lacks read:licences", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_licences(
    State(state): State<AppState>,
    api: ApiUser,
) -> Result<Json<Vec<LicenceView>>, Error> {
    api.require(Scope::ReadLicences)?;
    let licences = match api.reseller() {
        Ok(reseller) => ops::customers::licences(&state.db, reseller).await?,
        Err(_) => ops::customers::tenant_licences(&state.db, api.tenant()?).await?,
    };
    let licensing = state.licensing();
    Ok(Json(
        licences
            .into_iter()
            .map(|l| LicenceView::new(l, licensing))
            .collect(),
    ))
}

/// One of the reseller's licences.
#[utoipa::path(get, path = "/licences/{id}", tag = "licences", params(("id" = i64, Path)),
    responses(
        (status = 200, body = LicenceView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn get_licence(
    State(state): State<AppState>,
    api: ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<LicenceView>, Error> {
    api.require(Scope::ReadLicences)?;
    let licence = ops::customers::licence(&state.db, api.reseller()?, LicenceId(id(&raw)?)).await?;
    Ok(Json(LicenceView::new(licence, state.licensing())))
}

/// Changes a licence (renewal, more hosts). The quantity cannot drop below
/// the hosts it covers.
#[utoipa::path(patch, path = "/licences/{id}", tag = "licences", params(("id" = i64, Path)),
    request_body = LicenceRequest,
    responses(
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 200, body = LicenceView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn update_licence(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<LicenceRequest>,
) -> Result<Json<LicenceView>, Error> {
    api.require(Scope::WriteLicences)?;
    let (reseller, actor) = (api.reseller()?, api.actor(&client)?);
    let licensing = state.licensing();
    let licence = ops::customers::update_licence(
        &state.db,
        &actor,
        reseller,
        licensing,
        LicenceId(id(&raw)?),
        input.input(),
    )
    .await?;
    Ok(Json(LicenceView::new(licence, licensing)))
}

/// What the dashboard points out (ids and names; the portal links them).
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardView {
    /// Licences that have ended or end within the expiring window.
    pub licences: Vec<i64>,
    /// Hosts without an update for the configured number of days.
    pub stale_hosts: Vec<String>,
    /// Hosts whose update token was never used.
    pub unused_tokens: Vec<String>,
    /// Users without two-factor sign-in.
    pub users_without_2fa: Vec<String>,
}

impl From<Items> for DashboardView {
    fn from(items: Items) -> Self {
        Self {
            licences: items.licences.into_iter().map(|l| l.id).collect(),
            stale_hosts: items.stale_hosts.into_iter().map(|h| h.name).collect(),
            unused_tokens: items.unused_tokens.into_iter().map(|h| h.name).collect(),
            users_without_2fa: items
                .users_without_2fa
                .into_iter()
                .map(|u| u.name)
                .collect(),
        }
    }
}

/// The dashboard of the token's tenant, or across a reseller's customers.
#[utoipa::path(get, path = "/dashboard", tag = "account",
    responses(
        (status = 200, body = DashboardView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the token lacks read:account", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    api: ApiUser,
) -> Result<Json<DashboardView>, Error> {
    api.require(Scope::ReadAccount)?;
    let licensing = state.licensing();
    let items = match api.reseller() {
        Ok(reseller) => {
            ops::dashboard::items(&state.db, &state.config, reseller, licensing).await?
        }
        Err(_) => ops::dashboard::items(&state.db, &state.config, api.tenant()?, licensing).await?,
    };
    Ok(Json(items.into()))
}
