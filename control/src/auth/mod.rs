//! Authentication: password hashing, server-side sessions with CSRF tokens,
//! API bearer tokens, and the extractors handlers use (`CurrentUser`,
//! `RequireAdmin`, `ApiUser`, `ClientAddr`).

pub mod extractors;
pub mod password;
pub mod session;

pub use extractors::{ApiUser, ClientAddr, CurrentUser, RequireAdmin};
