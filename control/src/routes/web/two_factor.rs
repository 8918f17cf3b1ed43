//! Two-factor pages: the code prompt of a sign-in, the 2FA settings,
//! enrolment (QR code and secret, the first code, the recovery codes) and
//! switching 2FA off.

use axum::{
    Form,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use qrcode::{QrCode, render::svg};
use serde::Deserialize;

use super::{
    Done, Show,
    account::signed_in,
    page_with,
    pages::{Chrome, EnrolPage, LoginCodePage, RecoveryCodesPage, TwoFactorPage},
    render,
};
use crate::shown_once::Shown;
use crate::{
    auth::{
        ClientAddr, CurrentUser,
        extractors::{Lang, MaybeSession},
        session::{self, Stage},
    },
    db::{self, accounts::Kind, scope::Tx},
    domain::{
        tenants::{ResellerId, TenantId},
        two_factor::{Demand, TotpSecret},
    },
    error::Error,
    html::HtmlError,
    ops::{
        Home,
        accounts::Reauthentication,
        two_factor::{self as ops, CodeCheckError, Proof, Subject},
    },
    paths,
    state::AppState,
};

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
}

/// The code prompt after a right password (a session waiting for its code).
#[tracing::instrument(skip_all)]
pub async fn code_get(
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
) -> Result<Response, HtmlError> {
    match current.filter(|c| c.pending_second_factor().is_some()) {
        Some(context) => Ok(render(&LoginCodePage {
            c: Chrome::anonymous(lang, context.session.csrf_token).mid_sign_in(),
        })),
        None => Ok(Redirect::to("/login").into_response()),
    }
}

/// The second step: a right code (or recovery code) turns the waiting
/// session into a signed-in one under a new id.
#[tracing::instrument(skip_all, fields(client = ?client.addr))]
pub async fn code_post(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    Lang(lang): Lang,
    client: ClientAddr,
    Form(form): Form<CodeForm>,
) -> Result<Response, HtmlError> {
    let Some(context) = current.filter(|c| c.pending_second_factor().is_some()) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let s = &context.session;
    let name = s.account_name.clone().unwrap_or_default();
    let home = match (s.tenant_id, s.reseller_id) {
        (Some(tenant), _) => Home::Tenant(TenantId(tenant)),
        (None, Some(reseller)) => Home::Reseller(ResellerId(reseller)),
        (None, None) => return Err(Error::Unauthorized.into()),
    };
    let who = Subject {
        account: context.pending_second_factor().ok_or(Error::Unauthorized)?,
        name: &name,
        source: client.addr,
        home,
    };
    let result =
        ops::signin_second_step(&state.db, &state.config, &state.totp_key, who, &form.code).await;
    let (status, key) = match result {
        Ok(Proof::Code) => {
            let to = match s.kind.as_deref().and_then(Kind::from_code) {
                Some(Kind::ResellerUser) => paths::CUSTOMERS,
                _ => paths::HOSTS,
            };
            return signed_in(&state, Some(&context), who.account, &client, to).await;
        }
        Ok(Proof::RecoveryCode { .. }) => {
            let to = "/2fa?done=recovery_used";
            return signed_in(&state, Some(&context), who.account, &client, to).await;
        }
        Err(CodeCheckError::Other(error)) => return Err(error.into()),
        Err(CodeCheckError::Throttled) => (StatusCode::TOO_MANY_REQUESTS, "login.throttled"),
        Err(CodeCheckError::Wrong) => (StatusCode::UNAUTHORIZED, "err.code"),
    };
    let page = LoginCodePage {
        c: Chrome::anonymous(lang, context.session.csrf_token.clone())
            .mid_sign_in()
            .with_error_key(key),
    };
    Ok(page_with(status, &page, None))
}

async fn settings_page(
    state: &AppState,
    user: &CurrentUser,
    c: Chrome,
) -> Result<TwoFactorPage, Error> {
    let mut tx = Tx::begin(&state.db, user.home()?).await?;
    Ok(TwoFactorPage {
        c,
        enabled: user.two_factor,
        recovery_codes_left: db::two_factor::recovery_codes_left(&mut tx, user.account).await?,
        mandatory: user.roles().must_use_two_factor(),
    })
}

/// Whether 2FA is on, how many recovery codes are left; enable or switch off.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn settings_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = Chrome::signed_in(&user).with_done(done.done.as_deref());
    Ok(render(&settings_page(&state, &user, c).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct EnrolQuery {
    from: Option<String>,
}

/// The QR code as inline SVG: the page's CSP allows no data: images, and an
/// inline `<svg>` needs no request of its own.
fn qr_svg(url: &str) -> String {
    let Ok(code) = QrCode::new(url.as_bytes()) else {
        return String::new();
    };
    let image = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // Drop the XML declaration: the SVG sits inside the HTML page.
    match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    }
}

fn enrol_page(user: &CurrentUser, c: Chrome, secret: &TotpSecret, from_reset: bool) -> EnrolPage {
    EnrolPage {
        c: Chrome {
            two_factor_banner: false,
            ..c
        },
        qr_svg: qr_svg(&secret.otpauth_url(&user.name)),
        secret: secret.base32(),
        can_skip: user.demand != Demand::Enrol,
        from_reset,
        needs_password: !user.session.session.fresh_reset,
    }
}

/// Enrolment: the QR code and the secret of a pending credential.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn enrol_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<EnrolQuery>,
) -> Result<Response, HtmlError> {
    if user.two_factor {
        return Ok(Redirect::to("/2fa").into_response());
    }
    let secret = ops::enrolment(&state.db, &state.totp_key, user.home()?, user.account).await?;
    let from_reset = query.from.as_deref() == Some("reset");
    Ok(render(&enrol_page(
        &user,
        Chrome::signed_in(&user),
        &secret,
        from_reset,
    )))
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    code: String,
    from: Option<String>,
    /// Not asked right after a password reset.
    #[serde(default)]
    current_password: String,
}

/// The current password and the first code switch 2FA on — right after a
/// password reset the session stands in for the password (decided by the
/// session row, never by the `from=reset` the form carries for its notice);
/// the recovery codes are shown once, under a new session id (the session
/// now stands for a stronger sign-in).
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn enrol_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<EnrolForm>,
) -> Result<Response, HtmlError> {
    if user.linked {
        return Err(Error::Forbidden.into());
    }
    let actor = user.actor(&client)?;
    let proof = if user.session.session.fresh_reset {
        Reauthentication::FreshReset
    } else {
        Reauthentication::Password(&form.current_password)
    };
    let result = ops::confirm_enrolment(
        &state.db,
        &state.config,
        &state.totp_key,
        &actor,
        proof,
        &form.code,
    )
    .await;
    match result {
        Ok(codes) => {
            state.mail_wake.notify_one();
            let opened = session::rotate(
                &state,
                Some(&user.session),
                Stage::SignedIn(user.account),
                client.origin(),
            )
            .await?;
            // Shown once, on the page after the redirect, to the new session.
            let key = state
                .shown_once
                .put(&opened.id_hash, Shown::RecoveryCodes(codes));
            let mut response =
                Redirect::to(&format!("{RECOVERY_CODES_PAGE}?show={key}")).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, opened.cookie);
            Ok(response)
        }
        Err(Error::Conflict(_)) => Ok(Redirect::to("/2fa").into_response()),
        Err(error @ (Error::Invalid(_) | Error::TooManyRequests)) => {
            let secret =
                ops::enrolment(&state.db, &state.totp_key, user.home()?, user.account).await?;
            let c = Chrome::signed_in(&user).with_error(&error);
            let from_reset = form.from.as_deref() == Some("reset");
            let page = enrol_page(&user, c, &secret, from_reset);
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct DisableForm {
    current_password: String,
    code: String,
}

/// Switches 2FA off with the password and a code (or a recovery code).
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn disable_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<DisableForm>,
) -> Result<Response, HtmlError> {
    // A linked account's second factor is the reseller account's.
    if user.linked {
        return Err(Error::Forbidden.into());
    }
    let actor = user.actor(&client)?;
    let result = ops::disable(
        &state.db,
        &state.config,
        &state.totp_key,
        &actor,
        &form.current_password,
        &form.code,
    )
    .await;
    match result {
        Ok(()) => {
            state.mail_wake.notify_one();
            Ok(Redirect::to("/2fa?done=2fa_disabled").into_response())
        }
        Err(error @ (Error::Invalid(_) | Error::TooManyRequests)) => {
            let c = Chrome::signed_in(&user).with_error(&error);
            let page = settings_page(&state, &user, c).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// The page the new recovery codes are shown on, once.
pub const RECOVERY_CODES_PAGE: &str = "/2fa/recovery-codes";

/// The recovery codes of the enrolment just done, once; a reload (or a
/// direct visit) goes to the 2FA settings with a note.
#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn recovery_codes_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<Show>,
) -> Result<Response, HtmlError> {
    let shown = query.take(&state, &user);
    let Some(Shown::RecoveryCodes(codes)) = shown else {
        return Ok(Redirect::to("/2fa?done=shown_once").into_response());
    };
    let page = RecoveryCodesPage {
        c: Chrome::signed_in(&user),
        codes,
    };
    Ok(render(&page))
}
