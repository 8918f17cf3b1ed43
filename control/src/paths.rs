//! Paths of the web UI that more than one module names (redirects, the
//! enrolment guard, templates' links): one definition each.

/// The sign-in page of standalone accounts (and the way to the others).
pub const LOGIN: &str = "/login";
/// The code prompt of a sign-in whose password was right.
pub const CODE_PAGE: &str = "/login/code";
pub const LOGOUT: &str = "/logout";
/// Where an account that must enrol in 2FA is sent.
pub const ENROLMENT_PAGE: &str = "/2fa/enrol";
/// The tenant portal's sign-in with the tenant domain typed in.
pub const TENANT_LOGIN: &str = "/tenant/login";
/// The tenant portal's sign-in with the tenant domain from the URL.
pub const TENANT_LOGIN_AT: &str = "/t/{domain}/login";
pub const RESELLER_LOGIN: &str = "/reseller/login";
/// "Sign in with reseller account" to a linked dynamic-DNS account.
pub const LINKED_LOGIN: &str = "/login/linked";
/// A tenant's home: its hosts.
pub const HOSTS: &str = "/hosts";
pub const DASHBOARD: &str = "/dashboard";
/// A reseller's home: its customers.
pub const CUSTOMERS: &str = "/reseller/customers";
/// The customer selection of a reseller user (customers with a running
/// licence).
pub const SELECT_CUSTOMER: &str = "/reseller/select";

/// The tenant sign-in page of one tenant domain.
pub fn tenant_login_at(domain: &str) -> String {
    TENANT_LOGIN_AT.replace("{domain}", domain)
}
