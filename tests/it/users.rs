//! Users and roles of a customer's tenant: invitations by the tenant's
//! admin, role changes, deactivation, the last-admin rule (also under a
//! race), and the role matrix generated from the route lists: a read-only
//! user is refused on every changing route, web and API, and changes
//! nothing; an admin is not refused.

use reqwest::Method;
use serde_json::json;

use crate::{
    control_harness::{Browser, Control, Page, ZONE},
    harness::require,
    tenancy::{self, Customer, Person, Reseller, day},
};

/// A reseller's customer with a licence, a host and its first admin, anna.
struct Tenant {
    control: Control,
    reseller: Reseller,
    customer: Customer,
    anna: Person,
}

async fn tenant() -> Tenant {
    let control = Control::start().await;
    let operator = tenancy::operator_api(&control).await;
    let reseller = tenancy::reseller(&control, &operator, "User Reseller").await;
    let customer = tenancy::customer(&reseller, "Users GmbH").await;
    tenancy::licence(&reseller, &customer, 5, &day(-1), &day(300)).await;
    tenancy::host(&reseller.user.api, Some(customer.id), "users-office").await;
    let anna = tenancy::tenant_user(&control, &reseller, &customer, "anna", "admin").await;
    Tenant {
        control,
        reseller,
        customer,
        anna,
    }
}

/// The id of the tenant user `name`.
async fn user_id(control: &Control, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM accounts WHERE name = $1 AND kind = 'tenant_user'")
        .bind(name)
        .fetch_one(&control.db().await)
        .await
        .expect("user id")
}

async fn invite(admin: &Browser, name: &str, customer: &Customer, role: &str) -> Page {
    let email = tenancy::invited_email(customer, name);
    admin
        .post_form(
            "/users",
            "/users",
            &[("name", name), ("email", &email), ("role", role)],
        )
        .await
}

async fn set_role(admin: &Browser, id: i64, role: &str) -> Page {
    admin
        .post_form("/users", &format!("/users/{id}/role"), &[("role", role)])
        .await
}

/// The tenant's log entries of `action`: (actor, target, detail).
async fn logged(control: &Control, action: &str) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT actor, target, detail FROM action_log WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(&control.db().await)
        .await
        .expect("log")
}

#[tokio::test]
async fn a_tenant_admin_invites_users_changes_roles_and_keeps_one_active_admin() {
    if !require("oathtool") {
        return;
    }
    let t = tenant().await;
    let anna = &t.anna;
    let list = anna.browser.get("/users").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("id=\"invite-user\"") && list.body.contains(">anna<"));

    // Bad input is refused next to its field and creates nobody.
    let bad = invite(&anna.browser, "Not A Name!", &t.customer, "read_only").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"name-error\""), "{}", bad.body);
    let bad_role = invite(&anna.browser, "carl", &t.customer, "owner").await;
    assert_eq!(bad_role.status, 422);
    assert!(
        logged(&t.control, "user.create").await.len() == 1,
        "anna only"
    );

    // Anna invites ben (read-only); ben follows the mail.
    let invited = invite(&anna.browser, "ben", &t.customer, "read_only").await;
    assert_eq!(
        (invited.status, invited.location()),
        (303, "/users?done=user_invited")
    );
    let ben = tenancy::accept_invitation(&t.control, &t.customer, "ben").await;
    let ben_id = user_id(&t.control, "ben").await;
    let anna_id = user_id(&t.control, "anna").await;
    let seen = ben.browser.get("/users").await;
    assert!(seen.body.contains(">anna<") && seen.body.contains("id=\"read-only\""));
    assert!(
        !seen.body.contains("id=\"invite-user\""),
        "no forms for read-only"
    );
    assert_eq!(
        invite(&ben.browser, "eve", &t.customer, "admin")
            .await
            .status,
        403
    );
    assert_eq!(set_role(&ben.browser, ben_id, "admin").await.status, 403);

    // The last active admin can be neither demoted nor deactivated.
    let demote = set_role(&anna.browser, anna_id, "read_only").await;
    assert_eq!(demote.status, 409);
    assert!(demote.body.contains("last active admin"), "{}", demote.body);
    let own = anna
        .browser
        .post_form(
            "/users",
            &format!("/users/{anna_id}/active"),
            &[("active", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(own.status, 422, "nobody deactivates themselves");

    // Deactivating asks first, then signs ben out and stops its token.
    let active = format!("/users/{ben_id}/active");
    let ask = anna
        .browser
        .post_form("/users", &active, &[("active", "false")])
        .await;
    assert_eq!(ask.status, 200);
    assert_eq!(ask.by_id("confirm-subject").as_deref(), Some("ben"));
    assert_eq!(ben.api.get("/hosts").await.status, 200, "nothing done yet");
    let off = anna
        .browser
        .post_form(
            "/users",
            &active,
            &[("active", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(off.status, 303);
    let signed_out = ben.browser.get("/hosts").await;
    assert!(
        signed_out.location().ends_with("login"),
        "{}",
        signed_out.location()
    );
    assert_eq!(ben.api.get("/hosts").await.status, 401);
    let on = anna
        .browser
        .post_form("/users", &active, &[("active", "true")])
        .await;
    assert_eq!(on.status, 303, "reactivating does not ask");
    assert_eq!(ben.api.get("/hosts").await.status, 200);

    // With ben an admin, anna may step down; then she changes nothing.
    assert_eq!(set_role(&anna.browser, ben_id, "admin").await.status, 303);
    assert_eq!(
        set_role(&anna.browser, anna_id, "read_only").await.status,
        303
    );
    let refused = anna
        .api
        .post("/hosts", json!({"label": "after-demotion", "zone": ZONE}))
        .await;
    assert_eq!(
        (refused.status, refused.body["error"].as_str()),
        (403, Some("read_only"))
    );

    // Each change is in the tenant's log once, with its actor.
    let roles = logged(&t.control, "user.role").await;
    assert_eq!(
        roles,
        [
            ("anna".into(), "ben".into(), "admin".into()),
            ("anna".into(), "anna".into(), "read_only".into()),
        ]
    );
    assert_eq!(
        logged(&t.control, "user.deactivate").await,
        [("anna".into(), "ben".into(), "read_only".into())]
    );
    assert_eq!(logged(&t.control, "user.reactivate").await.len(), 1);
    let creates = logged(&t.control, "user.create").await;
    assert_eq!(creates.len(), 2);
    assert_eq!(
        creates[1],
        ("anna".into(), "ben".into(), "read_only".into())
    );
    let page = ben.browser.get("/log").await.body;
    assert!(page.contains("Role changed") && page.contains("User deactivated"));

    // The reseller, acting in the customer's portal, manages the same users
    // through the same pages; the log names it.
    let reseller = &t.reseller.user.browser;
    let opened = reseller
        .post_form(
            "/reseller/customers",
            &format!("/reseller/customers/{}/open", t.customer.id),
            &[],
        )
        .await;
    assert_eq!(opened.status, 303);
    assert!(reseller.get("/users").await.body.contains(">ben<"));
    // Ben is the last admin now, for the reseller too.
    assert_eq!(set_role(reseller, ben_id, "read_only").await.status, 409);
    assert_eq!(set_role(reseller, anna_id, "admin").await.status, 303);
    let by_reseller: (String, Option<String>) = sqlx::query_as(
        "SELECT actor, actor_reseller FROM action_log WHERE action = 'user.role' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&t.control.db().await)
    .await
    .unwrap();
    assert_eq!(
        by_reseller,
        (t.reseller.user.name.clone(), Some("User Reseller".into()))
    );
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    if !require("oathtool") {
        return;
    }
    let t = tenant().await;
    assert_eq!(
        invite(&t.anna.browser, "bert", &t.customer, "admin")
            .await
            .status,
        303
    );
    let bert = tenancy::accept_invitation(&t.control, &t.customer, "bert").await;
    let (anna_id, bert_id) = (
        user_id(&t.control, "anna").await,
        user_id(&t.control, "bert").await,
    );
    let db = t.control.db().await;
    for round in 0..10 {
        let (a, b) = tokio::join!(
            set_role(&t.anna.browser, bert_id, "read_only"),
            set_role(&bert.browser, anna_id, "read_only"),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        // The loser is refused: as the last admin (409), or because its
        // own role went first (403).
        assert!(
            statuses[0] == 303 && [403, 409].contains(&statuses[1]),
            "round {round}: {statuses:?}"
        );
        let admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM accounts
             WHERE tenant_id = (SELECT tenant_id FROM accounts WHERE id = $1)
               AND role = 'admin' AND enabled",
        )
        .bind(anna_id)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(admins, 1, "round {round}");
        // Whoever is still admin makes the other admin again.
        let (winner, loser) = if a.status == 303 {
            (&t.anna.browser, bert_id)
        } else {
            (&bert.browser, anna_id)
        };
        assert_eq!(set_role(winner, loser, "admin").await.status, 303);
    }
}

/// The tenant's data a change would touch: hosts, tokens, users, licences.
async fn snapshot(control: &Control, customer: i64) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws('|',
            (SELECT string_agg(concat_ws(',', id, name, ttl, wildcard, enabled, ipv4, ipv6), ';' ORDER BY id)
               FROM hosts WHERE tenant_id = $1),
            (SELECT string_agg(encode(k.token_hash, 'hex'), ';' ORDER BY k.host_id)
               FROM update_tokens k JOIN hosts h ON h.id = k.host_id WHERE h.tenant_id = $1),
            (SELECT string_agg(concat_ws(',', id, name, email, role, enabled, language), ';' ORDER BY id)
               FROM accounts WHERE tenant_id = $1),
            (SELECT string_agg(concat_ws(',', id, quantity, valid_from, valid_until), ';' ORDER BY id)
               FROM licences WHERE tenant_id = $1))",
    )
    .bind(customer)
    .fetch_one(&control.db().await)
    .await
    .expect("snapshot")
}

/// Routes a read-only user may use: its own session, profile, 2FA and API
/// tokens, and the pages before sign-in. Everything else that changes
/// something must refuse it.
const PERSONAL_WEB: &[&str] = &[
    "/login",
    "/tenant/login",
    "/t/{domain}/login",
    "/reseller/login",
    "/login/code",
    "/logout",
    "/language/{code}",
    "/signup",
    "/reset",
    "/reset/{token}",
    "/profile",
    "/profile/password",
    "/profile/email/{token}",
    "/login/linked",
    "/account/link",
    "/account/unlink",
    "/2fa/enrol",
    "/2fa/disable",
    "/api-tokens",
    "/api-tokens/{id}/revoke",
    "/oauth/authorize",
    "/applications/{id}/revoke",
];
const PERSONAL_API: &[&str] = &["/auth/token"];

/// The form fields any changing form may want, so that a request gets past
/// the form's parsing to the permission check.
const FIELDS: &[(&str, &str)] = &[
    ("enabled", "false"),
    ("active", "false"),
    ("confirm", "yes"),
    ("ttl", "120"),
    ("label", "matrix"),
    ("zone", ZONE),
    ("name", "matrix"),
    ("email", "matrix@example.net"),
    ("role", "admin"),
    ("product", "dyndns"),
    ("quantity", "5"),
    ("valid_from", "2027-01-01"),
    ("valid_until", "2027-12-31"),
    ("quota", "3"),
    ("host", "none.dyn.test"),
    ("account", "nobody"),
    ("user", "matrix"),
];

/// A JSON body the changing API route accepts, so that a request gets past
/// its parsing to the permission check.
fn api_body(path: &str) -> Option<serde_json::Value> {
    let licence = json!({"quantity": 5, "valid_from": "2027-01-01", "valid_until": "2027-12-31"});
    match path {
        "/hosts" | "/customers/{id}/hosts" => Some(json!({"label": "matrix", "zone": ZONE})),
        "/hosts/{id}" => Some(json!({"ttl": 120})),
        "/resellers" => Some(json!({"name": "matrix", "user": "matrix", "email": "m@example.net"})),
        "/customers" | "/customers/{id}" => Some(json!({"name": "matrix"})),
        "/customers/{id}/licences" | "/licences/{id}" => Some(licence),
        "/users" | "/customers/{id}/users" => {
            Some(json!({"name": "matrix", "email": "m@example.net", "role": "admin"}))
        }
        "/users/{id}" => Some(json!({"role": "read_only"})),
        _ => None,
    }
}

/// The path with its parameters filled in with this tenant's own ids.
fn own(path: &str, ids: &[(&str, String)]) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if segment.starts_with('{') {
            let before = segments[i - 1];
            let id = ids
                .iter()
                .find(|(kind, _)| *kind == before)
                .unwrap_or_else(|| panic!("{path}: no id for a parameter after /{before}/"));
            out.push(id.1.clone());
        } else {
            out.push((*segment).to_owned());
        }
    }
    out.join("/")
}

#[tokio::test]
async fn a_read_only_user_is_refused_on_every_changing_route_and_an_admin_is_not() {
    if !require("oathtool") {
        return;
    }
    let t = tenant().await;
    assert_eq!(
        invite(&t.anna.browser, "rolf", &t.customer, "read_only")
            .await
            .status,
        303
    );
    let rolf = tenancy::accept_invitation(&t.control, &t.customer, "rolf").await;
    let host: i64 = t.anna.api.get("/hosts").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let token = t
        .anna
        .api
        .post(&format!("/hosts/{host}/token"), json!({}))
        .await;
    assert_eq!(token.status, 201);
    let licence = t.anna.api.get("/licences").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let ids = [
        ("hosts", host.to_string()),
        ("users", user_id(&t.control, "anna").await.to_string()),
        ("customers", t.customer.id.to_string()),
        ("licences", licence.to_string()),
        ("accounts", user_id(&t.control, "anna").await.to_string()),
        ("tenants", t.customer.id.to_string()),
    ];
    let before = snapshot(&t.control, t.customer.id).await;
    let csrf = rolf.browser.get("/profile").await.csrf().unwrap();
    let mut fields = FIELDS.to_vec();
    fields.push(("csrf", &csrf));
    let mut refused = 0;
    for path in control::routes::web::paths() {
        if PERSONAL_WEB.contains(&path) {
            continue;
        }
        let url = own(path, &ids);
        let page = rolf.browser.post_raw(&url, &fields).await;
        assert!(
            [403, 405].contains(&page.status),
            "read-only: POST {url} answered {}: {}",
            page.status,
            page.body
        );
        refused += usize::from(page.status == 403);
    }
    assert!(refused >= 10, "the changing web routes: {refused}");
    for path in control::routes::api::paths() {
        if PERSONAL_API.contains(&path) {
            continue;
        }
        let url = own(path, &ids);
        for method in [Method::POST, Method::PATCH, Method::PUT, Method::DELETE] {
            let mut request = rolf.api.request(method.clone(), &url);
            if let Some(body) = api_body(path) {
                request = request.json(&body);
            }
            let answer = rolf.api.send(request).await;
            assert!(
                [403, 405].contains(&answer.status),
                "read-only: {method} {url} answered {}: {}",
                answer.status,
                answer.text
            );
        }
    }
    assert_eq!(
        snapshot(&t.control, t.customer.id).await,
        before,
        "a read-only user changed something"
    );

    // The same tenant routes are open to its admin (only the reseller's and
    // the operator's are not).
    let csrf = t.anna.browser.get("/profile").await.csrf().unwrap();
    let mut fields = FIELDS.to_vec();
    fields.push(("csrf", &csrf));
    // Anna must not lock herself out on the way.
    fields.retain(|(name, _)| !["enabled", "active", "role"].contains(name));
    for path in control::routes::web::paths() {
        if PERSONAL_WEB.contains(&path)
            || path.starts_with("/reseller")
            || path.starts_with("/admin")
        {
            continue;
        }
        let url = own(path, &ids);
        let page = t.anna.browser.post_raw(&url, &fields).await;
        assert_ne!(page.status, 403, "admin: POST {url}: {}", page.body);
    }
}

#[tokio::test]
async fn users_are_managed_over_the_api_by_the_tenant_and_by_its_reseller() {
    if !require("oathtool") {
        return;
    }
    let t = tenant().await;
    let api = &t.anna.api;
    let listed = api.get("/users").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body[0]["name"], "anna");
    assert_eq!(listed.body[0]["role"], "admin");
    assert_eq!(listed.body[0]["active"], true);

    let email = tenancy::invited_email(&t.customer, "dora");
    let created = api
        .post(
            "/users",
            json!({"name": "dora", "email": email, "role": "read_only", "language": "de"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let dora = created.body["id"].as_i64().unwrap();
    let mail = t.control.mail.wait_for(&email).await;
    assert!(
        mail.text().contains("Hallo dora"),
        "in her language: {}",
        mail.text()
    );
    let taken = api
        .post(
            "/users",
            json!({"name": "dora", "email": email, "role": "admin"}),
        )
        .await;
    assert_eq!(taken.status, 409);
    let bad = api
        .post(
            "/users",
            json!({"name": "eve", "email": "eve@example.net", "role": "boss"}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (422, Some("role"))
    );

    let anna = user_id(&t.control, "anna").await;
    let last = api
        .patch(&format!("/users/{anna}"), json!({"role": "read_only"}))
        .await;
    assert_eq!(
        (last.status, last.body["error"].as_str()),
        (409, Some("conflict"))
    );
    let own = api
        .patch(&format!("/users/{anna}"), json!({"active": false}))
        .await;
    assert_eq!(own.status, 422);
    let promoted = api
        .patch(&format!("/users/{dora}"), json!({"role": "admin"}))
        .await;
    assert_eq!(
        (promoted.status, promoted.body["role"].as_str()),
        (200, Some("admin"))
    );
    let off = api
        .patch(&format!("/users/{dora}"), json!({"active": false}))
        .await;
    assert_eq!(
        (off.status, off.body["active"].as_bool()),
        (200, Some(false))
    );
    assert_eq!(
        api.patch("/users/999999", json!({"active": true}))
            .await
            .status,
        404
    );

    // The reseller reads and invites its customer's users.
    let reseller = &t.reseller.user.api;
    let path = format!("/customers/{}/users", t.customer.id);
    let theirs = reseller.get(&path).await;
    assert_eq!(theirs.status, 200);
    let names: Vec<&str> = theirs
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["anna", "dora"]);
    let by_reseller = reseller
        .post(
            &path,
            json!({"name": "fred", "email": tenancy::invited_email(&t.customer, "fred"), "role": "admin"}),
        )
        .await;
    assert_eq!(by_reseller.status, 201, "{}", by_reseller.text);
    assert_eq!(
        reseller.get("/users").await.status,
        403,
        "no tenant of its own"
    );
    // A token without the scope reads nothing.
    let narrow = t
        .anna
        .browser
        .create_api_token("narrow", &["read:hosts"])
        .await;
    let narrow = crate::control_harness::Api {
        client: crate::control_harness::plain_client(),
        base: format!("{}/api/v1", t.control.base),
        token: narrow,
    };
    assert_eq!(narrow.get("/users").await.status, 403);
}

#[tokio::test]
async fn the_tenant_models_actions_are_logged_once_with_who_did_them_and_where() {
    if !require("oathtool") {
        return;
    }
    let t = tenant().await;
    let (operator, _) = t.control.admin.clone().unwrap();
    let reseller_user = t.reseller.user.name.clone();
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.action, l.actor, l.actor_reseller, l.actor_via, t.name, r.name
         FROM action_log l LEFT JOIN tenants t ON t.id = l.tenant_id
                           LEFT JOIN resellers r ON r.id = l.reseller_id
         WHERE l.action IN ('reseller.create', 'customer.create', 'licence.create',
                            'host.create', 'user.create')
         ORDER BY l.id",
    )
    .fetch_all(&t.control.db().await)
    .await
    .unwrap();
    let by_reseller = |action: &str, via: Option<&str>| -> Row {
        (
            action.into(),
            reseller_user.clone(),
            Some("User Reseller".into()),
            via.map(Into::into),
            Some("Users GmbH".into()),
            Some("User Reseller".into()),
        )
    };
    assert_eq!(rows.len(), 5, "{rows:#?}");
    // The operator created the reseller over the API: in the operator's own
    // log and the reseller's.
    assert_eq!(
        (&rows[0].0, &rows[0].1, &rows[0].2, rows[0].3.as_deref()),
        (
            &"reseller.create".to_owned(),
            &operator,
            &None,
            Some("api:operator")
        )
    );
    assert_eq!(rows[0].5.as_deref(), Some("User Reseller"));
    // Everything the reseller did for its customer is in the customer's log
    // (so in the reseller's too), naming the reseller user and its reseller.
    assert_eq!(rows[1], by_reseller("customer.create", Some("api:tests")));
    assert_eq!(rows[2], by_reseller("licence.create", Some("api:tests")));
    assert_eq!(rows[3], by_reseller("host.create", Some("api:tests")));
    assert_eq!(rows[4], by_reseller("user.create", None), "from the portal");
    // The customer's admin sees those four in its log, the reseller all
    // five in its combined log, each once.
    let tenant_log = t.anna.browser.get("/log?action=customer.create").await.body;
    assert_eq!(
        tenant_log.matches("<td title=\"customer.create\">").count(),
        1
    );
    let combined = t.reseller.user.browser.get("/reseller/log").await.body;
    for action in [
        "reseller.create",
        "customer.create",
        "licence.create",
        "host.create",
        "user.create",
    ] {
        assert_eq!(
            combined
                .matches(&format!("<td title=\"{action}\">"))
                .count(),
            1,
            "{action} once in the reseller's log"
        );
    }
}
