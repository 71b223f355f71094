//! Two nodes on one PostgreSQL behind nginx, run with installers/server/nginx.conf:
//! devices stream through nginx, relying parties create requests through it at a
//! steady rate, the node holding a device's stream is SIGKILLed, the device
//! reconnects through nginx, and every request ends in exactly one final state,
//! none decided twice (checked in the database and the audit log), with results
//! that verify.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use godkend_protocol::messages::RequestState;

use crate::common::load::{Codes, Counters, refuse_pending, run_burst, run_device, run_rp};
use crate::common::{Db, TestServer, free_port, verify_result};

/// The committed deployment example this test runs.
const NGINX_CONF: &str = include_str!("../../../../installers/server/nginx.conf");

/// nginx from `GODKEND_NGINX`, `PATH` or Debian's /usr/sbin.
fn nginx_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GODKEND_NGINX") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
}

fn skip(why: &str) {
    eprintln!(
        "\n==================================================================\n\
         NOT TESTED: nginx in front of two nodes ({why}).\n\
         ==================================================================\n"
    );
}

/// The example config with this test's addresses, and without TLS. Each change
/// must apply exactly once, so an edit of the example cannot go untested unnoticed.
fn site_config(listen: u16, nodes: [u16; 2]) -> String {
    let mut conf = NGINX_CONF.to_owned();
    for (from, to) in [
        (
            "listen 443 ssl http2;",
            format!("listen 127.0.0.1:{listen};"),
        ),
        (
            "server 10.0.0.11:8420",
            format!("server 127.0.0.1:{}", nodes[0]),
        ),
        (
            "server 10.0.0.12:8420",
            format!("server 127.0.0.1:{}", nodes[1]),
        ),
    ] {
        assert_eq!(conf.matches(from).count(), 1, "`{from}` in nginx.conf");
        conf = conf.replace(from, &to);
    }
    let before = conf.lines().count();
    conf = conf
        .lines()
        .filter(|l| !l.trim_start().starts_with("ssl_certificate"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        before - conf.lines().count(),
        2,
        "two ssl_certificate lines"
    );
    conf
}

/// An nginx master process with its own prefix, config, pid and log files.
struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    fn start(binary: &Path, site: &str) -> Nginx {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        // Worker processes run as another user when the test runs as root.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("godkend.conf"), site).unwrap();
        std::fs::write(
            dir.path().join("nginx.conf"),
            format!(
                "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
                 error_log {d}/error.log info;\n\
                 events {{ worker_connections 512; }}\n\
                 http {{\n  access_log {d}/access.log;\n\
                 client_body_temp_path {d}/client_body;\n  proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n\
                 scgi_temp_path {d}/scgi;\n  include {d}/godkend.conf;\n}}\n"
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        Nginx { child, dir }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// SIGTERM to the master (it stops its workers), SIGKILL if it lingers.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The number of event streams a node holds (its metrics, read directly).
async fn streams_on(node: &TestServer) -> f64 {
    let text = node
        .http
        .get(format!("{}/metrics", node.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("godkend_connected_devices "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_behind_nginx_loses_and_repeats_nothing() {
    let Some(nginx) = nginx_binary() else {
        skip("nginx is not installed: Debian package `nginx`");
        return;
    };
    if std::env::var_os("GODKEND_TEST_POSTGRES_URL").is_none() {
        skip("no PostgreSQL: GODKEND_TEST_POSTGRES_URL is unset (scripts/test.sh sets it)");
        return;
    }
    let proxy_port = free_port();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    // Denials must not slow the relying parties down: no push backoff.
    let args = [
        "--trusted-proxy",
        "127.0.0.1",
        "--push-backoff-seconds",
        "0",
    ];
    let node_a = TestServer::start_behind(Db::Postgres, &proxy, &args).await;
    let node_b = node_a.second_node().await;
    let nginx = Nginx::start(&nginx, &site_config(proxy_port, [node_a.port, node_b.port]));
    let http = node_a.http.clone();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{proxy}/readyz")).send().await
            && r.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "nginx did not come up: {}", nginx.error_log());

    let counters = Arc::new(Counters::default());
    let codes: Codes = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut devices = Vec::new();
    let mut rps = Vec::new();
    for (user, rp_id) in [("alice", "shop"), ("bob", "bank")] {
        node_a.add_user(user);
        // Activated through nginx: the link names the proxy's address.
        let device = node_a.device(user).await;
        devices.push(tokio::spawn(run_device(
            device,
            codes.clone(),
            counters.clone(),
        )));
        let rp = node_a.add_rp(rp_id, rp_id);
        assert_eq!(rp.url, proxy);
        rps.push(tokio::spawn(run_rp(
            rp,
            user,
            codes.clone(),
            counters.clone(),
            stop.clone(),
        )));
    }

    // A relying party writing as fast as it can beside them, for a user whose
    // device answers only at the end: each request supersedes the one before, so
    // the kill lands on writes in flight.
    node_a.add_user("carol");
    let carol = node_a.device("carol").await;
    let burst = tokio::spawn(run_burst(
        node_a.add_rp("load", "Load"),
        "carol",
        counters.clone(),
        stop.clone(),
    ));

    // Load runs; then the node holding a device's stream dies.
    let mut streams = (0.0, 0.0);
    for _ in 0..100 {
        streams = (streams_on(&node_a).await, streams_on(&node_b).await);
        if streams.0 + streams.1 >= 2.0 && counters.approved.load(Ordering::Relaxed) >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        streams.0 + streams.1 >= 2.0,
        "both devices stream through nginx: {streams:?}"
    );
    let (mut victim, survivor) = if streams.0 > 0.0 {
        (node_a, node_b)
    } else {
        (node_b, node_a)
    };
    let before_kill = counters.created.load(Ordering::Relaxed);
    let approved_before_kill = counters.approved.load(Ordering::Relaxed);
    victim.kill();
    eprintln!(
        "killed the node on port {} holding {} stream(s) after {before_kill} requests",
        victim.port,
        streams.0.max(streams.1)
    );

    // The devices come back through nginx, to the survivor, and the load goes on.
    let mut back = false;
    for _ in 0..200 {
        if streams_on(&survivor).await >= 2.0
            && counters.approved.load(Ordering::Relaxed) >= approved_before_kill + 10
        {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        back,
        "the devices reconnected and requests went on after the kill"
    );
    stop.store(true, Ordering::Relaxed);
    let mut made = Vec::new();
    for rp in rps {
        let (key, requests) = rp.await.unwrap();
        made.extend(requests.into_iter().map(|r| (key.clone(), r)));
    }
    for device in &devices {
        device.abort();
    }
    let (key, requests) = burst.await.unwrap();
    made.extend(requests.into_iter().map(|r| (key.clone(), r)));
    // Carol refuses what is still pending for her, through nginx.
    refuse_pending(&carol, &counters).await;

    // Invariants, from the database itself.
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&survivor.database_url)
        .await
        .unwrap();
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state ORDER BY state")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let total: i64 = states.iter().map(|(_, n)| n).sum();
    let pending: i64 = states
        .iter()
        .filter(|(s, _)| s == "pending")
        .map(|(_, n)| n)
        .sum();
    let twice: Vec<(String, i64)> = sqlx::query_as(
        "SELECT request_id, COUNT(*) FROM decisions WHERE http_status = 200 \
         GROUP BY request_id HAVING COUNT(*) > 1",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(twice.is_empty(), "decided twice: {twice:?}");
    let audited: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT detail FROM audit WHERE event = 'decision'")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let mut per_request: HashMap<String, usize> = HashMap::new();
    for (detail,) in &audited {
        let id = detail.as_deref().unwrap_or("").split(' ').next().unwrap();
        *per_request.entry(id.to_owned()).or_default() += 1;
    }
    assert!(
        per_request.values().all(|&n| n == 1),
        "one audited decision per request: {per_request:?}"
    );
    let (approved_rows,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM requests WHERE state = 'approved' \
         AND decision_hash IS NOT NULL AND decided_device_id IS NOT NULL",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();

    // Every request a relying party got back is final through nginx, and its signed
    // result verifies; the approved ones are those the devices had approved.
    let server_key = survivor.server_key().await;
    let mut approved_seen = 0;
    for (key, created) in &made {
        let answer: godkend_protocol::messages::RequestStatus = http
            .get(format!("{proxy}/v1/rp/requests/{}", created.request_id))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_else(|_| panic!("status of {}", created.request_id));
        assert_ne!(
            answer.status,
            RequestState::Pending,
            "{}",
            created.request_id
        );
        verify_result(&answer, &server_key);
        if answer.status == RequestState::Approved {
            approved_seen += 1;
        }
    }
    eprintln!(
        "balancer run: {} requests confirmed to relying parties, {total} in the database \
         ({} create calls failed), states {states:?}, \
         {} approvals and {} refusals sent, {} decision resends, {} stream reconnects, \
         {} audited decisions",
        counters.created.load(Ordering::Relaxed),
        counters.create_failures.load(Ordering::Relaxed),
        counters.approved.load(Ordering::Relaxed),
        counters.refused.load(Ordering::Relaxed),
        counters.resends.load(Ordering::Relaxed),
        counters.reconnects.load(Ordering::Relaxed),
        audited.len(),
    );
    assert_eq!(pending, 0, "every request is final: {states:?}");
    // The database may hold a few more than the relying parties saw: a create whose
    // answer was lost with the killed node.
    assert!(usize::try_from(total).unwrap() >= made.len());
    assert!(approved_seen > 0);
    // No approval lost: every approval a device got an answer for is in the
    // database (a resend after a lost answer gets the first answer, not a second
    // decision).
    assert_eq!(
        usize::try_from(approved_rows).unwrap(),
        counters.approved.load(Ordering::Relaxed)
    );
    assert_eq!(
        approved_rows,
        states
            .iter()
            .find(|(s, _)| s == "approved")
            .map_or(0, |(_, n)| *n)
    );
    drop(victim);
    drop(nginx);
}
