//! Reseller organisations over JSON (operators).

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    auth::{ApiUser, ClientAddr},
    domain::{accounts::Language, scopes::Scope},
    error::{Error, ErrorBody},
    ops::{self, resellers::NewResellerUser},
    routes::rfc3339,
    state::AppState,
};

/// A reseller organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResellerView {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub customers: i64,
    pub users: i64,
    pub created_at: String,
}

/// Every reseller.
#[utoipa::path(get, path = "/resellers", tag = "resellers",
    responses(
        (status = 200, body = [ResellerView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not an operator, or the token lacks read:resellers", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn list_resellers(
    State(state): State<AppState>,
    api: ApiUser,
) -> Result<Json<Vec<ResellerView>>, Error> {
    api.require(Scope::ReadResellers)?;
    api.operator()?;
    let resellers = ops::resellers::list(&state.db).await?;
    Ok(Json(
        resellers
            .into_iter()
            .map(|r| ResellerView {
                id: r.id,
                name: r.name,
                enabled: r.enabled,
                customers: r.customers,
                users: r.users,
                created_at: rfc3339(r.created_at),
            })
            .collect(),
    ))
}

/// A new reseller with its first portal user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReseller {
    /// The organisation's name (unique).
    pub name: String,
    /// The first portal user's name and e-mail address: it gets a mail with
    /// a link to choose its password; 2FA enrolment follows at its first
    /// sign-in.
    pub user: String,
    pub email: String,
    /// `en` (default) or `de`: the language of the mail and the portal.
    #[serde(default)]
    pub language: Option<String>,
}

/// The new reseller and its first user.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResellerCreated {
    pub id: i64,
    pub name: String,
    pub user: String,
}

/// Creates a reseller organisation and its first portal user.
#[utoipa::path(post, path = "/resellers", tag = "resellers", request_body = CreateReseller,
    responses(
        (status = 400, description = "malformed JSON body", body = ErrorBody),
        (status = 201, body = ResellerCreated),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not an operator, or the token lacks write:resellers", body = ErrorBody),
        (status = 409, description = "the reseller or user name is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(account = api.account.0))]
pub async fn create_reseller(
    State(state): State<AppState>,
    api: ApiUser,
    client: ClientAddr,
    ApiJson(input): ApiJson<CreateReseller>,
) -> Result<(StatusCode, Json<ResellerCreated>), Error> {
    api.require(Scope::WriteResellers)?;
    api.operator()?;
    let language = match input.language.as_deref() {
        None => Language::En,
        Some(code) => Language::from_code(code).ok_or(crate::error::Invalid::Language)?,
    };
    let first = NewResellerUser {
        name: &input.user,
        email: &input.email,
        language,
    };
    let actor = api.actor(&client)?;
    let (reseller, user) =
        ops::resellers::create(&state.db, &state.config, &actor, &input.name, first).await?;
    state.mail_wake.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(ResellerCreated {
            id: reseller.id,
            name: reseller.name,
            user: user.name,
        }),
    ))
}
