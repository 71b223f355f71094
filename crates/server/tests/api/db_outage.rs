//! PostgreSQL stopped under load and started again, on a private cluster: while it
//! is down `/readyz` says not ready and calls answer 503 `unavailable` with
//! `Retry-After`; nothing is half-written; service resumes without a restart, and
//! the node LISTENs again (NOTIFY wakes reach it at once, not by its polling).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use godkend_protocol::{ErrorCode, Problem};
use serde_json::json;

use crate::common::load::{LoadRun, check_invariants, figures};
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
    let run = LoadRun::start(&server).await;
    let probe = server.add_rp("probe", "Probe");
    assert!(run.approvals(6, 10).await, "load runs");

    // The database goes away mid-write.
    let before_stop = run.created();
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
        tokio::join!(create_while_down(&probe), run.carol.client.pending());
    let err = device_answer.expect_err("a device call while the database is down");
    assert_eq!(err.code(), Some(ErrorCode::Unavailable), "{err}");
    assert!(!err.is_final());
    let failures_while_down = run.counters.create_failures.load(Ordering::Relaxed);
    // The event pump lost its LISTEN connection and says so.
    assert!(
        server.metric_reaches(LISTENER_UP, 0.0).await.is_some(),
        "the event listener is down while PostgreSQL is"
    );
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
    let listening = server
        .metric_reaches(LISTENER_UP, 1.0)
        .await
        .map(|_| back.elapsed())
        .expect("the event listener LISTENs again after PostgreSQL is back");
    assert!(
        server
            .metric("godkend_event_listener_reconnects_total")
            .await
            .is_some_and(|n| n >= 1.0),
        "counted"
    );
    // Tried while the database was still down (each try bounded), and again after.
    let failed_tries = server.log().matches("cannot LISTEN for events").count();
    assert!(failed_tries >= 1, "{}", server.log());
    assert!(
        run.approvals(10, 20).await,
        "approvals go on after PostgreSQL is back"
    );
    assert!(server.running(), "the server was never restarted");

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
    let wake = wake_from_another_node(&server).await;
    eprintln!(
        "PostgreSQL outage run ({:.1} s): stopped after {before_stop} requests for {:.1} s; \
         /readyz not ready {:.1} s after the stop, a create answered 503 in {:.1} s, \
         {failures_while_down} create calls failed by then; ready {:.1} s after the start, \
         listening again after {:.1} s ({failed_tries} tries to LISTEN failed meanwhile; a wait woken by another node's decision in {:.1} ms); {}",
        started.elapsed().as_secs_f64(),
        down_for.as_secs_f64(),
        not_ready.as_secs_f64(),
        create_took.as_secs_f64(),
        resumed.as_secs_f64(),
        listening.as_secs_f64(),
        wake.as_secs_f64() * 1000.0,
        figures(&counters, &tally),
    );
}

const LISTENER_UP: &str = "godkend_event_listener_up";

/// A relying party long-polls a request on `server` while a second node takes its
/// decision: only a NOTIFY (or the wait's 1 s fallback check) wakes the poll. How
/// long after the decision's answer the poll answered (a figure, not a gate).
async fn wake_from_another_node(server: &TestServer) -> Duration {
    let other = server.second_node().await;
    server.add_user("dave");
    let dave = server.device("dave").await;
    let rp = server.add_rp("wake", "Wake");
    let created = rp.login("dave").await;
    let waiting = {
        let (rp, id) = (rp.clone(), created.request_id.clone());
        tokio::spawn(async move {
            let status = rp.wait(&id, 20).await;
            (status, Instant::now())
        })
    };
    // Let the poll reach the node and register its wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let via_other = dave.client_at(&other.url);
    let request = dave.pending_one().await;
    let signed = via_other.refuse(&request, false).unwrap();
    via_other
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();
    let decided = Instant::now();
    let (status, woke) = waiting.await.unwrap();
    assert_eq!(
        status.status,
        godkend_protocol::messages::RequestState::Denied
    );
    woke.saturating_duration_since(decided)
}
