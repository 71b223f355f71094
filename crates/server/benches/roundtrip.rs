//! Full approval round trips against the real server binary, printing figures:
//! RP create → signed event on the device's stream → decision signed with device
//! and PIN keys → RP result. `cargo bench -p godkend-server --bench roundtrip`
//! (optimised build). Options by environment: GODKEND_BENCH_USERS (default 50),
//! GODKEND_BENCH_ROUNDS per user (default 20), GODKEND_BENCH_DATABASE_URL (default:
//! SQLite in a temp dir), GODKEND_BENCH_SERVER_LOG (a RUST_LOG filter that shows the
//! server's log). Only loopback is ever contacted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use godkend_core::PinKey;
use godkend_core::activation::{ActivationInput, activate};
use godkend_core::client::{DeviceClient, ServerClient};
use godkend_core::pin::{KdfParams, derive_pin_key};
use godkend_core::push::PushEvent;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_godkend-server");
const PIN: &str = "403917";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The running server and how to reach it.
struct Bench {
    dir: tempfile::TempDir,
    db: String,
    url: String,
    server: Child,
    http: reqwest::Client,
}

impl Bench {
    async fn start() -> Self {
        // The server refuses a data dir that others can enter.
        let dir = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap();
        let db = std::env::var("GODKEND_BENCH_DATABASE_URL").unwrap_or_else(|_| {
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            )
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let log = std::env::var("GODKEND_BENCH_SERVER_LOG").ok();
        let server = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--database-url", &db, "--public-url", &url, "serve"])
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--push-backoff-seconds",
                "0",
            ])
            .env("RUST_LOG", log.as_deref().unwrap_or("error"))
            .stderr(if log.is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap();
        let http = godkend_core::client::http_client().unwrap();
        while http.get(format!("{url}/readyz")).send().await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Bench {
            dir,
            db,
            url,
            server,
            http,
        }
    }

    fn admin(&self, args: &[&str]) -> Value {
        let out = Command::new(BIN)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args([
                "--database-url",
                &self.db,
                "--public-url",
                &self.url,
                "--json",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// A user with one activated device.
    async fn device(&self, user: &str) -> (Arc<DeviceClient>, Arc<PinKey>) {
        self.admin(&["user", "add", user]);
        let link = self.admin(&["activation", "create", user])["link"]
            .as_str()
            .unwrap()
            .to_owned();
        let input = ActivationInput::from_link(&link, "bench").unwrap();
        let pepper: [u8; 32] = rand::random();
        let pin = derive_pin_key(PIN, b"bench-salt-bench", KdfParams::MINIMUM, &pepper).unwrap();
        let activated = activate(&input, &pin).await.unwrap();
        let server =
            ServerClient::new(input.server_url.clone(), activated.server_key.clone()).unwrap();
        let client = DeviceClient::new(
            server,
            activated.activation.device_id.clone(),
            user.into(),
            activated.device_key,
        );
        (Arc::new(client), Arc::new(pin))
    }
}

/// One user's rounds: returns (create → event, full round trip) per round.
async fn run_user(
    http: reqwest::Client,
    url: String,
    key: String,
    client: Arc<DeviceClient>,
    pin: Arc<PinKey>,
    rounds: usize,
) -> Vec<(Duration, Duration)> {
    let mut events = Box::pin(client.events(None).await.unwrap());
    // The first heartbeat means the stream is live.
    while let Some(Ok(r)) = events.next().await {
        if matches!(r.event, PushEvent::Heartbeat(_)) {
            break;
        }
    }
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t0 = Instant::now();
        let response = http
            .post(format!("{url}/v1/rp/requests"))
            .bearer_auth(&key)
            .json(&json!({"user": client.user, "kind": "login", "title": "Bench", "message": "m"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "create failed: {}",
            response.text().await.unwrap()
        );
        let created: Value = response.json().await.unwrap();
        let request = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let PushEvent::Request(r) = events.next().await.unwrap().unwrap().event {
                    break r;
                }
            }
        })
        .await
        .expect("the request event arrives");
        let pushed = t0.elapsed();
        let signed = client
            .approve(&request, created["code"].as_str().unwrap(), &pin)
            .unwrap();
        client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
            .unwrap();
        let id = created["request_id"].as_str().unwrap();
        let status: Value = http
            .get(format!("{url}/v1/rp/requests/{id}/wait?timeout=10"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["status"], "approved");
        times.push((pushed, t0.elapsed()));
    }
    times
}

fn percentile_ms(sorted: &[Duration], percent: usize) -> f64 {
    sorted[(sorted.len() - 1) * percent / 100].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let users = env_or("GODKEND_BENCH_USERS", 50);
    let rounds = env_or("GODKEND_BENCH_ROUNDS", 20);
    let mut bench = Bench::start().await;
    let key = bench.admin(&["rp", "add", "bench", "--name", "Bench"])["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    println!("setting up {users} users with one device each ...");
    let mut devices = Vec::new();
    for i in 0..users {
        devices.push(bench.device(&format!("user{i}")).await);
    }
    println!("running {rounds} round trips per user, {users} users in parallel ...");
    let started = Instant::now();
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|(client, pin)| {
            tokio::spawn(run_user(
                bench.http.clone(),
                bench.url.clone(),
                key.clone(),
                client,
                pin,
                rounds,
            ))
        })
        .collect();
    let (mut push, mut trips) = (Vec::new(), Vec::new());
    for task in tasks {
        for (p, t) in task.await.unwrap() {
            push.push(p);
            trips.push(t);
        }
    }
    let elapsed = started.elapsed();
    let _ = bench.server.kill();
    let _ = bench.server.wait();
    push.sort();
    trips.sort();
    let backend = if bench.db.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "backend: {backend}; {} round trips in {:.2} s",
        trips.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "throughput: {:.0} full approval round trips per second",
        trips.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "RP create -> device event: p50 {:.1} ms, p99 {:.1} ms",
        percentile_ms(&push, 50),
        percentile_ms(&push, 99)
    );
    println!(
        "full round trip: p50 {:.1} ms, p99 {:.1} ms",
        percentile_ms(&trips, 50),
        percentile_ms(&trips, 99)
    );
}
