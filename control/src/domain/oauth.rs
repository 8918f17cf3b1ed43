//! The rules of the OAuth 2.0 authorization-code flow (RFC 6749) with PKCE
//! (RFC 7636) for applications that act for a user: which redirect URIs an
//! application may register, how the code verifier is checked, which scopes
//! a request may ask for, and how answers go back to the application.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::scopes::{Holder, Scope};

/// How long an authorization code works.
pub const CODE_LIFETIME_SECS: i64 = 600;

/// A redirect URI an application may register: absolute, `https`, or `http`
/// to the loopback interface only (native apps, RFC 8252 §7.3), without a
/// fragment (RFC 6749 §3.1.2). Requests must then name it exactly.
pub fn valid_redirect_uri(uri: &str) -> bool {
    let rest = if let Some(rest) = uri.strip_prefix("https://") {
        rest
    } else if let Some(rest) = uri.strip_prefix("http://") {
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        if !matches!(host, "127.0.0.1" | "[::1]" | "localhost") {
            return false;
        }
        rest
    } else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    uri.len() <= 2000
        && !host.is_empty()
        && !uri.contains('#')
        && uri.bytes().all(|b| b.is_ascii_graphic())
}

/// A code challenge as S256 makes it: 43 characters of base64url.
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `verifier` (43–128 unreserved characters) is the one the
/// challenge was made from: `BASE64URL(SHA256(verifier)) == challenge`.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(unreserved)
        && base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier))
            == challenge
}

/// The scopes a request asks for (space-separated, RFC 6749 §3.3): each
/// known and one the user may grant; at least one. `None`: refuse the
/// request (`invalid_scope`).
pub fn requested_scopes(text: &str, holder: Holder) -> Option<Vec<Scope>> {
    let mut scopes = Vec::new();
    for name in text.split(' ').filter(|s| !s.is_empty()) {
        let scope = Scope::parse(name).filter(|s| s.grantable_by(holder))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    (!scopes.is_empty()).then_some(scopes)
}

/// The redirect URI with `params` added to its query.
pub fn redirect_with(uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragments() {
        for good in [
            "https://app.example/callback",
            "https://app.example:8443/cb?x=1",
            "http://127.0.0.1:43123/callback",
            "http://[::1]/cb",
            "http://localhost:8080/cb",
        ] {
            assert!(valid_redirect_uri(good), "{good}");
        }
        for bad in [
            "http://app.example/callback",
            "http://127.0.0.1.evil.example/cb",
            "https://app.example/cb#frag",
            "https:///cb",
            "javascript:alert(1)",
            "/relative",
            "https://app.example/a b",
        ] {
            assert!(!valid_redirect_uri(bad), "{bad}");
        }
    }

    #[test]
    fn the_verifier_must_hash_to_the_challenge() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(valid_challenge(challenge));
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches(&verifier.replace('d', "e"), challenge));
        assert!(!verifier_matches("short", challenge));
        assert!(!valid_challenge("plain-text-challenge"));
    }

    #[test]
    fn scopes_must_be_known_and_grantable() {
        let reseller = Holder::Reseller;
        assert_eq!(
            requested_scopes(
                "read:users read:customers read:licences read:users",
                reseller
            ),
            Some(vec![
                Scope::ReadUsers,
                Scope::ReadCustomers,
                Scope::ReadLicences
            ])
        );
        assert_eq!(requested_scopes("read:users admin", reseller), None);
        assert_eq!(requested_scopes("write:resellers", reseller), None);
        assert_eq!(requested_scopes("  ", reseller), None);
    }

    #[test]
    fn answers_keep_the_registered_query() {
        assert_eq!(
            redirect_with("https://a.example/cb", &[("code", "x y"), ("state", "s")]),
            "https://a.example/cb?code=x+y&state=s"
        );
        assert_eq!(
            redirect_with("https://a.example/cb?app=1", &[("error", "access_denied")]),
            "https://a.example/cb?app=1&error=access_denied"
        );
    }
}
