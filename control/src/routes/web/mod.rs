//! The web UI: server-rendered HTML (askama), English and German; every
//! page works without script (one small script only adds copy buttons).
//! Every route here runs behind the session middleware, which also enforces
//! CSRF tokens on every form and confines an account that must enrol in 2FA
//! first to the enrolment.

pub mod pages;

mod account;
mod admin;
mod api_tokens;
mod confirm;
mod dashboard;
mod guide;
mod hosts;
mod linking;
mod log;
mod oauth;
mod reseller;
mod two_factor;
mod users;

use askama::Template;
use axum::{
    Router,
    extract::{FromRequestParts, Request},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::{MethodRouter, get, post},
};

pub(crate) use crate::html::render;
use crate::{
    auth::{
        CurrentUser,
        extractors::{Lang, MaybeSession},
        session,
    },
    db::accounts::Kind,
    html::ErrorKey,
    paths,
    state::AppState,
};

/// The routes of the web UI.
pub fn router(state: AppState) -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            return_after_sign_in,
        ))
        .route_layer(middleware::from_fn(framed_errors))
        .route_layer(middleware::from_fn_with_state(state, session::middleware))
}

/// A sign-in (the password step, or the code step) that lands on a start
/// page goes back instead to the authorization request that sent the user
/// to sign in, if one did (`session::return_cookie`).
async fn return_after_sign_in(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let signing_in = request.method() == axum::http::Method::POST
        && ([
            paths::LOGIN,
            paths::TENANT_LOGIN,
            paths::RESELLER_LOGIN,
            paths::LINKED_LOGIN,
            paths::CODE_PAGE,
        ]
        .contains(&path)
            || (path.starts_with("/t/") && path.ends_with("/login")));
    let secure = state.config.http.is_https();
    let back = signing_in
        .then(|| session::read_return(request.headers(), secure))
        .flatten();
    let mut response = next.run(request).await;
    let Some(back) = back else {
        return response;
    };
    let landed = response.status() == StatusCode::SEE_OTHER
        && response
            .headers()
            .get(header::LOCATION)
            .is_some_and(|l| l == paths::HOSTS || l == paths::CUSTOMERS);
    if landed && let Ok(location) = HeaderValue::from_str(&back) {
        let headers = response.headers_mut();
        headers.insert(header::LOCATION, location);
        headers.append(header::SET_COOKIE, session::return_cookie(None, secure));
    }
    response
}

/// An error page in the frame of the request: its language, its navigation
/// (signed in or not), one language only.
async fn framed_errors(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let user = CurrentUser::from_request_parts(&mut parts, &()).await.ok();
    let Ok(Lang(language)) = Lang::from_request_parts(&mut parts, &()).await;
    let response = next.run(Request::from_parts(parts, body)).await;
    let Some(ErrorKey(key)) = response.extensions().get::<ErrorKey>().copied() else {
        return response;
    };
    let c = match &user {
        Some(user) => pages::Chrome::signed_in(user),
        None => pages::Chrome::anonymous(language, String::new()),
    };
    let page = pages::ErrorFramePage {
        c,
        status: response.status().as_u16(),
        message: key,
    };
    (response.status(), render(&page)).into_response()
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
        (
            paths::LOGIN,
            get(account::login_get::<account::StandaloneLogin>)
                .post(account::login_post::<account::StandaloneLogin>),
        ),
        (
            paths::TENANT_LOGIN,
            get(account::login_get::<account::TenantLogin>).post(account::tenant_login_post),
        ),
        (
            paths::TENANT_LOGIN_AT,
            get(account::tenant_login_at_get).post(account::tenant_login_at_post),
        ),
        (
            paths::LINKED_LOGIN,
            get(account::login_get::<account::LinkedLogin>)
                .post(account::login_post::<account::LinkedLogin>),
        ),
        (
            paths::RESELLER_LOGIN,
            get(account::login_get::<account::ResellerLogin>)
                .post(account::login_post::<account::ResellerLogin>),
        ),
        (
            paths::CODE_PAGE,
            get(two_factor::code_get).post(two_factor::code_post),
        ),
        (paths::LOGOUT, post(account::logout_post)),
        ("/language/{code}", get(account::language_get)),
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
        (
            "/account/link",
            get(linking::link_get).post(linking::link_post),
        ),
        ("/account/unlink", post(linking::unlink_post)),
        (
            "/profile/email/{token}",
            get(account::email_link_get).post(account::email_link_post),
        ),
        ("/2fa", get(two_factor::settings_get)),
        (
            paths::ENROLMENT_PAGE,
            get(two_factor::enrol_get).post(two_factor::enrol_post),
        ),
        ("/2fa/disable", post(two_factor::disable_post)),
        (
            two_factor::RECOVERY_CODES_PAGE,
            get(two_factor::recovery_codes_get),
        ),
        (paths::DASHBOARD, get(dashboard::dashboard_get)),
        (paths::HOSTS, get(hosts::hosts_get).post(hosts::host_create)),
        ("/hosts/{id}", get(hosts::host_get).post(hosts::host_update)),
        ("/hosts/{id}/enabled", post(hosts::host_enabled)),
        ("/hosts/{id}/delete", post(hosts::host_delete)),
        ("/hosts/{id}/move", post(hosts::host_move)),
        (
            "/hosts/{id}/token",
            get(hosts::token_get).post(hosts::token_set),
        ),
        ("/hosts/{id}/token/revoke", post(hosts::token_revoke)),
        (
            "/tokens/missing",
            get(hosts::tokens_download).post(hosts::tokens_missing),
        ),
        ("/licences", get(reseller::tenant_licences_get)),
        ("/users", get(users::users_get).post(users::invite_post)),
        ("/users/{id}/role", post(users::role_post)),
        ("/users/{id}/active", post(users::active_post)),
        ("/log", get(log::log_get)),
        ("/log.csv", get(log::log_csv)),
        (
            "/api-tokens",
            get(api_tokens::list_get).post(api_tokens::create_post),
        ),
        ("/api-tokens/{id}/revoke", post(api_tokens::revoke_post)),
        (
            paths::CUSTOMERS,
            get(reseller::customers_get).post(reseller::customer_create),
        ),
        (
            "/reseller/customers/{id}",
            get(reseller::customer_get).post(reseller::customer_rename),
        ),
        (
            "/reseller/customers/{id}/licences",
            post(reseller::licence_create),
        ),
        (
            "/reseller/customers/{id}/users",
            post(reseller::user_create),
        ),
        ("/reseller/customers/{id}/open", post(reseller::open_post)),
        ("/reseller/licences", get(reseller::licences_get)),
        (
            "/reseller/licences/{id}",
            get(reseller::licence_get).post(reseller::licence_update),
        ),
        (paths::SELECT_CUSTOMER, get(reseller::select_get)),
        ("/reseller/leave", post(reseller::leave_post)),
        ("/reseller/log", get(log::reseller_log_get)),
        ("/reseller/log.csv", get(log::reseller_log_csv)),
        ("/admin", get(admin::admin_get)),
        ("/admin/resellers", post(admin::reseller_create)),
        ("/admin/move", post(admin::move_post)),
        ("/admin/accounts/{id}/enabled", post(admin::enabled_post)),
        ("/admin/tenants/{id}/quota", post(admin::quota_post)),
        ("/admin/applications", post(oauth::register_post)),
        (
            crate::routes::oauth::AUTHORIZE_PATH,
            get(oauth::authorize_get).post(oauth::authorize_post),
        ),
        ("/applications", get(oauth::applications_get)),
        ("/applications/{id}/revoke", post(oauth::revoke_post)),
    ]
}

/// Where a signed-in principal starts: a reseller user at its customers
/// (or the opened customer's hosts), everyone else at the hosts.
pub(crate) fn home_path(user: &crate::auth::principal::Principal) -> &'static str {
    match (user.kind, &user.acting) {
        (Kind::ResellerUser, None) => paths::CUSTOMERS,
        _ => paths::HOSTS,
    }
}

async fn root(session: MaybeSession) -> Redirect {
    let to = session
        .0
        .and_then(|c| c.principal)
        .map_or(paths::LOGIN, |p| home_path(&p));
    Redirect::to(to)
}

/// `?done=…` after a redirect names the notice to show.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Done {
    pub done: Option<String>,
}

/// `?show=…`: the key of a result shown once (`crate::shown_once`).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Show {
    pub show: Option<String>,
}

impl Show {
    /// The result the key names, if it waits for this user's session; taken.
    pub fn take(self, state: &AppState, user: &CurrentUser) -> Option<crate::shown_once::Shown> {
        let key = self.show?;
        state.shown_once.take(&user.session.id_hash, &key)
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

/// The page frame of a signed-in user with the notifications panel: the
/// dashboard's items of the tenant in view, or of a reseller's customers.
pub(crate) async fn chrome(
    state: &AppState,
    user: &CurrentUser,
) -> Result<pages::Chrome, crate::error::Error> {
    let c = pages::Chrome::signed_in(user);
    let items = if let Ok(tenant) = user.tenant() {
        crate::ops::dashboard::items(&state.db, &state.config, tenant, state.licensing()).await?
    } else if let Ok(reseller) = user.reseller() {
        crate::ops::dashboard::items(&state.db, &state.config, reseller, state.licensing()).await?
    } else {
        return Ok(c);
    };
    Ok(c.with_panel(items))
}
