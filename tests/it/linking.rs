//! Linking a dynamic-DNS account with a reseller account (PRODUCT.md §8):
//! the hosts that block it, the reseller's password and second factor,
//! account-mode updates refused on two fed dnsd nodes while tokens keep
//! working, "Sign in with reseller account" with the reseller's code, one
//! link each way (also under a race), and unlinking with the mail that sets
//! a new password.

use crate::{
    control_harness::{Browser, Control, PASSWORD, Page, ZONE},
    control_totp::next_code,
    harness::{Dnsd, http_client, require, update},
    sync::{eventually, exists, node},
    tenancy::{self, Person},
};

/// Posts the connect form with the reseller's name, password and `code`.
async fn connect(owner: &Browser, reseller: &Person, code: &str) -> Page {
    owner
        .post_form(
            "/account/link",
            "/account/link",
            &[
                ("name", &reseller.name),
                ("password", &reseller.password),
                ("code", code),
            ],
        )
        .await
}

/// An account-mode update: the account's name and password, the host named.
async fn account_mode(node: &Dnsd, account: &str, password: &str, host: &str) -> String {
    http_client()
        .get(node.update_url())
        .basic_auth(account, Some(password))
        .query(&[("hostname", host), ("myip", "198.51.100.7")])
        .send()
        .await
        .expect("update")
        .text()
        .await
        .expect("body")
}

/// The host names of a reseller's customer, as its API lists them.
async fn org_api_hosts(_control: &Control, reseller: &Person, customer: i64) -> String {
    reseller
        .api
        .get(&format!("/customers/{customer}/hosts"))
        .await
        .text
}

/// An update answer that authenticated (the address may be unchanged).
fn accepted(answer: &str) -> bool {
    answer.starts_with("good") || answer.starts_with("nochg")
}

/// Whether the account's row says it is linked.
async fn linked(control: &Control, name: &str) -> bool {
    sqlx::query_scalar("SELECT linked_reseller_user_id IS NOT NULL FROM accounts WHERE name = $1")
        .bind(name)
        .fetch_one(&control.db().await)
        .await
        .expect("account")
}

#[tokio::test]
async fn a_linked_account_signs_in_through_the_reseller_and_its_password_stops_everywhere() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let url = control.database_url.clone().expect("database");
    let operator = tenancy::operator_api(&control).await;
    let org = tenancy::reseller(&control, &operator, "Link Reseller").await;
    // Two customers: one with room for hosts, one whose licence is full.
    let roomy = tenancy::customer(&org, "Roomy GmbH").await;
    tenancy::licence(&org, &roomy, 2, &tenancy::day(-1), &tenancy::day(60)).await;
    let full = tenancy::customer(&org, "Full GmbH").await;
    tenancy::licence(&org, &full, 1, &tenancy::day(-1), &tenancy::day(60)).await;
    tenancy::host(&org.user.api, Some(full.id), "full-one").await;
    let mut reseller = org.user;
    let owner = control.signed_up("linker").await;
    let id = owner.create_host("linked-home").await;
    let spare = owner.create_host("linked-spare").await;
    let host = format!("linked-home.{ZONE}");

    // No token yet: both hosts block, named, and the bulk action is offered.
    let page = owner.get("/account/link").await;
    assert_eq!(page.body.matches("class=\"blocking-host\"").count(), 2);
    assert!(
        page.body
            .contains(&format!("<li class=\"blocking-host\">{host}</li>"))
    );
    assert!(page.body.contains("action=\"/tokens/missing\""));
    assert!(page.by_id("link-form").is_none());
    let code = reseller.recovery.pop().unwrap();
    let early = connect(&owner, &reseller, &code).await;
    assert_eq!(early.status, 422, "refused while hosts block");
    assert!(!linked(&control, "linker").await);
    // A disabled host does not block; the other gets a token, unused yet.
    owner
        .post_form(
            "/account/link",
            &format!("/hosts/{spare}/enabled"),
            &[("enabled", "false"), ("confirm", "yes")],
        )
        .await;
    let token = owner.create_token(id).await;
    let page = owner.get("/account/link").await;
    assert_eq!(
        page.body.matches("class=\"blocking-host\"").count(),
        1,
        "never used"
    );

    // Before the link: account mode and the token both work on two nodes.
    let (a, b) = (node(&url), node(&url));
    eventually("the host on both nodes", || {
        exists(&a, &host) && exists(&b, &host)
    })
    .await;
    for node in [&a, &b] {
        let answer = account_mode(node, "linker", PASSWORD, &host).await;
        assert!(accepted(&answer), "{answer}");
    }
    let used = update(&a, &host, &token, &[("myip", "198.51.100.8")]).await;
    assert_eq!(used.body, "good 198.51.100.8");
    let mut ready = false;
    for _ in 0..200 {
        if owner
            .get("/account/link")
            .await
            .by_id("link-form")
            .is_some()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "once the token was used, the link is offered");

    // Wrong proof: nothing linked.
    let wrong = connect(&owner, &reseller, "000000").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.by_id("reseller-error").is_some(), "{}", wrong.body);
    assert!(!linked(&control, "linker").await);
    let code = reseller.recovery.pop().unwrap();
    let done = connect(&owner, &reseller, &code).await;
    assert_eq!(
        done.location(),
        "/account/link?done=linked",
        "{}",
        done.body
    );
    assert!(linked(&control, "linker").await);
    let page = owner.get("/account/link").await;
    assert!(page.by_id("link-state").is_some() && page.body.contains(&reseller.name));
    assert!(page.body.contains("id=\"rsp-label\""), "the RSP label");

    // Within a second on both nodes: account mode refused, the token good.
    for node in [&a, &b] {
        let started = std::time::Instant::now();
        loop {
            if account_mode(node, "linker", PASSWORD, &host).await == "badauth" {
                break;
            }
            assert!(started.elapsed().as_secs() < 5, "still accepted");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let by_token = update(node, &host, &token, &[("myip", "198.51.100.9")]).await;
        assert!(accepted(&by_token.body), "{}", by_token.body);
    }

    // The own password no longer signs in, and says why.
    let refused = control.browser().sign_in("linker", PASSWORD).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.contains("linked to a reseller account"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("href=\"/login/linked\""));
    // "Sign in with reseller account": the reseller's password and code.
    let browser = control.browser();
    let step = browser
        .post_form(
            "/login/linked",
            "/login/linked",
            &[("name", &reseller.name), ("password", &reseller.password)],
        )
        .await;
    assert_eq!(step.location(), "/login/code", "{}", step.body);
    let signed = browser
        .post_form(
            "/login/code",
            "/login/code",
            &[("code", &next_code(&reseller.secret))],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let hosts = browser.get("/hosts").await;
    assert!(hosts.body.contains(&host) && hosts.body.contains("(linker)"));
    let two_factor = browser.get("/2fa").await;
    assert!(
        two_factor.by_id("reseller-2fa").is_some(),
        "managed in the reseller portal"
    );
    assert!(two_factor.by_id("enable-2fa").is_none());
    // Its password is the reseller account's: not changed here, but asked
    // for where a change needs the current password.
    let change = browser
        .post_form(
            "/profile",
            "/profile/password",
            &[
                ("current_password", reseller.password.as_str()),
                ("new_password", "another long password"),
            ],
        )
        .await;
    assert_eq!(change.status, 403);
    let own_password = browser
        .post_form(
            "/profile",
            "/profile",
            &[
                ("email", "linker-new@example.net"),
                ("language", "en"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        own_password.status, 422,
        "the account's own password is no proof"
    );
    let reseller_password = browser
        .post_form(
            "/profile",
            "/profile",
            &[
                ("email", "linker-new@example.net"),
                ("language", "en"),
                ("current_password", reseller.password.as_str()),
            ],
        )
        .await;
    assert_eq!(reseller_password.location(), "/profile?done=email_pending");

    // Linked, the owner may move a host into one of the reseller's
    // customers: only where a licence has room; the token keeps working.
    let offered = owner.get(&format!("/hosts/{id}")).await;
    assert!(offered.by_id("move-form").is_some());
    assert!(offered.body.contains("Roomy GmbH") && offered.body.contains("Full GmbH"));
    let path = format!("/hosts/{id}");
    let move_to = |to: i64| {
        let owner = &owner;
        let path = path.clone();
        async move {
            let to = to.to_string();
            let ask = owner
                .post_form(&path, &format!("{path}/move"), &[("to", &to)])
                .await;
            assert_eq!(ask.status, 200, "moving asks first: {}", ask.body);
            owner
                .post_form(
                    &path,
                    &format!("{path}/move"),
                    &[("to", &to), ("confirm", "yes")],
                )
                .await
        }
    };
    let refused = move_to(full.id).await;
    assert_eq!(refused.status, 409, "the full licence: {}", refused.body);
    let outsider = owner
        .post_form(
            &path,
            &format!("{path}/move"),
            &[("to", "999999"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(outsider.status, 422, "not one of the reseller's customers");
    let moved = move_to(roomy.id).await;
    assert_eq!(moved.location(), "/hosts?done=moved", "{}", moved.body);
    assert!(!owner.get("/hosts").await.body.contains(&host));
    let theirs = org_api_hosts(&control, &reseller, roomy.id).await;
    assert!(theirs.contains(&host), "{theirs}");
    for node in [&a, &b] {
        let answer = update(node, &host, &token, &[("myip", "198.51.100.10")]).await;
        assert!(
            accepted(&answer.body),
            "the token moved along: {}",
            answer.body
        );
    }
    let logged: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT l.action, t.name FROM action_log l JOIN tenants t ON t.id = l.tenant_id
         WHERE l.action LIKE 'host.move%' ORDER BY l.id",
    )
    .fetch_all(&control.db().await)
    .await
    .unwrap();
    assert_eq!(
        logged,
        [
            ("host.move_out".to_owned(), Some("linker".to_owned())),
            ("host.move_in".to_owned(), Some("Roomy GmbH".to_owned())),
        ]
    );

    // The reseller moves hosts between its customers from the portal it
    // acts in: the full customer's host into the roomy one.
    let opened = reseller
        .browser
        .post_form(
            "/reseller/customers",
            &format!("/reseller/customers/{}/open", full.id),
            &[],
        )
        .await;
    assert_eq!(opened.status, 303);
    let listed = reseller
        .api
        .get(&format!("/customers/{}/hosts", full.id))
        .await;
    let full_one = listed.body[0]["id"].as_i64().expect("full-one");
    let path = format!("/hosts/{full_one}");
    let by_reseller = reseller
        .browser
        .post_form(
            &path,
            &format!("{path}/move"),
            &[("to", &roomy.id.to_string()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(
        by_reseller.location(),
        "/hosts?done=moved",
        "{}",
        by_reseller.body
    );
    let theirs = org_api_hosts(&control, &reseller, roomy.id).await;
    assert!(theirs.contains(&format!("full-one.{ZONE}")), "{theirs}");

    // One link each way: another account cannot take the same reseller
    // user.
    let other = control.signed_up("linker-two").await;
    let code = reseller.recovery.pop().unwrap();
    let again = connect(&other, &reseller, &code).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(!linked(&control, "linker-two").await);

    // Unlinking asks first, then mails a link to choose a new password;
    // until then no password signs in.
    let ask = owner
        .post_form("/account/link", "/account/unlink", &[])
        .await;
    assert_eq!(ask.by_id("confirm-subject").as_deref(), Some("linker"));
    assert!(linked(&control, "linker").await);
    let released = owner
        .post_form("/account/link", "/account/unlink", &[("confirm", "yes")])
        .await;
    assert_eq!(released.location(), "/account/link?done=unlinked");
    assert!(!linked(&control, "linker").await);
    assert_eq!(
        control.browser().sign_in("linker", PASSWORD).await.status,
        401
    );
    let mail = control
        .mail
        .wait_for_containing("linker@example.net", "no longer linked")
        .await;
    let path = control.path_of(&mail.link().expect("a link"));
    let set = control
        .browser()
        .post_form(&path, &path, &[("password", "the new linker password")])
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
    let again = control.browser();
    assert_eq!(
        again
            .sign_in("linker", "the new linker password")
            .await
            .status,
        303
    );
    // Account mode works again with the new password, on both nodes (for
    // the host still the account's: the other one moved).
    let enabled = again
        .post_form(
            "/hosts",
            &format!("/hosts/{spare}/enabled"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(enabled.status, 303);
    let spare_host = format!("linked-spare.{ZONE}");
    for node in [&a, &b] {
        let started = std::time::Instant::now();
        while !accepted(&account_mode(node, "linker", "the new linker password", &spare_host).await)
        {
            assert!(started.elapsed().as_secs() < 5, "never accepted again");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn two_accounts_racing_for_one_reseller_user_link_once() {
    if !require("oathtool") {
        return;
    }
    let control = Control::start().await;
    let operator = tenancy::operator_api(&control).await;
    let mut reseller = tenancy::reseller(&control, &operator, "Race Reseller")
        .await
        .user;
    // Accounts without hosts: nothing blocks them.
    let (one, two) = (
        control.signed_up("racer-one").await,
        control.signed_up("racer-two").await,
    );
    let (c1, c2) = (
        reseller.recovery.pop().unwrap(),
        reseller.recovery.pop().unwrap(),
    );
    let (a, b) = tokio::join!(connect(&one, &reseller, &c1), connect(&two, &reseller, &c2));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{} / {}", a.body, b.body);
    let links: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounts WHERE linked_reseller_user_id IS NOT NULL",
    )
    .fetch_one(&control.db().await)
    .await
    .unwrap();
    assert_eq!(links, 1);
    // And an account links once: the winner cannot link a second time.
    let winner = if a.status == 303 { &one } else { &two };
    let code = reseller.recovery.pop().unwrap();
    let second = connect(winner, &reseller, &code).await;
    assert_eq!(second.status, 409);
}
