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

/// What one heartbeat seal (what the server does per heartbeat) took in each of
/// nine batches. The idle figure is compared with the median of the batches timed
/// just before and just after its minute: one short batch moved by a quarter with
/// the machine's noise, and batches timed once before the minute moved by half
/// between runs while the idle CPU barely moved.
fn heartbeat_seal_batches() -> Vec<Duration> {
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let beat = Heartbeat {
        iat: 1_767_225_600,
        device_id: "dev-5c1f0e7a5c1f0e7a5c1f0e7a".into(),
    };
    let seal = || std::hint::black_box(Envelope::seal(&beat, &[&key]).unwrap().to_json().unwrap());
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
            let mut seal_batches = heartbeat_seal_batches();
            let before = server.usage().cpu_seconds;
            let machine_before = crate::machine::machine_ticks();
            tokio::time::sleep(idle_time).await;
            let cpu = (server.usage().cpu_seconds - before) / idle_time.as_secs_f64() * 100.0;
            let stolen = crate::machine::machine_ticks().steal_pct_since(machine_before);
            seal_batches.extend(heartbeat_seal_batches());
            let seal = Percentiles::of(seal_batches.into_iter()).p50 / 1e3;
            let beats = count as f64 / HEARTBEAT_SECONDS as f64 * seal * 100.0;
            print!(
                "; idle CPU over {:.0} s {cpu:.2} % of a core, heartbeat signatures alone \
                 {beats:.2} %; steal {stolen:.1} % of the machine",
                idle_time.as_secs_f64()
            );
            figures.push((format!("idle.streams{count}.cpu_pct"), cpu));
            figures.push((format!("idle.streams{count}.heartbeat_pct"), beats));
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
