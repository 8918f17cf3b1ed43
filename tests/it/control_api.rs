//! The JSON API against a real control and PostgreSQL: every endpoint's
//! success, bad input, missing or insufficient authentication, and other
//! accounts' ids answering 404.

use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::control_harness::{Control, OTHER_ZONE, Options, ZONE, plain_client};

const ALL: &[&str] = &[
    "account:read",
    "hosts:read",
    "hosts:write",
    "tokens:write",
    "log:read",
];

#[tokio::test]
async fn requests_without_a_valid_bearer_token_are_unauthorized() {
    let control = Control::start().await;
    let client = plain_client();
    // Every endpoint, with a host that exists, so only the missing token
    // can be the reason.
    let owner = control.api_user("owner", ALL).await;
    let id = owner.create_host("exists").await;
    let endpoints = [
        (Method::GET, "/account".to_owned()),
        (Method::GET, "/log".to_owned()),
        (Method::GET, "/hosts".to_owned()),
        (Method::POST, "/hosts".to_owned()),
        (Method::GET, format!("/hosts/{id}")),
        (Method::PATCH, format!("/hosts/{id}")),
        (Method::DELETE, format!("/hosts/{id}")),
        (Method::POST, format!("/hosts/{id}/token")),
        (Method::DELETE, format!("/hosts/{id}/token")),
        (Method::POST, "/tokens/missing".to_owned()),
    ];
    for (method, path) in &endpoints {
        for token in [None, Some("spdyn_not-a-real-token"), Some("")] {
            let mut request = client
                .request(method.clone(), control.url(&format!("/api/v1{path}")))
                .json(&json!({"ttl": 300}));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 401, "{method} {path} with {token:?}");
            assert_eq!(
                answer.headers()["www-authenticate"],
                "Bearer realm=\"spdyn\""
            );
            let body: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(body["error"], "unauthorized");
        }
    }
    assert_eq!(
        owner.get(&format!("/hosts/{id}")).await.body["ttl"],
        60,
        "unchanged"
    );
    let forged = client
        .post(control.url("/api/v1/hosts"))
        .bearer_auth("spdyn_not-a-real-token")
        .json(&json!({"label": "x", "zone": ZONE}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // A session cookie does not authenticate the API (no CSRF route into it).
    let browser = control.signed_up("cookie").await;
    let with_cookie = browser.get("/api/v1/hosts").await;
    assert_eq!(with_cookie.status, 401);
    let unknown = client
        .get(control.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<serde_json::Value>().await.unwrap()["error"],
        "not_found"
    );
}

#[tokio::test]
async fn hosts_are_created_read_changed_and_deleted() {
    let control = Control::start().await;
    let api = control.api_user("alice", ALL).await;

    let created = api
        .post(
            "/hosts",
            json!({"label": "Home", "zone": ZONE, "ttl": 120, "wildcard": true}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let host = &created.body;
    assert_eq!(host["name"], format!("home.{ZONE}"));
    assert_eq!(host["zone"], ZONE);
    assert_eq!(host["ttl"], 120);
    assert_eq!(host["wildcard"], true);
    assert_eq!(host["enabled"], true);
    assert_eq!(host["token"]["present"], false);
    assert!(host["ipv4"].is_null() && host["last_update_at"].is_null());
    let id = host["id"].as_i64().unwrap();

    let by_name = api
        .post("/hosts", json!({"name": format!("office.{OTHER_ZONE}.")}))
        .await;
    assert_eq!(by_name.status, 201, "{}", by_name.text);
    assert_eq!(
        by_name.body["ttl"], 60,
        "default TTL from the configuration"
    );

    let list = api.get("/hosts").await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [format!("home.{ZONE}"), format!("office.{OTHER_ZONE}")]
    );

    let one = api.get(&format!("/hosts/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["name"], format!("home.{ZONE}"));

    let changed = api
        .patch(
            &format!("/hosts/{id}"),
            json!({"ttl": 300, "enabled": false}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["ttl"], 300);
    assert_eq!(changed.body["enabled"], false);
    assert_eq!(changed.body["wildcard"], true, "absent fields stay");

    let deleted = api.delete(&format!("/hosts/{id}")).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(api.get(&format!("/hosts/{id}")).await.status, 404);
    assert_eq!(api.delete(&format!("/hosts/{id}")).await.status, 404);
    assert_eq!(api.get("/hosts/not-a-number").await.status, 404);
}

#[tokio::test]
async fn bad_host_input_is_rejected_with_json_errors() {
    let control = Control::start_with(Options {
        quota: 2,
        ..Options::default()
    })
    .await;
    let api = control.api_user("bob", ALL).await;
    let cases = [
        (json!({"label": "-bad", "zone": ZONE}), 422, "invalid"),
        (
            json!({"label": "a".repeat(64), "zone": ZONE}),
            422,
            "invalid",
        ),
        (
            json!({"label": "under_score", "zone": ZONE}),
            422,
            "invalid",
        ),
        (
            json!({"label": "ok", "zone": "example.com"}),
            422,
            "invalid",
        ),
        (json!({"name": format!("a.b.{ZONE}")}), 422, "invalid"),
        (
            json!({"label": "ok", "zone": ZONE, "ttl": 10}),
            422,
            "invalid",
        ),
        (
            json!({"label": "ok", "zone": ZONE, "color": "red"}),
            400,
            "bad_request",
        ),
        (json!({}), 422, "invalid"),
    ];
    for (body, status, code) in cases {
        let answer = api.post("/hosts", body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text);
        assert_eq!(answer.body["error"], code, "{body}");
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let not_json = api
        .send(
            api.request(Method::POST, "/hosts")
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.body["error"], "bad_request");
    let no_type = api
        .send(api.request(Method::POST, "/hosts").body("{}"))
        .await;
    assert_eq!(no_type.status, 400);

    let id = api.create_host("first").await;
    let taken = api
        .post("/hosts", json!({"label": "FIRST", "zone": ZONE}))
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["error"], "conflict");
    let bad_ttl = api
        .patch(&format!("/hosts/{id}"), json!({"ttl": 100000}))
        .await;
    assert_eq!(bad_ttl.status, 422);
    assert_eq!(bad_ttl.body["field"], "ttl");
    api.create_host("second").await;
    let over = api
        .post("/hosts", json!({"label": "third", "zone": ZONE}))
        .await;
    assert_eq!(over.status, 409, "quota of 2");
    assert_eq!(over.body["error"], "quota_exceeded");
}

#[tokio::test]
async fn update_tokens_are_shown_once_exchanged_and_revoked() {
    let control = Control::start().await;
    let api = control.api_user("carol", ALL).await;
    let id = api.create_host("router").await;

    let first = api.post(&format!("/hosts/{id}/token"), json!({})).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["hostname"], format!("router.{ZONE}"));
    let token = first.body["token"].as_str().unwrap().to_owned();
    let groups: Vec<&str> = token.split('-').collect();
    assert_eq!(groups.len(), 7);
    assert!(groups.iter().all(|g| {
        g.len() == 4
            && g.bytes()
                .all(|b| b"abcdefghijkmnpqrstuvwxyz23456789".contains(&b))
    }));
    let host = api.get(&format!("/hosts/{id}")).await;
    assert_eq!(host.body["token"]["present"], true);
    assert!(
        host.body["token"]["first_used_at"].is_null(),
        "never used yet"
    );
    assert!(
        !host.text.contains(&token),
        "the token is never shown again"
    );

    // Only its SHA-256 is stored, and the feed carries it for dnsd.
    control
        .assert_token_stored(&format!("router.{ZONE}"), &token)
        .await;
    let db = control.db().await;
    let stored = Sha256::digest(token.as_bytes());
    let feed_hash: Option<String> = sqlx::query_scalar(
        "SELECT payload->>'token_hash' FROM change_feed WHERE kind = 'host.upsert' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let hex: String = stored.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(feed_hash, Some(hex));

    let second = api.post(&format!("/hosts/{id}/token"), json!({})).await;
    assert_eq!(second.status, 201);
    assert_ne!(
        second.body["token"], first.body["token"],
        "exchange makes a new token"
    );

    assert_eq!(api.delete(&format!("/hosts/{id}/token")).await.status, 204);
    assert_eq!(
        api.get(&format!("/hosts/{id}")).await.body["token"]["present"],
        false
    );
    let again = api.delete(&format!("/hosts/{id}/token")).await;
    assert_eq!(again.status, 409, "no token to revoke");
    let revoked_feed: Option<String> = sqlx::query_scalar(
        "SELECT payload->>'token_hash' FROM change_feed WHERE kind = 'host.upsert' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(revoked_feed, None, "dnsd learns the revocation");
    assert_eq!(api.post("/hosts/999999/token", json!({})).await.status, 404);
}

#[tokio::test]
async fn missing_tokens_are_created_in_bulk_as_json_or_csv() {
    let control = Control::start().await;
    let api = control.api_user("dave", ALL).await;
    let with = api.create_host("has").await;
    api.post(&format!("/hosts/{with}/token"), json!({})).await;
    api.create_host("b-none").await;
    api.create_host("a-none").await;

    let bulk = api.post("/tokens/missing", json!({})).await;
    assert_eq!(bulk.status, 200, "{}", bulk.text);
    let names: Vec<&str> = bulk
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(names, [format!("a-none.{ZONE}"), format!("b-none.{ZONE}")]);
    let again = api.post("/tokens/missing", json!({})).await;
    assert_eq!(again.body, json!([]), "every host has a token now");

    api.create_host("c-none").await;
    let csv = api
        .send(
            api.request(Method::POST, "/tokens/missing")
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers["content-disposition"],
        "attachment; filename=\"spdyn_update_token.csv\""
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "hostname,token");
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&format!("c-none.{ZONE},")));
}

#[tokio::test]
async fn other_accounts_hosts_are_not_found() {
    let control = Control::start().await;
    let owner = control.api_user("owner", ALL).await;
    let intruder = control.api_user("intruder", ALL).await;
    let id = owner.create_host("private").await;
    owner.post(&format!("/hosts/{id}/token"), json!({})).await;

    let path = format!("/hosts/{id}");
    let token = format!("/hosts/{id}/token");
    let answers = [
        intruder.get(&path).await,
        intruder.patch(&path, json!({"enabled": false})).await,
        intruder.delete(&path).await,
        intruder.post(&token, json!({})).await,
        intruder.delete(&token).await,
    ];
    for answer in answers {
        assert_eq!(answer.status, 404, "{}", answer.text);
        assert_eq!(answer.body["error"], "not_found");
    }
    assert_eq!(intruder.get("/hosts").await.body, json!([]));
    let bulk = intruder.post("/tokens/missing", json!({})).await;
    assert_eq!(bulk.body, json!([]));
    let still = owner.get(&path).await;
    assert_eq!(still.body["enabled"], true, "nothing changed");
    assert_eq!(still.body["token"]["present"], true);
}

#[tokio::test]
async fn scopes_limit_what_a_token_may_do() {
    let control = Control::start().await;
    let reader = control.api_user("reader", &["hosts:read"]).await;
    assert_eq!(reader.get("/hosts").await.status, 200);
    for answer in [
        reader
            .post("/hosts", json!({"label": "x", "zone": ZONE}))
            .await,
        reader.post("/tokens/missing", json!({})).await,
        reader.get("/log").await,
        reader.get("/account").await,
    ] {
        assert_eq!(answer.status, 403, "{}", answer.text);
        assert_eq!(answer.body["error"], "forbidden");
    }
    let writer = control.api_user("writer", &["hosts:write"]).await;
    let id = writer.create_host("w").await;
    assert_eq!(
        writer.get(&format!("/hosts/{id}")).await.status,
        200,
        "write implies read"
    );
    assert_eq!(
        writer
            .post(&format!("/hosts/{id}/token"), json!({}))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn revoked_api_tokens_stop_at_once() {
    let control = Control::start().await;
    let browser = control.signed_up("erin").await;
    let token = browser.create_api_token("ci", &["hosts:read"]).await;
    assert!(token.starts_with("spdyn_"));
    let client = plain_client();
    let call = || {
        client
            .get(control.url("/api/v1/hosts"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);
    let page = browser.get("/api-tokens").await;
    assert!(
        page.body.contains("read:hosts") && !page.body.contains(&token),
        "listed, not shown"
    );
    let id =
        crate::control_harness::between(&page.body, "action=\"/api-tokens/", "/revoke\"").unwrap();
    let revoke = format!("/api-tokens/{id}/revoke");
    let ask = browser.post_form("/api-tokens", &revoke, &[]).await;
    assert_eq!(ask.status, 200, "revoking asks first");
    assert_eq!(ask.by_id("confirm-subject").as_deref(), Some("ci"));
    assert_eq!(call().await.unwrap().status(), 200, "nothing revoked yet");
    let revoked = browser
        .post_form("/api-tokens", &revoke, &[("confirm", "yes")])
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(call().await.unwrap().status(), 401);
    let list = browser.get(revoked.location()).await;
    assert!(list.body.contains("Token revoked.") && !list.body.contains("id=\"api-tokens\""));
}

#[tokio::test]
async fn account_and_log_endpoints_show_the_callers_data() {
    let control = Control::start_with(Options {
        quota: 7,
        ..Options::default()
    })
    .await;
    let api = control.api_user("frank", ALL).await;
    let account = api.get("/account").await;
    assert_eq!(account.status, 200);
    assert_eq!(account.body["name"], "frank");
    assert_eq!(account.body["email"], "frank@example.net");
    assert_eq!(account.body["host_quota"], 7);
    assert_eq!(account.body["hosts"], 0);

    let id = api.create_host("logged").await;
    api.delete(&format!("/hosts/{id}")).await;
    let log = api.get("/log?limit=50").await;
    assert_eq!(log.status, 200);
    let actions: Vec<&str> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        &actions[..2],
        ["host.delete", "host.create"],
        "newest first: {actions:?}"
    );
    assert!(actions.contains(&"signup") && actions.contains(&"api_token.create"));
    let entry = &log.body[0];
    assert_eq!(entry["target"], format!("logged.{ZONE}"));
    assert_eq!(entry["actor"], "frank");
    assert_eq!(entry["actor_via"], "api:test");
    assert!(entry["actor_reseller"].is_null());
    assert_eq!(entry["source_addr"], "127.0.0.1");
    assert!(entry["at"].as_str().unwrap().ends_with('Z'));

    let first_id = log.body[0]["id"].as_i64().unwrap();
    let older = api.get(&format!("/log?before={first_id}&limit=1")).await;
    assert_eq!(older.body.as_array().unwrap().len(), 1);
    assert_eq!(older.body[0]["action"], "host.create");
    assert_eq!(api.get("/log?limit=0").await.status, 422);
    assert_eq!(api.get("/log?limit=x").await.status, 400);

    let other = control.api_user("grace", ALL).await;
    let theirs = other.get("/log").await;
    assert!(!theirs.text.contains("frank"), "only the caller's own log");
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let control = Control::start().await;
    let doc: serde_json::Value = plain_client()
        .get(control.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in control::routes::api::paths() {
        assert!(
            paths.contains_key(path),
            "{path} of the router is documented"
        );
    }
    for (path, methods) in [
        ("/auth/token", &["post"][..]),
        ("/account", &["get"]),
        ("/hosts", &["get", "post"]),
        ("/hosts/{id}", &["get", "patch", "delete"]),
        ("/hosts/{id}/token", &["post", "delete"]),
        ("/tokens/missing", &["post"]),
        ("/log", &["get"]),
    ] {
        for method in methods {
            assert!(paths[path][method].is_object(), "{method} {path}");
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["HostView"].is_object());
}

#[tokio::test]
async fn concurrent_creations_cannot_overrun_the_quota() {
    let control = Control::start_with(Options {
        quota: 3,
        ..Options::default()
    })
    .await;
    let api = std::sync::Arc::new(control.api_user("racer", ALL).await);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            api.post("/hosts", json!({"label": format!("race{i}"), "zone": ZONE}))
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(api.get("/hosts").await.body.as_array().unwrap().len(), 3);
}
