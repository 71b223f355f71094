//! Key rotation with the real app core: what the server stored under an old key
//! (push events, pending requests, results) is served signed by the current key, so
//! a device that follows the signed chain (PROTOCOL.md §4) and trusts only the
//! current key gets it, also after `key retire` dropped the old private halves.

use std::sync::Arc;
use std::time::Duration;

use godkend_core::DeviceKey;
use godkend_core::client::DeviceClient;
use godkend_core::connection::{self, ConnectionPolicy, ConnectionState, PushUpdate};
use godkend_core::push::PushEvent;
use godkend_core::push::VerifiedRequest;
use godkend_protocol::messages::{RequestState, RpResult};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::common::{Db, PIN, TestServer, verify_result};

both_backends!(
    backlog_event_stored_before_a_rotation_reaches_the_app_core,
    pending_request_and_result_outlive_rotation_and_retirement,
    rp_add_without_a_name_uses_the_id,
);

/// Waits for the first update `pick` accepts; a security warning fails the test.
async fn expect<T>(
    updates: &mut mpsc::Receiver<PushUpdate>,
    what: &str,
    mut pick: impl FnMut(&PushUpdate) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let update = tokio::time::timeout_at(deadline, updates.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("the connection task ended");
        if let PushUpdate::SecurityWarning(why) = &update {
            panic!("the device refused something while waiting for {what}: {why}");
        }
        if let Some(found) = pick(&update) {
            return found;
        }
    }
}

/// A request stored while the old key signed, and delivered only after `key rotate`
/// and a restart, comes to the app core's push connection as a `Last-Event-ID`
/// backlog event that verifies; the device then approves it.
async fn backlog_event_stored_before_a_rotation_reaches_the_app_core(db: Db) {
    let mut server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let old_kid = device.client.server.server_key().kid();
    // The push connection runs on its own client with this device's identity.
    let pushed = Arc::new(DeviceClient::new(
        device.client.server.clone(),
        device.client.device_id.clone(),
        device.client.user.clone(),
        DeviceKey::from_seed(&device.client.key().seed()),
    ));
    // Long backoff: the test decides when the device reconnects (`wake`).
    let policy = ConnectionPolicy {
        min_backoff: Duration::from_mins(5),
        max_backoff: Duration::from_mins(10),
        ..ConnectionPolicy::default()
    };
    let (tx, mut updates) = mpsc::channel(64);
    let wake = Arc::new(Notify::new());
    let task = tokio::spawn(connection::run(pushed.clone(), policy, tx, wake.clone()));
    expect(
        &mut updates,
        "the first heartbeat (the resume point)",
        |u| match u {
            PushUpdate::Event(e) => matches!(&**e, PushEvent::Heartbeat(_)).then_some(()),
            _ => None,
        },
    )
    .await;

    // The device is away while the old key signs a request and the key rotates.
    server.kill();
    expect(&mut updates, "the device to go offline", |u| {
        matches!(u, PushUpdate::State(ConnectionState::Offline { .. })).then_some(())
    })
    .await;
    server.restart().await;
    let created = rp.login("alice").await;
    server.admin(&["key", "rotate"]).unwrap();
    server.restart().await;
    let new_key = server.server_key().await;
    assert_ne!(new_key.kid(), old_kid);

    wake.notify_one();
    let request: VerifiedRequest = expect(&mut updates, "the backlog request", |u| match u {
        PushUpdate::Event(e) => match &**e {
            PushEvent::Request(r) => Some(r.clone()),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(request.request.request_id, created.request_id);
    assert_eq!(
        pushed.server.server_key().kid(),
        new_key.kid(),
        "the device followed the rotation"
    );
    request
        .envelope
        .verify(&new_key)
        .expect("the event is signed by the current key");

    let answer = device
        .approve(&request, &created.code, PIN)
        .await
        .expect("a decision on a re-signed request is accepted");
    assert_eq!(answer.status, RequestState::Approved);
    let result: RpResult = verify_result(&rp.status(&created.request_id).await, &new_key);
    assert_eq!(result.status, RequestState::Approved);
    task.abort();
}

/// A request pending across `key rotate`, `key retire` and a restart is served by
/// the polling endpoint under the current key, verifies for a device that walked the
/// chain from the key it pinned, and can be approved; a result signed before the
/// rotation reaches the RP signed by the current key.
async fn pending_request_and_result_outlive_rotation_and_retirement(db: Db) {
    let mut server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let old_key = server.server_key().await;

    let decided = rp.login("alice").await;
    let request = device.pending_one().await;
    device
        .approve(&request, &decided.code, PIN)
        .await
        .expect("approved under the old key");
    let pending = rp.login("alice").await;

    server.admin(&["key", "rotate"]).unwrap();
    let retired = server.admin(&["key", "retire"]).unwrap();
    assert_eq!(retired["retired"], 1);
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(server.dir.path().join("server-key.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        file["keys"].as_array().unwrap().len(),
        1,
        "one private key left"
    );
    server.restart().await;
    let new_key = server.server_key().await;
    assert_ne!(new_key.kid(), old_key.kid());

    // Walk the chain first, as §4 says: from now on only the new key is trusted.
    let info = device.client.server.server_info().await.unwrap();
    assert_eq!(info.server_kid, new_key.kid());
    let request = device.pending_one().await;
    assert_eq!(request.request.request_id, pending.request_id);
    request.envelope.verify(&new_key).unwrap();
    assert!(
        request.envelope.verify(&old_key).is_err(),
        "only the current key signs what is served"
    );
    let answer = device
        .approve(&request, &pending.code, PIN)
        .await
        .expect("a decision on a re-signed request is accepted");
    assert_eq!(answer.status, RequestState::Approved);

    // The RP follows the rotation from /v1/server-info; old results come re-signed.
    let result = verify_result(&rp.status(&decided.request_id).await, &new_key);
    assert_eq!(result.status, RequestState::Approved);
    assert_eq!(result.request_id, decided.request_id);
}

/// `rp add ID` without `--name` registers the RP with its id as the name.
async fn rp_add_without_a_name_uses_the_id(db: Db) {
    let server = TestServer::start(db).await;
    let added = server
        .admin(&["rp", "add", "bank.example"])
        .expect("rp add without --name");
    assert_eq!(added["name"], "bank.example");
    let listed = server.admin(&["rp", "list"]).unwrap();
    assert_eq!(listed[0]["name"], "bank.example");
}
