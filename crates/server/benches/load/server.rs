//! The real server binary on loopback and its admin API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use godkend_protocol::PublicKey;
use serde_json::{Value, json};

use crate::usage::Usage;

/// The server under test: this build's, or GODKEND_BENCH_SERVER_BIN (to measure an
/// older build with the same load).
fn server_bin() -> String {
    std::env::var("GODKEND_BENCH_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_godkend-server").to_owned())
}

/// Where the server keeps its data and how it is started.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub database_url: String,
    /// `normal` or `full` (SQLite only).
    pub sqlite_synchronous: &'static str,
    pub label: String,
}

/// A running server process.
pub struct Server {
    pub url: String,
    pub port: u16,
    pub child: Child,
    /// The server's signing key (public half), from its signed info.
    pub public_key: PublicKey,
    http: reqwest::Client,
    admin_token: String,
}

impl Server {
    /// Starts the server on `port` (0: any free port) over `data_dir`.
    pub async fn start(data_dir: &Path, config: &ServerConfig, port: u16) -> Self {
        let port = if port == 0 {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        } else {
            port
        };
        let url = format!("http://127.0.0.1:{port}");
        let admin_token = "bench-admin-token-bench-admin-token-0001".to_owned();
        let log = std::env::var("GODKEND_BENCH_SERVER_LOG").ok();
        let mut command = Command::new(server_bin());
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--database-url", &config.database_url])
            .args(["--public-url", &url]);
        // Only when asked: older builds have no such option and always use NORMAL.
        if config.sqlite_synchronous != "normal" {
            command.args(["--sqlite-synchronous", config.sqlite_synchronous]);
        }
        let child = command
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--push-backoff-seconds", "0"])
            // Every simulated device and the relying party come from 127.0.0.1.
            .args(["--max-connections", "30000"])
            .args(["--max-connections-per-client", "30000"])
            .env("GODKEND_ADMIN_TOKEN", &admin_token)
            .env("RUST_LOG", log.as_deref().unwrap_or("error"))
            .stdout(Stdio::null())
            .stderr(if log.is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("the server starts");
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(4096)
            .no_proxy()
            .build()
            .unwrap();
        let started = Instant::now();
        while http.get(format!("{url}/readyz")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_mins(1),
                "the server did not come up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let info: Value = http
            .get(format!("{url}/v1/server-info"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let public_key =
            PublicKey::ed25519_b64(info["info"]["payload"]["server_key"].as_str().unwrap())
                .unwrap();
        Server {
            url,
            port,
            child,
            public_key,
            http,
            admin_token,
        }
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("a pid fits")
    }

    pub fn usage(&self) -> Usage {
        crate::usage::usage_of(self.pid())
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// One admin API call; panics unless it succeeds.
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A relying party; returns its API key.
    pub async fn add_rp(&self, tag: &str) -> String {
        self.admin(
            "/v1/admin/rps",
            json!({"rp_id": format!("bench-{tag}"), "name": "Bench"}),
        )
        .await["api_key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Stops the server (SIGKILL: the bench needs no graceful shutdown).
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private temporary data dir (the server refuses one others can enter).
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("godkend-bench")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .unwrap()
}

pub fn sqlite_url(dir: &Path) -> String {
    let path: PathBuf = dir.join("bench.db");
    format!("sqlite://{}?mode=rwc", path.display())
}
