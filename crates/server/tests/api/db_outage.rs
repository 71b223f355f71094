//! PostgreSQL stopped under load and started again, on a private cluster: while it
//! is down `/readyz` says not ready and calls answer 503 `unavailable` with
//! `Retry-After`; nothing is half-written; service resumes without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use godkend_protocol::{ErrorCode, Problem};
use serde_json::json;

use crate::common::load::{
    Codes, Counters, check_invariants, refuse_pending, run_burst, run_device, run_rp,
};
use crate::common::pg_cluster::PgCluster;
use crate::common::{Rp, TestServer};

/// `/readyz`'s status code, or 0 without an answer.
async fn readyz(server: &TestServer) -> u16 {
    match server
        .http
        .get(format!("{}/readyz", server.url))
        .timeout(Duration::from_secs(10))
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// A relying party's create while the database is down: a 503 problem with
/// `Retry-After` and the `unavailable` code.
async fn create_while_down(rp: &Rp) -> Duration {
    let asked = Instant::now();
    let r = rp
        .http
        .post(format!("{}/v1/rp/requests", rp.url))
        .bearer_auth(&rp.key)
        .json(&json!({"user": "carol", "kind": "login", "title": "Sign in", "message": "m"}))
        .send()
        .await
        .unwrap();
    let took = asked.elapsed();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    let problem: Problem = r.json().await.unwrap();
    assert_eq!(problem.code, ErrorCode::Unavailable);
    assert_eq!(problem.retry_after, Some(retry_after));
    assert!(
        !problem.is_final(),
        "the caller keeps the request and retries"
    );
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_under_load() {
    let started = Instant::now();
    let cluster = match PgCluster::start() {
        Ok(cluster) => cluster,
        Err(why) => {
            eprintln!(
                "\n==================================================================\n\
                 NOT TESTED: PostgreSQL stopped and started under load ({why}).\n\
                 ==================================================================\n"
            );
            return;
        }
    };
    let mut server =
        TestServer::start_on_database(cluster.url(), &["--push-backoff-seconds", "0"]).await;
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
    let probe = server.add_rp("probe", "Probe");
    let burst = tokio::spawn(run_burst(
        server.add_rp("load", "Load"),
        "carol",
        counters.clone(),
        stop.clone(),
    ));
    for _ in 0..200 {
        if counters.approved.load(Ordering::Relaxed) >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(counters.approved.load(Ordering::Relaxed) >= 6, "load runs");

    // The database goes away mid-write.
    let before_stop = counters.created.load(Ordering::Relaxed);
    cluster.stop();
    let stopped = Instant::now();
    let mut not_ready = None;
    for _ in 0..50 {
        if readyz(&server).await == 503 {
            not_ready = Some(stopped.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let not_ready = not_ready.expect("/readyz says not ready while PostgreSQL is down");
    // A relying party and a device both hear 503 `unavailable`.
    let (create_took, device_answer) =
        tokio::join!(create_while_down(&probe), carol.client.pending());
    let err = device_answer.expect_err("a device call while the database is down");
    assert_eq!(err.code(), Some(ErrorCode::Unavailable), "{err}");
    assert!(!err.is_final());
    let failures_while_down = counters.create_failures.load(Ordering::Relaxed);
    let down_for = stopped.elapsed();

    // It comes back; the same process serves again.
    cluster.start_again();
    let back = Instant::now();
    let mut resumed = None;
    for _ in 0..300 {
        if readyz(&server).await == 200 {
            resumed = Some(back.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resumed = resumed.expect("/readyz is ready again without a restart");
    let target = counters.approved.load(Ordering::Relaxed) + 10;
    for _ in 0..400 {
        if counters.approved.load(Ordering::Relaxed) >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        counters.approved.load(Ordering::Relaxed) >= target,
        "approvals go on after PostgreSQL is back"
    );
    assert!(server.running(), "the server was never restarted");

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
    eprintln!(
        "PostgreSQL outage run ({:.1} s): stopped after {before_stop} requests for {:.1} s; \
         /readyz not ready {:.1} s after the stop, a create answered 503 in {:.1} s, \
         {failures_while_down} create calls failed by then; ready {:.1} s after the start; \
         {} confirmed to relying parties, {} in the database, states {:?}, {} approvals \
         and {} refusals sent, {} decision resends, {} stream reconnects, {} audited decisions",
        started.elapsed().as_secs_f64(),
        down_for.as_secs_f64(),
        not_ready.as_secs_f64(),
        create_took.as_secs_f64(),
        resumed.as_secs_f64(),
        counters.created.load(Ordering::Relaxed),
        tally.total,
        tally.states,
        counters.approved.load(Ordering::Relaxed),
        counters.refused.load(Ordering::Relaxed),
        counters.resends.load(Ordering::Relaxed),
        counters.reconnects.load(Ordering::Relaxed),
        tally.audited_decisions,
    );
}
