//! Limits that concurrent calls must not break, besides the PIN's (pin_race.rs): one
//! pending request per user, and stored decision answers only for their own device.

use std::time::Duration;

use futures::future::join_all;
use godkend_core::CoreError;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::{CreatedRequest, RequestState};
use serde_json::json;
use sqlx::Connection as _;

use crate::common::{Db, Device, PIN, Rp, TestServer};

both_backends!(
    concurrent_requests_leave_one_pending,
    requests_that_waited_for_the_user_see_each_other,
    a_decision_waits_for_a_create_that_holds_the_user,
    another_users_device_gets_no_stored_decision_answer,
);

/// Requests created for one user at the same moment.
const CREATES: usize = 20;

async fn concurrent_requests_leave_one_pending(db: Db) {
    let (_server, rp, device, body) = alice_with_a_device(db).await;
    let responses = join_all((0..CREATES).map(|_| rp.create_raw(&body))).await;
    assert_one_pending(&rp, &device, responses).await;
}

/// A server with alice, her device and a relying party; the body of a login for her.
async fn alice_with_a_device(db: Db) -> (TestServer, Rp, Device, serde_json::Value) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let body = json!({"user": "alice", "kind": "login", "title": "Sign in", "message": "m"});
    (server, rp, device, body)
}

/// Every create was accepted, one of the requests is pending and the rest were
/// superseded, and the device is shown that one.
async fn assert_one_pending(rp: &Rp, device: &Device, responses: Vec<reqwest::Response>) {
    let mut pending = 0;
    for response in responses {
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "every create is accepted: {text}");
        let created: CreatedRequest = serde_json::from_str(&text).unwrap();
        match rp.status(&created.request_id).await.status {
            RequestState::Pending => pending += 1,
            RequestState::Superseded => {}
            other => panic!("unexpected state {other:?}"),
        }
    }
    assert_eq!(pending, 1, "exactly one request stays pending");
    assert_eq!(device.client.pending().await.unwrap().len(), 1);
}

async fn requests_that_waited_for_the_user_see_each_other(db: Db) {
    let (server, rp, device, body) = alice_with_a_device(db).await;
    let mut holder = hold_alice(db, &server.database_url).await;
    let queued = tokio::spawn({
        let rp = rp.clone();
        async move { join_all((0..3).map(|_| rp.create_raw(&body))).await }
    });
    wait_until_blocked(db, &server.database_url, 3).await;
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    assert_one_pending(&rp, &device, queued.await.unwrap()).await;
}

/// A create's first step, taken by a connection of the test's and held: alice's row
/// (on SQLite the one writer), in a transaction the caller ends.
async fn hold_alice(db: Db, database_url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    let mut holder = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let hold = match db {
        Db::Sqlite => "BEGIN IMMEDIATE",
        Db::Postgres => "BEGIN",
    };
    sqlx::raw_sql(hold).execute(&mut holder).await.unwrap();
    if db == Db::Postgres {
        sqlx::query("SELECT id FROM users WHERE id = 'alice' FOR UPDATE")
            .execute(&mut holder)
            .await
            .unwrap();
    }
    holder
}

/// A decision sent while a create holds the user's row, whose next step supersedes
/// the pending request: the decision waits for the user's row before it takes the
/// request's. It took them the other way round, so on PostgreSQL each waited for the
/// other until the deadlock detector failed one (the create's supersede, or the
/// decision with a 500). Now the create goes on, and the decision is refused as its
/// request was replaced.
async fn a_decision_waits_for_a_create_that_holds_the_user(db: Db) {
    let (server, rp, device, _) = alice_with_a_device(db).await;
    let (created, signed) = device.signed_login(&rp, "alice").await;

    let mut holder = hold_alice(db, &server.database_url).await;
    let decision = device
        .client
        .send_decision(&signed.request_id, &signed.bytes);
    let create = async {
        wait_until_blocked(db, &server.database_url, 1).await;
        sqlx::query("UPDATE requests SET state = 'superseded' WHERE id = $1")
            .bind(&created.request_id)
            .execute(&mut holder)
            .await
            .expect("the create's supersede does not wait for the decision");
        sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    };
    let (decided, ()) = tokio::join!(decision, create);
    let Err(CoreError::Server(problem)) = decided else {
        panic!("expected the decision refused, got {decided:?}");
    };
    assert_eq!(problem.code, ErrorCode::RequestNotPending, "{problem:?}");
}

/// Until `creates` calls wait behind the lock held on `database_url`. PostgreSQL
/// names the sessions waiting for a lock (read from a connection of its own: inside a
/// transaction `pg_stat_activity` stays as first read); SQLite does not, so there the
/// creates get a moment to queue (one that came late would only make the check
/// weaker, not fail it).
async fn wait_until_blocked(db: Db, database_url: &str, creates: i64) {
    if db == Db::Sqlite {
        tokio::time::sleep(Duration::from_millis(500)).await;
        return;
    }
    let mut watcher = sqlx::AnyConnection::connect(database_url).await.unwrap();
    for _ in 0..200 {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting >= creates {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the creates never waited for the user's row");
}

async fn another_users_device_gets_no_stored_decision_answer(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    server.add_user("mallory");
    let rp = server.add_rp("shop", "Shop");
    let alice = server.device("alice").await;
    let mallory = server.device("mallory").await;
    let created = rp.login("alice").await;
    let request = alice.pending_one().await;
    let signed = alice
        .client
        .approve(&request, &created.code, &alice.pin(PIN))
        .unwrap();
    alice
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();

    // Mallory's device sends Alice's decision, byte for byte, inside its own signed
    // header: it must not get the answer stored for Alice's device.
    let err = mallory
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap_err();
    let CoreError::Server(problem) = err else {
        panic!("expected a refusal, got {err}");
    };
    assert_eq!(problem.code, ErrorCode::BadRequest, "{problem:?}");
    assert!(
        !problem.title.contains("approved"),
        "no stored answer leaks: {problem:?}"
    );
    // Alice's own resend still gets the stored answer.
    let again = alice
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();
    assert_eq!(again.status, RequestState::Approved);
}
