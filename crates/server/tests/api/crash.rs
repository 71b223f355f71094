//! One node on SQLite, SIGKILLed under load and started again on the same data dir:
//! nothing it acknowledged is lost and nothing is applied twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::load::{
    Codes, Counters, check_invariants, refuse_pending, run_burst, run_device, run_rp,
};
use crate::common::{Db, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_node_killed_under_load_loses_and_repeats_nothing() {
    let started = Instant::now();
    // Denials must not slow the relying parties down: no push backoff.
    let mut server = TestServer::start_with(Db::Sqlite, &["--push-backoff-seconds", "0"]).await;
    let counters = Arc::new(Counters::default());
    let codes: Codes = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut devices = Vec::new();
    let mut rps = Vec::new();
    for (user, rp_id) in [("alice", "shop"), ("bob", "bank")] {
        server.add_user(user);
        let device = server.device(user).await;
        devices.push(tokio::spawn(run_device(
            device,
            codes.clone(),
            counters.clone(),
        )));
        let rp = server.add_rp(rp_id, rp_id);
        rps.push(tokio::spawn(run_rp(
            rp,
            user,
            codes.clone(),
            counters.clone(),
            stop.clone(),
        )));
    }
    server.add_user("carol");
    let carol = server.device("carol").await;
    let burst = tokio::spawn(run_burst(
        server.add_rp("load", "Load"),
        "carol",
        counters.clone(),
        stop.clone(),
    ));

    // Twice: load runs, then the process dies mid-write and starts on the same files.
    let mut kills = Vec::new();
    for _ in 0..2 {
        let target = counters.approved.load(Ordering::Relaxed) + 6;
        for _ in 0..200 {
            if counters.approved.load(Ordering::Relaxed) >= target {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            counters.approved.load(Ordering::Relaxed) >= target,
            "approvals go on before the kill"
        );
        kills.push(counters.created.load(Ordering::Relaxed));
        server.kill();
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.restart().await;
    }
    // The devices and relying parties come back by themselves.
    let target = counters.approved.load(Ordering::Relaxed) + 10;
    for _ in 0..400 {
        if counters.approved.load(Ordering::Relaxed) >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        counters.approved.load(Ordering::Relaxed) >= target,
        "approvals go on after the restarts"
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
    refuse_pending(&carol, &counters).await;

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
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&server.database_url)
        .await
        .unwrap();
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    eprintln!(
        "SQLite kill run ({:.1} s): killed after {kills:?} requests; {} confirmed to \
         relying parties, {} in the database ({} create calls failed), states {:?}, \
         {} approvals and {} refusals sent, {} decision resends, {} stream reconnects, \
         {} audited decisions",
        started.elapsed().as_secs_f64(),
        counters.created.load(Ordering::Relaxed),
        tally.total,
        counters.create_failures.load(Ordering::Relaxed),
        tally.states,
        counters.approved.load(Ordering::Relaxed),
        counters.refused.load(Ordering::Relaxed),
        counters.resends.load(Ordering::Relaxed),
        counters.reconnects.load(Ordering::Relaxed),
        tally.audited_decisions,
    );
}
