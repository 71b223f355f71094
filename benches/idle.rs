//! What the app costs while it waits, and how fast a request reaches it: the
//! release-built app in the same headless desktop as the end-to-end test (Xvfb,
//! dunst, an SNI tray host, gnome-keyring, the real server). Prints figures; asserts
//! nothing about them.
//!
//! Run `scripts/bench-app.sh`: it starts those services, builds the release server
//! and runs `cargo bench -p godkend --bench idle`.

#![allow(
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "a benchmark harness: a failure panics with what was expected"
)]

// The end-to-end test's harness; the benchmark uses only part of it.
#[allow(dead_code, reason = "shared with the end-to-end test")]
#[path = "../tests/desktop/desktop.rs"]
mod desktop;
#[allow(dead_code, reason = "shared with the end-to-end test")]
#[path = "../tests/desktop/server.rs"]
mod server;

use std::time::{Duration, Instant, SystemTime};

use desktop::{App, TrayMenu, keys, type_text, window};
use server::Server;

const USER: &str = "alice";
const PIN: &str = "403917";
/// How long each idle sample lasts.
const IDLE: Duration = Duration::from_secs(20);
/// Requests timed for the push latency.
const ROUNDS: usize = 10;

/// Resident memory in kB, from /proc.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// User plus system CPU time in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // The fields after the command name (which may hold spaces).
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).expect("stat fields");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| fields[i].parse::<u64>().expect("a number");
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
    field(11) + field(12)
}

/// Memory and CPU over an idle period.
fn idle(what: &str, pid: u32) {
    std::thread::sleep(Duration::from_secs(3));
    let (start_cpu, start) = (cpu_ticks(pid), Instant::now());
    std::thread::sleep(IDLE);
    let ticks = cpu_ticks(pid) - start_cpu;
    let cpu = ticks as f64 / 100.0 / start.elapsed().as_secs_f64() * 100.0;
    println!(
        "idle, {what}: RSS {:.1} MB, CPU {cpu:.2} % over {} s",
        rss_kb(pid) as f64 / 1024.0,
        IDLE.as_secs()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    desktop::check_session();
    let server = Server::start().await;
    server.admin(&["user", "add", USER]);
    let shop = server.add_rp("bench-shop", "Bench Shop");
    let link = server.activation_link(USER);
    let home = tempfile::tempdir().expect("a home dir");

    let mut app = App::start(home.path(), &[]);
    app.wait_log(&["window opened"], 30);
    let win = window();
    type_text(&win, &link);
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    keys(&win, &["Return"]);
    app.wait_log(&["activated"], 60);
    // Continue, then past the first-run guide.
    keys(&win, &["Return", "Escape"]);
    app.wait_log(&["connection", "Connected"], 30);
    idle("window open (home)", app.pid());
    TrayMenu::find().click("Quit");
    app.wait_exit(20);

    let mut app = App::start(home.path(), &["--tray"]);
    app.wait_log(&["connection", "Connected"], 30);
    idle("in the tray, no window", app.pid());

    // Push latency: from just before the RP's create call to the time stamp of the
    // app's log line for the verified request (server, SSE, signature check, inbox
    // and the notification's thread included). Same machine, same clock.
    let mut latencies = Vec::new();
    for round in 0..ROUNDS {
        let sent = SystemTime::now();
        let request = server
            .sign_in(&shop, USER, &format!("Bench round {round}"))
            .await;
        let logged = app.wait_log(&["notification shown", &request.request_id], 10);
        let stamp = logged.split_whitespace().next().expect("a time stamp");
        let shown = humantime::parse_rfc3339(stamp).expect("an RFC 3339 time stamp");
        latencies.push(shown.duration_since(sent).unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "push latency (RP create -> notification shown), {ROUNDS} requests: median {:.1} ms, \
         max {:.1} ms",
        ms(latencies[ROUNDS / 2]),
        ms(latencies[ROUNDS - 1])
    );
    TrayMenu::find().click("Quit");
    app.wait_exit(20);
}
