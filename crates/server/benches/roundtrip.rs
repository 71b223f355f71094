//! Full approval round trips against the real server binary, printing figures:
//! RP create → signed event on the device's stream → decision signed with device
//! and PIN keys → RP result. `cargo bench -p godkend-server --bench roundtrip`
//! (optimised build). Options by environment: GODKEND_BENCH_USERS (default 50),
//! GODKEND_BENCH_ROUNDS per user (default 20), GODKEND_BENCH_DATABASE_URL (default:
//! SQLite in a temp dir). Only loopback is ever contacted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
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

fn admin(dir: &std::path::Path, db: &str, url: &str, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(["--database-url", db, "--public-url", url, "--json"])
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round();
    sorted[usize::try_from(rank as u64)
        .unwrap_or(0)
        .min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let users = env_or("GODKEND_BENCH_USERS", 50);
    let rounds = env_or("GODKEND_BENCH_ROUNDS", 20);
    let dir = tempfile::tempdir().unwrap();
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
    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--database-url",
            &db,
            "--public-url",
            &url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--push-backoff-seconds", "0"])
        .env(
            "RUST_LOG",
            std::env::var("GODKEND_BENCH_SERVER_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stderr(if std::env::var("GODKEND_BENCH_SERVER_LOG").is_ok() {
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
    let key = admin(
        dir.path(),
        &db,
        &url,
        &["rp", "add", "bench", "--name", "Bench"],
    )["api_key"]
        .as_str()
        .unwrap()
        .to_owned();

    println!("setting up {users} users with one device each ...");
    let mut devices = Vec::new();
    for i in 0..users {
        let user = format!("user{i}");
        admin(dir.path(), &db, &url, &["user", "add", &user]);
        let link = admin(dir.path(), &db, &url, &["activation", "create", &user])["link"]
            .as_str()
            .unwrap()
            .to_owned();
        let input = ActivationInput::from_link(&link, "bench").unwrap();
        let pepper: [u8; 32] = rand::random();
        let pin = derive_pin_key(PIN, b"bench-salt-bench", KdfParams::MINIMUM, &pepper).unwrap();
        let activated = activate(&input, &pin).await.unwrap();
        let server_client =
            ServerClient::new(input.server_url.clone(), activated.server_key.clone()).unwrap();
        let client = DeviceClient::new(
            server_client,
            activated.activation.device_id.clone(),
            user,
            activated.device_key,
        );
        devices.push((Arc::new(client), Arc::new(pin)));
    }

    println!("running {rounds} round trips per user, {users} users in parallel ...");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (client, pin) in devices {
        let (http, url, key) = (http.clone(), url.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut push_latencies = Vec::new();
            let mut round_trips = Vec::new();
            let mut events = Box::pin(client.events(None).await.unwrap());
            // Wait for the first heartbeat: the stream is live.
            while let Some(Ok(r)) = events.next().await {
                if matches!(r.event, PushEvent::Heartbeat(_)) {
                    break;
                }
            }
            for round in 0..rounds {
                if std::env::var("GODKEND_BENCH_TRACE").is_ok() { eprintln!("{} round {round} create", client.user); }
                let t0 = Instant::now();
                let response = http
                    .post(format!("{url}/v1/rp/requests"))
                    .bearer_auth(&key)
                    .json(&json!({"user": client.user, "kind": "login", "title": "Bench", "message": "m"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201, "create failed: {}", response.text().await.unwrap());
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
                push_latencies.push(t0.elapsed());
                if std::env::var("GODKEND_BENCH_TRACE").is_ok() { eprintln!("{} round {round} event", client.user); }
                let signed = client.approve(&request, created["code"].as_str().unwrap(), &pin).unwrap();
                client.send_decision(&signed.request_id, &signed.bytes).await.unwrap();
                if std::env::var("GODKEND_BENCH_TRACE").is_ok() { eprintln!("{} round {round} decided", client.user); }
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
                round_trips.push(t0.elapsed());
            }
            (push_latencies, round_trips)
        }));
    }
    let mut push = Vec::new();
    let mut trips = Vec::new();
    for task in tasks {
        let (p, t) = task.await.unwrap();
        push.extend(p);
        trips.extend(t);
    }
    let elapsed = started.elapsed();
    let _ = server.kill();
    let _ = server.wait();
    push.sort();
    trips.sort();
    let backend = if db.starts_with("postgres") {
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
        percentile(&push, 0.5).as_secs_f64() * 1e3,
        percentile(&push, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "full round trip: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&trips, 0.5).as_secs_f64() * 1e3,
        percentile(&trips, 0.99).as_secs_f64() * 1e3
    );
}
