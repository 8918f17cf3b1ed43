//! End-to-end tests: they start the real binaries (built beforehand by
//! `cargo build --workspace --bins`, which the test script does) and talk to
//! them over real sockets with real clients.

mod abuse_control;
mod abuse_dnsd;
mod clients;
mod control_api;
mod control_browser;
mod control_harness;
mod control_totp;
mod control_web;
mod dns;
mod durability;
mod harness;
mod kill_loop;
mod linking;
mod oauth;
mod ops;
mod rrl;
mod schema;
mod secondaries;
mod sync;
mod tenancy;
mod tenants;
mod up;
mod update;
mod users;
mod xfr;
