//! control: the spdyn control plane — web portal and JSON API over
//! PostgreSQL, the source of truth that dnsd follows through the change feed.
//!
//! [`startup::app`] builds the whole HTTP application from an [`state::AppState`]
//! without binding a socket; [`startup::run`] opens the database (a private
//! cluster when none is configured), binds and serves ([`http::serve`], with
//! timeouts and connection limits).

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod html;
pub mod http;
pub mod i18n;
pub mod mail;
pub mod ops;
pub mod paths;
pub mod pg;
pub mod routes;
pub mod shown_once;
pub mod startup;
pub mod state;

pub use config::Config;
pub use spdyn_common::log_listening;
