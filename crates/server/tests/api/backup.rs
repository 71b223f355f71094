//! `godkend-server backup`: an online copy taken under load, restored into a new
//! server that runs on it with the old key file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use godkend_protocol::messages::{CreatedRequest, RequestState};
use serde_json::Value;

use crate::common::{BIN, Db, PIN, Rp, TestServer, private_tempdir, verify_result};

/// Requests an RP created, each with the moment it was confirmed.
type Created = Arc<Mutex<Vec<(std::time::Instant, CreatedRequest)>>>;

/// An RP creating sign-in requests one after another until `stop`.
fn start_load(rp: &Rp, stop: Arc<AtomicBool>) -> (Created, tokio::task::JoinHandle<()>) {
    let created: Created = Arc::default();
    let rp = Rp {
        url: rp.url.clone(),
        key: rp.key.clone(),
        http: rp.http.clone(),
    };
    let task = tokio::spawn({
        let created = created.clone();
        async move {
            while !stop.load(Ordering::Relaxed) {
                let request = rp.login("alice").await;
                created
                    .lock()
                    .unwrap()
                    .push((std::time::Instant::now(), request));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    (created, task)
}

async fn wait_for_count(created: &Created, n: usize) {
    for _ in 0..600 {
        if created.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the load made fewer than {n} requests");
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_load_restores_into_a_working_server() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    // A request approved before the backup: its signed result must come back.
    let approved = rp.login("alice").await;
    let request = device.pending_one().await;
    device.approve(&request, &approved.code, PIN).await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let (created, load) = start_load(&rp, stop.clone());
    wait_for_count(&created, 5).await;

    let backups = private_tempdir();
    let file = backups.path().join("godkend-backup.db");
    let started = std::time::Instant::now();
    let out = {
        let server_args = server_admin_args(&server);
        let file = file.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(BIN)
                .args(&server_args)
                .arg("--json")
                .arg("backup")
                .arg(&file)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let finished = std::time::Instant::now();
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // More requests after the copy: they must not be in it.
    let n = created.lock().unwrap().len();
    wait_for_count(&created, n + 3).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();

    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["integrity"], "ok", "{report}");
    assert_eq!(report["summary"]["relying_parties"], 1, "{report}");
    assert_eq!(report["summary"]["users"], 1, "{report}");
    assert_eq!(report["summary"]["devices"], 1, "{report}");
    let in_copy = report["summary"]["requests"].as_i64().unwrap();
    assert_eq!(
        report["server_kid"],
        server.admin(&["key", "show"]).unwrap()["server_kid"]
    );
    assert_eq!(mode(&file), 0o600, "the copy holds device keys: owner only");

    // The copy is a sound database on its own.
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}?mode=ro",
        file.display()
    ))
    .await
    .unwrap();
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);

    // A second backup to the same name is refused and leaves the first intact.
    let before = std::fs::read(&file).unwrap();
    let again = server
        .admin(&["backup", file.to_str().unwrap()])
        .unwrap_err();
    assert!(again.contains("already exists"), "{again}");
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // Restore: the copy as the database of a new data dir, with the key file.
    let restored_dir = private_tempdir();
    let db = restored_dir.path().join("godkend.db");
    std::fs::copy(&file, &db).unwrap();
    let key = restored_dir.path().join("server-key.json");
    std::fs::copy(server.dir.path().join("server-key.json"), &key).unwrap();
    assert_eq!(mode(&key), 0o600);
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let restored = TestServer::start_on(restored_dir, url).await;
    assert_eq!(restored.server_key().await, server.server_key().await);

    let rps = restored.admin(&["rp", "list"]).unwrap();
    assert_eq!(rps[0]["rp_id"], "shop", "{rps}");
    let devices = restored.admin(&["device", "list"]).unwrap();
    assert_eq!(devices[0]["serial"], device.serial.as_str(), "{devices}");

    // The RP's key works on the restored server; the approved result verifies.
    let rp_there = Rp {
        url: restored.url.clone(),
        key: rp.key.clone(),
        http: rp.http.clone(),
    };
    let status = rp_there.status(&approved.request_id).await;
    assert_eq!(status.status, RequestState::Approved);
    verify_result(&status, &restored.server_key().await);

    // Every request confirmed before the backup began is in the copy; none made
    // after it ended is.
    let created = created.lock().unwrap().clone();
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for (at, request) in &created {
        if *at < started {
            old.push(request.clone());
        } else if *at > finished {
            new.push(request.clone());
        }
    }
    assert!(!old.is_empty() && !new.is_empty());
    // One pending request per user: each new one superseded the one before.
    for request in &old {
        let state = rp_there.status(&request.request_id).await.status;
        assert!(
            matches!(state, RequestState::Superseded | RequestState::Pending),
            "{state:?}"
        );
    }
    for request in &new {
        let r = rp_there
            .http
            .get(format!(
                "{}/v1/rp/requests/{}",
                restored.url, request.request_id
            ))
            .bearer_auth(&rp_there.key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            404,
            "{} is newer than the copy",
            request.request_id
        );
    }
    // The copy counted the approved request, those before it, and perhaps some
    // made while it ran.
    let in_copy = usize::try_from(in_copy).unwrap();
    assert!(
        in_copy > old.len() && in_copy <= 1 + created.len() - new.len(),
        "{in_copy}"
    );

    // The device, pinned to the original server key, trusts the restored server and
    // approves there the request the copy holds as pending.
    let client = device.client_at(&restored.url);
    let mut pending = client.pending().await.unwrap();
    assert_eq!(pending.len(), 1);
    let request = pending.remove(0);
    let (_, created_request) = created
        .iter()
        .find(|(_, c)| c.request_id == request.request.request_id)
        .expect("the pending request is one the relying party made");
    assert!(
        !new.iter()
            .any(|n| n.request_id == created_request.request_id)
    );
    let signed = client
        .approve(&request, &created_request.code, &device.pin(PIN))
        .unwrap();
    client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();
    let status = rp_there.status(&created_request.request_id).await;
    assert_eq!(status.status, RequestState::Approved);
    verify_result(&status, &server.server_key().await);
}

/// `--data-dir` and `--database-url` of a running test server, for running the
/// binary with them.
fn server_admin_args(server: &TestServer) -> Vec<String> {
    vec![
        "--data-dir".into(),
        server.dir.path().display().to_string(),
        "--database-url".into(),
        server.database_url.clone(),
    ]
}

#[test]
fn backup_of_postgres_points_to_pg_dump_and_writes_nothing() {
    let dir = private_tempdir();
    let file = dir.path().join("copy.db");
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--database-url",
            "postgres://godkend:s3cret-pw@127.0.0.1:1/godkend",
            "backup",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(
        !err.contains("s3cret"),
        "the URL's password is never echoed: {err}"
    );
    assert!(!file.exists());
}
