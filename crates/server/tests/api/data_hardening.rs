//! The server's data at rest (issue 10): a private data dir and database, activation
//! codes sealed at rest, the admin token file's mode, and retention of personal
//! data. The activation endpoint under abuse is in activation_abuse.rs, which shares
//! the helpers here.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use godkend_core::DeviceKey;
use godkend_core::activation::ActivationInput;
use godkend_core::activation_exchange::activate_with_key;
use godkend_core::pin::{KdfParams, derive_pin_key};
use godkend_protocol::messages::ActivationLink;
use godkend_protocol::messages::activation::device_proof;
use serde_json::{Value, json};

use crate::common::{BIN, Db, PIN, TestServer};

both_backends!(
    activation_codes_are_sealed_at_rest_and_survive_restart_and_rotation,
    retention_deletes_old_requests_and_blanks_old_audit_ips,
);

// ---------------------------------------------------------------- helpers

pub(crate) async fn db(server: &TestServer) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    <sqlx::AnyConnection as sqlx::Connection>::connect(&server.database_url)
        .await
        .expect("open the test database")
}

pub(crate) async fn scalar(server: &TestServer, sql: &str) -> i64 {
    let mut conn = db(server).await;
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub(crate) async fn post_activation_from(
    server: &TestServer,
    http: &reqwest::Client,
    body: &Value,
) -> (u16, Value) {
    let r = http
        .post(format!("{}/v1/device/activate", server.url))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn post_activation(server: &TestServer, body: &Value) -> (u16, Value) {
    post_activation_from(server, &server.http, body).await
}

pub(crate) fn code_of(link: &str) -> String {
    ActivationLink::parse(link).unwrap().code
}

/// An activation body for `user`: the right proof when `code` is the user's code.
pub(crate) fn activation_body(
    user: &str,
    code: &str,
    server_key: &str,
    device_name: &str,
) -> Value {
    let device_key = DeviceKey::generate().public().to_b64();
    let pin_key = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32])
        .unwrap()
        .public()
        .to_b64();
    let proof = device_proof(code, user, &device_key, &pin_key, server_key).unwrap();
    json!({"user": user, "device_key": device_key, "pin_key": pin_key,
           "server_key": server_key, "device_name": device_name, "proof": proof})
}

/// A client whose connections come from `ip` (any 127.0.0.0/8 address).
pub(crate) fn client_from(ip: [u8; 4]) -> reqwest::Client {
    // Installs the TLS crypto provider every reqwest client needs here.
    godkend_core::client::http_client().unwrap();
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

pub(crate) fn audit_json(server: &TestServer) -> Vec<Value> {
    server
        .admin(&["audit"])
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Runs an admin command without `--json`; returns stdout.
pub(crate) fn admin_text(server: &TestServer, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(server.dir.path())
        .arg("--database-url")
        .arg(&server.database_url)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub(crate) fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Starts `serve` on a data dir; `Ok(child)` once ready, `Err(stderr)` if it exits.
pub(crate) async fn serve(data_dir: &Path, extra: &[&str]) -> Result<std::process::Child, String> {
    let port = crate::common::free_port();
    let log = data_dir.with_extension(format!("{port}.log"));
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let http = godkend_core::client::http_client().unwrap();
    for _ in 0..200 {
        if let Some(status) = child.try_wait().unwrap() {
            let err = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(!status.success(), "serve exited cleanly: {err}");
            return Err(err);
        }
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && r.status().is_success()
        {
            return Ok(child);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    panic!("serve neither became ready nor exited");
}

pub(crate) fn stop(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------- file modes

/// A fresh data dir is 0700 and the database with its -wal and -shm files 0600
/// whatever the umask (this test process runs with the usual 022); an open data dir
/// or database stops the server with the chmod to run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_data_dir_is_private_and_open_ones_are_refused() {
    let root = tempfile::tempdir().unwrap();
    // Like /var/lib: a parent others may enter.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("godkend");
    let child = serve(&data, &[]).await.expect("serve starts");
    let db = data.join("godkend.db");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&data.join("server-key.json")), 0o600);
    for companion in ["godkend.db-wal", "godkend.db-shm"] {
        let path = data.join(companion);
        assert!(path.exists(), "{companion} exists while serving");
        assert_eq!(mode(&path), 0o600, "{companion}");
    }
    stop(child);

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = serve(&data, &[]).await.expect_err("an open database");
    assert!(
        err.contains(&format!("run chmod 600 {}", db.display())),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = serve(&data, &[]).await.expect_err("an open data dir");
    assert!(
        err.contains(&format!("run chmod 700 {}", data.display())),
        "{err}"
    );
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    stop(serve(&data, &[]).await.expect("fixed modes start again"));
}

/// `--admin-token-file` is refused when group or others can read it, like the key file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_token_file_readable_by_others_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let token = root.path().join("admin-token");
    std::fs::write(&token, "t".repeat(40)).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = ["--admin-token-file", token.to_str().unwrap()];
    let err = serve(&data, &args).await.expect_err("an open token file");
    assert!(
        err.contains(&format!("run chmod 600 {}", token.display())),
        "{err}"
    );
    assert!(!err.contains("tttt"), "the token is never shown: {err}");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    stop(
        serve(&data, &args)
            .await
            .expect("a private token file works"),
    );
}

// ---------------------------------------------------------------- sealed codes

/// Every form of `code` that could sit in the database.
fn code_forms(code: &str) -> Vec<String> {
    let plain: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
    vec![code.to_owned(), plain.clone(), plain.to_lowercase()]
}

/// Fails if any form of `code` is in the database: the SQLite files' bytes, or
/// every activation row as text on PostgreSQL.
async fn assert_not_stored(db: Db, server: &TestServer, code: &str) {
    let haystacks: Vec<Vec<u8>> = match db {
        Db::Sqlite => ["godkend.db", "godkend.db-wal"]
            .iter()
            .filter_map(|f| std::fs::read(server.dir.path().join(f)).ok())
            .collect(),
        Db::Postgres => {
            let mut conn = self::db(server).await;
            let rows: Vec<String> = sqlx::query_scalar(
                "SELECT concat_ws('|', id, user_id, code, created_at, expires_at) FROM activations",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert!(!rows.is_empty(), "the activation is stored");
            vec![rows.join("\n").into_bytes()]
        }
    };
    assert!(!haystacks.is_empty());
    for form in code_forms(code) {
        for bytes in &haystacks {
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
                "the activation code {form} is stored in clear"
            );
        }
    }
}

async fn activation_codes_are_sealed_at_rest_and_survive_restart_and_rotation(db: Db) {
    let mut server = TestServer::start(db).await;
    server.add_user("alice");
    let first = server.activation_link("alice");
    let second = code_of(&server.activation_link("alice"));
    assert_not_stored(db, &server, &code_of(&first)).await;
    assert_not_stored(db, &server, &second).await;
    let key_file = std::fs::read_to_string(server.dir.path().join("server-key.json")).unwrap();
    assert!(key_file.contains("data_secret"), "{key_file}");

    // The server still opens its sealed codes after a restart ...
    server.restart().await;
    let device = crate::common::Device::activate(&first).await;
    assert!(device.serial.starts_with("GK-"));

    // ... and after `key rotate`, which must keep the data secret.
    let before = server.server_key().await;
    server.admin(&["key", "rotate"]).expect("key rotate");
    server.restart().await;
    let after = server.server_key().await;
    assert_ne!(before.kid(), after.kid());
    let input = ActivationInput {
        server_url: url::Url::parse(&server.url).unwrap(),
        user: "alice".into(),
        code: second,
        expected_kid: None,
        device_name: "after rotation".into(),
    };
    let pin = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32]).unwrap();
    let activated = activate_with_key(&input, &pin, after, DeviceKey::generate())
        .await
        .expect("a code from before the rotation activates after it");
    assert_eq!(activated.activation.user, "alice");
}

// ---------------------------------------------------------------- retention

async fn retention_deletes_old_requests_and_blanks_old_audit_ips(db: Db) {
    let mut server = TestServer::start_with(
        db,
        &["--request-retention", "2s", "--audit-ip-retention", "2s"],
    )
    .await;
    server.add_user("gina");
    let device = server.device("gina").await;
    let rp = server.add_rp("shop", "Shop");
    let created = rp.login("gina").await;
    let pending = device.pending_one().await;
    device.approve(&pending, &created.code, PIN).await.unwrap();
    let kept = rp.login("gina").await; // still pending: never deleted
    assert_eq!(scalar(&server, "SELECT COUNT(*) FROM decisions").await, 1);
    assert!(scalar(&server, "SELECT COUNT(*) FROM audit WHERE ip IS NOT NULL").await > 0);

    tokio::time::sleep(Duration::from_millis(3_100)).await;
    // The sweep runs at start (then hourly).
    server.restart().await;
    let mut swept = false;
    for _ in 0..100 {
        let decisions = scalar(&server, "SELECT COUNT(*) FROM decisions").await;
        let ips = scalar(&server, "SELECT COUNT(*) FROM audit WHERE ip IS NOT NULL").await;
        if decisions == 0 && ips == 0 {
            swept = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(swept, "old decisions and audit IP addresses are swept");
    let requests: Vec<(String, String)> = {
        let mut conn = self::db(&server).await;
        sqlx::query_as("SELECT id, state FROM requests")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(
        requests,
        vec![(kept.request_id.clone(), "pending".to_owned())]
    );
    // The audit rows themselves stay, and the log is still append-only for any other
    // change: only blanking an IP address is allowed.
    assert!(scalar(&server, "SELECT COUNT(*) FROM audit").await > 3);
    let mut conn = self::db(&server).await;
    for sql in [
        "UPDATE audit SET event = 'nothing' WHERE id = 1",
        "UPDATE audit SET ip = '192.0.2.1' WHERE id = 1",
        "UPDATE audit SET ip = NULL, detail = 'changed' WHERE id = 1",
        "DELETE FROM audit WHERE id = 1",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}
