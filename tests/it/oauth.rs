//! Applications that act for a reseller after its consent: the OAuth 2.0
//! authorization-code flow with PKCE, completed by a client built with the
//! `oauth2` crate; every refusal of RFC 6749/7636 that matters (deny, wrong
//! redirect URI, unknown client, no PKCE, a scope the user cannot grant, a
//! replayed code, a wrong verifier, an expired code), scopes that limit
//! what the token reads, revocation that takes effect at once, and the way
//! back to the request after signing in.

use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl, basic::BasicClient,
};
use serde_json::json;

use crate::{
    control_harness::{Browser, Control, Page},
    control_totp::next_code,
    harness::require,
    tenancy::{self, Reseller},
};

/// Where the application (never started: nothing listens) wants its codes.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// What the application of seed 003 asks for: users, accounts, licences.
const SCOPES: [&str; 3] = ["read:users", "read:customers", "read:licences"];

/// The application's HTTP client for the token endpoint: the tests' reqwest,
/// no redirects followed.
async fn http(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut answer = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    Ok(answer
        .body(response.bytes().await?.to_vec())
        .expect("response"))
}

type Client = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

struct World {
    control: Control,
    reseller: Reseller,
    client_id: String,
}

impl World {
    fn client(&self) -> Client {
        BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::new(self.control.url("/oauth/authorize")).unwrap())
            .set_token_uri(TokenUrl::new(self.control.url("/oauth/token")).unwrap())
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
    }

    /// An authorization request for `scopes` with a fresh PKCE pair: the
    /// request's path and query, its state and the verifier.
    fn request(&self, scopes: &[&str]) -> (String, CsrfToken, PkceCodeVerifier) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in scopes {
            request = request.add_scope(Scope::new((*scope).into()));
        }
        let (url, state) = request.url();
        let path = url
            .as_str()
            .strip_prefix(&self.control.base)
            .expect("the portal's address")
            .to_owned();
        (path, state, verifier)
    }
}

async fn world() -> World {
    let control = Control::start().await;
    let operator = tenancy::operator_api(&control).await;
    let reseller = tenancy::reseller(&control, &operator, "App Reseller").await;
    let customer = tenancy::customer(&reseller, "App Customer").await;
    tenancy::licence(
        &reseller,
        &customer,
        3,
        &tenancy::day(-1),
        &tenancy::day(90),
    )
    .await;
    // The operator registers the application in the portal.
    let admin = control.admin_browser().await;
    let bad = admin
        .post_form(
            "/admin",
            "/admin/applications",
            &[
                ("name", "AV Portal"),
                ("redirect_uri", "http://app.example/cb"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "plain http outside loopback");
    let registered = admin
        .post_form(
            "/admin",
            "/admin/applications",
            &[("name", "AV Portal"), ("redirect_uri", REDIRECT)],
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    let client_id =
        crate::control_harness::between(&registered.body, "<code class=\"client-id\">", "</code>")
            .expect("the client id on the admin page");
    World {
        control,
        reseller,
        client_id,
    }
}

/// The reseller's answer on the consent page; returns the redirect back to
/// the application.
async fn decide(browser: &Browser, request: &str, decision: &str) -> String {
    let consent = browser.get(request).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    let mut fields = hidden_fields(&consent);
    fields.push(("decision".into(), decision.into()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let answer = browser.post_raw("/oauth/authorize", &fields).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    answer.location().to_owned()
}

/// The hidden fields of a page's forms (the CSRF token included), values
/// unescaped.
fn hidden_fields(page: &Page) -> Vec<(String, String)> {
    page.body
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let value = crate::control_harness::between(rest, "value=\"", "\"").unwrap();
            let value = value
                .replace("&#38;", "&")
                .replace("&amp;", "&")
                .replace("&#43;", "+")
                .replace("&#47;", "/")
                .replace("&#58;", ":")
                .replace("&#61;", "=")
                .replace("&#34;", "\"")
                .replace("&#39;", "'");
            (name, value)
        })
        .collect()
}

/// A query parameter of a redirect back to the application.
fn param(location: &str, name: &str) -> Option<String> {
    let url = oauth2::url::Url::parse(location).expect("an absolute redirect");
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

async fn exchange(w: &World, code: &str, verifier: &str) -> Result<String, String> {
    let result = w
        .client()
        .exchange_code(AuthorizationCode::new(code.into()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.into()))
        .request_async(&http)
        .await;
    match result {
        Ok(token) => Ok(token.access_token().secret().clone()),
        Err(RequestTokenError::ServerResponse(e)) => Err(e.error().to_string()),
        Err(other) => panic!("token request: {other:?}"),
    }
}

fn api(w: &World, token: &str) -> crate::control_harness::Api {
    crate::control_harness::Api {
        client: crate::control_harness::plain_client(),
        base: format!("{}/api/v1", w.control.base),
        token: token.into(),
    }
}

#[tokio::test]
async fn an_application_gets_exactly_the_scopes_a_reseller_authorizes_with_pkce() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let browser = &w.reseller.user.browser;
    let (request, state, verifier) = w.request(&SCOPES);
    let consent = browser.get(&request).await;
    assert_eq!(consent.by_id("oauth-app").as_deref(), Some("AV Portal"));
    for scope in SCOPES {
        assert!(
            consent.body.contains(&format!("<code>{scope}</code>")),
            "{scope}"
        );
    }
    let back = decide(browser, &request, "authorize").await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = param(&back, "code").expect("a code");
    let token = exchange(&w, &code, verifier.secret())
        .await
        .expect("a token");

    // It reads what its scopes allow and nothing else.
    let app = api(&w, &token);
    let customers = app.get("/customers").await;
    assert_eq!(customers.status, 200);
    let customer = customers.body[0]["id"].as_i64().unwrap();
    assert_eq!(app.get("/licences").await.status, 200);
    assert_eq!(
        app.get(&format!("/customers/{customer}/users"))
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/customers/{customer}/hosts"))
            .await
            .status,
        403
    );
    let write = app.post("/customers", json!({"name": "by the app"})).await;
    assert_eq!(write.status, 403);
    // A replayed code is refused, and what it granted is revoked.
    assert_eq!(
        exchange(&w, &code, verifier.secret()).await,
        Err("invalid_grant".into())
    );
    assert_eq!(
        app.get("/customers").await.status,
        401,
        "revoked by the replay"
    );

    // A second grant, revoked by the reseller on its page: at once.
    let (request, _, verifier) = w.request(&SCOPES);
    let back = decide(browser, &request, "authorize").await;
    let token = exchange(&w, &param(&back, "code").unwrap(), verifier.secret())
        .await
        .unwrap();
    let app = api(&w, &token);
    assert_eq!(app.get("/customers").await.status, 200);
    let page = browser.get("/applications").await;
    assert!(page.body.contains("AV Portal") && page.body.contains("read:customers"));
    let revoke =
        crate::control_harness::between(&page.body, "action=\"/applications/", "/revoke\"")
            .unwrap();
    let path = format!("/applications/{revoke}/revoke");
    let ask = browser.post_form("/applications", &path, &[]).await;
    assert_eq!(ask.by_id("confirm-subject").as_deref(), Some("AV Portal"));
    assert_eq!(
        app.get("/customers").await.status,
        200,
        "nothing revoked yet"
    );
    let done = browser
        .post_form("/applications", &path, &[("confirm", "yes")])
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(app.get("/customers").await.status, 401);
    assert!(
        browser
            .get("/applications")
            .await
            .by_id("apps-none")
            .is_some()
    );
    // Personal API tokens do not list grants.
    assert!(!browser.get("/api-tokens").await.body.contains("AV Portal"));
    let log: Vec<String> =
        sqlx::query_scalar("SELECT action FROM action_log WHERE action LIKE 'oauth.%' ORDER BY id")
            .fetch_all(&w.control.db().await)
            .await
            .unwrap();
    assert_eq!(
        log,
        [
            "oauth.client_create",
            "oauth.authorize",
            "oauth.code_replay",
            "oauth.authorize",
            "oauth.revoke"
        ]
    );
}

#[tokio::test]
async fn denials_and_bad_requests_grant_nothing() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let browser = &w.reseller.user.browser;
    let grants = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM api_tokens WHERE oauth_client_id IS NOT NULL",
        )
        .fetch_one(&w.control.db().await)
        .await
        .unwrap()
    };

    // Deny: back with access_denied and the state, no code.
    let (request, state, _) = w.request(&SCOPES);
    let back = decide(browser, &request, "deny").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert!(param(&back, "code").is_none());

    // A redirect URI other than the registered one, or an unknown client:
    // refused here, never sent anywhere.
    let wrong = request.replace("127.0.0.1%3A9", "127.0.0.1%3A10");
    assert_ne!(wrong, request);
    let page = browser.get(&wrong).await;
    assert_eq!(page.status, 400);
    assert!(page.by_id("oauth-refused").is_some());
    let unknown = request.replace(&w.client_id, "no-such-client-0000");
    let page = browser.get(&unknown).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("not registered"));
    // A forged decision for a wrong redirect URI is refused the same way.
    let consent = browser.get(&request).await;
    let mut fields: Vec<(String, String)> = hidden_fields(&consent)
        .into_iter()
        .map(|(n, v)| {
            let v = if n == "redirect_uri" {
                "https://evil.example/cb".into()
            } else {
                v
            };
            (n, v)
        })
        .collect();
    fields.push(("decision".into(), "authorize".into()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let forged = browser.post_raw("/oauth/authorize", &fields).await;
    assert_eq!(forged.status, 400);

    // No PKCE, or a scope a reseller cannot grant: back with the error.
    let plain = request
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let answer = browser.get(&plain).await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        param(answer.location(), "error").as_deref(),
        Some("invalid_request")
    );
    let (too_much, _, _) = w.request(&["read:customers", "write:resellers"]);
    let answer = browser.get(&too_much).await;
    assert_eq!(
        param(answer.location(), "error").as_deref(),
        Some("invalid_scope")
    );

    // A wrong verifier spends the code; an expired code is refused.
    let (request, _, verifier) = w.request(&SCOPES);
    let code = param(&decide(browser, &request, "authorize").await, "code").unwrap();
    let other = PkceCodeVerifier::new("x".repeat(43));
    assert_eq!(
        exchange(&w, &code, other.secret()).await,
        Err("invalid_grant".into())
    );
    assert_eq!(
        exchange(&w, &code, verifier.secret()).await,
        Err("invalid_grant".into()),
        "a code is tried once"
    );
    let (request, _, verifier) = w.request(&SCOPES);
    let code = param(&decide(browser, &request, "authorize").await, "code").unwrap();
    sqlx::query(
        "UPDATE oauth_codes SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&w.control.db().await)
    .await
    .unwrap();
    assert_eq!(
        exchange(&w, &code, verifier.secret()).await,
        Err("invalid_grant".into())
    );
    assert_eq!(grants().await, 0, "nothing was granted");
    // The token endpoint speaks RFC 6749 errors to anything else.
    let raw = crate::control_harness::plain_client()
        .post(w.control.url("/oauth/token"))
        .form(&[("grant_type", "password"), ("username", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.headers()["cache-control"], "no-store");
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn signed_out_the_request_waits_for_the_sign_in_and_comes_back() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let browser = w.control.browser();
    let (request, _, _) = w.request(&SCOPES);
    let page = browser.get(&request).await;
    assert_eq!(page.status, 200);
    assert!(page.by_id("oauth-sign-in").is_some());
    assert!(page.by_id("oauth-app").is_none(), "nothing before sign-in");
    let person = &w.reseller.user;
    let password = browser
        .post_form(
            "/reseller/login",
            "/reseller/login",
            &[("name", &person.name), ("password", &person.password)],
        )
        .await;
    assert_eq!(password.location(), "/login/code");
    let code = browser
        .post_form(
            "/login/code",
            "/login/code",
            &[("code", &next_code(&person.secret))],
        )
        .await;
    assert_eq!(code.status, 303, "{}", code.body);
    assert_eq!(code.location(), request, "back to the request");
    let consent = browser.get(code.location()).await;
    assert_eq!(consent.by_id("oauth-app").as_deref(), Some("AV Portal"));
    // Only once: the next sign-in lands on the start page.
    let next = browser.get("/reseller/customers").await;
    assert_eq!(next.status, 200);
}
