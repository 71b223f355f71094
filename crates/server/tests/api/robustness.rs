//! Bad input, replays, several nodes, restarts and clocks.

use godkend_protocol::ErrorCode;
use godkend_protocol::messages::RequestState;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Db, PIN, TestServer};

both_backends!(
    malformed_input_gets_a_clear_4xx,
    replayed_header_is_rejected_on_any_node,
    replayed_decision_header_is_refused_and_changes_nothing,
    restart_loses_no_pending_request_or_decision,
    wrong_local_clock_still_works,
    stream_resumes_after_a_restart_from_the_last_event_id,
    expired_request_is_refused_and_reported,
    event_created_on_one_node_reaches_a_stream_on_another,
);

async fn malformed_input_gets_a_clear_4xx(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let post = |body: String| {
        rp.http
            .post(format!("{}/v1/rp/requests", rp.url))
            .bearer_auth(&rp.key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".into(), 400, "malformed_json"),
        (json!({"user": "alice", "kind": "login", "title": 5, "message": "m"}).to_string(), 400, "bad_request"),
        (json!({"user": "alice", "kind": "teleport", "title": "t", "message": "m"}).to_string(), 400, "bad_request"),
        (json!({"user": "alice", "kind": "login", "title": "t", "message": "m", "code_length": 12}).to_string(), 400, "bad_request"),
        (json!({"user": "alice", "kind": "payment", "title": "t", "message": "m", "amount": {"value": "1e3", "currency": "DKK"}}).to_string(), 400, "bad_request"),
        (json!({"user": "alice", "kind": "login", "title": "t", "message": "m", "ttl_seconds": 601}).to_string(), 400, "bad_request"),
        (json!({"user": "nobody", "kind": "login", "title": "t", "message": "m"}).to_string(), 404, "user_not_found"),
        (format!("{{\"user\":\"alice\",\"kind\":\"login\",\"title\":\"t\",\"message\":\"{}\"}}", "x".repeat(100_000)), 413, "payload_too_large"),
    ];
    for (body, status, code) in cases {
        let response = post(body.clone()).await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            status,
            "{}",
            &body[..body.len().min(120)]
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code, "{problem}");
        assert!(!problem["title"].as_str().unwrap().is_empty());
    }
    // Bad API key, unknown path, unsigned device call.
    let r = server
        .http
        .post(format!("{}/v1/rp/requests", server.url))
        .bearer_auth("nope")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = server
        .http
        .get(format!("{}/v1/nothing", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = server
        .http
        .get(format!("{}/v1/device/requests", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = server
        .http
        .get(format!("{}/v1/device/requests", server.url))
        .header("authorization", "Godkend !!!")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Activation with garbage keys.
    let r = server.http.post(format!("{}/v1/device/activate", server.url))
        .json(&json!({"user": "alice", "device_key": "x", "pin_key": "y", "server_key": "z", "device_name": "n", "proof": "p"}))
        .send().await.unwrap();
    assert_eq!(r.status(), 400);
    // A malformed query string is a problem+json answer too.
    let r = server
        .http
        .get(format!("{}/v1/rp/requests/x/wait?timeout=abc", server.url))
        .bearer_auth(&rp.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // An admin command on a data dir without a server key refuses instead of minting one.
    let empty = crate::common::private_tempdir();
    let out = std::process::Command::new(crate::common::BIN)
        .arg("--data-dir")
        .arg(empty.path())
        .args(["user", "add", "bob"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no server key") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!empty.path().join("server-key.json").exists());
    // The demo relying party refuses to listen beyond loopback.
    let out = std::process::Command::new(crate::common::BIN)
        .arg("--data-dir")
        .arg(empty.path())
        .args([
            "--public-url",
            "https://godkend.example.com",
            "serve",
            "--demo",
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo is only allowed"));
    // The server is still fine.
    assert!(
        server
            .http
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
}

async fn replayed_header_is_rejected_on_any_node(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    let other_node = server.second_node().await;
    let path = "/v1/device/status";
    let header = device.client.header(&Method::GET, path, b"").unwrap();
    let first = server
        .http
        .get(format!("{}{path}", server.url))
        .header("authorization", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let replay = server
        .http
        .get(format!("{}{path}", server.url))
        .header("authorization", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    let problem: Value = replay.json().await.unwrap();
    assert_eq!(problem["code"], "replayed_nonce");
    // The nonce lives in the shared database: another node refuses it too. (The
    // second node has another public URL, so sign for it but reuse the nonce.)
    let header = device.client.header(&Method::GET, path, b"").unwrap();
    let on_b = server
        .http
        .get(format!("{}{path}", other_node.url))
        .header("authorization", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status(), 200, "node B accepts a fresh header");
    let on_a = server
        .http
        .get(format!("{}{path}", server.url))
        .header("authorization", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(on_a.status(), 401, "node A refuses the nonce node B saw");
    // A header for another path or body is refused.
    let header = device
        .client
        .header(&Method::GET, "/v1/device/devices", b"")
        .unwrap();
    let r = server
        .http
        .get(format!("{}{path}", server.url))
        .header("authorization", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// A decision spends its header nonce inside the transaction that judges it, and a
/// decision refused before that transaction spends it on its own: a replay of
/// either header is refused as a replay and changes nothing.
async fn replayed_decision_header_is_refused_and_changes_nothing(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let pending = rp.login("alice").await;
    let request = device.pending_one().await;
    let signed = device.client.refuse(&request, false).unwrap();
    let path = format!("/v1/device/requests/{}/decision", signed.request_id);
    let send = |body: &[u8], header: &str| {
        server
            .http
            .post(format!("{}{path}", server.url))
            .header("authorization", header)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
    };
    let code_of = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        (status, body["code"].as_str().unwrap_or_default().to_owned())
    };

    let header = device
        .client
        .header(&Method::POST, &path, &signed.bytes)
        .unwrap();
    let first = send(&signed.bytes, &header).await.unwrap();
    assert_eq!(first.status(), 200);
    let replay = code_of(send(&signed.bytes, &header).await.unwrap()).await;
    assert_eq!(replay, (401, "replayed_nonce".to_owned()));

    // Refused before its transaction (the device signature does not verify).
    let mut forged = signed.envelope.clone();
    forged.payload["iat"] = json!(forged.payload["iat"].as_i64().unwrap() + 1);
    let forged = forged.to_json().unwrap().into_bytes();
    let header = device.client.header(&Method::POST, &path, &forged).unwrap();
    let refused = code_of(send(&forged, &header).await.unwrap()).await;
    assert_eq!(refused.1, "invalid_signature", "{refused:?}");
    let replay = code_of(send(&forged, &header).await.unwrap()).await;
    assert_eq!(replay, (401, "replayed_nonce".to_owned()));

    // The first copy's answer stands; a fresh header for the same bytes gets it again.
    let status = rp.status(&pending.request_id).await;
    assert_eq!(status.status, RequestState::Denied);
    let again = device
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();
    assert_eq!(again.status, RequestState::Denied);
}

async fn restart_loses_no_pending_request_or_decision(db: Db) {
    let mut server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let created = rp.login("alice").await;
    server.restart().await; // SIGKILL, then start again
    let request = device.pending_one().await;
    assert_eq!(request.request.request_id, created.request_id);
    device.approve(&request, &created.code, PIN).await.unwrap();
    server.restart().await;
    let status = rp.status(&created.request_id).await;
    assert_eq!(status.status, RequestState::Approved);
    // A graceful stop exits cleanly.
    assert!(server.terminate().success());
}

async fn wrong_local_clock_still_works(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    // The PC clock is ten minutes fast: the first call learns server time from the
    // signed server info and retries.
    device.client.server.set_local_clock_skew(600);
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    device.approve(&request, &created.code, PIN).await.unwrap();
    assert_eq!(
        rp.status(&created.request_id).await.status,
        RequestState::Approved
    );
    // Ten minutes slow works as well.
    device.client.server.set_local_clock_skew(-600);
    device.client.devices().await.unwrap();
    let err = device.client.unlock(&device.pin("111")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::WrongPin));
}

async fn stream_resumes_after_a_restart_from_the_last_event_id(db: Db) {
    use futures::StreamExt as _;
    use godkend_core::push::PushEvent;
    use godkend_protocol::messages::CloseReason;

    let mut server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let first = rp.login("alice").await;
    let mut last_id = None;
    {
        let mut events = Box::pin(device.client.events(None).await.unwrap());
        // Fresh connection: the pending request, then a heartbeat carrying the resume id.
        while let Some(Ok(received)) = events.next().await {
            if let Some(id) = received.id {
                last_id = Some(id);
            }
            if matches!(received.event, PushEvent::Heartbeat(_)) {
                break;
            }
        }
    }
    assert!(
        last_id.is_some(),
        "the first heartbeat carries the resume point"
    );
    server.restart().await;
    let second = rp.login("alice").await;
    let mut events = Box::pin(device.client.events(last_id).await.unwrap());
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let item = tokio::time::timeout(std::time::Duration::from_secs(5), events.next())
            .await
            .expect("events after resume")
            .expect("stream open")
            .expect("verified event");
        match item.event {
            PushEvent::Closed(c) => seen.push(format!("closed {} {:?}", c.request_id, c.reason)),
            PushEvent::Request(r) => seen.push(format!("created {}", r.request.request_id)),
            _ => {}
        }
    }
    assert_eq!(
        seen,
        vec![
            format!("closed {} {:?}", first.request_id, CloseReason::Superseded),
            format!("created {}", second.request_id)
        ]
    );
}

async fn expired_request_is_refused_and_reported(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let created = rp
        .create(&json!({"user": "alice", "kind": "login", "title": "t", "message": "m", "ttl_seconds": 10}))
        .await;
    let request = device.pending_one().await;
    // Past `exp` by the device's own view of server time (which it signs with), not
    // only by this machine's: under load that view can lag by a second or two, and a
    // decision signed before `exp` is still accepted (PROTOCOL.md §7.2 step 6).
    while device.client.server.server_now() <= created.exp + 1 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        device.client.pending().await.unwrap().is_empty(),
        "an expired request is not offered"
    );
    let err = device
        .approve(&request, &created.code, PIN)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RequestExpired), "{err}");
    // A decision signed in time may still arrive within 60 s, so the request is
    // final only after that grace period.
    let status = rp.status(&created.request_id).await;
    assert_eq!(status.status, RequestState::Pending);
    // It turns final 60 s after `exp` (a long poll lasts at most 60 s: ask twice).
    let mut status = rp.wait(&created.request_id, 60).await;
    if status.status == RequestState::Pending {
        status = rp.wait(&created.request_id, 60).await;
    }
    assert_eq!(status.status, RequestState::Expired);
    let result = crate::common::verify_result(&status, &server.server_key().await);
    assert!(result.decision.is_none());
}

/// TLS served by the server itself: HTTPS works with the operator's certificate,
/// and the public URL defaults to https.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_the_given_certificate() {
    let dir = crate::common::private_tempdir();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(crate::common::BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
        ])
        .arg(&cert_file)
        .arg("--tls-key")
        .arg(&key_file)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    godkend_core::client::http_client().unwrap(); // installs the crypto provider
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut info = None;
    for _ in 0..100 {
        if let Ok(r) = http
            .get(format!("https://localhost:{port}/v1/server-info"))
            .send()
            .await
        {
            info = Some(r.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    let _ = child.kill();
    let _ = child.wait();
    let info = info.expect("the server answers over HTTPS");
    assert_eq!(
        info["info"]["payload"]["public_url"],
        format!("https://127.0.0.1:{port}/")
    );
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "plain HTTP is not served on the TLS port"
    );
}

/// Several nodes behind a load balancer: the device's stream sits on node B while
/// the relying party calls node A.
async fn event_created_on_one_node_reaches_a_stream_on_another(db: Db) {
    use godkend_core::push::PushEvent;

    let node_a = TestServer::start(db).await;
    node_a.add_user("alice");
    let rp = node_a.add_rp("shop", "Shop");
    let node_b = node_a.second_node().await;
    // The device was activated through node B (its public URL), so it talks to B.
    let device = node_b.device("alice").await;
    let mut events = Box::pin(device.client.events(None).await.unwrap());
    crate::common::next_event(&mut events, 5, |e| {
        matches!(e, PushEvent::Heartbeat(_)).then_some(())
    })
    .await;
    let created = rp.login("alice").await;
    let request = crate::common::next_event(&mut events, 5, |e| match e {
        PushEvent::Request(r) => Some(r.clone()),
        _ => None,
    })
    .await;
    assert_eq!(request.request.request_id, created.request_id);
    device.approve(&request, &created.code, PIN).await.unwrap();
    // The relying party's long poll on node A sees the decision made on node B.
    assert_eq!(
        rp.wait(&created.request_id, 10).await.status,
        RequestState::Approved
    );
}

/// TLS to PostgreSQL: scripts/test.sh starts its cluster with `ssl=on` and a throw-away
/// certificate; with `sslmode=require` the server's connections are encrypted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_can_use_tls() {
    let plain = crate::common::database_url(Db::Postgres, std::path::Path::new("/")).await;
    let url = format!("{plain}?sslmode=require");
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("sslmode=require: the test cluster needs ssl=on, as scripts/test.sh starts it");
    let (ssl,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(ssl, "the connection is encrypted");
    // The server runs on the same URL.
    let dir = crate::common::private_tempdir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(crate::common::BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--database-url",
            &url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let http = godkend_core::client::http_client().unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && r.status().is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ready,
        "the server is ready on a TLS connection to PostgreSQL"
    );
}
