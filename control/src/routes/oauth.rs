//! The OAuth token endpoint (RFC 6749 §3.2) and the authorization server's
//! metadata (RFC 8414). Outside the portal's session and CSRF layer: an
//! application calls them directly, with a form body, no cookies.

use axum::{
    Form, Json, Router,
    extract::{State, rejection::FormRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::json;

use crate::{
    auth::ClientAddr,
    domain::scopes::Scope,
    ops::oauth::{self, TokenError, TokenRequest},
    state::AppState,
};

/// Where the authorization endpoint and the token endpoint are.
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route("/.well-known/oauth-authorization-server", get(metadata))
}

/// Token responses are never cached (RFC 6749 §5.1).
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn error(error: TokenError) -> Response {
    let (status, code, description) = match error {
        TokenError::InvalidRequest(why) => (StatusCode::BAD_REQUEST, "invalid_request", why),
        TokenError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client", "unknown client"),
        TokenError::InvalidGrant(why) => (StatusCode::BAD_REQUEST, "invalid_grant", why),
        TokenError::UnsupportedGrantType => (
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        ),
    };
    no_store(
        status,
        json!({"error": code, "error_description": description}),
    )
}

#[tracing::instrument(skip_all, fields(client = ?client.addr))]
async fn token(
    State(state): State<AppState>,
    client: ClientAddr,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    let Ok(Form(request)) = form else {
        return error(TokenError::InvalidRequest(
            "a form-encoded body (application/x-www-form-urlencoded)",
        ));
    };
    match oauth::exchange(&state.db, &request, client.addr).await {
        Ok(issued) => no_store(
            StatusCode::OK,
            json!({
                "access_token": issued.token,
                "token_type": "Bearer",
                "scope": issued.scopes.join(" "),
            }),
        ),
        Err(e) => error(e),
    }
}

async fn metadata(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = state.config.http.public_url.trim_end_matches('/');
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": scopes,
    }))
}
