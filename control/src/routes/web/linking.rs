//! Linking the signed-in dynamic-DNS account with a reseller account: the
//! hosts that block it, "Connect accounts" with the reseller account's
//! password and code, and releasing the link.

use axum::{
    Form,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done,
    confirm::{self, Ask, Confirm, Subject},
    pages::{Chrome, LinkPage},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser},
    db::accounts::Kind,
    error::Error,
    html::HtmlError,
    ops::{self, linking::ResellerProof},
    state::AppState,
};

/// Linking is a dynamic-DNS account holder's own business.
fn standalone(user: &CurrentUser) -> Result<(), Error> {
    if user.kind == Kind::Standalone {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

async fn page(state: &AppState, user: &CurrentUser, c: Chrome) -> Result<LinkPage, Error> {
    standalone(user)?;
    let actor = user.principal.actor(None, None)?;
    Ok(LinkPage {
        c,
        standing: ops::linking::standing(&state.db, &actor).await?,
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn link_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = Chrome::signed_in(&user).with_done(done.done.as_deref());
    Ok(render(&page(&state, &user, c).await?))
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    name: String,
    password: String,
    code: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn link_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<LinkForm>,
) -> Result<Response, HtmlError> {
    standalone(&user)?;
    let actor = user.actor(&client)?;
    let proof = ResellerProof {
        name: &form.name,
        password: &form.password,
        code: &form.code,
    };
    let result = ops::linking::link(&state.db, &state.config, &state.totp_key, &actor, proof).await;
    match result {
        Ok(()) => Ok(Redirect::to("/account/link?done=linked").into_response()),
        Err(error @ (Error::Invalid(_) | Error::Conflict(_) | Error::TooManyRequests)) => {
            let c = Chrome::signed_in(&user).with_field_error(&error, &[("reseller", "reseller")]);
            let page = page(&state, &user, c).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

const UNLINK: Ask = Ask {
    title: "confirm.unlink_title",
    consequence: "confirm.unlink_consequence",
    submit: "link.unlink",
    type_subject: false,
};

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn unlink_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<Confirm>,
) -> Result<Response, HtmlError> {
    standalone(&user)?;
    if !form.yes() {
        let subject = Subject::new(user.name.clone(), "/account/unlink".into(), "/account/link");
        return Ok(confirm::ask(&user, &UNLINK, subject));
    }
    let actor = user.actor(&client)?;
    ops::linking::unlink(&state.db, &state.config, &actor).await?;
    state.mail_wake.notify_one();
    Ok(Redirect::to("/account/link?done=unlinked").into_response())
}
