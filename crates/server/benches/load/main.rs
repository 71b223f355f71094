//! Server load benchmark (issue 13): the real server binary on loopback, driven by
//! simulated users on the real core client. Every loop is bounded in count and time.
//!
//! - throughput: full approval round trips per second (RP create → signed event on
//!   the device's stream → decision signed with device and PIN keys → the RP's long
//!   poll returns the signed result, verified) with 1, 8, 64 and 512 users in a
//!   closed loop, and the server's and this load generator's CPU per round trip;
//! - latency at a fixed offered load (open loop): create → event, decision accepted →
//!   RP's wait answered, create → RP result;
//! - memory and idle CPU with many idle device streams.
//!
//! Backends: SQLite (default durability, then `--sqlite-synchronous full` on the same
//! database) and PostgreSQL when GODKEND_BENCH_DATABASE_URL is set. Besides the human
//! lines it prints `BENCH key=value` lines that scripts/bench.sh turns into its table.
//!
//! `cargo bench -p godkend-server --bench load`. Environment (defaults in brackets):
//! GODKEND_BENCH_USERS [1,8,64,512], GODKEND_BENCH_SECONDS per level [6],
//! GODKEND_BENCH_RATES [50,200,500] requests/s, GODKEND_BENCH_RATE_SECONDS [15],
//! GODKEND_BENCH_IDLE_STREAMS [0,1000,10000], GODKEND_BENCH_IDLE_SECONDS [60],
//! GODKEND_BENCH_PHASES [throughput,latency,idle], GODKEND_BENCH_SMOKE=1 (a few
//! seconds per phase with small counts; scripts/bench.sh --smoke runs it unoptimised
//! under `cargo test --bench load`), GODKEND_BENCH_SERVER_LOG (a RUST_LOG filter for the server),
//! GODKEND_BENCH_SQLITE [normal,full] (the SQLite sync levels to run; empty: none),
//! GODKEND_BENCH_SERVER_BIN (another server binary, to measure two builds alike).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod idle;
mod machine;
mod server;
mod stats;
mod usage;
mod users;

use std::sync::Arc;
use std::time::{Duration, Instant};

use server::{Server, ServerConfig};
use stats::{Percentiles, report};
use users::{Rp, Timing, User};

/// Most round trips one closed-loop level runs, whatever its time.
const MAX_ROUNDS_PER_LEVEL: usize = 200_000;

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What to run, from the environment.
struct Plan {
    users: Vec<usize>,
    level_time: Duration,
    rates: Vec<usize>,
    rate_time: Duration,
    idle_streams: Vec<usize>,
    idle_time: Duration,
    phases: String,
}

impl Plan {
    fn from_env() -> Self {
        let smoke = std::env::var("GODKEND_BENCH_SMOKE").is_ok_and(|v| v == "1");
        // A rate level runs longer than a closed-loop one: its p99 at 200/s is then
        // the 30th worst of 3,000 creates, not the 12th of 1,200, which moved by
        // more than half between runs.
        let (users, secs, rates, rate_secs, idle, idle_secs) = if smoke {
            // scripts/bench.sh --smoke's plan (it exports the same values).
            ("1,8", 2, "20", 2, "0,100", 3)
        } else {
            ("1,8,64,512", 6, "50,200,500", 15, "0,1000,10000", 60)
        };
        Plan {
            users: env_list("GODKEND_BENCH_USERS", users),
            level_time: Duration::from_secs(env_num("GODKEND_BENCH_SECONDS", secs)),
            rates: env_list("GODKEND_BENCH_RATES", rates),
            rate_time: Duration::from_secs(env_num("GODKEND_BENCH_RATE_SECONDS", rate_secs)),
            idle_streams: env_list("GODKEND_BENCH_IDLE_STREAMS", idle),
            idle_time: Duration::from_secs(env_num("GODKEND_BENCH_IDLE_SECONDS", idle_secs)),
            phases: std::env::var("GODKEND_BENCH_PHASES")
                .unwrap_or_else(|_| "throughput,latency,idle".into()),
        }
    }

    fn runs(&self, phase: &str) -> bool {
        self.phases.split(',').any(|p| p.trim() == phase)
    }

    /// Users the load phases need: enough for the largest level, and for the open
    /// loop's highest rate to find a free user.
    fn load_users(&self) -> usize {
        let most = self.users.iter().copied().max().unwrap_or(1);
        if self.runs("latency") {
            most.max(self.rates.iter().copied().max().unwrap_or(0))
        } else {
            most
        }
    }
}

/// A unique tag per run, so user and RP ids never collide in a reused PostgreSQL.
pub fn run_tag() -> String {
    format!("{:08x}", rand::random::<u32>())
}

pub async fn make_users(server: &Server, count: usize, tag: &str) -> Vec<Arc<User>> {
    println!("  activating {count} devices ...");
    let shared = godkend_core::client::ServerClient::new(
        server.url.parse().unwrap(),
        server.public_key.clone(),
    )
    .unwrap();
    let pin = users::shared_pin();
    let started = Instant::now();
    let mut users = Vec::with_capacity(count);
    // A few at a time: activation is a handful of calls per device.
    for chunk in (0..count).collect::<Vec<_>>().chunks(16) {
        let made = futures::future::join_all(
            chunk
                .iter()
                .map(|i| User::activate(server, format!("u{tag}-{i}"), &shared, &pin)),
        )
        .await;
        users.extend(made.into_iter().map(Arc::new));
    }
    println!("  ... in {:.1} s", started.elapsed().as_secs_f64());
    users
}

pub async fn connect_all(users: &[Arc<User>]) {
    for chunk in users.chunks(64) {
        futures::future::join_all(chunk.iter().map(|u| u.connect())).await;
    }
}

/// Closed loop: `users` each run round trips back to back for `time`.
async fn throughput(server: &Server, rp: &Rp, users: &[Arc<User>], time: Duration, label: &str) {
    // One short warm-up round per user (connections, caches).
    for chunk in users.chunks(64) {
        futures::future::join_all(chunk.iter().map(|u| u.round_trip(rp, Instant::now()))).await;
    }
    let server_before = server.usage();
    let own_before = usage::own_usage();
    let machine_before = machine::machine_ticks();
    let started = Instant::now();
    let deadline = started + time;
    let per_user = MAX_ROUNDS_PER_LEVEL / users.len();
    let tasks: Vec<_> = users
        .iter()
        .map(|user| {
            let (user, rp) = (user.clone(), rp.clone());
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < deadline && times.len() < per_user {
                    times.push(user.round_trip(&rp, Instant::now()).await);
                }
                times
            })
        })
        .collect();
    let mut timings: Vec<Timing> = Vec::new();
    for task in tasks {
        timings.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let server_after = server.usage();
    let server_cpu = server_after.cpu_seconds - server_before.cpu_seconds;
    let server_system = server_after.system_seconds - server_before.system_seconds;
    let server_switches = (server_after.switches - server_before.switches) as f64;
    let own_cpu = usage::own_usage().cpu_seconds - own_before.cpu_seconds;
    let steal = machine::machine_ticks().steal_pct_since(machine_before);
    let trips = timings.len() as f64;
    let n = users.len();
    let full = Percentiles::of(timings.iter().map(|t| t.create_to_result));
    println!(
        "  {n:>4} users: {:>6.0} round trips/s ({trips} in {elapsed:.1} s); server CPU \
         {:.3} ms/trip ({:.0} % system, {:.0} context switches), load generator {:.3} \
         ms/trip; round trip p50 {:.1} ms p99 {:.1} ms; steal {steal:.1} %",
        trips / elapsed,
        server_cpu * 1e3 / trips,
        100.0 * server_system / server_cpu,
        server_switches / trips,
        own_cpu * 1e3 / trips,
        full.p50,
        full.p99
    );
    report(
        &format!("{label}.users{n}.server_switches"),
        server_switches / trips,
    );
    report(&format!("{label}.users{n}.trips_per_s"), trips / elapsed);
    report(&format!("{label}.users{n}.steal_pct"), steal);
    report(
        &format!("{label}.users{n}.server_cpu_ms"),
        server_cpu * 1e3 / trips,
    );
    report(
        &format!("{label}.users{n}.loadgen_cpu_ms"),
        own_cpu * 1e3 / trips,
    );
}

/// Open loop: `rate` requests per second for `time`, each on a free user, timed from
/// when it was due.
async fn latency(
    server: &Server,
    rp: &Rp,
    users: &[Arc<User>],
    rate: usize,
    time: Duration,
    label: &str,
) {
    let total = (rate as f64 * time.as_secs_f64()) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let free = Arc::new(tokio::sync::Mutex::new(
        users
            .iter()
            .cloned()
            .collect::<std::collections::VecDeque<_>>(),
    ));
    let server_before = server.usage();
    let machine_before = machine::machine_ticks();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let due = started + interval * u32::try_from(i).unwrap();
        tokio::time::sleep_until(due.into()).await;
        let (free, rp) = (free.clone(), rp.clone());
        tasks.push(tokio::spawn(async move {
            // A user is busy while a request of theirs is open (a new one would
            // supersede it); waiting for one counts as latency.
            let user = loop {
                if let Some(user) = free.lock().await.pop_front() {
                    break user;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            };
            let timing = user.round_trip(&rp, due).await;
            free.lock().await.push_back(user);
            timing
        }));
    }
    let mut timings = Vec::with_capacity(total);
    for task in tasks {
        timings.push(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let server_cpu = server.usage().cpu_seconds - server_before.cpu_seconds;
    let steal = machine::machine_ticks().steal_pct_since(machine_before);
    let event = Percentiles::of(timings.iter().map(|t| t.create_to_event));
    let answer = Percentiles::of(timings.iter().map(|t| t.accepted_to_answer));
    let result = Percentiles::of(timings.iter().map(|t| t.create_to_result));
    let lag = Percentiles::of(timings.iter().map(|t| t.due_to_sent));
    let created = Percentiles::of(timings.iter().map(|t| t.due_to_created));
    println!(
        "  {rate:>4}/s offered ({total} requests in {elapsed:.1} s, server CPU {:.0} % of a core): \
         create -> event p50 {:.1} p99 {:.1} max {:.1} ms; decision accepted -> wait answered \
         p50 {:.2} p99 {:.2} ms; create -> result p50 {:.1} p99 {:.1} ms",
        server_cpu * 100.0 / elapsed,
        event.p50,
        event.p99,
        event.max,
        answer.p50,
        answer.p99,
        result.p50,
        result.p99
    );
    // Where create -> event's time goes: the load generator sending late, or the
    // server answering the create late (both timed from when the request was due);
    // and how much of the machine other guests took meanwhile.
    println!(
        "         due -> create sent p50 {:.1} p99 {:.1} ms; due -> create answered p50 {:.1} \
         p99 {:.1} ms; steal {steal:.1} % of the machine",
        lag.p50, lag.p99, created.p50, created.p99
    );
    let key = format!("{label}.rate{rate}");
    report(&format!("{key}.event_p50_ms"), event.p50);
    report(&format!("{key}.event_p99_ms"), event.p99);
    report(&format!("{key}.event_max_ms"), event.max);
    report(&format!("{key}.answer_p50_ms"), answer.p50);
    report(&format!("{key}.answer_p99_ms"), answer.p99);
    report(&format!("{key}.result_p50_ms"), result.p50);
    report(&format!("{key}.result_p99_ms"), result.p99);
    report(&format!("{key}.created_p99_ms"), created.p99);
    report(&format!("{key}.steal_pct"), steal);
}

/// Throughput and latency on one backend; `users` are already activated there.
async fn load_phases(plan: &Plan, server: &Server, rp: &Rp, users: &[Arc<User>], label: &str) {
    connect_all(users).await;
    if plan.runs("throughput") {
        println!(
            "[{label}] closed loop, {:.0} s per level:",
            plan.level_time.as_secs_f64()
        );
        for &n in &plan.users {
            throughput(
                server,
                rp,
                &users[..n.min(users.len())],
                plan.level_time,
                label,
            )
            .await;
        }
    }
    if plan.runs("latency") {
        println!(
            "[{label}] open loop, {:.0} s per rate:",
            plan.rate_time.as_secs_f64()
        );
        for &rate in &plan.rates {
            latency(server, rp, users, rate, plan.rate_time, label).await;
        }
    }
    for user in users {
        user.disconnect();
    }
}

/// SQLite in a fresh data dir at `synchronous` (`normal` or `full`).
async fn sqlite(plan: &Plan, synchronous: &'static str, label: &str) {
    let dir = server::data_dir();
    let config = ServerConfig {
        database_url: server::sqlite_url(dir.path()),
        sqlite_synchronous: synchronous,
        label: label.into(),
    };
    let server = Server::start(dir.path(), &config, 0).await;
    let tag = run_tag();
    let rp = Rp::new(&server, server.add_rp(&tag).await);
    let users = make_users(&server, plan.load_users(), &tag).await;
    load_phases(plan, &server, &rp, &users, &config.label).await;
    server.stop();
}

async fn postgres(plan: &Plan, url: String) {
    let dir = server::data_dir();
    let config = ServerConfig {
        database_url: url,
        sqlite_synchronous: "normal",
        label: "postgres".into(),
    };
    let server = Server::start(dir.path(), &config, 0).await;
    let tag = run_tag();
    let rp = Rp::new(&server, server.add_rp(&tag).await);
    let users = make_users(&server, plan.load_users(), &tag).await;
    load_phases(plan, &server, &rp, &users, &config.label).await;
    server.stop();
}

#[tokio::main]
async fn main() {
    let plan = Plan::from_env();
    // The clients' TLS provider (reqwest is built without one; only loopback HTTP is used).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let limit = godkend_server::net::fd_limit::raise_open_file_limit();
    println!(
        "load generator: open-file limit {}",
        limit.map_or_else(|| "unknown".into(), |l| l.to_string())
    );
    if plan.runs("throughput") || plan.runs("latency") {
        let levels = std::env::var("GODKEND_BENCH_SQLITE").unwrap_or_else(|_| "normal,full".into());
        for level in levels.split(',').map(str::trim) {
            match level {
                "normal" => sqlite(&plan, "normal", "sqlite").await,
                "full" => sqlite(&plan, "full", "sqlite_full").await,
                _ => {}
            }
        }
        match std::env::var("GODKEND_BENCH_DATABASE_URL") {
            Ok(url) if !url.is_empty() => postgres(&plan, url).await,
            _ => println!("[postgres] skipped: GODKEND_BENCH_DATABASE_URL is not set"),
        }
    }
    if plan.runs("idle") {
        idle::run(&plan.idle_streams, plan.idle_time).await;
    }
}
