//! Pure rules and newtypes of the control plane: names, tenants and
//! licences, tokens, scopes, OAuth requests, throttling, CSV, dates, two-factor codes and who
//! must use them. Nothing here knows about HTTP or SQL, nor reads a clock.

pub mod accounts;
pub mod csv;
pub mod dates;
pub mod hosts;
pub mod licences;
pub mod names;
pub mod oauth;
pub mod scopes;
pub mod tenants;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
