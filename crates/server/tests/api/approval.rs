//! The approval round trip and its bad paths: wrong code, wrong PIN, expiry,
//! idempotent resends, supersede, fan-out, not-me and backoff.

use godkend_core::push::PushEvent;
use godkend_protocol::messages::{CloseReason, DecisionKind, RequestState, UvKind};
use godkend_protocol::{ErrorCode, PublicKey};
use serde_json::json;

use crate::common::{Db, PIN, TestServer, WRONG_PIN, next_event, verify_result};

both_backends!(
    approve_round_trip_gives_a_verifiable_result,
    a_wait_open_when_the_decision_lands_answers_its_result,
    deny_and_not_me_are_signed_by_the_device_key_alone,
    wrong_code_three_times_fails_the_request,
    wrong_pin_five_times_blocks_the_device,
    identical_resend_is_not_counted_twice,
    different_decision_for_a_decided_request_is_rejected,
    newer_request_supersedes_the_pending_one,
    two_devices_first_decision_wins,
    not_me_blocks_pushes_and_denial_backs_off,
);

async fn setup(db: Db, extra: &[&str]) -> (TestServer, crate::common::Rp, crate::common::Device) {
    let server = TestServer::start_with(db, extra).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Example Shop");
    let device = server.device("alice").await;
    (server, rp, device)
}

async fn approve_round_trip_gives_a_verifiable_result(db: Db) {
    let (server, rp, device) = setup(db, &[]).await;
    let mut events = Box::pin(device.client.events(None).await.unwrap());
    // The fresh stream starts with a signed heartbeat carrying the resume point.
    next_event(&mut events, 5, |e| {
        matches!(e, PushEvent::Heartbeat(_)).then_some(())
    })
    .await;

    let created = rp
        .create(&json!({"user": "alice", "kind": "payment", "title": "Pay Example Shop",
                        "message": "Order 1234", "amount": {"value": "1250.00", "currency": "DKK"},
                        "payee": "Example Shop ApS", "context": {"ip": "198.51.100.7", "location": "Aarhus"}}))
        .await;
    assert_eq!(created.code.len(), 6);
    let request = next_event(&mut events, 5, |e| match e {
        PushEvent::Request(r) => Some(r.clone()),
        _ => None,
    })
    .await;
    assert_eq!(request.request.request_id, created.request_id);
    assert_eq!(request.request.rp_name, "Example Shop");
    assert_eq!(request.request.amount.as_ref().unwrap().value, "1250.00");

    let answer = device.approve(&request, &created.code, PIN).await.unwrap();
    assert_eq!(answer.status, RequestState::Approved);

    let status = rp.wait(&created.request_id, 10).await;
    assert_eq!(status.status, RequestState::Approved);
    let result = verify_result(&status, &server.server_key().await);
    assert_eq!(result.user_verification, Some(UvKind::Pin));
    // The device signature in the result verifies with the device key; the result
    // never carries the PIN signature or PIN key.
    let decision = result.decision.clone().unwrap();
    let device_key = PublicKey::ed25519_b64(result.device_key.as_ref().unwrap()).unwrap();
    let envelope = godkend_protocol::Envelope {
        payload: decision.clone(),
        signatures: vec![result.device_signature.clone().unwrap()],
    };
    envelope.verify(&device_key).unwrap();
    assert_eq!(decision["decision"], "approve");
    let text = status.result.as_ref().unwrap().to_json().unwrap();
    assert_eq!(
        text.matches("\"sig\"").count(),
        2,
        "server signature + device signature only: {text}"
    );

    let metrics = server
        .http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    let metrics = metrics.text().await.unwrap();
    for line in [
        "godkend_requests_finished_total{state=\"approved\"} 1",
        "godkend_requests_created_total 1",
        "godkend_connected_devices 1",
    ] {
        assert!(metrics.contains(line), "{line} missing in\n{metrics}");
    }
}

/// The relying party's long poll is open when the device decides: the node hands it
/// the state it committed, and the answer is the one a read gives.
async fn a_wait_open_when_the_decision_lands_answers_its_result(db: Db) {
    let (server, rp, device) = setup(db, &[]).await;
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let waiting = {
        let (rp, id) = (rp.clone(), created.request_id.clone());
        tokio::spawn(async move { rp.wait(&id, 20).await })
    };
    assert!(
        server.metric_reaches(WAITS, 1.0).await.is_some(),
        "the wait is open on the server"
    );
    device.approve(&request, &created.code, PIN).await.unwrap();
    let waited = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .expect("the wait answers once the request is decided")
        .unwrap();
    assert_eq!(waited.status, RequestState::Approved);
    let result = verify_result(&waited, &server.server_key().await);
    assert_eq!(result.user_verification, Some(UvKind::Pin));
    assert_eq!(result.request_id, created.request_id);
    assert_eq!(waited, rp.status(&created.request_id).await);
    assert!(
        server.metric_reaches(WAITS, 0.0).await.is_some(),
        "an answered wait is no longer counted"
    );
}

const WAITS: &str = "godkend_rp_waits";

async fn deny_and_not_me_are_signed_by_the_device_key_alone(db: Db) {
    let (server, rp, device) = setup(db, &["--push-backoff-seconds", "0"]).await;
    let first = rp.login("alice").await;
    let request = device.pending_one().await;
    assert_eq!(
        device.refuse(&request, false).await.unwrap().status,
        RequestState::Denied
    );
    let result = verify_result(
        &rp.status(&first.request_id).await,
        &server.server_key().await,
    );
    assert_eq!(result.status, RequestState::Denied);
    assert_eq!(result.user_verification, None);

    let second = rp.login("alice").await;
    let request = device.pending_one().await;
    assert_eq!(
        device.refuse(&request, true).await.unwrap().status,
        RequestState::NotMe
    );
    let status = rp.status(&second.request_id).await;
    assert_eq!(
        status.status,
        RequestState::NotMe,
        "the RP is told it was not the user"
    );
    // The log (by id) has the decision before the report it caused: on PostgreSQL
    // two writes of one closing batch run in no promised order.
    let audit = server.admin(&["audit", "--since", "1h"]).unwrap();
    let events: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    let reported = events.iter().position(|e| *e == "not_me_reported");
    let Some(reported) = reported else {
        panic!("no not_me_reported entry in {events:?}");
    };
    assert_eq!(
        events[reported - 1],
        "decision",
        "the decision is logged just before the report: {events:?}"
    );
}

async fn wrong_code_three_times_fails_the_request(db: Db) {
    let (_server, rp, device) = setup(db, &[]).await;
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let wrong = if created.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let pin = device.pin(PIN);
    let mut lefts = Vec::new();
    for _ in 0..3 {
        // A second apart, so each retyped attempt is a new decision (a byte-identical
        // resend would get the stored answer instead).
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let signed = device.client.approve(&request, wrong, &pin).unwrap();
        let err = device
            .client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
            .unwrap_err();
        lefts.push((err.code(), err.problem().and_then(|p| p.attempts_left)));
    }
    assert_eq!(lefts[0], (Some(ErrorCode::CodeMismatch), Some(2)));
    assert_eq!(lefts[1], (Some(ErrorCode::CodeMismatch), Some(1)));
    assert_eq!(lefts[2], (Some(ErrorCode::CodeMismatch), Some(0)));
    assert_eq!(
        rp.status(&created.request_id).await.status,
        RequestState::Failed
    );
    // The right code is too late now.
    let err = device
        .approve(&request, &created.code, PIN)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RequestNotPending));
}

async fn wrong_pin_five_times_blocks_the_device(db: Db) {
    let (server, rp, device) = setup(db, &[]).await;
    // Unlock counts too: two wrong unlocks, then three wrong approvals.
    for left in [4, 3] {
        let err = device
            .client
            .unlock(&device.pin(WRONG_PIN))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::WrongPin));
        assert_eq!(err.problem().unwrap().attempts_left, Some(left));
    }
    device
        .client
        .unlock(&device.pin(PIN))
        .await
        .expect("the right PIN unlocks and resets the count");
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    for n in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let err = device
            .approve(&request, &created.code, WRONG_PIN)
            .await
            .unwrap_err();
        if n < 4 {
            assert_eq!(err.code(), Some(ErrorCode::WrongPin), "{err}");
            assert_eq!(err.problem().unwrap().attempts_left, Some(4 - n));
        } else {
            assert_eq!(err.code(), Some(ErrorCode::DeviceBlocked), "{err}");
            let signed = err
                .problem()
                .unwrap()
                .device_status
                .clone()
                .expect("signed device_status");
            let status: godkend_protocol::messages::DeviceStatus =
                signed.open(&[&server.server_key().await]).unwrap();
            assert_eq!(
                status.status,
                godkend_protocol::messages::DeviceState::Blocked
            );
            assert_eq!(status.device_id, device.client.device_id);
        }
    }
    // A blocked device can read its status and nothing else.
    let (status, _) = device.client.status().await.unwrap();
    assert_eq!(
        status.status,
        godkend_protocol::messages::DeviceState::Blocked
    );
    let err = device.client.pending().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DeviceBlocked));
    let list = server.admin(&["device", "list", "alice"]).unwrap();
    assert_eq!(list[0]["status"], "blocked");
}

async fn identical_resend_is_not_counted_twice(db: Db) {
    let (_server, rp, device) = setup(db, &[]).await;
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let wrong = if created.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let signed = device
        .client
        .approve(&request, wrong, &device.pin(PIN))
        .unwrap();
    for _ in 0..3 {
        let err = device
            .client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
            .unwrap_err();
        assert_eq!(
            err.problem().unwrap().attempts_left,
            Some(2),
            "a resend gets the stored outcome"
        );
    }
    // The same wrong PIN decision re-sent also counts once.
    let bad_pin = device
        .client
        .approve(&request, &created.code, &device.pin(WRONG_PIN))
        .unwrap();
    for _ in 0..3 {
        let err = device
            .client
            .send_decision(&bad_pin.request_id, &bad_pin.bytes)
            .await
            .unwrap_err();
        assert_eq!(err.problem().unwrap().attempts_left, Some(4));
    }
    // Two byte-identical resends racing each other are counted once as well. (Two
    // seconds later, so this is a new decision: a decision's time is never before the
    // request's, and the device's view of server time may lag it by a second.)
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let racing = device
        .client
        .approve(&request, &created.code, &device.pin(WRONG_PIN))
        .unwrap();
    let (a, b) = tokio::join!(
        device
            .client
            .send_decision(&racing.request_id, &racing.bytes),
        device
            .client
            .send_decision(&racing.request_id, &racing.bytes)
    );
    let left = |r: Result<_, godkend_core::CoreError>| {
        r.unwrap_err().problem().and_then(|p| p.attempts_left)
    };
    assert_eq!((left(a), left(b)), (Some(3), Some(3)));

    // Right code, without retyping the PIN: approved; a resend gets the same answer.
    let right = device
        .client
        .approve(&request, &created.code, &device.pin(PIN))
        .unwrap();
    let first = device
        .client
        .send_decision(&right.request_id, &right.bytes)
        .await
        .unwrap();
    let again = device
        .client
        .send_decision(&right.request_id, &right.bytes)
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(first.status, RequestState::Approved);
}

async fn different_decision_for_a_decided_request_is_rejected(db: Db) {
    let (_server, rp, device) = setup(db, &[]).await;
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    device.approve(&request, &created.code, PIN).await.unwrap();
    let err = device.refuse(&request, false).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DecisionConflict));
    assert_eq!(
        rp.status(&created.request_id).await.status,
        RequestState::Approved
    );
}

async fn newer_request_supersedes_the_pending_one(db: Db) {
    let (server, rp, device) = setup(db, &[]).await;
    let mut events = Box::pin(device.client.events(None).await.unwrap());
    let first = rp.login("alice").await;
    let old = next_event(&mut events, 5, |e| match e {
        PushEvent::Request(r) => Some(r.clone()),
        _ => None,
    })
    .await;
    let second = rp.login("alice").await;
    let closed = next_event(&mut events, 5, |e| match e {
        PushEvent::Closed(c) => Some(c.clone()),
        _ => None,
    })
    .await;
    assert_eq!(closed.request_id, first.request_id);
    assert_eq!(closed.reason, CloseReason::Superseded);
    let status = rp.status(&first.request_id).await;
    assert_eq!(
        verify_result(&status, &server.server_key().await).status,
        RequestState::Superseded
    );
    let err = device.approve(&old, &first.code, PIN).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RequestNotPending));
    assert_eq!(
        device.pending_one().await.request.request_id,
        second.request_id
    );
}

async fn two_devices_first_decision_wins(db: Db) {
    let (server, rp, laptop) = setup(db, &[]).await;
    let desktop = server.device("alice").await;
    let mut desktop_events = Box::pin(desktop.client.events(None).await.unwrap());
    let created = rp.login("alice").await;
    let on_desktop = next_event(&mut desktop_events, 5, |e| match e {
        PushEvent::Request(r) => Some(r.clone()),
        _ => None,
    })
    .await;
    let on_laptop = laptop.pending_one().await;
    assert_eq!(on_laptop.request.request_id, on_desktop.request.request_id);
    laptop
        .approve(&on_laptop, &created.code, PIN)
        .await
        .unwrap();
    let closed = next_event(&mut desktop_events, 5, |e| match e {
        PushEvent::Closed(c) => Some(c.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        closed.reason,
        CloseReason::Withdrawn,
        "decided on another device"
    );
    let err = desktop.refuse(&on_desktop, false).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RequestNotPending));
    let status = rp.status(&created.request_id).await;
    assert_eq!(status.status, RequestState::Approved);
}

async fn not_me_blocks_pushes_and_denial_backs_off(db: Db) {
    let (server, rp, device) = setup(
        db,
        &[
            "--push-backoff-seconds",
            "30",
            "--not-me-block-seconds",
            "600",
        ],
    )
    .await;
    rp.login("alice").await;
    device
        .refuse(&device.pending_one().await, false)
        .await
        .unwrap();
    let response = rp
        .create_raw(&json!({"user": "alice", "kind": "login", "title": "t", "message": "m"}))
        .await;
    assert_eq!(response.status(), 429);
    let problem: godkend_protocol::Problem = response.json().await.unwrap();
    assert_eq!(problem.code, ErrorCode::RateLimited);
    assert!(problem.retry_after.unwrap() > 20);

    // not_me (on a second user, to keep the first one's backoff apart).
    server.add_user("bob");
    let bob = server.device("bob").await;
    rp.login("bob").await;
    let request = bob.pending_one().await;
    assert_eq!(request.request.user, "bob");
    let signed = bob.client.refuse(&request, true).unwrap();
    assert_eq!(signed.kind, DecisionKind::NotMe);
    bob.client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();
    let response = rp
        .create_raw(&json!({"user": "bob", "kind": "login", "title": "t", "message": "m"}))
        .await;
    assert_eq!(response.status(), 429);
    let problem: godkend_protocol::Problem = response.json().await.unwrap();
    assert_eq!(problem.code, ErrorCode::PushesBlocked);
    assert!(problem.retry_after.unwrap() > 500);
}
