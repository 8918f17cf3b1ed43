//! The web UI: server-rendered HTML (askama), English and German, no script.
//! Every route here runs behind the session middleware, which also enforces
//! CSRF tokens on every form and confines an account that must enrol in 2FA
//! first to the enrolment.

pub mod i18n;
pub mod pages;

mod account;
mod admin;
mod api_tokens;
mod hosts;
mod log;
mod two_factor;

use askama::Template;
use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    middleware,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{MethodRouter, get, post},
};

use crate::{
    auth::{ClientAddr, CurrentUser, extractors::MaybeSession, session},
    ops::Actor,
    state::AppState,
};

/// The routes of the web UI.
pub fn router(state: AppState) -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .route_layer(middleware::from_fn_with_state(state, session::middleware))
}

/// The path of every route of the web UI, for tests that walk them all
/// (e.g. "nothing is reachable before enrolment").
pub fn paths() -> Vec<&'static str> {
    routes().into_iter().map(|(path, _)| path).collect()
}

/// Every route, in one table, so the router and [`paths`] cannot disagree.
fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(root)),
        ("/login", get(account::login_get).post(account::login_post)),
        (
            session::CODE_PAGE,
            get(two_factor::code_get).post(two_factor::code_post),
        ),
        ("/logout", post(account::logout_post)),
        (
            "/signup",
            get(account::signup_get).post(account::signup_post),
        ),
        (
            "/reset",
            get(account::reset_request_get).post(account::reset_request_post),
        ),
        (
            "/reset/{token}",
            get(account::reset_get).post(account::reset_post),
        ),
        (
            "/profile",
            get(account::profile_get).post(account::profile_post),
        ),
        ("/profile/password", post(account::password_post)),
        ("/2fa", get(two_factor::settings_get)),
        (
            crate::error::ENROLMENT_PAGE,
            get(two_factor::enrol_get).post(two_factor::enrol_post),
        ),
        ("/2fa/disable", post(two_factor::disable_post)),
        ("/hosts", get(hosts::hosts_get).post(hosts::host_create)),
        ("/hosts/{id}", get(hosts::host_get).post(hosts::host_update)),
        ("/hosts/{id}/enabled", post(hosts::host_enabled)),
        ("/hosts/{id}/delete", post(hosts::host_delete)),
        ("/hosts/{id}/token", post(hosts::token_set)),
        ("/hosts/{id}/token/revoke", post(hosts::token_revoke)),
        ("/tokens/missing", post(hosts::tokens_missing)),
        ("/log", get(log::log_get)),
        ("/log.csv", get(log::log_csv)),
        (
            "/api-tokens",
            get(api_tokens::list_get).post(api_tokens::create_post),
        ),
        ("/api-tokens/{id}/revoke", post(api_tokens::revoke_post)),
        ("/admin", get(admin::admin_get)),
        ("/admin/move", post(admin::move_post)),
        ("/admin/accounts/{id}/enabled", post(admin::enabled_post)),
        ("/admin/accounts/{id}/quota", post(admin::quota_post)),
    ]
}

async fn root(session: MaybeSession) -> Redirect {
    let signed_in = session.0.is_some_and(|c| c.signed_in());
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
