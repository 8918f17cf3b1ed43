//! The JSON API against its own OpenAPI document: schemathesis (PyPI)
//! generates requests for every operation of `/api/openapi.json`, with a
//! valid token, and checks that no answer is a server error and that every
//! answer's status, content type and body are the ones the document names.

use std::process::Command;

use crate::{
    control_harness::Control,
    harness::require,
    tenancy::{self, TENANT_SCOPES},
};

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_schema() {
    if !require("st") {
        return;
    }
    let control = Control::start().await;
    // Every kind of token, so that no operation is only ever refused: a
    // standalone account's, a reseller's (with a customer to act in) and the
    // operator's.
    let api = control.api_user("fuzzy", TENANT_SCOPES).await;
    api.create_host("seed").await;
    let operator = tenancy::operator_api(&control).await;
    let reseller = tenancy::reseller(&control, &operator, "Fuzz Reseller").await;
    tenancy::customer(&reseller, "Fuzz Customer").await;
    for (who, token) in [
        ("account", &api.token),
        ("reseller", &reseller.user.api.token),
        ("operator", &operator.token),
    ] {
        schemathesis(&control, who, token).await;
    }
}

/// One schemathesis run with `token`; fails with its report on any finding.
async fn schemathesis(control: &Control, who: &str, token: &str) {
    // schemathesis keeps state in ./.schemathesis: a directory of its own.
    let workdir = tempfile::tempdir().expect("work dir");
    let out = tokio::task::spawn_blocking({
        let dir = workdir.path().to_owned();
        let schema = control.url("/api/openapi.json");
        let base = control.url("/api/v1");
        let auth = format!("Authorization: Bearer {token}");
        move || {
            Command::new("st")
                .args(["run", &schema, "--url", &base, "-H", &auth])
                .args([
                    "--checks",
                    "not_a_server_error,status_code_conformance,content_type_conformance,\
                     response_schema_conformance",
                    "--max-examples",
                    "25",
                    "--generation-deterministic",
                    "--request-timeout",
                    "10",
                    "--workers",
                    "2",
                    "--no-color",
                ])
                .env("SCHEMATHESIS_TELEMETRY", "false")
                .current_dir(dir)
                .output()
                .expect("run schemathesis")
        }
    })
    .await
    .expect("join");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems with the {who}'s token:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{who}:\n{report}");
}
