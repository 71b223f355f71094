//! The admin HTTP API: its token, and the same operations as the CLI.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Db, Device, TestServer};

both_backends!(admin_api_needs_its_token_and_manages_users_rps_and_devices);

const TOKEN: &str = "test-admin-token-0123456789abcdefghij";

async fn admin_api_needs_its_token_and_manages_users_rps_and_devices(db: Db) {
    // Without a configured token the admin API does not exist.
    let plain = TestServer::start(db).await;
    let r = plain
        .http
        .get(format!("{}/v1/admin/users", plain.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    drop(plain);

    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    // The server refuses a token file others can read.
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&token_file, private).unwrap();
    let server =
        TestServer::start_with(db, &["--admin-token-file", token_file.to_str().unwrap()]).await;
    let url = |path: &str| format!("{}/v1/admin/{path}", server.url);
    let http = &server.http;

    let r = http.get(url("users")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(url("users"))
        .bearer_auth("wrong-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = http
        .post(url("users"))
        .bearer_auth(TOKEN)
        .json(&json!({"user": "alice", "name": "Alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = http
        .post(url("users"))
        .bearer_auth(TOKEN)
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = http
        .post(url("users"))
        .bearer_auth(TOKEN)
        .json(&json!({"user": "bad id!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let users: Value = http
        .get(url("users"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users[0]["user"], "alice");

    let rp: Value = http
        .post(url("rps"))
        .bearer_auth(TOKEN)
        .json(&json!({"rp_id": "shop", "name": "Shop"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rp["api_key"].as_str().unwrap().starts_with("gk_"));

    let activation: Value = http
        .post(url("activations"))
        .bearer_auth(TOKEN)
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device = Device::activate(activation["link"].as_str().unwrap()).await;
    let devices: Value = http
        .get(url("devices?user=alice"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(devices[0]["serial"], device.serial.as_str());

    let revoked: Value = http
        .post(url(&format!("devices/{}/revoke", device.serial)))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["changed"], true);
    let (status, _) = device.client.status().await.unwrap();
    assert_eq!(
        status.status,
        godkend_protocol::messages::DeviceState::Revoked
    );

    let audit: Value = http
        .get(url("audit"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_api = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "admin:api")
        .count();
    assert!(
        by_api >= 4,
        "user, rp, activation and revoke are audited: {audit}"
    );
    let r = http
        .delete(url("rps/shop"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // The audit log is append-only in the database itself, not just in the code.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&server.database_url)
        .await
        .unwrap();
    for statement in [
        "DELETE FROM audit",
        "UPDATE audit SET actor = 'someone else'",
    ] {
        let err = sqlx::query(statement).execute(&mut conn).await.unwrap_err();
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
}
