//! Server-side sessions: a random 256-bit cookie value, stored only as its
//! SHA-256, carrying a per-session CSRF token (synchronizer pattern). Before
//! sign-in there is no session: forms carry a signed double-submit token
//! (`auth::form_key`), so anonymous page views store nothing. One middleware
//! loads the session for every web request, rejects any state-changing
//! request whose form lacks the session's (or, without one, the form
//! cookie's) CSRF token, and confines an account that must enrol in 2FA
//! first to the enrolment.

use std::net::IpAddr;

use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, Method, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;

use super::principal::{Acting, Principal, PrincipalRow};
use crate::{
    db::{
        self,
        scope::{System, Tx},
    },
    domain::{
        accounts::{AccountId, Language},
        tenants::TenantId,
        tokens::{self, SecretHash},
        two_factor::Demand,
    },
    error::{Error, Invalid},
    html::HtmlError,
    paths::{ENROLMENT_PAGE, LOGOUT},
    state::AppState,
};

/// Name of the session cookie over plain HTTP (development).
pub const COOKIE: &str = "spdyn_session";
/// Name of the session cookie when the portal is served over TLS: the
/// `__Host-` prefix makes browsers refuse it unless it is `Secure`, host-only
/// and `Path=/`, so a sibling host cannot plant one (cookie tossing).
pub const SECURE_COOKIE: &str = "__Host-spdyn_session";
/// Names of the cookie holding the nonce of forms before sign-in (over
/// plain HTTP, over TLS).
pub const FORM_COOKIE: &str = "spdyn_form";
pub const SECURE_FORM_COOKIE: &str = "__Host-spdyn_form";
/// Names of the cookie holding the language chosen before sign-in.
const LANGUAGE_COOKIE: (&str, &str) = ("spdyn_lang", "__Host-spdyn_lang");
/// Where to go back to after signing in (an application's authorization
/// request that found nobody signed in).
const RETURN_COOKIE: (&str, &str) = ("spdyn_return", "__Host-spdyn_return");
const RETURN_LIFETIME_SECS: i64 = 30 * 60;
/// The only page a sign-in returns to: anything else would make the cookie
/// an open redirect.
const RETURN_PREFIX: &str = "/oauth/authorize?";
/// A chosen language is kept for a year.
const LANGUAGE_LIFETIME_SECS: i64 = 365 * 24 * 3600;
/// Name of the hidden form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// Lifetime of the form cookie (renewed with every form shown).
const FORM_LIFETIME_SECS: i64 = 2 * 3600;
/// Lifetime of a sign-in waiting for its TOTP code.
const SECOND_FACTOR_LIFETIME_SECS: i64 = 5 * 60;
/// What an account that must enrol in 2FA may reach.
pub const ENROLMENT_PATHS: &[&str] = &[ENROLMENT_PAGE, LOGOUT];
/// Largest form body the CSRF check reads.
const FORM_LIMIT: usize = 64 * 1024;

/// The session of the current request, put into the request's extensions by
/// [`middleware`].
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub id_hash: SecretHash,
    pub session: db::sessions::Session,
    /// Who is signed in, once every factor is in.
    pub principal: Option<Principal>,
    /// What 2FA asks of the signed-in account (`None` before sign-in).
    pub demand: Demand,
}

impl SessionContext {
    /// Signed in completely: the password and, with 2FA, the code.
    pub fn signed_in(&self) -> bool {
        self.principal.is_some()
    }

    /// The account waiting for its TOTP code, if this is such a session.
    pub fn pending_second_factor(&self) -> Option<AccountId> {
        self.session
            .account_id
            .filter(|_| self.session.second_factor_pending)
            .map(AccountId)
    }
}

/// The one place that makes cookies: HttpOnly, SameSite=Lax, Path=/, no
/// Domain; over TLS `Secure` with the `__Host-` name. `None` clears it.
fn make_cookie(
    (plain, prefixed): (&str, &str),
    value: Option<&str>,
    secure: bool,
    max_age_secs: i64,
) -> HeaderValue {
    let name = if secure { prefixed } else { plain };
    let mut text = match value {
        Some(value) => format!("{name}={value}; Max-Age={max_age_secs}"),
        None => format!("{name}=; Max-Age=0"),
    };
    text.push_str("; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        text.push_str("; Secure");
    }
    // The value is URL-safe base64: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session cookie (`secure`: the portal is served over TLS).
pub fn cookie(value: Option<&str>, secure: bool, max_age_secs: i64) -> HeaderValue {
    make_cookie((COOKIE, SECURE_COOKIE), value, secure, max_age_secs)
}

fn form_cookie(nonce: &str, secure: bool) -> HeaderValue {
    make_cookie(
        (FORM_COOKIE, SECURE_FORM_COOKIE),
        Some(nonce),
        secure,
        FORM_LIFETIME_SECS,
    )
}

/// The cookie that keeps a language chosen before sign-in.
pub fn language_cookie(language: Language, secure: bool) -> HeaderValue {
    make_cookie(
        LANGUAGE_COOKIE,
        Some(language.code()),
        secure,
        LANGUAGE_LIFETIME_SECS,
    )
}

/// The cookie that brings a sign-in back to `path` (an authorization
/// request); `None` clears it. The path is kept base64url-encoded, so any
/// query is a valid cookie value.
pub fn return_cookie(path: Option<&str>, secure: bool) -> HeaderValue {
    use base64::Engine;
    let value = path.map(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(p));
    make_cookie(
        RETURN_COOKIE,
        value.as_deref(),
        secure,
        RETURN_LIFETIME_SECS,
    )
}

/// The authorization request a sign-in should return to, if the cookie
/// holds one.
pub fn read_return(headers: &HeaderMap, secure: bool) -> Option<String> {
    use base64::Engine;
    let value = read_named(headers, RETURN_COOKIE, secure)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .ok()?;
    String::from_utf8(bytes).ok().filter(|path| {
        path.starts_with(RETURN_PREFIX)
            && path.len() <= 4000
            && path.bytes().all(|b| b.is_ascii_graphic())
    })
}

/// The language chosen before sign-in, if any. Either name is read: a
/// planted cookie could only change the language of the pages.
pub fn read_language(headers: &HeaderMap) -> Option<Language> {
    [true, false]
        .into_iter()
        .find_map(|secure| read_named(headers, LANGUAGE_COOKIE, secure))
        .and_then(|code| Language::from_code(&code))
}

/// A cookie's value from the request headers: the `__Host-` one when
/// `secure`, so a plain cookie planted by another host is never read.
fn read_named(
    headers: &HeaderMap,
    (plain, prefixed): (&str, &str),
    secure: bool,
) -> Option<String> {
    let wanted = if secure { prefixed } else { plain };
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == wanted && !value.is_empty()).then(|| value.to_owned())
        })
}

/// The session cookie's value from the request headers.
pub fn read_cookie(headers: &HeaderMap, secure: bool) -> Option<String> {
    read_named(headers, (COOKIE, SECURE_COOKIE), secure)
}

fn read_form_nonce(headers: &HeaderMap, secure: bool) -> Option<String> {
    // Our nonces are 43 characters; anything else is not worth an HMAC.
    read_named(headers, (FORM_COOKIE, SECURE_FORM_COOKIE), secure).filter(|n| n.len() <= 64)
}

/// The CSRF token a form page carries: the session's, or before sign-in the
/// signed token of the form cookie's nonce, with the cookie to (re)set — a
/// new nonce when the browser has none, so nothing is stored for it.
#[derive(Debug, Clone)]
pub struct FormCsrf {
    pub token: String,
    pub cookie: Option<HeaderValue>,
}

impl FromRequestParts<AppState> for FormCsrf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(context) = parts.extensions.get::<SessionContext>() {
            return Ok(Self {
                token: context.session.csrf_token.clone(),
                cookie: None,
            });
        }
        let secure = state.config.http.is_https();
        let nonce = read_form_nonce(&parts.headers, secure).unwrap_or_else(tokens::random_secret);
        Ok(Self {
            token: state.form_key.token(&nonce),
            cookie: Some(form_cookie(&nonce, secure)),
        })
    }
}

/// Loads the session (if any) into the request and enforces CSRF on every
/// request that is not GET or HEAD.
pub async fn middleware(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let context = match load(&state, request.headers()).await {
        Ok(context) => context,
        Err(error) => return HtmlError(error).into_response(),
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        // With a session only its token counts; without one, the token
        // signed for the form cookie's nonce.
        let nonce = read_form_nonce(request.headers(), state.config.http.is_https());
        if context.is_none() && nonce.is_none() {
            return HtmlError(Error::Csrf).into_response();
        }
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return HtmlError(Error::Invalid(Invalid::FormTooLarge)).into_response();
        };
        let presented = form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == CSRF_FIELD)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        let accepted = match (&context, &nonce) {
            (Some(context), _) => {
                let expected = context.session.csrf_token.as_bytes();
                !presented.is_empty() && bool::from(presented.as_bytes().ct_eq(expected))
            }
            (None, Some(nonce)) => state.form_key.accepts(nonce, &presented),
            (None, None) => false,
        };
        if !accepted {
            tracing::info!("request rejected: CSRF token missing or wrong");
            return HtmlError(Error::Csrf).into_response();
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    if let Some(to) = context
        .as_ref()
        .and_then(|c| confined_to(c, request.uri().path()))
    {
        return axum::response::Redirect::to(to).into_response();
    }
    if let Some(context) = context {
        request.extensions_mut().insert(context);
    }
    next.run(request).await
}

/// Where a confined session is sent instead of `path`, if anywhere. (A
/// sign-in waiting for its code is no signed-in user: `CurrentUser` turns it
/// away from every page that needs one, while the public pages — sign-up,
/// password reset — stay open to it.)
fn confined_to(context: &SessionContext, path: &str) -> Option<&'static str> {
    (context.demand == Demand::Enrol && !ENROLMENT_PATHS.contains(&path)).then_some(ENROLMENT_PAGE)
}

async fn load(state: &AppState, headers: &HeaderMap) -> Result<Option<SessionContext>, Error> {
    let Some(value) = read_cookie(headers, state.config.http.is_https()) else {
        return Ok(None);
    };
    let id_hash = tokens::hash(&value);
    // The cookie is all there is to go by yet: system scope.
    let mut tx = Tx::begin(&state.db, System).await?;
    let session = db::sessions::load(&mut tx, &id_hash).await?;
    tx.commit().await?;
    Ok(session.map(|session| {
        let principal = principal_of(&session);
        let demand = principal.as_ref().map_or(Demand::None, |p| {
            state.two_factor_demand(p.roles(), p.two_factor)
        });
        SessionContext {
            id_hash,
            session,
            principal,
            demand,
        }
    }))
}

/// The principal of a session that is signed in with every factor.
fn principal_of(s: &db::sessions::Session) -> Option<Principal> {
    if s.second_factor_pending {
        return None;
    }
    let acting = match (&s.acting_tenant_id, &s.acting_tenant_name) {
        (Some(tenant), Some(name)) => Some(Acting {
            tenant: TenantId(*tenant),
            name: name.clone(),
            customer_number: s.acting_customer_number.clone().unwrap_or_default(),
        }),
        _ => None,
    };
    let row = PrincipalRow {
        account_id: s.account_id?,
        name: s.account_name.as_deref()?,
        kind: s.kind.as_deref()?,
        tenant_id: s.tenant_id,
        reseller_id: s.reseller_id,
        reseller_name: s.reseller_name.as_deref(),
        role: s.role.as_deref()?,
        is_admin: s.is_admin.unwrap_or(false),
        two_factor: s.two_factor,
        linked: s.linked,
    };
    Some(row.principal(acting))
}

/// Sets (or clears) the customer a reseller user's session acts in.
pub async fn set_acting(
    state: &AppState,
    context: &SessionContext,
    tenant: Option<TenantId>,
) -> Result<(), Error> {
    let mut tx = Tx::begin(&state.db, System).await?;
    db::sessions::set_acting(&mut tx, &context.id_hash, tenant).await?;
    tx.commit().await?;
    Ok(())
}

/// Where a session is opened from (kept for the account's overview).
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub addr: Option<IpAddr>,
    pub user_agent: &'a str,
}

/// What a new session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the TOTP code is still to come.
    SecondFactor(AccountId),
    SignedIn(AccountId),
    /// Signed in by setting the password through a reset link: for a few
    /// minutes that stands in for the password at the 2FA enrolment.
    SignedInByReset(AccountId),
}

/// Creates a session and returns its CSRF token and the cookie that carries it.
/// A session just opened: its CSRF token, the cookie that carries it, and
/// its id's hash (what results shown once are kept under).
pub struct Opened {
    pub csrf: String,
    pub cookie: HeaderValue,
    pub id_hash: SecretHash,
}

pub async fn open(state: &AppState, stage: Stage, origin: Origin<'_>) -> Result<Opened, Error> {
    let id = tokens::random_secret();
    let csrf = tokens::random_secret();
    let (account, lifetime) = match stage {
        Stage::SecondFactor(account) => (account, SECOND_FACTOR_LIFETIME_SECS),
        Stage::SignedIn(account) | Stage::SignedInByReset(account) => (
            account,
            i64::try_from(state.config.accounts.session_lifetime().as_secs()).unwrap_or(i64::MAX),
        ),
    };
    let mut tx = Tx::begin(&state.db, System).await?;
    db::sessions::create(
        &mut tx,
        &db::sessions::NewSession {
            id_hash: &tokens::hash(&id),
            account,
            csrf_token: &csrf,
            lifetime_secs: lifetime,
            source: origin.addr,
            user_agent: &origin.user_agent.chars().take(300).collect::<String>(),
            second_factor_pending: matches!(stage, Stage::SecondFactor(_)),
            password_set: matches!(stage, Stage::SignedInByReset(_)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Opened {
        csrf,
        cookie: cookie(Some(&id), state.config.http.is_https(), lifetime),
        id_hash: tokens::hash(&id),
    })
}

/// Ends the current session (sign-out, or rotation at sign-in).
pub async fn close(state: &AppState, current: Option<&SessionContext>) -> Result<(), Error> {
    if let Some(context) = current {
        let mut tx = Tx::begin(&state.db, System).await?;
        db::sessions::delete(&mut tx, &context.id_hash).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Replaces the current session with a new one of `stage` (a new id at
/// every step up: a session id known before cannot be carried over) and
/// returns its CSRF token and cookie.
pub async fn rotate(
    state: &AppState,
    current: Option<&SessionContext>,
    stage: Stage,
    origin: Origin<'_>,
) -> Result<Opened, Error> {
    close(state, current).await?;
    open(state, stage, origin).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_lax_and_host_only_secure_behind_tls() {
        let plain = cookie(Some("abc"), false, 60);
        assert_eq!(
            plain.to_str().unwrap(),
            "spdyn_session=abc; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"
        );
        let tls = cookie(Some("abc"), true, 60);
        assert_eq!(
            tls.to_str().unwrap(),
            "__Host-spdyn_session=abc; Max-Age=60; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(
            form_cookie("n", true)
                .to_str()
                .unwrap()
                .starts_with("__Host-spdyn_form=n;")
        );
        let cleared = cookie(None, false, 60);
        assert!(
            cleared
                .to_str()
                .unwrap()
                .starts_with("spdyn_session=; Max-Age=0")
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; spdyn_session=xyz; b=2"),
        );
        assert_eq!(read_cookie(&headers, false).as_deref(), Some("xyz"));
        assert_eq!(read_cookie(&headers, true), None, "over TLS only __Host-");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("spdyn_session=planted; __Host-spdyn_session=real"),
        );
        assert_eq!(read_cookie(&headers, true).as_deref(), Some("real"));
        headers.insert(header::COOKIE, HeaderValue::from_static("spdyn_session="));
        assert_eq!(read_cookie(&headers, false), None);
    }
}
