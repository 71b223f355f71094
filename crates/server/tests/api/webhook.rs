//! Signed webhooks: the final result is POSTed to the relying party, retried after
//! a failure, and verifies with the server key.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use godkend_protocol::Envelope;
use godkend_protocol::messages::{RequestState, RpResult};
use serde_json::json;

use crate::common::{Db, PIN, TestServer};

both_backends!(webhook_delivers_the_signed_result_and_retries);

async fn webhook_delivers_the_signed_result_and_retries(db: Db) {
    // A relying party's endpoint that fails once, then accepts.
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let calls = Arc::new(Mutex::new(0u32));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let (received, calls) = (received.clone(), calls.clone());
            move |body: String| async move {
                let mut n = calls.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                received.lock().unwrap().push(body);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // Loopback destinations are an operator's opt-in.
    let server = TestServer::start_with(db, &["--webhook-allow-loopback"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    // Plain http is refused for a webhook that is not on loopback.
    let r = rp
        .create_raw(
            &json!({"user": "alice", "kind": "login", "title": "t", "message": "m",
                            "webhook_url": "http://rp.example.com/hook"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    // So is an address inside the operator's network (cloud metadata, private ranges).
    for internal in [
        "https://169.254.169.254/latest",
        "https://10.0.0.8/hook",
        "https://[fd00::1]/hook",
    ] {
        let r = rp
            .create_raw(
                &json!({"user": "alice", "kind": "login", "title": "t", "message": "m",
                                "webhook_url": internal}),
            )
            .await;
        assert_eq!(r.status(), 400, "{internal}");
    }
    let created = rp
        .create(&json!({"user": "alice", "kind": "login", "title": "t", "message": "m", "webhook_url": hook}))
        .await;
    let request = device.pending_one().await;
    device.approve(&request, &created.code, PIN).await.unwrap();

    let key = server.server_key().await;
    for _ in 0..100 {
        if !received.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "delivered once, after one failure");
    assert_eq!(*calls.lock().unwrap(), 2);
    let envelope = Envelope::from_json(&bodies[0]).unwrap();
    let result: RpResult = envelope
        .open(&[&key])
        .expect("the webhook body verifies with the server key");
    assert_eq!(result.request_id, created.request_id);
    assert_eq!(result.status, RequestState::Approved);
}
