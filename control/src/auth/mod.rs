//! Authentication: password hashing (bounded), server-side sessions with
//! CSRF tokens, the key that signs forms before sign-in, the key that seals
//! TOTP secrets, API bearer tokens, the principal a request resolves to (and
//! the scopes it may act in), and the extractors handlers use
//! (`CurrentUser`, `RequireAdmin`, `ApiUser`, `ClientAddr`, `FormCsrf`).

pub mod extractors;
pub mod form_key;
pub mod password;
pub mod principal;
pub mod session;
pub mod totp_key;

pub use extractors::{ApiUser, ClientAddr, CurrentUser, RequireAdmin};
