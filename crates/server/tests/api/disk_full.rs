//! SQLite's data dir runs out of space (a small tmpfs mounted by the test, as
//! root): writes answer 503 `unavailable`, the database stays whole, and writes
//! work again once space returns, without a restart. Once with the server's log on
//! another disk, once with the log on the full one: every call is still answered
//! (log lines are dropped and counted, never a reason to fail a call).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use godkend_protocol::messages::RequestState;
use godkend_protocol::{ErrorCode, Problem};
use serde_json::json;

use crate::common::{
    PIN, TestServer, assert_sqlite_whole, connect, private_tempdir, verify_result,
};

/// A tmpfs mounted on a private dir; unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(on: &Path, size: &str) -> Result<Tmpfs, String> {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(on)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if out.status.success() {
            Ok(Tmpfs(on.to_owned()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a closing SQLite connection may still hold a file for a moment, and
        // a busy umount would leave the mount behind.
        let _ = Command::new("umount").arg("--lazy").arg(&self.0).status();
    }
}

/// Writes a file until the file system is full; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_answers_503_and_recovers() {
    disk_full(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_with_the_log_on_it_still_answers_every_call() {
    disk_full(true).await;
}

/// The run; `log_on_it`: the whole data dir (key file, database, the server's
/// log) on the small disk, else only the database.
async fn disk_full(log_on_it: bool) {
    let started = Instant::now();
    let dir = private_tempdir();
    let mount = match Tmpfs::mount(dir.path(), "16m") {
        Ok(mount) => mount,
        Err(why) => {
            eprintln!(
                "\n==================================================================\n\
                 NOT TESTED: SQLite's disk filled and freed (cannot mount a tmpfs: {why}; \
                 needs root).\n\
                 ==================================================================\n"
            );
            return;
        }
    };
    let mut server = if log_on_it {
        let data = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(dir.path())
            .unwrap();
        let url = crate::common::database_url(crate::common::Db::Sqlite, data.path()).await;
        TestServer::start_on(data, url).await
    } else {
        // The database on the tmpfs; the key file and the server's log elsewhere.
        let url = crate::common::database_url(crate::common::Db::Sqlite, dir.path()).await;
        TestServer::start_on_database(url, &[]).await
    };
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let first = rp.login("alice").await;
    let request = device.pending_one().await;
    device.approve(&request, &first.code, PIN).await.unwrap();

    let filler = fill(&mount.0);
    // Writes go on into space SQLite already holds, then fail: each create
    // supersedes the one before, so the WAL must grow.
    let mut accepted = 0;
    let mut refused = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    while refused.is_none() && Instant::now() < deadline {
        let r = rp
            .http
            .post(format!("{}/v1/rp/requests", rp.url))
            .bearer_auth(&rp.key)
            .json(&json!({"user": "alice", "kind": "login", "title": "Sign in", "message": "x".repeat(1000)}))
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("{e}; running {}; log: {}", server.running(), server.log())
            });
        match r.status().as_u16() {
            201 => accepted += 1,
            503 => {
                assert_eq!(r.headers()["content-type"], "application/problem+json");
                assert!(r.headers().contains_key("retry-after"));
                refused = Some(r.json::<Problem>().await.unwrap());
            }
            other => panic!("{other}: {}", r.text().await.unwrap()),
        }
    }
    let problem = refused.expect("a full disk answers 503");
    assert_eq!(problem.code, ErrorCode::Unavailable);
    let full_after = started.elapsed();
    // Reads still work.
    assert_eq!(
        rp.status(&first.request_id).await.status,
        RequestState::Approved
    );

    // Space returns: writes work again without a restart.
    std::fs::remove_file(&filler).unwrap();
    let mut created = None;
    for _ in 0..50 {
        let r = rp
            .create_raw(
                &json!({"user": "alice", "kind": "login", "title": "Sign in", "message": "m"}),
            )
            .await;
        if r.status() == 201 {
            created = Some(
                r.json::<godkend_protocol::messages::CreatedRequest>()
                    .await
                    .unwrap(),
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let created = created.expect("writes work again once space returns");
    let request = device.pending_one().await;
    assert_eq!(request.request.request_id, created.request_id);
    if let Err(e) = device.approve(&request, &created.code, PIN).await {
        panic!("approval after space returned: {e}; log: {}", server.log());
    }
    let status = rp.status(&created.request_id).await;
    assert_eq!(status.status, RequestState::Approved);
    verify_result(&status, &server.server_key().await);
    assert!(server.running(), "never restarted");
    let dropped = server.metric("godkend_log_lines_dropped_total").await;
    if log_on_it {
        assert!(
            dropped.is_some_and(|n| n > 0.0),
            "the lines that did not fit were counted"
        );
    }

    server.kill();
    let mut db = connect(&server.database_url).await;
    assert_sqlite_whole(&mut db).await;
    let (claims,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM decisions WHERE http_status = 0")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(claims, 0, "no half-written decision");
    let (pending,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM requests WHERE state = 'pending'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(pending, 0);
    drop(db);
    eprintln!(
        "SQLite disk-full run{} ({:.1} s): {accepted} creates accepted after the disk filled, \
         then 503 `unavailable` {:.1} s in; writes resumed after freeing space; \
         integrity_check ok{}",
        if log_on_it {
            " with the log on the full disk"
        } else {
            ""
        },
        started.elapsed().as_secs_f64(),
        full_after.as_secs_f64(),
        dropped
            .map(|n| format!("; {n} log lines dropped"))
            .unwrap_or_default(),
    );
    drop(server);
    drop(mount);
    drop(dir);
}
