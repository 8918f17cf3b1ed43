//! Confirmation pages of destructive forms: the same form again with
//! `confirm=yes` (or the subject's name typed), so nothing acts on one click
//! and nothing needs script. The asking handler does nothing else.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    pages::{Chrome, ConfirmPage},
    render,
};
use crate::{auth::CurrentUser, error::Error};

/// A destructive form's confirmation field: `yes`, or the subject's name
/// where it must be typed.
#[derive(Debug, Default, Deserialize)]
pub struct Confirm {
    pub confirm: Option<String>,
}

impl Confirm {
    pub fn yes(&self) -> bool {
        self.confirm.as_deref() == Some("yes")
    }

    /// What was typed, if anything; `None` when the form did not ask yet.
    pub fn typed(&self) -> Option<&str> {
        self.confirm.as_deref().map(str::trim)
    }
}

/// What an action asks (text keys): heading, what happens, the button, and
/// whether the subject's name must be typed.
pub struct Ask {
    pub title: &'static str,
    pub consequence: &'static str,
    pub submit: &'static str,
    pub type_subject: bool,
}

/// What the action is done to, and where its form goes.
pub struct Subject {
    pub name: String,
    pub action: String,
    pub back: String,
    /// Fields the original form carried (e.g. `enabled=false`).
    pub hidden: Vec<(&'static str, String)>,
}

impl Subject {
    /// `name`, asked about on a form posting to `action`; cancel goes back.
    pub fn new(name: String, action: String, back: &str) -> Self {
        Self {
            name,
            action,
            back: back.to_owned(),
            hidden: Vec::new(),
        }
    }

    /// A field the original form carried, sent again with the answer.
    pub fn with_hidden(mut self, name: &'static str, value: &str) -> Self {
        self.hidden.push((name, value.to_owned()));
        self
    }
}

/// The confirmation page in a signed-in user's frame.
pub fn ask(user: &CurrentUser, ask: &Ask, subject: Subject) -> Response {
    page(Chrome::signed_in(user), ask, subject, None)
}

/// The confirmation page; with `error` (a wrong name typed) it says so next
/// to the field, with the error's status.
pub fn page(c: Chrome, ask: &Ask, subject: Subject, error: Option<Error>) -> Response {
    let (c, status) = match &error {
        Some(error) => (
            c.with_field_error(error, &[("confirm", "confirm")]),
            error.status_code(),
        ),
        None => (c, StatusCode::OK),
    };
    let page = ConfirmPage {
        c,
        title: ask.title,
        consequence: ask.consequence,
        submit: ask.submit,
        subject: subject.name,
        action: subject.action,
        hidden: subject.hidden,
        type_subject: ask.type_subject,
        back: subject.back,
    };
    (status, render(&page)).into_response()
}
