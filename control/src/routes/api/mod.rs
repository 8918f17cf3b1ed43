//! The JSON API under `/api/v1`, authenticated by personal API tokens
//! (`Authorization: Bearer …`) with scopes, and its OpenAPI document,
//! generated from these handlers by utoipa.

mod account;
mod auth;
mod customers;
mod hosts;
mod resellers;
mod users;

use axum::{
    Json, Router,
    extract::{FromRequest, Request, rejection::JsonRejection},
    routing::{MethodRouter, get, patch, post},
};
use serde::de::DeserializeOwned;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use crate::{error::Error, state::AppState};

/// The routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .fallback(|| async { Error::NotFound })
}

/// The path of every API route, for tests that walk them all.
pub fn paths() -> Vec<&'static str> {
    routes().into_iter().map(|(path, _)| path).collect()
}

/// Every route, in one table, so the router and [`paths`] cannot disagree.
fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/auth/token", post(auth::create_token)),
        ("/account", get(account::get_account)),
        ("/hosts", get(hosts::list_hosts).post(hosts::create_host)),
        (
            "/hosts/{id}",
            get(hosts::get_host)
                .patch(hosts::update_host)
                .delete(hosts::delete_host),
        ),
        (
            "/hosts/{id}/token",
            post(hosts::set_token).delete(hosts::revoke_token),
        ),
        ("/tokens/missing", post(hosts::create_missing_tokens)),
        ("/log", get(account::get_log)),
        ("/dashboard", get(customers::get_dashboard)),
        (
            "/resellers",
            get(resellers::list_resellers).post(resellers::create_reseller),
        ),
        (
            "/customers",
            get(customers::list_customers).post(customers::create_customer),
        ),
        (
            "/customers/{id}",
            get(customers::get_customer).patch(customers::update_customer),
        ),
        (
            "/customers/{id}/hosts",
            get(hosts::list_customer_hosts).post(hosts::create_customer_host),
        ),
        (
            "/customers/{id}/licences",
            get(customers::list_customer_licences).post(customers::create_licence),
        ),
        ("/licences", get(customers::list_licences)),
        ("/users", get(users::list_users).post(users::create_user)),
        ("/users/{id}", patch(users::update_user)),
        (
            "/customers/{id}/users",
            get(users::list_customer_users).post(users::create_customer_user),
        ),
        (
            "/licences/{id}",
            get(customers::get_licence).patch(customers::update_licence),
        ),
    ]
}

/// The OpenAPI document served at `/api/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "spdyn control API", description = "Manage dynamic-DNS hosts and update tokens, \
        and — as a reseller — customers, their licences and hosts; as an operator, resellers. \
        Authenticate with a personal API token (`Authorization: Bearer …`), made in the portal or \
        with `POST /auth/token` (name, password and, with two-factor sign-in, the TOTP code; \
        `tenant_domain` for a customer's user, `reseller` for a reseller user). Each route names \
        the scope it needs (`read:hosts`, `write:hosts`, `read:customers`, `read:licences`, …)."),
    servers((url = "/api/v1")),
    paths(
        auth::create_token,
        account::get_account,
        account::get_log,
        hosts::list_hosts,
        hosts::create_host,
        hosts::get_host,
        hosts::update_host,
        hosts::delete_host,
        hosts::set_token,
        hosts::revoke_token,
        hosts::create_missing_tokens,
        hosts::list_customer_hosts,
        hosts::create_customer_host,
        customers::get_dashboard,
        customers::list_customers,
        customers::create_customer,
        customers::get_customer,
        customers::update_customer,
        customers::list_customer_licences,
        customers::create_licence,
        customers::list_licences,
        customers::get_licence,
        customers::update_licence,
        resellers::list_resellers,
        resellers::create_reseller,
        users::list_users,
        users::create_user,
        users::update_user,
        users::list_customer_users,
        users::create_customer_user,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// A JSON body whose rejection is an API error (JSON, 400) instead of axum's
/// plain-text answer.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(Error::BadRequest(match rejection {
                JsonRejection::MissingJsonContentType(_) => {
                    "expected Content-Type: application/json".into()
                }
                other => other.body_text(),
            })),
        }
    }
}
