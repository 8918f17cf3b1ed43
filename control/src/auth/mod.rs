//! Authentication: password hashing, server-side sessions with CSRF tokens,
//! the key that seals TOTP secrets, API bearer tokens, the principal a
//! request resolves to (and the scopes it may act in), and the extractors
//! handlers use (`CurrentUser`, `RequireAdmin`, `ApiUser`, `ClientAddr`).

pub mod extractors;
pub mod password;
pub mod principal;
pub mod session;
pub mod totp_key;

pub use extractors::{ApiUser, ClientAddr, CurrentUser, RequireAdmin};
