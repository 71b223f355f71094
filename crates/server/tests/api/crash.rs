//! One node on SQLite, SIGKILLed under load and started again on the same data dir:
//! nothing it acknowledged is lost and nothing is applied twice.

use std::time::{Duration, Instant};

use crate::common::load::{LoadRun, check_invariants, figures};
use crate::common::{Db, TestServer, assert_sqlite_whole, connect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_node_killed_under_load_loses_and_repeats_nothing() {
    let started = Instant::now();
    // Denials must not slow the relying parties down: no push backoff.
    let mut server = TestServer::start_with(Db::Sqlite, &["--push-backoff-seconds", "0"]).await;
    let run = LoadRun::start(&server).await;

    // Twice: load runs, then the process dies mid-write and starts on the same files.
    let mut kills = Vec::new();
    for _ in 0..2 {
        assert!(
            run.approvals(6, 10).await,
            "approvals go on before the kill"
        );
        kills.push(run.created());
        server.kill();
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.restart().await;
    }
    // The devices and relying parties come back by themselves.
    assert!(
        run.approvals(10, 20).await,
        "approvals go on after the restarts"
    );
    let (counters, made) = run.finish().await;

    let tally = check_invariants(
        &server.database_url,
        &server.url,
        &server.http,
        &server.server_key().await,
        &made,
        &counters,
    )
    .await;
    // The database is whole after two crashes.
    assert_sqlite_whole(&mut connect(&server.database_url).await).await;
    eprintln!(
        "SQLite kill run ({:.1} s): killed after {kills:?} requests; {}",
        started.elapsed().as_secs_f64(),
        figures(&counters, &tally),
    );
}
