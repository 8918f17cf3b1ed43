//! Signing in over JSON: name, password and — for an account with 2FA — a
//! TOTP code (or recovery code) buy a personal API token with the requested
//! scopes. The same checks, throttles and log entries as the web sign-in.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    auth::{ClientAddr, principal::PrincipalRow},
    domain::scopes::Scope,
    error::{Error, ErrorBody, Invalid},
    ops::{
        self,
        accounts::{Portal, SigninError},
        two_factor::{CodeCheckError, Proof, Subject},
    },
    state::AppState,
};

/// A sign-in that asks for an API token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Account name (or user name, with `tenant_domain` or `reseller`).
    pub name: String,
    /// A customer's user: the tenant domain, e.g. `100001.tenants.example.net`.
    #[serde(default)]
    pub tenant_domain: Option<String>,
    /// A reseller portal user.
    #[serde(default)]
    pub reseller: bool,
    pub password: String,
    /// The 6-digit code of the authenticator app, or a recovery code.
    /// Required when the account has two-factor sign-in on.
    #[serde(default)]
    pub totp: Option<String>,
    /// A name for the new token (shown in the portal), 1–100 characters.
    pub token_name: String,
    /// e.g. `["read:hosts", "write:tokens"]` (the older `hosts:read` style
    /// is accepted too).
    pub scopes: Vec<String>,
}

/// A new personal API token (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// Recovery codes left, when a recovery code was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes_left: Option<i64>,
}

/// Creates a personal API token from the account's credentials. An account
/// with 2FA never gets one for its password alone; an operator who must use
/// 2FA and has not enabled it gets none at all.
#[utoipa::path(post, path = "/auth/token", tag = "auth", request_body = TokenRequest,
    security(()),
    responses(
        (status = 201, body = TokenCreated),
        (status = 400, body = ErrorBody),
        (status = 401, description = "wrong name, password or code (`unauthorized`; a code works once), or the account has 2FA and no code was sent (`second_factor_required`)", body = ErrorBody),
        (status = 403, description = "2FA is mandatory for this account and not enabled yet (`two_factor_required`)", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "too many failed passwords or codes", body = ErrorBody),
        (status = 503, description = "no password check came free in time (`busy`): try again", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn create_token(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<TokenCreated>), Error> {
    let mut scopes = Vec::new();
    for text in &request.scopes {
        scopes.push(Scope::parse(text).ok_or(Invalid::Scopes)?);
    }
    let portal = match (&request.tenant_domain, request.reseller) {
        (Some(domain), false) => Portal::Tenant { domain },
        (None, true) => Portal::Reseller,
        (None, false) => Portal::Standalone,
        (Some(_), true) => {
            return Err(Error::BadRequest(
                "give tenant_domain or reseller, not both".into(),
            ));
        }
    };
    let ok = ops::accounts::signin(
        &state.db,
        &state.config,
        portal,
        &request.name,
        &request.password,
        client.addr,
    )
    .await
    .map_err(|e| match e {
        SigninError::Failed | SigninError::Linked => Error::Unauthorized,
        SigninError::Throttled => Error::TooManyRequests,
        SigninError::Other(e) => e,
    })?;
    let account = ok.account;
    let principal = PrincipalRow {
        account_id: account.id,
        name: &account.name,
        kind: &account.kind,
        tenant_id: account.tenant_id,
        reseller_id: account.reseller_id,
        reseller_name: None,
        role: &account.role,
        is_admin: account.is_admin,
        two_factor: ok.needs_code,
        linked: account.linked_reseller_user_id.is_some(),
    }
    .principal(None);
    let mut recovery_codes_left = None;
    if ok.needs_code {
        let code = request
            .totp
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .ok_or(Error::SecondFactorRequired)?;
        let who = Subject {
            account: account.account_id(),
            name: &account.name,
            source: client.addr,
            home: principal.home()?,
        };
        let proof = ops::two_factor::signin_second_step(
            &state.db,
            &state.config,
            &state.totp_key,
            who,
            code,
        )
        .await
        .map_err(|e| match e {
            // Over the API a wrong code is a failed authentication.
            CodeCheckError::Wrong => Error::Unauthorized,
            other => other.into(),
        })?;
        if let Proof::RecoveryCode { left } = proof {
            recovery_codes_left = Some(left);
        }
    } else if state.two_factor_demand(principal.roles(), false)
        == crate::domain::two_factor::Demand::Enrol
    {
        return Err(Error::TwoFactorRequired);
    }
    let actor = principal.actor(client.addr, None)?;
    let (token, names) = ops::api_tokens::create(
        &state.db,
        &actor,
        principal.holder(),
        &request.token_name,
        &scopes,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            token,
            name: request.token_name.trim().to_owned(),
            scopes: names,
            recovery_codes_left,
        }),
    ))
}
