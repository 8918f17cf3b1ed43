//! A customer's users over JSON: the tenant's own (its admins change them,
//! read-only users read them) and, for a reseller, its customers'.

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
    db::{accounts::Account, scope::Tenant},
    domain::{
        accounts::{AccountId, Language, Role},
        scopes::Scope,
        tenants::TenantId,
    },
    error::{Error, ErrorBody, Invalid},
    ops::{
        self,
        users::{Change, Invitation},
    },
    routes::rfc3339,
    state::AppState,
};

/// A user of a tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// `admin` or `read_only`.
    pub role: String,
    /// Deactivated users cannot sign in and their tokens do not work.
    pub active: bool,
    pub created_at: String,
}

impl From<Account> for UserView {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            name: a.name,
            email: a.email,
            role: a.role,
            active: a.enabled,
            created_at: rfc3339(a.created_at),
        }
    }
}

/// A user to invite: it gets a mail with a link to choose a password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    pub name: String,
    pub email: String,
    /// `admin` or `read_only`.
    pub role: String,
    /// `en` or `de` (default `en`): the user's interface and mails.
    pub language: Option<String>,
}

/// A change of a user: its role, or (de)activation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<String>,
    pub active: Option<bool>,
}

fn role(code: &str) -> Result<Role, Error> {
    Role::from_code(code).ok_or_else(|| Invalid::Role.into())
}

fn id(raw: &str) -> Result<i64, Error> {
    raw.parse().map_err(|_| Error::NotFound)
}

async fn invite(
    state: &AppState,
    api: &ApiUser,
    client: &ClientAddr,
    tenant: Tenant,
    input: &InvitationInput,
) -> Result<(StatusCode, Json<UserView>), Error> {
    let language = match &input.language {
        Some(code) => Language::from_code(code).ok_or(Invalid::Language)?,
        None => Language::default(),
    };
    let invitation = Invitation {
        name: &input.name,
        email: &input.email,
        language,
        role: role(&input.role)?,
    };
    let actor = api.actor(client)?;
    let user = ops::users::invite(&state.db, &state.config, &actor, tenant, invitation).await?;
    state.mail_wake.notify_one();
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// The tenant's users.
#[utoipa::path(get, path = "/users", tag = "users",
    responses(
        (status = 200, body = [UserView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a tenant token, or it lacks read:users", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_users(
    State(state): State<AppState>,
    api: ApiUser,
) -> Result<Json<Vec<UserView>>, Error> {
    api.require(Scope::ReadUsers)?;
    let users = ops::users::list(&state.db, api.tenant()?).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

/// Invites a user into the tenant (a customer's; admins only).
#[utoipa::path(post, path = "/users", tag = "users", request_body = InvitationInput,
    responses(
        (status = 201, body = UserView),
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "lacks write:users, a read-only user (`read_only`), or a standalone account's tenant", body = ErrorBody),
        (status = 409, description = "the name is taken in the tenant", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_user(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    ApiJson(input): ApiJson<InvitationInput>,
) -> Result<(StatusCode, Json<UserView>), Error> {
    api.require(Scope::WriteUsers)?;
    let tenant = api.tenant_to_change()?;
    invite(&state, &api, &client, tenant, &input).await
}

/// Changes a user's role or (de)activates it. The tenant's last active
/// admin can be neither demoted nor deactivated; nobody deactivates itself.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    request_body = UserChange,
    responses(
        (status = 200, body = UserView),
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such user in the tenant", body = ErrorBody),
        (status = 409, description = "the tenant's last active admin (`conflict`)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn update_user(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<UserChange>,
) -> Result<Json<UserView>, Error> {
    api.require(Scope::WriteUsers)?;
    let tenant = api.tenant_to_change()?;
    let user = AccountId(id(&raw)?);
    let actor = api.actor(&client)?;
    let mut changed = None;
    if let Some(code) = &input.role {
        let change = Change::Role(role(code)?);
        changed = Some(ops::users::change(&state.db, &actor, tenant, user, change).await?);
    }
    if let Some(active) = input.active {
        let change = Change::Active(active);
        changed = Some(ops::users::change(&state.db, &actor, tenant, user, change).await?);
    }
    let user = match changed {
        Some(user) => user,
        None => ops::users::list(&state.db, tenant)
            .await?
            .into_iter()
            .find(|u| u.id == user.0)
            .ok_or(Error::NotFound)?,
    };
    Ok(Json(user.into()))
}

/// A reseller's customer's users.
#[utoipa::path(get, path = "/customers/{id}/users", tag = "users", params(("id" = i64, Path)),
    responses(
        (status = 200, body = [UserView]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such customer of this reseller", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_customer_users(
    State(state): State<AppState>,
    api: ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<Vec<UserView>>, Error> {
    api.require(Scope::ReadUsers)?;
    let customer = TenantId(id(&raw)?);
    let detail = ops::customers::get(&state.db, api.reseller()?, customer).await?;
    Ok(Json(detail.users.into_iter().map(UserView::from).collect()))
}

/// Invites a user into one of the reseller's customers.
#[utoipa::path(post, path = "/customers/{id}/users", tag = "users", params(("id" = i64, Path)),
    request_body = InvitationInput,
    responses(
        (status = 201, body = UserView),
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such customer of this reseller", body = ErrorBody),
        (status = 409, description = "the name is taken in the tenant", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_customer_user(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<InvitationInput>,
) -> Result<(StatusCode, Json<UserView>), Error> {
    api.require(Scope::WriteUsers)?;
    let customer = TenantId(id(&raw)?);
    // The customer must be the reseller's before anything in its scope.
    ops::customers::get(&state.db, api.reseller()?, customer).await?;
    invite(&state, &api, &client, Tenant(customer), &input).await
}
