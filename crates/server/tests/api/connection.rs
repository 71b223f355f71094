//! The device's push connection (godkend-core) against the real server: restarts,
//! outages and resume.

use std::sync::Arc;
use std::time::Duration;

use godkend_core::connection::{self, ConnectionPolicy, ConnectionState, PushUpdate};
use godkend_core::push::PushEvent;
use godkend_protocol::messages::CloseReason;
use tokio::sync::{Notify, mpsc};

use crate::common::{Db, TestServer};

both_backends!(connection_survives_restarts_and_outages);

fn fast_policy() -> ConnectionPolicy {
    ConnectionPolicy {
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
        ..ConnectionPolicy::default()
    }
}

/// Waits for the first update `pick` accepts.
async fn expect<T>(
    updates: &mut mpsc::Receiver<PushUpdate>,
    what: &str,
    mut pick: impl FnMut(&PushUpdate) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let update = tokio::time::timeout_at(deadline, updates.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("the connection task ended");
        if let Some(found) = pick(&update) {
            return found;
        }
    }
}

async fn connection_survives_restarts_and_outages(db: Db) {
    let mut server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let client = Arc::new(device.client);
    let (tx, mut updates) = mpsc::channel(64);
    let wake = Arc::new(Notify::new());
    let task = tokio::spawn(connection::run(
        client.clone(),
        fast_policy(),
        tx,
        wake.clone(),
    ));

    expect(&mut updates, "connected", |u| {
        matches!(u, PushUpdate::State(ConnectionState::Connected)).then_some(())
    })
    .await;
    let first = rp.login("alice").await;
    let got = expect(&mut updates, "the first request", |u| match u {
        PushUpdate::Event(e) => match &**e {
            PushEvent::Request(r) => Some(r.request.request_id.clone()),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(got, first.request_id);

    // Crash and restart: the device reconnects and resumes from its last event id,
    // so what happened meanwhile arrives in order.
    server.restart().await;
    let second = rp.login("alice").await;
    let closed = expect(&mut updates, "the supersede notice", |u| match u {
        PushUpdate::Event(e) => match &**e {
            PushEvent::Closed(c) => Some(c.clone()),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(
        (closed.request_id.as_str(), closed.reason),
        (first.request_id.as_str(), CloseReason::Superseded)
    );
    let got = expect(&mut updates, "the second request", |u| match u {
        PushUpdate::Event(e) => match &**e {
            PushEvent::Request(r) => Some(r.request.request_id.clone()),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(got, second.request_id);

    // The server goes away: the device says it is offline, and comes back by itself.
    server.kill();
    let reason = expect(&mut updates, "offline", |u| match u {
        PushUpdate::State(ConnectionState::Offline { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        reason.contains("reach") || reason.contains("connect") || reason.contains("closed"),
        "{reason}"
    );
    server.restart().await;
    wake.notify_one();
    expect(&mut updates, "connected again", |u| {
        matches!(u, PushUpdate::State(ConnectionState::Connected)).then_some(())
    })
    .await;
    // The pending request was not lost.
    assert_eq!(
        client.pending().await.unwrap()[0].request.request_id,
        second.request_id
    );
    task.abort();
}
