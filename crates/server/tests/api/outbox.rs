//! The device's encrypted outbox against the real server: a crash between signing
//! and the server's answer still delivers the decision exactly once.

use godkend_core::outbox::{Delivery, Outbox};
use godkend_protocol::messages::RequestState;

use crate::common::{Db, TestServer};

both_backends!(crash_between_signing_and_answer_delivers_exactly_once);

async fn crash_between_signing_and_answer_delivers_exactly_once(db: Db) {
    // Denials back off further requests; not what this test is about.
    let server = TestServer::start_with(db, &["--push-backoff-seconds", "0"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.json");
    let key = [5u8; 32];

    // 1. Crash after storing, before sending: the next start sends it.
    let (_, signed) = device.signed_login(&rp, "alice").await;
    Outbox::open(&path, &key).put(&signed).unwrap();
    let outbox = Outbox::open(&path, &key); // "restart"
    let results = outbox.flush(&device.client).await.unwrap();
    assert!(
        matches!(&results[..], [(_, Delivery::Accepted(a))] if a.status == RequestState::Approved)
    );
    assert!(outbox.pending().unwrap().is_empty());

    // 2. Crash after the server accepted, before the outbox forgot it: the resend
    //    gets the stored answer and is not applied again.
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let signed = device.client.refuse(&request, false).unwrap();
    outbox.put(&signed).unwrap();
    let first = device
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();
    let results = Outbox::open(&path, &key)
        .flush(&device.client)
        .await
        .unwrap();
    match &results[..] {
        [(_, Delivery::Accepted(again))] => assert_eq!(again, &first),
        other => panic!("expected the stored answer, got {other:?}"),
    }
    let audit = server.admin(&["audit"]).unwrap();
    let decisions = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["event"] == "decision"
                && e["detail"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with(&created.request_id)
        })
        .count();
    assert_eq!(decisions, 1, "the decision was applied once");

    // 3. Offline: the decision stays in the outbox for later.
    let (_, signed) = device.signed_login(&rp, "alice").await;
    drop(server);
    let delivery = outbox.send(&device.client, &signed).await.unwrap();
    assert!(matches!(delivery, Delivery::Kept(_)), "{delivery:?}");
    assert_eq!(outbox.pending().unwrap().len(), 1);
}
