//! Memory and CPU of a server holding idle device streams, next to what their signed
//! heartbeats alone cost (one ed25519 signature per stream every 15 s).

use std::time::{Duration, Instant};

use godkend_protocol::Envelope;
use godkend_protocol::messages::Heartbeat;
use godkend_protocol::messages::event::HEARTBEAT_SECONDS;

use crate::server::{self, Server, ServerConfig};
use crate::stats::{Percentiles, report};

/// How long streams settle after connecting before memory is read.
const SETTLE: Duration = Duration::from_secs(5);

/// One heartbeat seal, what the server does per heartbeat: sign, then serialise.
fn heartbeat_sealer() -> impl Fn() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let beat = Heartbeat {
        iat: 1_767_225_600,
        device_id: "dev-5c1f0e7a5c1f0e7a5c1f0e7a".into(),
    };
    move || {
        std::hint::black_box(Envelope::seal(&beat, &[&key]).unwrap().to_json().unwrap());
    }
}

/// What one heartbeat seal took in each of
/// nine batches. The idle figure is compared with the median of the batches timed
/// just before and just after its minute: one short batch moved by a quarter with
/// the machine's noise, and batches timed once before the minute moved by half
/// between runs while the idle CPU barely moved.
fn heartbeat_seal_batches() -> Vec<Duration> {
    let seal = heartbeat_sealer();
    let rounds = 500;
    for _ in 0..200 {
        seal();
    }
    (0..9)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..rounds {
                seal();
            }
            started.elapsed() / rounds
        })
        .collect()
}

/// Width of the slots the server sends heartbeats in (`api/events.rs`).
const SLOT: Duration = Duration::from_millis(100);

/// What `count` streams' heartbeat seals alone cost at their own pace, in % of a
/// core: the seals due in each 100 ms slot (`count` every 15 s) made at the slot's
/// start, then a sleep to the next, for `period`; timed by this thread's CPU time.
/// This is the server's pattern without the rest of its work, so the seals meet the
/// same cooled caches and clock it does; the hot loop above is their best case.
fn paced_seal_pct(count: usize, period: Duration) -> f64 {
    let seal = heartbeat_sealer();
    let per_slot = count as f64 * SLOT.as_secs_f64() / HEARTBEAT_SECONDS as f64;
    let slots = (period.as_secs_f64() / SLOT.as_secs_f64()).round().max(1.0) as u32;
    let cpu_before = thread_cpu();
    let started = Instant::now();
    let mut owed = 0.0;
    for slot in 1..=slots {
        owed += per_slot;
        while owed >= 1.0 {
            seal();
            owed -= 1.0;
        }
        std::thread::sleep((started + SLOT * slot).saturating_duration_since(Instant::now()));
    }
    let cpu = thread_cpu().saturating_sub(cpu_before);
    cpu.as_secs_f64() / started.elapsed().as_secs_f64() * 100.0
}

/// This thread's CPU time, to the nanosecond (the first field of its schedstat).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns = stat.split_whitespace().next().and_then(|f| f.parse().ok());
    Duration::from_nanos(ns.expect("schedstat's first field: CPU time in ns"))
}

/// [`paced_seal_pct`] on a thread of its own, off the runtime that reads the streams.
async fn paced_seal_pct_off_runtime(count: usize, period: Duration) -> f64 {
    tokio::task::spawn_blocking(move || paced_seal_pct(count, period))
        .await
        .expect("the paced seals")
}

pub async fn run(counts: &[usize], idle_time: Duration) {
    let most = counts.iter().copied().max().unwrap_or(0);
    let dir = server::data_dir();
    let config = ServerConfig {
        database_url: server::sqlite_url(dir.path()),
        sqlite_synchronous: "normal",
        label: "idle".into(),
    };
    println!("[idle streams] SQLite; {most} devices:");
    let server = Server::start(dir.path(), &config, 0).await;
    let port = server.port;
    let users = crate::make_users(&server, most, &crate::run_tag()).await;
    server.stop();
    for &count in counts {
        // A fresh process per count, so the figures do not carry earlier peaks.
        let server = Server::start(dir.path(), &config, port).await;
        let started = Instant::now();
        crate::connect_all(&users[..count]).await;
        let connect = started.elapsed().as_secs_f64();
        tokio::time::sleep(SETTLE).await;
        let rss_mb = server.usage().rss_bytes as f64 / 1e6;
        print!("  {count:>6} streams: server RSS {rss_mb:.1} MB (connected in {connect:.1} s)");
        let mut figures = vec![(format!("idle.streams{count}.rss_mb"), rss_mb)];
        if count == most {
            // The paced seals' own period: one heartbeat round, or the whole idle
            // time when that is shorter (the smoke run).
            let pace_period = idle_time.min(Duration::from_secs(HEARTBEAT_SECONDS));
            let mut seal_batches = heartbeat_seal_batches();
            let paced_before = paced_seal_pct_off_runtime(count, pace_period).await;
            let before = server.usage().cpu_seconds;
            let machine_before = crate::machine::machine_ticks();
            tokio::time::sleep(idle_time).await;
            let cpu = (server.usage().cpu_seconds - before) / idle_time.as_secs_f64() * 100.0;
            let stolen = crate::machine::machine_ticks().steal_pct_since(machine_before);
            let paced_after = paced_seal_pct_off_runtime(count, pace_period).await;
            let paced = f64::midpoint(paced_before, paced_after);
            seal_batches.extend(heartbeat_seal_batches());
            let seal = Percentiles::of(seal_batches.into_iter()).p50 / 1e3;
            let hot = count as f64 / HEARTBEAT_SECONDS as f64 * seal * 100.0;
            print!(
                "; idle CPU over {:.0} s {cpu:.2} % of a core, heartbeat signatures alone \
                 {paced:.2} % at their pace ({hot:.2} % in a hot loop); steal {stolen:.1} % \
                 of the machine",
                idle_time.as_secs_f64()
            );
            figures.push((format!("idle.streams{count}.cpu_pct"), cpu));
            figures.push((format!("idle.streams{count}.heartbeat_pct"), paced));
            figures.push((format!("idle.streams{count}.heartbeat_hot_pct"), hot));
            figures.push((format!("idle.streams{count}.steal_pct"), stolen));
        }
        // The figures' lines after the human one, each on its own line.
        println!();
        for (key, value) in figures {
            report(&key, value);
        }
        for user in &users[..count] {
            user.disconnect();
        }
        server.stop();
    }
}
