//! Sign-in, sign-out, sign-up, password reset and profile pages.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done, page_with,
    pages::{
        Chrome, EmailConfirmPage, LanguageOption, LoginKind, LoginPage, ProfilePage, ResetFormPage,
        ResetRequestPage, SignupPage,
    },
    render,
};
use crate::{
    auth::{
        ClientAddr, CurrentUser,
        extractors::{Lang, MaybeSession},
        session::{self, FormCsrf, Stage},
    },
    db::{
        self,
        accounts::Kind,
        log::{Action, NewEntry, Who},
        scope::{System, Tx},
    },
    domain::{
        accounts::{AccountId, Language, Role},
        tenants::{ResellerId, TenantId},
        two_factor::{Demand, Roles},
    },
    error::Error,
    html::HtmlError,
    ops::{
        self,
        accounts::{Portal, ResetDone, SigninError},
    },
    paths,
    state::AppState,
};

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    /// The tenant domain (tenant sign-in only).
    domain: Option<String>,
}

/// A sign-in page of one portal.
pub(super) struct Login {
    kind: LoginKind,
    action: String,
    domain: String,
    domain_fixed: bool,
}

impl Login {
    fn standalone() -> Self {
        Self {
            kind: LoginKind::Standalone,
            action: paths::LOGIN.into(),
            domain: String::new(),
            domain_fixed: false,
        }
    }

    fn reseller() -> Self {
        Self {
            kind: LoginKind::Reseller,
            action: paths::RESELLER_LOGIN.into(),
            ..Self::standalone()
        }
    }

    fn linked() -> Self {
        Self {
            kind: LoginKind::Linked,
            action: paths::LINKED_LOGIN.into(),
            ..Self::standalone()
        }
    }

    fn tenant(domain: Option<String>) -> Self {
        let domain_fixed = domain.is_some();
        let domain: String = domain.unwrap_or_default().chars().take(253).collect();
        Self {
            kind: LoginKind::Tenant,
            action: if domain_fixed {
                paths::tenant_login_at(&domain)
            } else {
                paths::TENANT_LOGIN.into()
            },
            domain,
            domain_fixed,
        }
    }

    fn page(&self, c: Chrome, name: String, signup: bool) -> LoginPage {
        LoginPage {
            c,
            kind: self.kind,
            action: self.action.clone(),
            name,
            domain: self.domain.clone(),
            domain_fixed: self.domain_fixed,
            signup: signup && self.kind == LoginKind::Standalone,
        }
    }
}

async fn show_login(
    state: &AppState,
    current: Option<session::SessionContext>,
    lang: Language,
    form: FormCsrf,
    done: Option<&str>,
    login: Login,
) -> Result<Response, HtmlError> {
    if let Some(principal) = current.as_ref().and_then(|c| c.principal.as_ref()) {
        return Ok(Redirect::to(super::home_path(principal)).into_response());
    }
    if current
        .as_ref()
        .is_some_and(|c| c.pending_second_factor().is_some())
    {
        return Ok(Redirect::to(paths::CODE_PAGE).into_response());
    }
    let c = Chrome::anonymous(lang, form.token).with_done(done);
    let page = login.page(c, String::new(), state.config.accounts.signup);
    Ok(page_with(StatusCode::OK, &page, form.cookie))
}

/// A sign-in portal whose page needs nothing from the request to know it
/// (the tenant portal with the domain in its path does).
pub(super) trait PortalLogin {
    fn login() -> Login;
}

pub(super) struct StandaloneLogin;
pub(super) struct ResellerLogin;
pub(super) struct LinkedLogin;
pub(super) struct TenantLogin;

impl PortalLogin for StandaloneLogin {
    fn login() -> Login {
        Login::standalone()
    }
}

impl PortalLogin for ResellerLogin {
    fn login() -> Login {
        Login::reseller()
    }
}

impl PortalLogin for LinkedLogin {
    fn login() -> Login {
        Login::linked()
    }
}

impl PortalLogin for TenantLogin {
    fn login() -> Login {
        Login::tenant(None)
    }
}

/// The sign-in page of portal `P`.
#[tracing::instrument(skip_all)]
pub(super) async fn login_get<P: PortalLogin>(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    form: FormCsrf,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let done = done.done.as_deref();
    show_login(&state, current, lang, form, done, P::login()).await
}

/// The password step in portal `P` (the tenant portal's domain comes with
/// its form: `tenant_login_post`).
#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub(super) async fn login_post<P: PortalLogin>(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    client: ClientAddr,
    csrf: FormCsrf,
    Form(form): Form<LoginForm>,
) -> Result<Response, HtmlError> {
    sign_in(&state, current, lang, &client, csrf, form, P::login()).await
}

#[tracing::instrument(skip_all)]
pub async fn tenant_login_at_get(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    form: FormCsrf,
    Path(domain): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let done = done.done.as_deref();
    show_login(
        &state,
        current,
        lang,
        form,
        done,
        Login::tenant(Some(domain)),
    )
    .await
}

#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn tenant_login_post(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    client: ClientAddr,
    csrf: FormCsrf,
    Form(form): Form<LoginForm>,
) -> Result<Response, HtmlError> {
    let login = Login {
        domain: form.domain.clone().unwrap_or_default(),
        ..Login::tenant(None)
    };
    sign_in(&state, current, lang, &client, csrf, form, login).await
}

#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn tenant_login_at_post(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    client: ClientAddr,
    csrf: FormCsrf,
    Path(domain): Path<String>,
    Form(form): Form<LoginForm>,
) -> Result<Response, HtmlError> {
    sign_in(
        &state,
        current,
        lang,
        &client,
        csrf,
        form,
        Login::tenant(Some(domain)),
    )
    .await
}

/// Step one of a sign-in in any portal: the password.
async fn sign_in(
    state: &AppState,
    current: Option<session::SessionContext>,
    lang: Language,
    client: &ClientAddr,
    csrf: FormCsrf,
    form: LoginForm,
    login: Login,
) -> Result<Response, HtmlError> {
    let portal = match login.kind {
        LoginKind::Standalone => Portal::Standalone,
        LoginKind::Reseller => Portal::Reseller,
        LoginKind::Linked => Portal::Linked,
        LoginKind::Tenant => Portal::Tenant {
            domain: &login.domain,
        },
    };
    let result = ops::accounts::signin(
        &state.db,
        &state.config,
        portal,
        &form.name,
        &form.password,
        client.addr,
    )
    .await;
    match result {
        Ok(ok) if ok.needs_code => {
            // Step one of two: a short-lived session that reaches only the
            // code prompt (and a new id again once the code is right).
            let stage = Stage::SecondFactor(ok.account.account_id());
            let cookie = session::rotate(state, current.as_ref(), stage, client.origin())
                .await?
                .cookie;
            let mut response = Redirect::to(paths::CODE_PAGE).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        Ok(ok) => {
            let roles = Roles {
                operator: ok.account.is_admin,
                tenant_admin: ok.account.kind() == Kind::TenantUser
                    && ok.account.role() == Role::Admin,
                reseller_user: ok.account.kind() == Kind::ResellerUser,
            };
            // Whoever must enrol goes straight to the enrolment.
            let to = match (state.two_factor_demand(roles, false), ok.account.kind()) {
                (Demand::Enrol, _) => paths::ENROLMENT_PAGE,
                (_, Kind::ResellerUser) => paths::CUSTOMERS,
                _ => paths::HOSTS,
            };
            signed_in(state, current.as_ref(), ok.account.account_id(), client, to).await
        }
        Err(SigninError::Other(error)) => Err(error.into()),
        Err(failure) => {
            let (status, key) = match failure {
                SigninError::Throttled => (StatusCode::TOO_MANY_REQUESTS, "login.throttled"),
                SigninError::Linked => (StatusCode::UNAUTHORIZED, "login.linked"),
                _ => (StatusCode::UNAUTHORIZED, "login.failed"),
            };
            let c = Chrome::anonymous(lang, csrf.token).with_error_key(key);
            let name = form.name.chars().take(64).collect();
            let page = login.page(c, name, state.config.accounts.signup);
            Ok(page_with(status, &page, csrf.cookie))
        }
    }
}

/// Replaces the current session with a signed-in one and redirects to `to`.
/// A new session id at sign-in: a session fixed before cannot be carried over.
pub(super) async fn signed_in(
    state: &AppState,
    current: Option<&session::SessionContext>,
    account: AccountId,
    client: &ClientAddr,
    to: &str,
) -> Result<Response, HtmlError> {
    let cookie = session::rotate(state, current, Stage::SignedIn(account), client.origin())
        .await?
        .cookie;
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

#[tracing::instrument(skip_all)]
pub async fn logout_post(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    client: ClientAddr,
) -> Result<Response, HtmlError> {
    let mut to = paths::LOGIN;
    if let Some(context) = &current
        && let (Some(id), Some(name)) = (context.session.account_id, &context.session.account_name)
    {
        let s = &context.session;
        let entry = NewEntry {
            account: Some(AccountId(id)),
            tenant: s.tenant_id.map(TenantId),
            reseller: s.reseller_id.map(ResellerId),
            actor: Who::named(name),
            action: Action::Signout,
            target: name,
            detail: "",
            source: client.addr,
        };
        let mut tx = Tx::begin(&state.db, System).await?;
        db::log::add(&mut tx, &entry).await?;
        tx.commit().await?;
        if s.kind.as_deref() == Some(Kind::ResellerUser.code()) {
            to = paths::RESELLER_LOGIN;
        }
    }
    session::close(&state, current.as_ref()).await?;
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::cookie(None, state.config.http.is_https(), 0),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct SignupForm {
    name: String,
    email: String,
    password: String,
}

#[tracing::instrument(skip_all)]
pub async fn signup_get(
    State(state): State<AppState>,
    Lang(lang): Lang,
    form: FormCsrf,
) -> Result<Response, HtmlError> {
    let open = state.config.accounts.signup;
    let page = SignupPage {
        c: Chrome::anonymous(lang, form.token),
        open,
        name: String::new(),
        email: String::new(),
    };
    let status = if open {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok(page_with(status, &page, form.cookie))
}

#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn signup_post(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    client: ClientAddr,
    csrf: FormCsrf,
    Form(form): Form<SignupForm>,
) -> Result<Response, HtmlError> {
    if !state.config.accounts.signup {
        return Err(Error::NotFound.into());
    }
    let input = ops::accounts::Signup {
        name: &form.name,
        email: &form.email,
        password: &form.password,
        language: lang,
        source: client.addr,
    };
    match ops::accounts::signup(&state.db, &state.config, input).await {
        Ok(account) => {
            signed_in(
                &state,
                current.as_ref(),
                account.account_id(),
                &client,
                "/hosts?done=signed_up",
            )
            .await
        }
        Err(error) if !error.status_code().is_server_error() => {
            let page = SignupPage {
                c: Chrome::anonymous(lang, csrf.token).with_field_error(
                    &error,
                    &[
                        ("name", "name"),
                        ("email", "email"),
                        ("password", "password"),
                    ],
                ),
                open: true,
                name: form.name.chars().take(64).collect(),
                email: form.email.chars().take(254).collect(),
            };
            Ok(page_with(error.status_code(), &page, csrf.cookie))
        }
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all)]
pub async fn reset_request_get(Lang(lang): Lang, form: FormCsrf) -> Response {
    let page = ResetRequestPage {
        c: Chrome::anonymous(lang, form.token),
        sent: false,
    };
    page_with(StatusCode::OK, &page, form.cookie)
}

#[derive(Debug, Deserialize)]
pub struct ResetRequestForm {
    who: String,
}

#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn reset_request_post(
    State(state): State<AppState>,
    Lang(lang): Lang,
    client: ClientAddr,
    csrf: FormCsrf,
    Form(form): Form<ResetRequestForm>,
) -> Result<Response, HtmlError> {
    let result = ops::accounts::request_reset(&state.db, &state.config, &form.who, client.addr);
    let (status, c) = match result.await {
        Ok(()) => {
            state.mail_wake.notify_one();
            (StatusCode::OK, Chrome::anonymous(lang, csrf.token))
        }
        // The same for every name: the source asked too often.
        Err(error @ Error::TooManyRequests) => (
            error.status_code(),
            Chrome::anonymous(lang, csrf.token).with_error(&error),
        ),
        Err(error) => return Err(error.into()),
    };
    let sent = status == StatusCode::OK;
    Ok(page_with(
        status,
        &ResetRequestPage { c, sent },
        csrf.cookie,
    ))
}

/// A mailed link's page: 404 for a link that is unknown, used or expired, so
/// the page says so and nothing else is shown.
fn link_status(valid: bool) -> StatusCode {
    if valid {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

#[tracing::instrument(skip_all)]
pub async fn reset_get(
    State(state): State<AppState>,
    Lang(lang): Lang,
    form: FormCsrf,
    Path(token): Path<String>,
) -> Result<Response, HtmlError> {
    let valid = ops::accounts::reset_link_valid(&state.db, &token).await?;
    let status = link_status(valid);
    let page = ResetFormPage {
        c: Chrome::anonymous(lang, form.token),
        token,
        valid,
    };
    Ok(page_with(status, &page, form.cookie))
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    password: String,
}

#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn reset_post(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    client: ClientAddr,
    csrf: FormCsrf,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, HtmlError> {
    let result = ops::accounts::reset_password(
        &state.db,
        &state.config,
        &token,
        &form.password,
        client.addr,
    )
    .await;
    match result {
        // With 2FA the next sign-in asks for the code as always.
        Ok(ResetDone {
            two_factor: true,
            sign_in,
            ..
        }) => Ok(Redirect::to(&format!("{sign_in}?done=reset_done")).into_response()),
        // Without: the link and the new password are what a sign-in would
        // ask for, so the flow goes on signed in to screen 3, the QR code
        // (PRODUCT.md §7: mail → link → new password → QR code → code).
        // The session stands in for the password at that enrolment for a
        // few minutes (`Stage::SignedInByReset`): the user just chose it.
        Ok(done) => {
            let to = format!("{}?from=reset", paths::ENROLMENT_PAGE);
            let stage = Stage::SignedInByReset(done.account.account_id());
            let cookie = session::rotate(&state, current.as_ref(), stage, client.origin())
                .await?
                .cookie;
            let mut response = Redirect::to(&to).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        Err(Error::NotFound) => {
            let page = ResetFormPage {
                c: Chrome::anonymous(lang, csrf.token),
                token,
                valid: false,
            };
            Ok(page_with(StatusCode::NOT_FOUND, &page, csrf.cookie))
        }
        Err(error @ Error::Invalid(_)) => {
            let page = ResetFormPage {
                c: Chrome::anonymous(lang, csrf.token)
                    .with_field_error(&error, &[("password", "password")]),
                token,
                valid: true,
            };
            Ok(page_with(error.status_code(), &page, csrf.cookie))
        }
        Err(error) => Err(error.into()),
    }
}

async fn profile_page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
) -> Result<ProfilePage, Error> {
    let account = ops::accounts::own_account(&state.db, &user.principal.actor(None, None)?).await?;
    let current = account.language();
    let languages = Language::ALL
        .into_iter()
        .map(|l| LanguageOption {
            code: l.code(),
            name: match l {
                Language::En => "English",
                Language::De => "Deutsch",
            },
            selected: l == current,
        })
        .collect();
    let email_pending =
        ops::profile::pending_email(&state.db, &user.principal.actor(None, None)?).await?;
    Ok(ProfilePage {
        c,
        email: account.email,
        email_pending,
        languages,
        digest: account.digest,
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn profile_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = Chrome::signed_in(&user).with_done(done.done.as_deref());
    Ok(render(&profile_page(&state, &user, c).await?))
}

#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    email: String,
    language: String,
    digest: Option<String>,
    /// Needed when the e-mail address changes.
    #[serde(default)]
    current_password: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn profile_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<ProfileForm>,
) -> Result<Response, HtmlError> {
    let actor = user.actor(&client)?;
    let change = ops::profile::ProfileChange {
        email: &form.email,
        language: &form.language,
        digest: form.digest.is_some(),
        current_password: &form.current_password,
    };
    let result = ops::profile::update(&state.db, &state.config, &actor, change).await;
    let done = match &result {
        Ok(saved) if saved.email_pending.is_some() => "/profile?done=email_pending",
        _ => "/profile?done=saved",
    };
    // The confirmation link and the notice to the current address.
    state.mail_wake.notify_one();
    let placed = [("email", "email"), ("current_password", "profile_password")];
    profile_outcome(&state, &user, result.map(drop), done, &placed).await
}

/// The page of a confirmation link for a new e-mail address: it asks for a
/// click (so a mail scanner opening the link changes nothing).
#[tracing::instrument(skip_all)]
pub async fn email_link_get(
    State(state): State<AppState>,
    Lang(lang): Lang,
    form: FormCsrf,
    Path(token): Path<String>,
) -> Result<Response, HtmlError> {
    let new_email = ops::profile::email_link(&state.db, &token).await?;
    let status = link_status(new_email.is_some());
    let page = EmailConfirmPage {
        c: Chrome::anonymous(lang, form.token),
        token,
        new_email,
        done: None,
    };
    Ok(page_with(status, &page, form.cookie))
}

#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn email_link_post(
    State(state): State<AppState>,
    Lang(lang): Lang,
    client: ClientAddr,
    csrf: FormCsrf,
    Path(token): Path<String>,
) -> Result<Response, HtmlError> {
    let (status, new_email, done) =
        match ops::profile::confirm_email(&state.db, &token, client.addr).await {
            Ok(email) => {
                state.mail_wake.notify_one();
                (StatusCode::OK, None, Some(email))
            }
            Err(Error::NotFound) => (StatusCode::NOT_FOUND, None, None),
            Err(error) => return Err(error.into()),
        };
    let page = EmailConfirmPage {
        c: Chrome::anonymous(lang, csrf.token),
        token,
        new_email,
        done,
    };
    Ok(page_with(status, &page, csrf.cookie))
}

/// Back to the profile with a notice, or the profile with the error.
/// The outcome of one of the profile page's forms; `placed` names its
/// inputs that show their errors.
async fn profile_outcome(
    state: &AppState,
    user: &CurrentUser,
    result: Result<(), Error>,
    done: &str,
    placed: &[(&'static str, &'static str)],
) -> Result<Response, HtmlError> {
    match result {
        Ok(()) => Ok(Redirect::to(done).into_response()),
        Err(error @ (Error::Invalid(_) | Error::TooManyRequests)) => {
            let c = Chrome::signed_in(user).with_field_error(&error, placed);
            let page = profile_page(state, user, c).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn password_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<PasswordForm>,
) -> Result<Response, HtmlError> {
    let actor = user.actor(&client)?;
    let result = ops::accounts::change_password(
        &state.db,
        &state.config,
        &actor,
        &user.session.id_hash,
        &form.current_password,
        &form.new_password,
    )
    .await;
    let placed = [
        ("current_password", "current_password"),
        ("new_password", "new_password"),
    ];
    profile_outcome(
        &state,
        &user,
        result,
        "/profile?done=password_changed",
        &placed,
    )
    .await
}

/// Chooses the language of the pages before sign-in (signed in, the
/// profile's language applies): a cookie, then back to the start.
#[tracing::instrument(skip_all)]
pub async fn language_get(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, HtmlError> {
    let language = Language::from_code(&code).ok_or(Error::NotFound)?;
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        session::language_cookie(language, state.config.http.is_https()),
    );
    Ok(response)
}
