//! PostgreSQL: the database itself announces new events and finished requests to
//! every node (`LISTEN`/`NOTIFY`, by the triggers of migration 0007), at commit.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgNotification};

use crate::common::{Db, PIN, TestServer};

/// The next announcement on `channel`, skipping others; `None` after 10 s.
async fn heard(listener: &mut PgListener, channel: &str) -> Option<PgNotification> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = listener.recv().await.expect("the LISTEN connection holds");
            if n.channel() == channel {
                return n;
            }
        }
    })
    .await
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_and_its_decision_are_announced_to_every_node() {
    let server = TestServer::start(Db::Postgres).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let mut listener = PgListener::connect(&server.database_url).await.unwrap();
    listener
        .listen_all(["godkend_events", "godkend_finished"])
        .await
        .unwrap();

    let created = rp.login("alice").await;
    assert!(
        heard(&mut listener, "godkend_events").await.is_some(),
        "the new request's event is announced"
    );
    let request = device.pending_one().await;
    device.approve(&request, &created.code, PIN).await.unwrap();
    let finished = heard(&mut listener, "godkend_finished")
        .await
        .expect("the decided request is announced");
    assert_eq!(finished.payload(), created.request_id);

    // A request that ends without a decision is announced as well: superseded.
    let first = rp.login("alice").await;
    let second = rp.login("alice").await;
    let finished = heard(&mut listener, "godkend_finished")
        .await
        .expect("the superseded request is announced");
    assert_eq!(finished.payload(), first.request_id);
    assert_ne!(first.request_id, second.request_id);
}
