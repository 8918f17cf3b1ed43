//! The users of a customer's tenant: its admins (and its reseller acting in
//! it) invite users, change roles, deactivate and reactivate; read-only
//! users see the list.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Done,
    confirm::{self, Ask, Confirm, Subject},
    pages::{Chrome, UsersPage},
    render,
};
use crate::{
    auth::{ClientAddr, CurrentUser},
    domain::accounts::{AccountId, Role},
    error::{Error, Invalid},
    html::HtmlError,
    ops::{
        self,
        users::{Change, Invitation},
    },
    state::AppState,
};

async fn page(state: &AppState, user: &CurrentUser, c: Chrome) -> Result<UsersPage, Error> {
    Ok(UsersPage {
        c,
        users: ops::users::list(&state.db, user.tenant()?).await?,
        me: user.account.0,
    })
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn users_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, HtmlError> {
    let c = Chrome::signed_in(&user).with_done(done.done.as_deref());
    Ok(render(&page(&state, &user, c).await?))
}

/// Back to the list with a notice, or the list with the error next to its
/// field.
async fn outcome(
    state: &AppState,
    user: &CurrentUser,
    result: Result<(), Error>,
    done: &str,
) -> Result<Response, HtmlError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/users?done={done}")).into_response()),
        Err(error @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let placed = [("name", "name"), ("email", "email")];
            let c = Chrome::signed_in(user).with_field_error(&error, &placed);
            let page = page(state, user, c).await?;
            Ok((error.status_code(), render(&page)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    name: String,
    email: String,
    role: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn invite_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Form(form): Form<InviteForm>,
) -> Result<Response, HtmlError> {
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let result = async {
        let invitation = Invitation {
            name: &form.name,
            email: &form.email,
            language: user.language,
            role: Role::from_code(&form.role).ok_or(Invalid::Role)?,
        };
        ops::users::invite(&state.db, &state.config, &actor, tenant, invitation).await?;
        state.mail_wake.notify_one();
        Ok(())
    }
    .await;
    outcome(&state, &user, result, "user_invited").await
}

/// A user id from a path segment; anything unparseable is not found.
fn user_id(raw: &str) -> Result<AccountId, Error> {
    raw.parse().map(AccountId).map_err(|_| Error::NotFound)
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    role: String,
}

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn role_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, HtmlError> {
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let id = user_id(&raw)?;
    let result = async {
        let role = Role::from_code(&form.role).ok_or(Invalid::Role)?;
        ops::users::change(&state.db, &actor, tenant, id, Change::Role(role)).await?;
        Ok(())
    }
    .await;
    outcome(&state, &user, result, "saved").await
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    active: String,
    #[serde(flatten)]
    confirm: Confirm,
}

const DEACTIVATE: Ask = Ask {
    title: "confirm.user_deactivate_title",
    consequence: "confirm.user_deactivate_consequence",
    submit: "users.deactivate",
    type_subject: false,
};

#[tracing::instrument(skip_all, fields(account = user.account.0))]
pub async fn active_post(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    Path(raw): Path<String>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, HtmlError> {
    let tenant = user.tenant_to_change()?;
    let actor = user.actor(&client)?;
    let id = user_id(&raw)?;
    let active = form.active == "true";
    if !active && !form.confirm.yes() && id != user.account {
        let target = ops::users::list(&state.db, tenant)
            .await?
            .into_iter()
            .find(|u| u.id == id.0)
            .ok_or(Error::NotFound)?;
        let action = format!("/users/{raw}/active");
        let subject = Subject::new(target.name, action, "/users").with_hidden("active", "false");
        return Ok(confirm::ask(&user, &DEACTIVATE, subject));
    }
    let result = ops::users::change(&state.db, &actor, tenant, id, Change::Active(active))
        .await
        .map(drop);
    outcome(&state, &user, result, "saved").await
}
