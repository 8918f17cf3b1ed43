//! Extractors: who is asking (web session or API token) and from where.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};
use spdyn_common::client_ip::client_address;

use super::{
    principal::{Principal, PrincipalRow},
    session::SessionContext,
};
use crate::{
    db::{
        self,
        scope::{System, Tenant, Tx},
    },
    domain::{
        accounts::Language,
        scopes::{self, Scope},
        tokens,
        two_factor::Demand,
    },
    error::Error,
    html::HtmlError,
    ops::Actor,
    state::AppState,
};

/// The signed-in web user. Without a signed-in session (or with one still
/// waiting for its TOTP code) the request is redirected to the sign-in page.
/// Derefs to its [`Principal`].
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub principal: Principal,
    pub language: Language,
    pub csrf: String,
    /// What 2FA asks of this account now (banner, enrolment).
    pub demand: Demand,
    pub session: SessionContext,
    /// The request's path: the navigation marks the page it is on.
    pub path: String,
}

impl std::ops::Deref for CurrentUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl CurrentUser {
    /// The user as the actor of a change from `client`.
    pub fn actor(&self, client: &ClientAddr) -> Result<Actor, Error> {
        self.principal.actor(client.addr, None)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = HtmlError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = parts
            .extensions
            .get::<SessionContext>()
            .cloned()
            .ok_or(Error::Unauthorized)?;
        let principal = context.principal.clone().ok_or(Error::Unauthorized)?;
        let s = &context.session;
        Ok(Self {
            principal,
            language: s
                .language
                .as_deref()
                .and_then(Language::from_code)
                .unwrap_or_default(),
            csrf: s.csrf_token.clone(),
            demand: context.demand,
            session: context,
            path: parts.uri.path().to_owned(),
        })
    }
}

/// A signed-in operator (administrator).
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for RequireAdmin {
    type Rejection = HtmlError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_admin {
            Ok(Self(user))
        } else {
            Err(Error::Forbidden.into())
        }
    }
}

/// The session of the request, signed in or not (form pages before sign-in).
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<SessionContext>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<SessionContext>().cloned()))
    }
}

/// The interface language: the signed-in account's, else Accept-Language.
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub Language);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let from_session = parts
            .extensions
            .get::<SessionContext>()
            .and_then(|c| c.session.language.as_deref())
            .and_then(Language::from_code);
        let negotiated = || {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Language::negotiate)
                .unwrap_or_default()
        };
        let chosen = || super::session::read_language(&parts.headers);
        Ok(Self(
            from_session.or_else(chosen).unwrap_or_else(negotiated),
        ))
    }
}

/// The client's address (the TCP peer, or — behind a trusted proxy — the
/// right-most forwarded address that is not a trusted proxy, the rule dnsd
/// applies too: `spdyn_common::client_ip`) and user agent.
#[derive(Debug, Clone)]
pub struct ClientAddr {
    pub addr: Option<IpAddr>,
    pub user_agent: String,
}

impl ClientAddr {
    pub fn origin(&self) -> super::session::Origin<'_> {
        super::session::Origin {
            addr: self.addr,
            user_agent: &self.user_agent,
        }
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|peer| {
                client_address(peer.0, &parts.headers, &state.config.http.trusted_proxies)
                    .effective()
            });
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(300)
            .collect();
        Ok(Self { addr, user_agent })
    }
}

/// The caller of the JSON API, authenticated by a personal API token in
/// `Authorization: Bearer …`. The API never looks at cookies, so CSRF cannot
/// reach it. Tokens of an account that must enrol in 2FA first are refused
/// (403 `two_factor_required`) until it has. Derefs to its [`Principal`].
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub principal: Principal,
    pub token_name: String,
    pub scopes: Vec<Scope>,
}

impl std::ops::Deref for ApiUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl ApiUser {
    /// Fails with 403 unless the token has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Error> {
        if scopes::allows(&self.scopes, scope) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The caller as the actor of a change from `client`.
    pub fn actor(&self, client: &ClientAddr) -> Result<Actor, Error> {
        self.principal.actor(client.addr, Some(&self.token_name))
    }

    /// The token's tenant. A reseller's token has none (it names a customer
    /// in the path instead): 403.
    pub fn tenant(&self) -> Result<Tenant, Error> {
        self.principal.tenant().map_err(api_error)
    }

    /// The token's tenant, for a change (read-only users are refused).
    pub fn tenant_to_change(&self) -> Result<Tenant, Error> {
        self.principal.tenant_to_change().map_err(api_error)
    }
}

/// The API has no customer selection: a tenant route is not a reseller's.
fn api_error(error: Error) -> Error {
    match error {
        Error::NoCustomerSelected => Error::Forbidden,
        other => other,
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::Unauthorized)?;
        // The token is all there is to go by yet: system scope.
        let mut tx = Tx::begin(&state.db, System).await?;
        let owner = db::api_tokens::authenticate(&mut tx, &tokens::hash(token))
            .await?
            .ok_or(Error::Unauthorized)?;
        tx.commit().await?;
        let principal = PrincipalRow {
            account_id: owner.account_id,
            name: &owner.account_name,
            kind: &owner.kind,
            tenant_id: owner.tenant_id,
            reseller_id: owner.reseller_id,
            reseller_name: owner.reseller_name.as_deref(),
            role: &owner.role,
            is_admin: owner.is_admin,
            two_factor: owner.two_factor,
            linked: owner.linked,
        }
        .principal(None);
        if state.two_factor_demand(principal.roles(), principal.two_factor) == Demand::Enrol {
            return Err(Error::TwoFactorRequired);
        }
        Ok(Self {
            principal,
            token_name: owner.token_name,
            scopes: owner
                .scopes
                .iter()
                .filter_map(|s| Scope::parse(s))
                .collect(),
        })
    }
}
