//! Resellers, customers and tenant users for the tests, made the way people
//! make them: the operator's API, the welcome mail read from the SMTP sink,
//! the set-password link, 2FA enrolment with an oathtool code, and API
//! tokens bought with a recovery code (so no TOTP step is used twice).

use serde_json::json;

use crate::{
    control_harness::{Api, Browser, Control, TENANT_SUFFIX, ZONE, plain_client},
    control_totp::enrol,
};

/// Every scope a token of that holder may carry.
pub const OPERATOR_SCOPES: &[&str] = &[
    "read:account",
    "read:hosts",
    "write:hosts",
    "write:tokens",
    "read:log",
    "read:licences",
    "read:resellers",
    "write:resellers",
];
pub const RESELLER_SCOPES: &[&str] = &[
    "read:account",
    "read:hosts",
    "write:hosts",
    "read:customers",
    "write:customers",
    "read:licences",
    "write:licences",
    "read:users",
    "write:users",
];
pub const TENANT_SCOPES: &[&str] = &[
    "read:account",
    "read:hosts",
    "write:hosts",
    "write:tokens",
    "read:log",
    "read:licences",
    "read:users",
    "write:users",
];

/// A principal signed in with 2FA, with a browser and an API token.
pub struct Person {
    pub name: String,
    pub password: String,
    pub secret: String,
    /// Recovery codes not used yet (one bought the API token).
    pub recovery: Vec<String>,
    pub browser: Browser,
    pub api: Api,
}

pub struct Reseller {
    pub name: String,
    pub user: Person,
}

pub struct Customer {
    pub id: i64,
    pub name: String,
    pub number: String,
    pub domain: String,
}

fn api(control: &Control, token: &str) -> Api {
    Api {
        client: plain_client(),
        base: format!("{}/api/v1", control.base),
        token: token.to_owned(),
    }
}

/// A token of the first operator (no 2FA: it is not enforced by default).
pub async fn operator_api(control: &Control) -> Api {
    let (name, password) = control.admin.clone().expect("first admin");
    let answer = plain_client()
        .post(format!("{}/api/v1/auth/token", control.base))
        .json(&json!({
            "name": name, "password": password, "token_name": "operator",
            "scopes": OPERATOR_SCOPES,
        }))
        .send()
        .await
        .expect("token request");
    assert_eq!(answer.status().as_u16(), 201, "operator token");
    let body: serde_json::Value = answer.json().await.expect("json");
    api(control, body["token"].as_str().expect("token"))
}

/// Follows the welcome mail to `email`: chooses the password, enrols in 2FA
/// (the set-password flow goes on to the QR code), buys an API token with a
/// recovery code. `login` names the portal for the token request.
async fn welcome(
    control: &Control,
    name: &str,
    email: &str,
    login: serde_json::Value,
    scopes: &[&str],
) -> Person {
    let mail = control.mail.wait_for(email).await;
    let link = mail.link().expect("a link in the welcome mail");
    let path = control.path_of(&link);
    let browser = control.browser();
    let password = format!("{name} secret password");
    let set = browser
        .post_form(&path, &path, &[("password", &password)])
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
    assert!(
        set.location().starts_with("/2fa/enrol"),
        "{}",
        set.location()
    );
    let (secret, mut recovery) = enrol(&browser).await;
    assert_eq!(recovery.len(), 10);
    let code = recovery.pop().expect("a recovery code");
    let mut request = json!({
        "name": name, "password": password, "totp": code,
        "token_name": "tests", "scopes": scopes,
    });
    if let (Some(into), Some(extra)) = (request.as_object_mut(), login.as_object()) {
        into.extend(extra.clone());
    }
    let answer = plain_client()
        .post(format!("{}/api/v1/auth/token", control.base))
        .json(&request)
        .send()
        .await
        .expect("token request");
    let status = answer.status().as_u16();
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(status, 201, "token for {name}: {body}");
    Person {
        name: name.to_owned(),
        password,
        secret,
        recovery,
        browser,
        api: api(control, body["token"].as_str().expect("token")),
    }
}

/// A reseller created by the operator over the API, its first user signed
/// in (with 2FA) in a browser and holding an API token.
pub async fn reseller(control: &Control, operator: &Api, name: &str) -> Reseller {
    let user = format!("{}-admin", name.to_ascii_lowercase().replace(' ', "-"));
    let email = format!("{user}@example.net");
    let created = operator
        .post(
            "/resellers",
            json!({"name": name, "user": user, "email": email}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let person = welcome(
        control,
        &user,
        &email,
        json!({"reseller": true}),
        RESELLER_SCOPES,
    )
    .await;
    Reseller {
        name: name.to_owned(),
        user: person,
    }
}

/// A customer of the reseller (over the API).
pub async fn customer(reseller: &Reseller, name: &str) -> Customer {
    let created = reseller
        .user
        .api
        .post("/customers", json!({"name": name}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let number = created.body["customer_number"]
        .as_str()
        .expect("number")
        .to_owned();
    assert_eq!(
        created.body["tenant_domain"],
        format!("{number}.{TENANT_SUFFIX}")
    );
    Customer {
        id: created.body["id"].as_i64().expect("id"),
        name: name.to_owned(),
        domain: format!("{number}.{TENANT_SUFFIX}"),
        number,
    }
}

/// A licence for the customer from `from` through `until` (`YYYY-MM-DD`);
/// returns its id.
pub async fn licence(
    reseller: &Reseller,
    customer: &Customer,
    quantity: i32,
    from: &str,
    until: &str,
) -> i64 {
    let created = reseller
        .user
        .api
        .post(
            &format!("/customers/{}/licences", customer.id),
            json!({"quantity": quantity, "valid_from": from, "valid_until": until}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body["id"].as_i64().expect("id")
}

/// A day `days` from today, `YYYY-MM-DD` (UTC).
pub fn day(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let days_since_epoch = now / 86_400 + days;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days_since_epoch + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A user of the customer's tenant, created by the reseller in its portal,
/// signed in after the welcome mail (with 2FA) and holding an API token.
/// A user invited into `customer` (by its admin or its reseller) accepts:
/// reads the mail, chooses a password, enrols, takes an API token.
pub async fn accept_invitation(control: &Control, customer: &Customer, name: &str) -> Person {
    welcome(
        control,
        name,
        &invited_email(customer, name),
        json!({"tenant_domain": customer.domain}),
        TENANT_SCOPES,
    )
    .await
}

/// The address the tests invite `name` of `customer` at.
pub fn invited_email(customer: &Customer, name: &str) -> String {
    format!("{name}@{}.example.net", customer.number)
}

pub async fn tenant_user(
    control: &Control,
    reseller: &Reseller,
    customer: &Customer,
    name: &str,
    role: &str,
) -> Person {
    let email = invited_email(customer, name);
    let page = format!("/reseller/customers/{}", customer.id);
    let created = reseller
        .user
        .browser
        .post_form(
            &page,
            &format!("{page}/users"),
            &[("name", name), ("email", &email), ("role", role)],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    accept_invitation(control, customer, name).await
}

/// A host made over `api` under the test zone (in the token's tenant, or
/// with `customer` in that customer's); returns (id, name).
pub async fn host(api: &Api, customer: Option<i64>, label: &str) -> (i64, String) {
    let path = customer.map_or("/hosts".to_owned(), |c| format!("/customers/{c}/hosts"));
    let created = api.post(&path, json!({"label": label, "zone": ZONE})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    (
        created.body["id"].as_i64().expect("id"),
        format!("{label}.{ZONE}"),
    )
}
