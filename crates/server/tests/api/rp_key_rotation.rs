//! `rp rotate-key` and its admin API: both keys work during the overlap, the old one
//! is refused after it, on every node, and only one previous key is ever kept.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Db, Rp, TestServer};

both_backends!(
    old_key_works_during_the_overlap_and_is_refused_after_it,
    a_rotation_during_an_overlap_drops_the_oldest_key,
    admin_api_rotates_a_key_and_audits_it_without_the_key,
);

const TOKEN: &str = "test-admin-token-0123456789abcdefghij";

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// The status of creating a sign-in request for alice with `key` at `url`.
async fn create_with(server: &TestServer, url: &str, key: &str) -> StatusCode {
    server
        .http
        .post(format!("{url}/v1/rp/requests"))
        .bearer_auth(key)
        .json(&json!({"user": "alice", "kind": "login", "title": "Sign in", "message": "m"}))
        .send()
        .await
        .unwrap()
        .status()
}

fn rotate(server: &TestServer, rp: &str, overlap: &str) -> Value {
    server
        .admin(&["rp", "rotate-key", rp, "--overlap", overlap])
        .expect("rp rotate-key")
}

async fn old_key_works_during_the_overlap_and_is_refused_after_it(db: Db) {
    let server = TestServer::start(db).await;
    let other_node = server.second_node().await;
    server.add_user("alice");
    let _device = server.device("alice").await;
    let rp = server.add_rp("shop", "Shop");
    let pending = rp.login("alice").await;

    let rotated = rotate(&server, "shop", "4s");
    let new_key = rotated["api_key"].as_str().unwrap().to_owned();
    assert!(new_key.starts_with("gk_") && new_key != rp.key);
    let until = rotated["previous_key_valid_until"].as_i64().unwrap();
    assert!((3..=5).contains(&(until - now())), "{rotated}");
    let listed = server.admin(&["rp", "list"]).unwrap();
    assert_eq!(listed[0]["previous_key_valid_until"], until, "{listed}");

    // During the overlap both keys work, on both nodes (the keys live in the
    // database), and the new key reads what the old one created.
    for url in [&server.url, &other_node.url] {
        assert_eq!(
            create_with(&server, url, &rp.key).await,
            StatusCode::CREATED
        );
        assert_eq!(
            create_with(&server, url, &new_key).await,
            StatusCode::CREATED
        );
    }
    assert!(now() < until, "the checks above ran inside the overlap");
    let with_new = Rp {
        url: server.url.clone(),
        key: new_key.clone(),
        http: server.http.clone(),
    };
    assert_eq!(
        with_new.status(&pending.request_id).await.request_id,
        pending.request_id
    );

    // After it, the old key is refused everywhere; the new one keeps working.
    while now() <= until {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for url in [&server.url, &other_node.url] {
        assert_eq!(
            create_with(&server, url, &rp.key).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            create_with(&server, url, &new_key).await,
            StatusCode::CREATED
        );
    }
    let listed = server.admin(&["rp", "list"]).unwrap();
    assert!(listed[0]["previous_key_valid_until"].is_null(), "{listed}");

    // Bad overlaps and unknown relying parties are refused with a clear line.
    let err = server
        .admin(&["rp", "rotate-key", "shop", "--overlap", "31d"])
        .unwrap_err();
    assert!(err.contains("at most 30d"), "{err}");
    let err = server
        .admin(&["rp", "rotate-key", "nobody", "--overlap", "1h"])
        .unwrap_err();
    assert!(err.contains("no relying party `nobody`"), "{err}");
    assert_eq!(
        create_with(&server, &server.url, &new_key).await,
        StatusCode::CREATED
    );
}

/// Only one previous key is kept: rotating again during an overlap stops the key
/// that was already on its way out, and `--overlap 0` stops the current one too.
async fn a_rotation_during_an_overlap_drops_the_oldest_key(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let _device = server.device("alice").await;
    let first = server.add_rp("shop", "Shop").key;
    let second = rotate(&server, "shop", "1h")["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let third = rotate(&server, "shop", "1h")["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = &server.url;
    assert_eq!(
        create_with(&server, url, &first).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        create_with(&server, url, &second).await,
        StatusCode::CREATED
    );
    assert_eq!(create_with(&server, url, &third).await, StatusCode::CREATED);

    let fourth = rotate(&server, "shop", "0");
    assert!(fourth["previous_key_valid_until"].is_null(), "{fourth}");
    let fourth = fourth["api_key"].as_str().unwrap();
    for old in [&first, &second, &third] {
        assert_eq!(
            create_with(&server, url, old).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(create_with(&server, url, fourth).await, StatusCode::CREATED);
    // Another relying party is untouched.
    let other = server.add_rp("bank", "Bank").key;
    rotate(&server, "shop", "0");
    assert_eq!(create_with(&server, url, &other).await, StatusCode::CREATED);
}

async fn admin_api_rotates_a_key_and_audits_it_without_the_key(db: Db) {
    let dir = crate::common::private_tempdir();
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&token_file, private).unwrap();
    let server =
        TestServer::start_with(db, &["--admin-token-file", token_file.to_str().unwrap()]).await;
    server.add_user("alice");
    let _device = server.device("alice").await;
    let old = server.add_rp("shop", "Shop").key;
    let endpoint = |rp: &str| format!("{}/v1/admin/rps/{rp}/rotate-key", server.url);

    let r = server
        .http
        .post(endpoint("shop"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "the admin token is needed"
    );
    for (body, status) in [
        (json!({"overlap_seconds": -1}), StatusCode::BAD_REQUEST),
        (
            json!({"overlap_seconds": 2_592_001}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"overlap": 60}), StatusCode::BAD_REQUEST),
    ] {
        let r = server
            .http
            .post(endpoint("shop"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
    }
    let r = server
        .http
        .post(endpoint("nobody"))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        create_with(&server, &server.url, &old).await,
        StatusCode::CREATED
    );

    // The default overlap is a day.
    let r = server
        .http
        .post(endpoint("shop"))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rotated: Value = r.json().await.unwrap();
    let new_key = rotated["api_key"].as_str().unwrap();
    let until = rotated["previous_key_valid_until"].as_i64().unwrap();
    assert!((86_390..=86_410).contains(&(until - now())), "{rotated}");
    assert_eq!(
        create_with(&server, &server.url, &old).await,
        StatusCode::CREATED
    );
    assert_eq!(
        create_with(&server, &server.url, new_key).await,
        StatusCode::CREATED
    );

    // Audited with its actor and the overlap, never with a key or its hash.
    let audit = server.admin(&["audit"]).unwrap();
    let rotations: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "rp_key_rotated")
        .collect();
    assert_eq!(rotations.len(), 1, "{audit}");
    assert_eq!(rotations[0]["actor"], "admin:api");
    let detail = rotations[0]["detail"].as_str().unwrap();
    assert_eq!(detail, format!("shop previous key works until {until}"));
    let text = audit.to_string();
    for secret in [
        old.clone(),
        new_key.to_owned(),
        godkend_protocol::b64::sha256_b64(old.as_bytes()),
        godkend_protocol::b64::sha256_b64(new_key.as_bytes()),
    ] {
        assert!(!text.contains(&secret), "the audit log holds no key");
    }
}
