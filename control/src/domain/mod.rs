//! Pure rules and newtypes of the control plane: names, tokens, scopes,
//! throttling, CSV, two-factor codes and who must use them. Nothing here knows about HTTP or SQL.

pub mod accounts;
pub mod csv;
pub mod hosts;
pub mod names;
pub mod scopes;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
