//! Relying parties' web origins (PROTOCOL.md §7.3) as the CLI and the admin API
//! register them: checked and normalised, stored, replaced and cleared, audited;
//! and `origin_binding: required` refused for a relying party without any.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Db, TestServer};
use crate::origin_binding::{SHOP, audit_events};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_are_checked_stored_and_replaced_by_the_cli() {
    let server = TestServer::start(Db::Sqlite).await;
    let added = server
        .admin(&[
            "rp",
            "add",
            "shop",
            "--origin",
            "HTTPS://Shop.Example:443/",
            "--origin",
            "https://bücher.example",
            "--origin",
            "https://shop.example",
        ])
        .expect("rp add");
    // ASCII serialisation: lower case, punycode, no default port, no slash, no repeats.
    assert_eq!(
        added["origins"],
        json!(["https://shop.example", "https://xn--bcher-kva.example"])
    );
    for (bad, why) in [
        ("https://shop.example/login", "without user, path"),
        ("shop.example", "is not a URL"),
        ("ftp://shop.example", "http or https only"),
        ("https://user@shop.example", "without user"),
        ("https://shop.example?next=/", "query"),
    ] {
        let err = server
            .admin(&["rp", "add", "other", "--origin", bad])
            .expect_err(bad);
        assert!(err.contains(why), "{bad}: {err}");
        let err = server
            .admin(&["rp", "update", "shop", "--origin", bad])
            .expect_err(bad);
        assert!(err.contains(why), "{bad}: {err}");
    }
    // Nothing half-done: `other` was never added, shop's origins are unchanged.
    let list = server.admin(&["rp", "list"]).expect("rp list");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["origins"], added["origins"]);

    let updated = server
        .admin(&["rp", "update", "shop", "--origin", "http://127.0.0.1:8080"])
        .expect("rp update");
    assert_eq!(updated["origins"], json!(["http://127.0.0.1:8080"]));
    let cleared = server
        .admin(&["rp", "update", "shop", "--no-origins"])
        .expect("rp update --no-origins");
    assert_eq!(cleared["origins"], json!([]));
    assert!(
        server.admin(&["rp", "update", "shop"]).is_err(),
        "no origins given"
    );
    let err = server
        .admin(&["rp", "update", "nobody", "--origin", SHOP])
        .expect_err("unknown rp");
    assert!(err.contains("no relying party"), "{err}");
    // A plain-text listing warns about plain http on a public name.
    let out = std::process::Command::new(crate::common::BIN)
        .args(["--data-dir", server.dir.path().to_str().unwrap()])
        .args(["--database-url", &server.database_url])
        .args(["--public-url", &server.url])
        .args(["rp", "update", "shop", "--origin", "http://shop.example"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: http://shop.example is plain http"),
        "{text}"
    );
    assert!(
        audit_events(&server)
            .iter()
            .any(|e| e["event"] == "rp_origins_changed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_binding_needs_registered_origins() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let rp = server.add_rp("plain", "Plain");
    let _device = server.device("alice").await;
    let body = |binding: &str| {
        json!({"user": "alice", "kind": "login", "title": "Sign in", "message": "",
               "origin_binding": binding})
    };
    let r = rp.create_raw(&body("required")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "bad_request");
    assert!(
        problem["title"]
            .as_str()
            .unwrap()
            .contains("origin_binding"),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("rp update plain --origin"),
        "{problem}"
    );
    let r = rp.create_raw(&body("sometimes")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // `preferred` without origins is today's flow; nothing to bind to.
    rp.create(&body("preferred")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_sets_origins() {
    const TOKEN: &str = "test-admin-token-origins-0123456789";
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
    let url = |path: &str| format!("{}/v1/admin/{path}", server.url);
    let r = server
        .http
        .post(url("rps"))
        .bearer_auth(TOKEN)
        .json(&json!({"rp_id": "shop", "name": "Shop", "origins": ["https://Shop.example/"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let added: Value = r.json().await.unwrap();
    assert_eq!(added["origins"], json!([SHOP]));

    let patch = |body: Value| {
        server
            .http
            .patch(url("rps/shop"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let r = patch(json!({"origins": ["https://shop.example/login"]}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("path"),
        "{problem}"
    );
    let r = patch(json!({"origins": [SHOP], "extra": 1})).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = patch(json!({"origins": [SHOP, "https://m.shop.example"]}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rp: Value = r.json().await.unwrap();
    assert_eq!(rp["origins"], json!([SHOP, "https://m.shop.example"]));
    let r = server
        .http
        .patch(url("rps/nobody"))
        .bearer_auth(TOKEN)
        .json(&json!({"origins": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = server
        .http
        .patch(url("rps/shop"))
        .json(&json!({"origins": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let list: Value = server
        .http
        .get(url("rps"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["origins"], json!([SHOP, "https://m.shop.example"]));
}
