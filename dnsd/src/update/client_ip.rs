//! The client's address: the TCP peer, or what a trusted proxy says — the
//! rule control applies too, so it lives in `spdyn-common`.

pub use spdyn_common::client_ip::{ClientAddress, client_address};
