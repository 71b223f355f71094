//! Limits that concurrent calls must not break, besides the PIN's (pin_race.rs): one
//! pending request per user, and stored decision answers only for their own device.

use futures::future::join_all;
use godkend_core::CoreError;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::{CreatedRequest, RequestState};
use serde_json::json;

use crate::common::{Db, PIN, TestServer};

both_backends!(
    concurrent_requests_leave_one_pending,
    another_users_device_gets_no_stored_decision_answer,
);

/// Requests created for one user at the same moment.
const CREATES: usize = 20;

async fn concurrent_requests_leave_one_pending(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let body = json!({"user": "alice", "kind": "login", "title": "Sign in", "message": "m"});

    let responses = join_all((0..CREATES).map(|_| rp.create_raw(&body))).await;
    let mut created: Vec<CreatedRequest> = Vec::new();
    for response in responses {
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "every create is accepted: {text}");
        created.push(serde_json::from_str(&text).unwrap());
    }

    let mut pending = 0;
    for c in &created {
        let status = rp.status(&c.request_id).await;
        match status.status {
            RequestState::Pending => pending += 1,
            RequestState::Superseded => {}
            other => panic!("unexpected state {other:?}"),
        }
    }
    assert_eq!(pending, 1, "exactly one request stays pending");
    assert_eq!(device.client.pending().await.unwrap().len(), 1);
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
