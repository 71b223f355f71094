//! Path parameters the router cannot decode (found by the schemathesis run,
//! scripts/schemathesis.sh): a percent-encoded segment that is not UTF-8 was answered
//! by axum's own `text/plain` 400; every error must be problem+json (PROTOCOL.md §3).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{Db, TestServer};

const TOKEN: &str = "test-admin-token-0123456789abcdefghij";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_parameter_that_is_not_utf8_is_a_problem_json_bad_request() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&token_file, private).unwrap();
    let server = TestServer::start_with(
        Db::Sqlite,
        &["--admin-token-file", token_file.to_str().unwrap()],
    )
    .await;
    let rp = server.add_rp("shop", "Shop");

    // %FF decodes to a byte that is not UTF-8; %C3%A6 ("æ") does, as a control.
    let calls: &[(Method, &str, Option<&str>)] = &[
        (Method::DELETE, "/v1/admin/users/%FF", Some(TOKEN)),
        (Method::DELETE, "/v1/admin/rps/%FF", Some(TOKEN)),
        (Method::PATCH, "/v1/admin/rps/%FF", Some(TOKEN)),
        (Method::POST, "/v1/admin/rps/%FF/rotate-key", Some(TOKEN)),
        (Method::POST, "/v1/admin/devices/%FF/revoke", Some(TOKEN)),
        (Method::GET, "/v1/rp/requests/%FF", Some(&rp.key)),
        (
            Method::GET,
            "/v1/rp/requests/%FF/wait?timeout=1",
            Some(&rp.key),
        ),
        // Decoded before the device header is checked.
        (Method::POST, "/v1/device/requests/%FF/decision", None),
    ];
    for (method, path, key) in calls {
        let mut call = server
            .http
            .request(method.clone(), format!("{}{path}", server.url))
            .header("content-type", "application/json")
            .body("{}");
        if let Some(key) = key {
            call = call.bearer_auth(key);
        }
        let response = call.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{method} {path}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{method} {path}"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "bad_request", "{method} {path}");
        assert_eq!(problem["status"], 400, "{method} {path}");
    }

    // A path that decodes but names nothing is still the handler's own answer.
    let response = server
        .http
        .get(format!("{}/v1/rp/requests/%C3%A6", server.url))
        .bearer_auth(&rp.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
