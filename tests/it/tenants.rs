//! Resellers, customers, licences and tenant portals (issue 13), against the
//! real binaries: isolation over every route of both route tables, tenant
//! sign-in, licence states through a shifted clock (UI, API and two dnsd
//! nodes), the dashboard, the licence quota under concurrency, the reseller
//! acting in a customer's portal, and the command line.

use std::collections::BTreeMap;

use hickory_proto::rr::RecordType;
use reqwest::Method;
use serde_json::json;

use crate::{
    control_harness::{Api, Browser, Control, Page, TENANT_SUFFIX, ZONE},
    control_totp::next_code,
    harness::{require, resolve, update},
    sync::{eventually, exists, node},
    tenancy::{self, Customer, Person, Reseller, day},
};

/// What one principal may not see or touch: the other side's ids and names.
struct Foreign {
    /// Placeholder kind (the path segment before it) → id.
    ids: BTreeMap<&'static str, String>,
    /// Texts that must appear on none of the principal's pages.
    markers: Vec<String>,
}

/// The id a path parameter stands for, named by the segment before it. A
/// route with a parameter of a kind not listed here fails the test: extend
/// the list with the new kind.
fn parameter<'a>(foreign: &'a Foreign, path: &str, index: usize) -> &'a str {
    let segments: Vec<&str> = path.split('/').collect();
    let before = segments[index - 1];
    foreign
        .ids
        .get(before)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{path}: no foreign id for a parameter after /{before}/"))
}

/// `path` with every `{…}` replaced by the foreign id of its kind.
fn concrete(foreign: &Foreign, path: &str) -> Option<String> {
    if !path.contains('{') {
        return None;
    }
    let segments: Vec<String> = path
        .split('/')
        .enumerate()
        .map(|(i, segment)| {
            if segment.starts_with('{') {
                parameter(foreign, path, i).to_owned()
            } else {
                segment.to_owned()
            }
        })
        .collect();
    Some(segments.join("/"))
}

fn assert_no_markers(foreign: &Foreign, who: &str, what: &str, body: &str) {
    for marker in &foreign.markers {
        assert!(
            !body.contains(marker.as_str()),
            "{who}: {what} shows {marker:?} of another tenant"
        );
    }
}

/// The form fields any form of the portal may want, so that a request gets
/// as far as the ownership check instead of failing on a missing field.
const FORM_FIELDS: &[(&str, &str)] = &[
    ("enabled", "false"),
    ("active", "false"),
    ("ttl", "120"),
    ("wildcard", "on"),
    ("name", "intruder"),
    ("email", "intruder@example.net"),
    ("role", "admin"),
    ("product", "dyndns"),
    ("quantity", "5"),
    ("valid_from", "2027-01-01"),
    ("valid_until", "2027-12-31"),
    ("quota", "3"),
    ("host", "none.dyn.test"),
    ("account", "nobody"),
    ("user", "intruder"),
];

/// Every web route with another tenant's ids, GET and POST: nothing of the
/// other side is shown, and a route that names an id answers 403, 404 or
/// 405. Routes without parameters are read (GET) for the markers only.
async fn web_matrix(who: &str, browser: &Browser, csrf: &str, foreign: &Foreign) {
    let public = ["/reset/{token}", "/t/{domain}/login"];
    for path in control::routes::web::paths() {
        match concrete(foreign, path) {
            None => {
                let page = browser.get(path).await;
                assert_no_markers(foreign, who, &format!("GET {path}"), &page.body);
            }
            Some(url) => {
                let mut fields = FORM_FIELDS.to_vec();
                fields.push(("csrf", csrf));
                for (method, page) in [
                    ("GET", browser.get(&url).await),
                    ("POST", browser.post_raw(&url, &fields).await),
                ] {
                    let what = format!("{method} {url} ({path})");
                    assert_no_markers(foreign, who, &what, &page.body);
                    // A reseller user without a chosen customer is sent to
                    // the customer selection: nothing shown there either.
                    let to_selection = page.status == 303 && page.location() == "/reseller/select";
                    if !public.contains(&path) {
                        assert!(
                            [403, 404, 405].contains(&page.status) || to_selection,
                            "{who}: {what} answered {}: {}",
                            page.status,
                            page.body
                        );
                    }
                }
            }
        }
    }
}

/// A JSON body each changing API route accepts, so the request reaches the
/// ownership check.
fn api_body(method: &Method, path: &str) -> Option<serde_json::Value> {
    let licence = json!({"quantity": 5, "valid_from": "2027-01-01", "valid_until": "2027-12-31"});
    match (method.as_str(), path) {
        ("PATCH", "/hosts/{id}") => Some(json!({"ttl": 120})),
        ("PATCH" | "POST", "/customers/{id}") => Some(json!({"name": "intruder"})),
        ("POST", "/customers/{id}/hosts") => Some(json!({"label": "intruder", "zone": ZONE})),
        ("POST", "/customers/{id}/licences") | ("PATCH", "/licences/{id}") => Some(licence),
        ("POST", "/customers/{id}/users") => {
            Some(json!({"name": "intruder", "email": "i@example.net", "role": "admin"}))
        }
        ("PATCH", "/users/{id}") => Some(json!({"role": "read_only"})),
        _ => None,
    }
}

/// Every API route with another tenant's ids, with every method: 403, 404
/// or 405, and nothing of the other side; routes without parameters are
/// read (GET) for the markers.
async fn api_matrix(who: &str, api: &Api, foreign: &Foreign) {
    for path in control::routes::api::paths() {
        match concrete(foreign, path) {
            None => {
                let answer = api.get(path).await;
                assert_no_markers(foreign, who, &format!("GET {path}"), &answer.text);
            }
            Some(url) => {
                for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE] {
                    let mut request = api.request(method.clone(), &url);
                    if let Some(body) = api_body(&method, path) {
                        request = request.json(&body);
                    }
                    let answer = api.send(request).await;
                    let what = format!("{method} {url} ({path})");
                    assert_no_markers(foreign, who, &what, &answer.text);
                    assert!(
                        [403, 404, 405].contains(&answer.status),
                        "{who}: {what} answered {}: {}",
                        answer.status,
                        answer.text
                    );
                }
            }
        }
    }
}

/// The CSRF token of a signed-in browser (every form of a session shares it).
async fn csrf(browser: &Browser) -> String {
    browser.get("/profile").await.csrf().expect("csrf token")
}

/// The world of the isolation tests: two standalone accounts, and two
/// resellers with a customer each (licence, host, tenant admin).
struct World {
    control: Control,
    alice: (Browser, Api, i64, String),
    bob: (Browser, Api, i64, String),
    r1: Reseller,
    c1: Customer,
    u1: Person,
    c1_host: (i64, String),
    r2: Reseller,
    c2: Customer,
    c2_licence: i64,
    c2_host: (i64, String),
}

async fn world() -> World {
    let control = Control::start().await;
    let operator = tenancy::operator_api(&control).await;
    let standalone = |name: &'static str| {
        let control = &control;
        async move {
            let browser = control.signed_up(name).await;
            let token = browser
                .create_api_token("tests", tenancy::TENANT_SCOPES)
                .await;
            let api = Api {
                client: crate::control_harness::plain_client(),
                base: format!("{}/api/v1", control.base),
                token,
            };
            let (id, host) = tenancy::host(&api, None, &format!("{name}-home")).await;
            (browser, api, id, host)
        }
    };
    let alice = standalone("alice").await;
    let bob = standalone("bob").await;
    let r1 = tenancy::reseller(&control, &operator, "Reseller One").await;
    let c1 = tenancy::customer(&r1, "Customer One GmbH").await;
    tenancy::licence(&r1, &c1, 5, &day(-1), &day(300)).await;
    let c1_host = tenancy::host(&r1.user.api, Some(c1.id), "c1-office").await;
    let u1 = tenancy::tenant_user(&control, &r1, &c1, "anna", "admin").await;
    let r2 = tenancy::reseller(&control, &operator, "Reseller Two").await;
    let c2 = tenancy::customer(&r2, "Customer Two AG").await;
    let c2_licence = tenancy::licence(&r2, &c2, 5, &day(-1), &day(300)).await;
    let c2_host = tenancy::host(&r2.user.api, Some(c2.id), "c2-office").await;
    World {
        control,
        alice,
        bob,
        r1,
        c1,
        u1,
        c1_host,
        r2,
        c2,
        c2_licence,
        c2_host,
    }
}

/// Ids of `account` in the database (by name), for the foreign id map.
async fn ids_of(control: &Control, account: &str) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT a.id, coalesce(a.tenant_id, 0), coalesce((SELECT max(t.id) FROM api_tokens t
                                             WHERE t.account_id = a.id), 0)
         FROM accounts a WHERE a.name = $1",
    )
    .bind(account)
    .fetch_one(&control.db().await)
    .await
    .expect("ids")
}

#[tokio::test]
async fn every_route_refuses_another_tenants_and_another_resellers_ids() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let (bob_account, bob_tenant, bob_token) = ids_of(&w.control, "bob").await;
    let (r2_account, _, r2_token) = ids_of(&w.control, &w.r2.user.name).await;

    // A standalone account holder against another one.
    let bob = Foreign {
        ids: BTreeMap::from([
            ("hosts", w.bob.2.to_string()),
            ("api-tokens", bob_token.to_string()),
            ("accounts", bob_account.to_string()),
            ("users", bob_account.to_string()),
            ("tenants", bob_tenant.to_string()),
            ("customers", w.c2.id.to_string()),
            ("licences", w.c2_licence.to_string()),
            ("reset", "no-such-link".into()),
            ("email", "no-such-link".into()),
            ("applications", "999999".into()),
            // Not an id: an unknown language is refused alike.
            ("language", "xx".into()),
            ("t", w.c2.domain.clone()),
        ]),
        markers: vec![w.bob.3.clone(), "bob@example.net".into(), w.c2.name.clone()],
    };
    let alice_csrf = csrf(&w.alice.0).await;
    web_matrix("alice", &w.alice.0, &alice_csrf, &bob).await;
    api_matrix("alice", &w.alice.1, &bob).await;

    // A customer's user against the other reseller's customer (and a
    // standalone account), on the tenant and the reseller routes alike.
    let other = Foreign {
        ids: BTreeMap::from([
            ("hosts", w.c2_host.0.to_string()),
            ("api-tokens", r2_token.to_string()),
            ("accounts", r2_account.to_string()),
            ("users", r2_account.to_string()),
            ("tenants", bob_tenant.to_string()),
            ("customers", w.c2.id.to_string()),
            ("licences", w.c2_licence.to_string()),
            ("reset", "no-such-link".into()),
            ("email", "no-such-link".into()),
            ("applications", "999999".into()),
            // Not an id: an unknown language is refused alike.
            ("language", "xx".into()),
            ("t", w.c2.domain.clone()),
        ]),
        markers: vec![
            w.c2_host.1.clone(),
            w.c2.name.clone(),
            w.r2.name.clone(),
            w.bob.3.clone(),
        ],
    };
    let u1_csrf = csrf(&w.u1.browser).await;
    web_matrix("tenant user anna", &w.u1.browser, &u1_csrf, &other).await;
    api_matrix("tenant user anna", &w.u1.api, &other).await;

    // A reseller against the other reseller's customers, licences, hosts.
    let r1_csrf = csrf(&w.r1.user.browser).await;
    web_matrix("reseller one", &w.r1.user.browser, &r1_csrf, &other).await;
    api_matrix("reseller one", &w.r1.user.api, &other).await;
    // … also while acting in its own customer's portal.
    let opened =
        w.r1.user
            .browser
            .post_raw(
                &format!("/reseller/customers/{}/open", w.c1.id),
                &[("csrf", &r1_csrf)],
            )
            .await;
    assert_eq!((opened.status, opened.location()), (303, "/hosts"));
    web_matrix(
        "reseller one in customer one",
        &w.r1.user.browser,
        &r1_csrf,
        &other,
    )
    .await;

    // Tenant tokens reach no reseller or operator route; reseller tokens no
    // operator route.
    for (who, api) in [("anna", &w.u1.api), ("alice", &w.alice.1)] {
        assert_eq!(api.get("/customers").await.status, 403, "{who}");
        assert_eq!(api.get("/resellers").await.status, 403, "{who}");
    }
    assert_eq!(w.r1.user.api.get("/resellers").await.status, 403);

    // Nothing of the other side changed: bob's and customer two's hosts are
    // as they were, and customer one's host is still there.
    let bob_host = w.bob.1.get(&format!("/hosts/{}", w.bob.2)).await;
    assert_eq!(
        (bob_host.status, bob_host.body["ttl"].as_i64()),
        (200, Some(60))
    );
    let c2_hosts =
        w.r2.user
            .api
            .get(&format!("/customers/{}/hosts", w.c2.id))
            .await;
    assert_eq!(c2_hosts.body.as_array().map(Vec::len), Some(1));
    assert_eq!(c2_hosts.body[0]["ttl"], 60);
    assert_eq!(c2_hosts.body[0]["token"]["present"], false);
    let c1_hosts = w.u1.api.get("/hosts").await;
    assert_eq!(c1_hosts.body[0]["name"], w.c1_host.1);
    let c2_licences = w.r2.user.api.get("/licences").await;
    assert_eq!(c2_licences.body[0]["quantity"], 5);
}

/// A failed tenant sign-in page says the one thing every failure says.
fn failed(page: &Page) -> bool {
    page.status == 401 && page.body.contains("Wrong account name or password.")
}

#[tokio::test]
async fn tenant_sign_in_needs_the_users_own_domain_and_never_says_which_part_was_wrong() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let (c1, c2, anna) = (&w.c1, &w.c2, &w.u1);
    let login = |domain: &str| format!("/t/{domain}/login");
    // The domain from the URL is shown, not asked.
    let page = w.control.browser().get(&login(&c1.domain)).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.by_id("tenant-domain").as_deref(),
        Some(c1.domain.as_str())
    );
    // Anna's credentials with customer two's domain, with an unknown domain
    // and with a wrong password all fail alike.
    for (domain, password) in [
        (c2.domain.as_str(), anna.password.as_str()),
        ("999999.tenants.test", anna.password.as_str()),
        ("not a domain", anna.password.as_str()),
        (c1.domain.as_str(), "wrong password here"),
    ] {
        let browser = w.control.browser();
        let path = login(&urlencode(domain));
        let page = browser
            .post_form(&path, &path, &[("name", "anna"), ("password", password)])
            .await;
        assert!(failed(&page), "{domain}: {} {}", page.status, page.body);
    }
    // The form with the domain typed in works the same.
    let browser = w.control.browser();
    let wrong = browser
        .post_form(
            "/tenant/login",
            "/tenant/login",
            &[
                ("domain", &c2.domain),
                ("name", "anna"),
                ("password", &anna.password),
            ],
        )
        .await;
    assert!(failed(&wrong));
    let right = browser
        .post_form(
            "/tenant/login",
            "/tenant/login",
            &[
                ("domain", &c1.domain.to_uppercase()),
                ("name", "anna"),
                ("password", &anna.password),
            ],
        )
        .await;
    assert_eq!((right.status, right.location()), (303, "/login/code"));
    let code = browser
        .post_form(
            "/login/code",
            "/login/code",
            &[("code", &next_code(&anna.secret))],
        )
        .await;
    assert_eq!((code.status, code.location()), (303, "/hosts"));
    let hosts = browser.get("/hosts").await;
    assert!(hosts.body.contains(&w.c1_host.1));
    assert!(!hosts.body.contains(&w.c2_host.1));
    // Every failure counted against the throttle of anna@<domain typed>.
    let db = w.control.db().await;
    let counted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM action_log WHERE action = 'signin.failure' AND target LIKE 'anna@%'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(counted, 5);
    // Five failures with one domain lock that name out, right password or not.
    for _ in 0..5 {
        let page = w
            .control
            .browser()
            .post_form(
                &login(&c1.domain),
                &login(&c1.domain),
                &[("name", "anna"), ("password", "wrong again")],
            )
            .await;
        assert!(page.status == 401 || page.status == 429);
    }
    let locked = w
        .control
        .browser()
        .post_form(
            &login(&c1.domain),
            &login(&c1.domain),
            &[("name", "anna"), ("password", &anna.password)],
        )
        .await;
    assert_eq!(locked.status, 429, "{}", locked.body);
}

fn urlencode(text: &str) -> String {
    text.replace(' ', "%20")
}

/// The state the API shows for a licence.
async fn licence_state(reseller: &Reseller, id: i64) -> String {
    let answer = reseller.user.api.get(&format!("/licences/{id}")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["state"].as_str().expect("state").to_owned()
}

#[tokio::test]
async fn a_licence_goes_valid_expiring_expired_past_grace_in_the_ui_the_api_and_on_two_dnsd_nodes()
{
    if !require("oathtool") {
        return;
    }
    let mut w = world().await;
    let url = w.control.database_url.clone().expect("database");
    // Customer one: a licence from yesterday through day 100, one host with
    // a token, served by two nodes.
    let licence = {
        let answer =
            w.r1.user
                .api
                .get(&format!("/customers/{}/licences", w.c1.id))
                .await;
        answer.body[0]["id"].as_i64().expect("licence")
    };
    let renewed =
        w.r1.user
            .api
            .patch(
                &format!("/licences/{licence}"),
                json!({"quantity": 5, "valid_from": day(-1), "valid_until": day(100)}),
            )
            .await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let token =
        w.u1.api
            .post(&format!("/hosts/{}/token", w.c1_host.0), json!({}))
            .await;
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.body["token"].as_str().expect("token").to_owned();
    let host = w.c1_host.1.clone();
    let (a, b) = (node(&url), node(&url));
    eventually("the host on both nodes", || {
        exists(&a, &host) && exists(&b, &host)
    })
    .await;
    let mut ip = 0;
    let mut update_both = async |expect: &str| {
        for node in [&a, &b] {
            ip += 1;
            let addr = format!("198.51.100.{ip}");
            let answer = update(node, &host, &token, &[("myip", &addr)]).await;
            let wanted = if expect == "good" {
                format!("good {addr}")
            } else {
                expect.to_owned()
            };
            assert_eq!(answer.body, wanted, "update at {}", node.update_url());
        }
    };

    // Day 0: valid everywhere.
    assert_eq!(licence_state(&w.r1, licence).await, "valid");
    let host_view = w.u1.api.get(&format!("/hosts/{}", w.c1_host.0)).await;
    assert_eq!(host_view.body["licence"], "valid");
    update_both("good").await;

    // Day 80: expiring — listed on the dashboard, still changeable.
    w.control.restart_with_clock(80);
    assert_eq!(licence_state(&w.r1, licence).await, "expiring");
    let dashboard = w.u1.browser.get("/dashboard").await;
    assert!(
        dashboard.body.contains("class=\"dash-licence\""),
        "{}",
        dashboard.body
    );
    let changed =
        w.u1.api
            .patch(&format!("/hosts/{}", w.c1_host.0), json!({"ttl": 90}))
            .await;
    assert_eq!(changed.status, 200, "{}", changed.text);

    // Day 101: expired — marked in the lists, every change refused, updates
    // still taken (grace period).
    w.control.restart_with_clock(101);
    assert_eq!(licence_state(&w.r1, licence).await, "expired");
    let hosts = w.u1.browser.get("/hosts").await;
    assert!(hosts.body.contains("licence-expired"), "{}", hosts.body);
    let licences = w.r1.user.browser.get("/reseller/licences").await;
    assert!(licences.body.contains(">expired<"), "{}", licences.body);
    let refused =
        w.u1.api
            .patch(&format!("/hosts/{}", w.c1_host.0), json!({"ttl": 120}))
            .await;
    assert_eq!(
        (refused.status, refused.body["error"].as_str()),
        (403, Some("licence_expired"))
    );
    let refused =
        w.u1.api
            .post("/hosts", json!({"label": "new", "zone": ZONE}))
            .await;
    assert_eq!(refused.body["error"], "licence_expired", "{}", refused.text);
    let csrf = csrf(&w.u1.browser).await;
    let page =
        w.u1.browser
            .post_raw(&format!("/hosts/{}/token", w.c1_host.0), &[("csrf", &csrf)])
            .await;
    assert_eq!(page.status, 403, "the portal refuses too");
    update_both("good").await;

    // Day 116: past grace — both nodes answer !donator, the host resolves.
    w.control.restart_with_clock(116);
    assert_eq!(licence_state(&w.r1, licence).await, "past_grace");
    update_until(&a, &host, &token, |answer| answer == "!donator").await;
    update_until(&b, &host, &token, |answer| answer == "!donator").await;
    update_both("!donator").await;
    assert!(
        !resolve(&a, &host, RecordType::A).is_empty(),
        "keeps resolving"
    );
    assert!(
        !resolve(&b, &host, RecordType::A).is_empty(),
        "keeps resolving"
    );

    // The reseller renews: updates are taken again on both nodes.
    let renewed =
        w.r1.user
            .api
            .patch(
                &format!("/licences/{licence}"),
                json!({"quantity": 5, "valid_from": day(-1), "valid_until": day(500)}),
            )
            .await;
    assert_eq!(renewed.body["state"], "valid", "{}", renewed.text);
    update_until(&a, &host, &token, |answer| answer.starts_with("good")).await;
    update_until(&b, &host, &token, |answer| answer.starts_with("good")).await;
}

/// Sends updates until one answers as `wanted` says (the feed takes a
/// moment to reach a node); returns that answer.
async fn update_until(
    node: &crate::harness::Dnsd,
    host: &str,
    token: &str,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let started = std::time::Instant::now();
    let mut i = 0;
    loop {
        i += 1;
        let addr = format!("203.0.113.{}", i % 250 + 1);
        let answer = update(node, host, token, &[("myip", &addr)]).await.body;
        if wanted(&answer) {
            return answer;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "still {answer:?} at {}",
            node.update_url()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_dashboard_lists_each_kind_of_item_when_it_exists_and_not_when_it_does_not() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let page = |body: &str, id: &str| body.contains(&format!("id=\"{id}\""));
    // Customer one: licence runs ~300 days, its host has no token and was
    // just made; anna has 2FA. Nothing to point out.
    let clear = w.u1.browser.get("/dashboard").await.body;
    assert!(page(&clear, "all-clear"), "{clear}");
    assert!(!clear.contains("id=\"notifications\""));
    // An unused token; a host not updated for 30 days; a licence ending
    // soon; a user without 2FA.
    let token =
        w.u1.api
            .post(&format!("/hosts/{}/token", w.c1_host.0), json!({}))
            .await;
    assert_eq!(token.status, 201);
    sqlx::query("UPDATE hosts SET created_at = now() - interval '40 days' WHERE id = $1")
        .bind(w.c1_host.0)
        .execute(&w.control.db().await)
        .await
        .unwrap();
    let licence =
        w.r1.user
            .api
            .get(&format!("/customers/{}/licences", w.c1.id))
            .await
            .body[0]["id"]
            .as_i64()
            .unwrap();
    w.r1.user
        .api
        .patch(
            &format!("/licences/{licence}"),
            json!({"quantity": 5, "valid_from": day(-1), "valid_until": day(10)}),
        )
        .await;
    let r1_csrf = csrf(&w.r1.user.browser).await;
    let added =
        w.r1.user
            .browser
            .post_raw(
                &format!("/reseller/customers/{}/users", w.c1.id),
                &[
                    ("csrf", &r1_csrf),
                    ("name", "ben"),
                    ("email", "ben@example.net"),
                    ("role", "read_only"),
                ],
            )
            .await;
    assert_eq!(added.status, 303);
    let full = w.u1.browser.get("/dashboard").await.body;
    for id in [
        "licences",
        "stale-hosts",
        "unused-tokens",
        "users-without-2fa",
    ] {
        assert!(page(&full, id), "{id} listed: {full}");
    }
    assert!(full.contains("ben") && full.contains(&w.c1_host.1));
    assert!(full.contains("id=\"notifications\""), "the side panel");
    // The host list marks the stale host and the expiring licence.
    let hosts = w.u1.browser.get("/hosts").await.body;
    assert_eq!(
        hosts.matches("class=\"badge warn stale\"").count(),
        1,
        "{hosts}"
    );
    assert!(
        hosts.contains("class=\"badge warn licence-expiring\""),
        "{hosts}"
    );
    // The reseller's dashboard has them too (with the customer), the other
    // reseller's none of them; the API says the same.
    let r1 = w.r1.user.browser.get("/dashboard").await.body;
    assert!(
        r1.contains(&w.c1.name) && page(&r1, "unused-tokens"),
        "{r1}"
    );
    let r2 = w.r2.user.api.get("/dashboard").await.body;
    assert_eq!(r2["unused_tokens"], json!([]));
    assert_eq!(r2["stale_hosts"], json!([]));
    let api = w.u1.api.get("/dashboard").await.body;
    assert_eq!(api["unused_tokens"], json!([w.c1_host.1]));
    assert_eq!(api["users_without_2fa"], json!(["ben"]));
    assert_eq!(api["licences"], json!([licence]));
}

#[tokio::test]
async fn the_host_quota_of_a_licence_holds_under_concurrent_creation() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    // Customer two's licence covers 5 hosts and has 1: 20 concurrent
    // creations, exactly 4 succeed.
    let api = &w.r2.user.api;
    let path = format!("/customers/{}/hosts", w.c2.id);
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (client, base, token) = (api.client.clone(), api.base.clone(), api.token.clone());
        let path = path.clone();
        burst.spawn(async move {
            let api = Api {
                client,
                base,
                token,
            };
            api.post(&path, json!({"label": format!("burst{i}"), "zone": ZONE}))
                .await
        });
    }
    let answers = burst.join_all().await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        created,
        4,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert!(
        answers
            .iter()
            .filter(|a| a.status != 201)
            .all(|a| a.status == 409 && a.body["error"] == "quota_exceeded")
    );
    let hosts = api.get(&path).await;
    assert_eq!(hosts.body.as_array().map(Vec::len), Some(5));
    // A second licence adds room.
    tenancy::licence(&w.r2, &w.c2, 2, &day(0), &day(30)).await;
    tenancy::host(api, Some(w.c2.id), "more").await;
}

#[tokio::test]
async fn a_reseller_acts_in_a_customers_portal_under_a_marker_and_the_log_names_both() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let browser = &w.r1.user.browser;
    // Without a chosen customer the tenant pages lead to the selection,
    // which lists customers with a running licence only.
    assert_eq!(browser.get("/hosts").await.location(), "/reseller/select");
    let lapsed = tenancy::customer(&w.r1, "Lapsed Ltd").await;
    tenancy::licence(&w.r1, &lapsed, 3, &day(-400), &day(-40)).await;
    let select = browser.get("/reseller/select").await.body;
    assert!(
        select.contains(&w.c1.name) && !select.contains("Lapsed Ltd"),
        "{select}"
    );
    let csrf = csrf(browser).await;
    let refused = browser
        .post_raw(
            &format!("/reseller/customers/{}/open", lapsed.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, 403, "no running licence, no portal");
    // Search finds by name and by number.
    let found = browser
        .get(&format!("/reseller/customers?q={}", w.c1.number))
        .await
        .body;
    assert!(found.contains(&w.c1.name) && !found.contains("Lapsed Ltd"));
    // Open customer one: its hosts, the marker, a change logged with both.
    browser
        .post_raw(
            &format!("/reseller/customers/{}/open", w.c1.id),
            &[("csrf", &csrf)],
        )
        .await;
    let hosts = browser.get("/hosts").await;
    assert!(hosts.body.contains("id=\"acting-marker\"") && hosts.body.contains("Reseller One"));
    assert!(hosts.body.contains(&w.c1_host.1));
    let created = browser
        .post_raw(
            "/hosts",
            &[
                ("csrf", &csrf),
                ("label", "by-reseller"),
                ("zone", ZONE),
                ("ttl", "60"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let log = w.u1.browser.get("/log").await.body;
    assert!(
        log.contains(&format!("{} (reseller Reseller One)", w.r1.user.name))
            && log.contains("by-reseller"),
        "the customer's log names the reseller user: {log}"
    );
    // Leaving ends it.
    browser
        .post_raw("/reseller/leave", &[("csrf", &csrf)])
        .await;
    assert_eq!(browser.get("/hosts").await.location(), "/reseller/select");
    // The customer's read-only user sees everything and changes nothing.
    let reader = tenancy::tenant_user(&w.control, &w.r1, &w.c1, "rita", "read_only").await;
    let hosts = reader.browser.get("/hosts").await.body;
    assert!(hosts.contains("by-reseller") && hosts.contains("id=\"read-only\""));
    assert!(
        !hosts.contains("id=\"create-host\""),
        "no forms that change"
    );
    let refused = reader
        .api
        .post("/hosts", json!({"label": "nope", "zone": ZONE}))
        .await;
    assert_eq!(
        (refused.status, refused.body["error"].as_str()),
        (403, Some("read_only"))
    );
}

#[tokio::test]
async fn an_operator_creates_a_reseller_from_the_command_line() {
    let control = Control::start().await;
    let out = control.cli(&[
        "reseller",
        "add",
        "--name",
        "Shell Reseller",
        "--user",
        "shelly",
        "--email",
        "shelly@example.net",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("reseller created"));
    let mail = control.mail.wait_for("shelly@example.net").await;
    assert!(mail.text().contains("/reseller/login"), "{}", mail.text());
    // Taken names are refused, and nothing is made twice.
    let again = control.cli(&[
        "reseller",
        "add",
        "--name",
        "Shell Reseller",
        "--user",
        "other",
        "--email",
        "o@example.net",
    ]);
    assert!(!again.status.success());
    let admin = control.admin_browser().await;
    let page = admin.get("/admin").await.body;
    assert_eq!(page.matches("Shell Reseller").count(), 1, "{page}");
    assert!(TENANT_SUFFIX.ends_with(".test"));
}

#[tokio::test]
async fn a_user_who_asks_for_the_daily_digest_gets_one_mail_a_day_when_there_is_something_in_it() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    async fn digest(browser: &Browser, email: String) {
        let page = browser
            .post_form(
                "/profile",
                "/profile",
                &[("email", &email), ("language", "en"), ("digest", "on")],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
    }
    // Reseller two has nothing to point out; anna's tenant an unused token.
    let r2_email = format!("{}@example.net", w.r2.user.name);
    digest(&w.r2.user.browser, r2_email.clone()).await;
    let token =
        w.u1.api
            .post(&format!("/hosts/{}/token", w.c1_host.0), json!({}))
            .await;
    assert_eq!(token.status, 201);
    let anna_email = format!("anna@{}.example.net", w.c1.number);
    digest(&w.u1.browser, anna_email.clone()).await;
    let started = std::time::Instant::now();
    let mail = loop {
        // Anna's welcome mail came first; wait for the digest.
        let digests: Vec<_> = w
            .control
            .mail
            .mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.contains(&anna_email)))
            .filter(|m| m.data.contains("what needs your attention"))
            .collect();
        if let Some(first) = digests.first() {
            assert_eq!(digests.len(), 1);
            break first.clone();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no digest"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(mail.text().contains(&w.c1_host.1), "{}", mail.text());
    assert!(mail.text().contains("/dashboard"));
    // Reseller two's digest was due in the same pass: marked sent, no mail.
    let sent: Option<String> =
        sqlx::query_scalar("SELECT digest_sent_on::text FROM accounts WHERE name = $1")
            .bind(&w.r2.user.name)
            .fetch_one(&w.control.db().await)
            .await
            .unwrap();
    assert!(sent.is_some(), "reseller two's digest was looked at");
    assert!(
        !w.control
            .mail
            .mails()
            .iter()
            .any(|m| m.to.iter().any(|t| t.contains(&r2_email)) && m.data.contains("attention")),
        "nothing to point out: no mail"
    );
    // One a day: a few more passes send nothing new.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let count = w
        .control
        .mail
        .mails()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(&anna_email)) && m.data.contains("attention"))
        .count();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_reseller_reads_one_log_across_its_customers_and_nothing_of_others() {
    if !require("oathtool") {
        return;
    }
    let w = world().await;
    let r1 = &w.r1.user.browser;
    let page = r1.get("/reseller/log").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("<td>{}</td>", w.c1.name)),
        "the customer column"
    );
    assert!(page.body.contains(&w.c1_host.1) && page.body.contains(">anna<"));
    for foreign in [&w.c2.name, &w.c2_host.1, &w.r2.name, &w.bob.3] {
        assert!(
            !page.body.contains(foreign.as_str()),
            "{foreign} in reseller one's log"
        );
    }
    let hosts = r1.get("/reseller/log?action=host.create").await;
    let rows = hosts.body.matches("<td title=\"host.create\">").count();
    assert_eq!(rows, hosts.body.matches("<td title=\"").count());
    assert!(rows >= 1 && hosts.body.contains(&w.c1_host.1));
    let csv = r1.get("/reseller/log.csv?action=host.create").await;
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(
        lines[0].starts_with("\u{feff}time,customer,actor,"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len() - 1, rows, "the file holds the page's rows");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(&w.c1.name) && l.contains(",host.create,"))
    );
    // Not for the customer's users, nor for another reseller's eyes.
    assert_eq!(w.u1.browser.get("/reseller/log").await.status, 403);
    let r2 = w.r2.user.browser.get("/reseller/log").await.body;
    assert!(!r2.contains(&w.c1.name) && r2.contains(&w.c2.name));
}
