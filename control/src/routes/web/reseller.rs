//! The reseller portal: customers (list, search, create, rename), their
//! licences and users, the customer selection that opens a customer's
//! tenant portal, and the licence pages (the reseller's and a tenant's own).

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done, chrome,
    pages::{Chrome, CustomerPage, CustomersPage, LicencePage, LicencesPage, SelectPage},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser, session},
    domain::{
        accounts::Role,
        licences::LicenceId,
        tenants::{self, TenantId},
    },
    error::Error,
    html::HtmlError,
    ops::{self, customers::LicenceInput, users::Invitation},
    paths,
    state::AppState,
};

/// An id from a path segment; anything unparseable is simply not found.
fn id(raw: &str) -> Result<i64, Error> {
    raw.parse().map_err(|_| Error::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct CustomersQuery {
    q: Option<String>,
    done: Option<String>,
}

async fn customers_page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
    search: Option<&str>,
    name: String,
) -> Result<CustomersPage, Error> {
    let reseller = user.reseller()?;
    Ok(CustomersPage {
        c,
        customers: ops::customers::list(&state.db, reseller, search).await?,
        search: search.unwrap_or_default().chars().take(200).collect(),
        suffix: state.config.tenants.domain_suffix.clone(),
        licensing: state.licensing(),
        name,
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn customers_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<CustomersQuery>,
) -> Result<Response, HtmlError> {
    let c = chrome(&state, &user)
        .await?
        .with_done(query.done.as_deref());
    let page = customers_page(&state, &user, c, query.q.as_deref(), String::new()).await?;
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub struct CustomerForm {
    name: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn customer_create(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<CustomerForm>,
) -> Result<Response, HtmlError> {
    let reseller = user.reseller()?;
    let actor = user.actor(&client)?;
    match ops::customers::create(&state.db, &actor, reseller, &form.name).await {
        Ok(customer) => Ok(Redirect::to(&format!(
            "/reseller/customers/{}?done=customer_created",
            customer.id
        ))
        .into_response()),
        Err(error @ Error::Invalid(_)) => {
            let c = chrome(&state, &user).await?.with_error(&error);
            let name = form.name.chars().take(200).collect();
            let page = customers_page(&state, &user, c, None, name).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

async fn customer_page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
    raw: &str,
) -> Result<CustomerPage, Error> {
    let detail = ops::customers::get(&state.db, user.reseller()?, TenantId(id(raw)?)).await?;
    let licensing = state.licensing();
    let domain = tenants::domain(
        detail
            .customer
            .customer_number
            .as_deref()
            .unwrap_or_default(),
        &state.config.tenants.domain_suffix,
    );
    let year_later = licensing
        .today
        .replace_year(licensing.today.year() + 1)
        .unwrap_or(licensing.today);
    Ok(CustomerPage {
        c,
        customer: detail.customer,
        domain,
        licences: detail.licences,
        users: detail.users,
        licensing,
        today: licensing.today.to_string(),
        year_later: year_later.to_string(),
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn customer_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = chrome(&state, &user).await?.with_done(done.done.as_deref());
    Ok(render(&customer_page(&state, &user, c, &raw).await?))
}

/// Back to the customer page with a notice, or the page with the error.
async fn customer_outcome<T>(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
    result: Result<T, Error>,
    done: &str,
) -> Result<Response, HtmlError> {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/reseller/customers/{raw}?done={done}")).into_response())
        }
        Err(error @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let c = chrome(state, user).await?.with_error(&error);
            let page = customer_page(state, user, c, raw).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn customer_rename(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<CustomerForm>,
) -> Result<Response, HtmlError> {
    let (reseller, customer) = (user.reseller()?, TenantId(id(&raw)?));
    let actor = user.actor(&client)?;
    let result = ops::customers::rename(&state.db, &actor, reseller, customer, &form.name).await;
    customer_outcome(&state, &user, &raw, result, "saved").await
}

#[derive(Debug, Deserialize)]
pub struct LicenceForm {
    product: String,
    quantity: String,
    valid_from: String,
    valid_until: String,
}

impl LicenceForm {
    fn input(&self) -> Result<LicenceInput<'_>, Error> {
        Ok(LicenceInput {
            product: &self.product,
            quantity: self
                .quantity
                .trim()
                .parse()
                .map_err(|_| crate::error::Invalid::Quantity)?,
            valid_from: &self.valid_from,
            valid_until: &self.valid_until,
        })
    }
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn licence_create(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<LicenceForm>,
) -> Result<Response, HtmlError> {
    let (reseller, customer) = (user.reseller()?, TenantId(id(&raw)?));
    let actor = user.actor(&client)?;
    let result = match form.input() {
        Ok(input) => {
            ops::customers::create_licence(&state.db, &actor, reseller, customer, input).await
        }
        Err(error) => Err(error),
    };
    customer_outcome(&state, &user, &raw, result, "licence_created").await
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    name: String,
    email: String,
    role: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn user_create(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<UserForm>,
) -> Result<Response, HtmlError> {
    let (reseller, customer) = (user.reseller()?, TenantId(id(&raw)?));
    let actor = user.actor(&client)?;
    let new = Invitation {
        name: &form.name,
        email: &form.email,
        language: user.language,
        role: Role::from_code(&form.role).unwrap_or(Role::ReadOnly),
    };
    let result =
        ops::customers::add_user(&state.db, &state.config, &actor, reseller, customer, new).await;
    state.mail_wake.notify_one();
    customer_outcome(&state, &user, &raw, result, "user_created").await
}

/// Opens a customer's tenant portal: the session acts in its tenant, every
/// page shows the marker, the log names the reseller user.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn open_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
) -> Result<Response, HtmlError> {
    let (reseller, customer) = (user.reseller()?, TenantId(id(&raw)?));
    let actor = user.actor(&client)?;
    ops::customers::open_portal(&state.db, &actor, reseller, state.licensing(), customer).await?;
    session::set_acting(&state, &user.session, Some(customer)).await?;
    Ok(Redirect::to(paths::HOSTS).into_response())
}

/// Leaves the customer's portal, back to the reseller's customers.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn leave_post(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, HtmlError> {
    user.reseller()?;
    session::set_acting(&state, &user.session, None).await?;
    Ok(Redirect::to(paths::CUSTOMERS).into_response())
}

/// The customer selection: customers with a running licence.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn select_get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, HtmlError> {
    let reseller = user.reseller()?;
    let customers = ops::customers::selectable(&state.db, reseller, state.licensing()).await?;
    let page = SelectPage {
        c: chrome(&state, &user).await?,
        customers,
        suffix: state.config.tenants.domain_suffix.clone(),
    };
    Ok(render(&page))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn licences_get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, HtmlError> {
    let licences = ops::customers::licences(&state.db, user.reseller()?).await?;
    licences_page(&state, &user, licences, true).await
}

/// A tenant's own licences (read only: the reseller changes them).
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn tenant_licences_get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, HtmlError> {
    let licences = ops::customers::tenant_licences(&state.db, user.tenant()?).await?;
    licences_page(&state, &user, licences, false).await
}

async fn licences_page(
    state: &AppState,
    user: &CurrentUser,
    licences: Vec<crate::db::licences::Licence>,
    reseller: bool,
) -> Result<Response, HtmlError> {
    let page = LicencesPage {
        c: chrome(state, user).await?,
        licences,
        reseller,
        licensing: state.licensing(),
    };
    Ok(render(&page))
}

async fn licence_page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
    raw: &str,
) -> Result<LicencePage, Error> {
    let licence = ops::customers::licence(&state.db, user.reseller()?, LicenceId(id(raw)?)).await?;
    Ok(LicencePage {
        c,
        licence,
        licensing: state.licensing(),
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn licence_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = chrome(&state, &user).await?.with_done(done.done.as_deref());
    Ok(render(&licence_page(&state, &user, c, &raw).await?))
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn licence_update(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<LicenceForm>,
) -> Result<Response, HtmlError> {
    let (reseller, licence) = (user.reseller()?, LicenceId(id(&raw)?));
    let actor = user.actor(&client)?;
    let result = match form.input() {
        Ok(input) => {
            ops::customers::update_licence(
                &state.db,
                &actor,
                reseller,
                state.licensing(),
                licence,
                input,
            )
            .await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/reseller/licences/{raw}?done=saved")).into_response()),
        Err(error @ Error::Invalid(_)) => {
            let c = chrome(&state, &user).await?.with_error(&error);
            let page = licence_page(&state, &user, c, &raw).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}
