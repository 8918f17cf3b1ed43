//! The parameters of an update request (query string and, for POST, form
//! body) and the credentials (Basic auth or query fields).

use axum::http::{HeaderMap, header};
use base64::Engine as _;

use super::address::AddressRequest;

/// Most `_acme-challenge` values a host keeps; the oldest goes first.
pub const MAX_TXT_VALUES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtOp {
    /// Add a value (kept alongside others, e.g. for wildcard + apex certificates).
    Set(String),
    /// Remove one value, or all when `None`.
    Clear(Option<String>),
}

#[derive(Debug, Clone, Default)]
pub struct UpdateParams {
    /// Host names as sent, split at commas; validated per host later.
    pub hostnames: Vec<String>,
    pub addresses: AddressRequest,
    pub txt: Option<TxtOp>,
    pub query_user: Option<String>,
    pub query_pass: Option<String>,
    pub query_token: Option<String>,
}

/// A parameter that cannot be understood; nothing is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bad parameter {0}")]
pub struct BadParam(pub &'static str);

impl UpdateParams {
    /// Parses decoded name/value pairs. Unknown names and the classic
    /// parameters `wildcard`, `mx`, `backmx`, `offline`, `system` are ignored.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, BadParam> {
        let mut params = Self::default();
        let mut txt = None;
        let mut clear = false;
        // Apply `myip` before the per-family parameters so those override it.
        let mut per_family = Vec::new();
        for (name, value) in pairs {
            match name {
                "hostname" => {
                    params.hostnames = value
                        .split(',')
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                "myip" => params
                    .addresses
                    .apply_myip(value)
                    .map_err(|_| BadParam("myip"))?,
                "myipv4" | "myipv6" => per_family.push((name, value)),
                "txt" => txt = Some(value.to_owned()),
                "clear" => clear = parse_bool(value).ok_or(BadParam("clear"))?,
                "user" | "username" => params.query_user = Some(value.to_owned()),
                "pass" | "password" => params.query_pass = Some(value.to_owned()),
                "token" => params.query_token = Some(value.to_owned()),
                _ => {}
            }
        }
        for (name, value) in per_family {
            let result = if name == "myipv4" {
                params.addresses.apply_myipv4(value)
            } else {
                params.addresses.apply_myipv6(value)
            };
            result.map_err(|_| BadParam(if name == "myipv4" { "myipv4" } else { "myipv6" }))?;
        }
        params.txt = match (txt, clear) {
            (Some(value), false) if !value.is_empty() => Some(TxtOp::Set(check_txt(value)?)),
            (Some(value), true) if !value.is_empty() => Some(TxtOp::Clear(Some(check_txt(value)?))),
            (_, true) => Some(TxtOp::Clear(None)),
            // An empty `txt` without `clear` is a template left blank: ignore it.
            (_, false) => None,
        };
        Ok(params)
    }
}

fn check_txt(value: String) -> Result<String, BadParam> {
    let printable = value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if value.len() > 255 || !printable {
        return Err(BadParam("txt"));
    }
    Ok(value)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// Credentials in the order of precedence: the Authorization header, then
/// `user`/`pass`, then `token` in the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// User name (host FQDN or account name) and secret (token or password).
    UserSecret { user: String, secret: String },
    /// A bare token; the host comes from `hostname`.
    Token(String),
}

impl Credentials {
    pub fn from_request(headers: &HeaderMap, params: &UpdateParams) -> Option<Self> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            return basic(value.as_bytes());
        }
        match (&params.query_user, &params.query_pass, &params.query_token) {
            (Some(user), Some(pass), _) => Some(Self::UserSecret {
                user: user.clone(),
                secret: pass.clone(),
            }),
            (Some(user), None, Some(token)) => Some(Self::UserSecret {
                user: user.clone(),
                secret: token.clone(),
            }),
            (None, _, Some(token)) => Some(Self::Token(token.clone())),
            _ => None,
        }
    }
}

fn basic(value: &[u8]) -> Option<Credentials> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, secret) = decoded.split_once(':')?;
    Some(Credentials::UserSecret {
        user: user.to_owned(),
        secret: secret.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::address::{Spec, Spec6};

    #[test]
    fn per_family_parameters_override_myip() {
        let p = UpdateParams::parse([
            ("myipv6", "2001:db8::7"),
            ("myip", "192.0.2.1,2001:db8::1"),
            ("hostname", "a.example, b.example,"),
        ])
        .unwrap();
        assert_eq!(p.addresses.v6, Spec6::Set("2001:db8::7".parse().unwrap()));
        assert_eq!(p.addresses.v4, Spec::Set("192.0.2.1".parse().unwrap()));
        assert_eq!(p.hostnames, vec!["a.example", "b.example"]);
    }

    #[test]
    fn classic_parameters_are_ignored() {
        let p = UpdateParams::parse([
            ("system", "NOCHG"),
            ("wildcard", "ON"),
            ("mx", "mail.example"),
            ("backmx", "NO"),
            ("offline", "YES"),
        ])
        .unwrap();
        assert!(p.addresses.is_empty() && p.txt.is_none());
    }

    #[test]
    fn txt_set_and_clear() {
        let set = UpdateParams::parse([("txt", "abc")]).unwrap();
        assert_eq!(set.txt, Some(TxtOp::Set("abc".into())));
        let clear_all = UpdateParams::parse([("txt", ""), ("clear", "true")]).unwrap();
        assert_eq!(clear_all.txt, Some(TxtOp::Clear(None)));
        let clear_one = UpdateParams::parse([("clear", "true"), ("txt", "abc")]).unwrap();
        assert_eq!(clear_one.txt, Some(TxtOp::Clear(Some("abc".into()))));
        assert_eq!(UpdateParams::parse([("txt", "")]).unwrap().txt, None);
        let long = "x".repeat(256);
        assert_eq!(
            UpdateParams::parse([("txt", long.as_str())]).unwrap_err(),
            BadParam("txt")
        );
        assert_eq!(
            UpdateParams::parse([("clear", "maybe")]).unwrap_err(),
            BadParam("clear")
        );
    }

    #[test]
    fn bad_addresses_name_the_parameter() {
        assert_eq!(
            UpdateParams::parse([("myip", "x")]).unwrap_err(),
            BadParam("myip")
        );
        assert_eq!(
            UpdateParams::parse([("myipv6", "1.2.3.4")]).unwrap_err(),
            BadParam("myipv6")
        );
    }

    #[test]
    fn credentials_prefer_the_header() {
        let params = UpdateParams::parse([("user", "q"), ("pass", "p")]).unwrap();
        let mut headers = HeaderMap::new();
        assert_eq!(
            Credentials::from_request(&headers, &params),
            Some(Credentials::UserSecret {
                user: "q".into(),
                secret: "p".into()
            })
        );
        // "h.example:tok:with:colons"
        let encoded = base64::engine::general_purpose::STANDARD.encode("h.example:tok:with:colons");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        assert_eq!(
            Credentials::from_request(&headers, &params),
            Some(Credentials::UserSecret {
                user: "h.example".into(),
                secret: "tok:with:colons".into()
            })
        );
        headers.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert_eq!(Credentials::from_request(&headers, &params), None);
        let token_only = UpdateParams::parse([("token", "t")]).unwrap();
        assert_eq!(
            Credentials::from_request(&HeaderMap::new(), &token_only),
            Some(Credentials::Token("t".into()))
        );
    }
}
