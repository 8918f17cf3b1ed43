//! The web UI: server-rendered HTML (askama), English and German, no script.
//! Every route here runs behind the session middleware, which also enforces
//! CSRF tokens on every form.

pub mod i18n;
pub mod pages;

mod account;
mod admin;
mod api_tokens;
mod hosts;
mod log;

use askama::Template;
use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    middleware,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};

use crate::{
    auth::{ClientAddr, CurrentUser, extractors::MaybeSession, session},
    ops::Actor,
    state::AppState,
};

/// The routes of the web UI.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/login", get(account::login_get).post(account::login_post))
        .route("/logout", post(account::logout_post))
        .route(
            "/signup",
            get(account::signup_get).post(account::signup_post),
        )
        .route(
            "/reset",
            get(account::reset_request_get).post(account::reset_request_post),
        )
        .route(
            "/reset/{token}",
            get(account::reset_get).post(account::reset_post),
        )
        .route(
            "/profile",
            get(account::profile_get).post(account::profile_post),
        )
        .route("/profile/password", post(account::password_post))
        .route("/hosts", get(hosts::hosts_get).post(hosts::host_create))
        .route("/hosts/{id}", get(hosts::host_get).post(hosts::host_update))
        .route("/hosts/{id}/enabled", post(hosts::host_enabled))
        .route("/hosts/{id}/delete", post(hosts::host_delete))
        .route("/hosts/{id}/token", post(hosts::token_set))
        .route("/hosts/{id}/token/revoke", post(hosts::token_revoke))
        .route("/tokens/missing", post(hosts::tokens_missing))
        .route("/log", get(log::log_get))
        .route("/log.csv", get(log::log_csv))
        .route(
            "/api-tokens",
            get(api_tokens::list_get).post(api_tokens::create_post),
        )
        .route("/api-tokens/{id}/revoke", post(api_tokens::revoke_post))
        .route("/admin", get(admin::admin_get))
        .route("/admin/move", post(admin::move_post))
        .route("/admin/accounts/{id}/enabled", post(admin::enabled_post))
        .route("/admin/accounts/{id}/quota", post(admin::quota_post))
        .route_layer(middleware::from_fn_with_state(state, session::middleware))
}

async fn root(session: MaybeSession) -> Redirect {
    let signed_in = session.0.is_some_and(|c| c.session.account_id.is_some());
    Redirect::to(if signed_in { "/hosts" } else { "/login" })
}

/// `?done=…` after a redirect names the notice to show.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Done {
    pub done: Option<String>,
}

/// Renders a template as an HTML response; a template error is a 500.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A page with a status and, for a new anonymous session, its cookie.
pub(crate) fn page_with<T: Template>(
    status: StatusCode,
    template: &T,
    cookie: Option<HeaderValue>,
) -> Response {
    let mut response = (status, render(template)).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The signed-in user as the actor of a change.
pub(crate) fn actor(user: &CurrentUser, client: &ClientAddr) -> Actor {
    Actor {
        account: user.account,
        name: user.name.clone(),
        source: client.addr,
    }
}
