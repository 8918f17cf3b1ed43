//! The JSON API under `/api/v1`, authenticated by personal API tokens
//! (`Authorization: Bearer …`) with scopes, and its OpenAPI document,
//! generated from these handlers by utoipa.

mod account;
mod hosts;

use axum::{
    Json, Router,
    extract::{FromRequest, Request, rejection::JsonRejection},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use crate::{error::Error, state::AppState};

/// The routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account::get_account))
        .route("/hosts", get(hosts::list_hosts).post(hosts::create_host))
        .route(
            "/hosts/{id}",
            get(hosts::get_host)
                .patch(hosts::update_host)
                .delete(hosts::delete_host),
        )
        .route(
            "/hosts/{id}/token",
            post(hosts::set_token).delete(hosts::revoke_token),
        )
        .route("/tokens/missing", post(hosts::create_missing_tokens))
        .route("/log", get(account::get_log))
        .fallback(|| async { Error::NotFound })
}

/// The OpenAPI document served at `/api/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "spdyn control API", description = "Manage dynamic-DNS hosts and update tokens."),
    servers((url = "/api/v1")),
    paths(
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
