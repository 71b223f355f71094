//! Two nodes on one PostgreSQL behind nginx, run with installers/server/nginx.conf:
//! devices stream through nginx, relying parties create requests through it at a
//! steady rate, the node holding a device's stream is SIGKILLed, the device
//! reconnects through nginx, and every request ends in exactly one final state,
//! none decided twice (checked in the database and the audit log), with results
//! that verify.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::load::{LoadRun, check_invariants, figures};
use crate::common::{Db, TestServer, free_port};

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
    node.metric("godkend_connected_devices")
        .await
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

    // Activated through nginx: the links and the relying parties name its address.
    let run = LoadRun::start(&node_a).await;

    // Load runs; then the node holding a device's stream dies.
    let mut streams = (0.0, 0.0);
    for _ in 0..100 {
        streams = (streams_on(&node_a).await, streams_on(&node_b).await);
        if streams.0 + streams.1 >= 2.0 && run.approved() >= 6 {
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
    let before_kill = run.created();
    let approved_before_kill = run.approved();
    victim.kill();
    eprintln!(
        "killed the node on port {} holding {} stream(s) after {before_kill} requests",
        victim.port,
        streams.0.max(streams.1)
    );

    // The devices come back through nginx, to the survivor, and the load goes on.
    let mut back = false;
    for _ in 0..200 {
        if streams_on(&survivor).await >= 2.0 && run.approved() >= approved_before_kill + 10 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        back,
        "the devices reconnected and requests went on after the kill"
    );
    let (counters, made) = run.finish().await;

    // Invariants, from the database itself and through nginx as the relying parties
    // see it.
    let tally = check_invariants(
        &survivor.database_url,
        &proxy,
        &http,
        &survivor.server_key().await,
        &made,
        &counters,
    )
    .await;
    eprintln!("balancer run: {}", figures(&counters, &tally));
    // Carol refused what was left, so nothing is pending.
    assert!(
        tally.states.iter().all(|(s, _)| s != "pending"),
        "every request is final: {:?}",
        tally.states
    );
    drop(victim);
    drop(nginx);
}
