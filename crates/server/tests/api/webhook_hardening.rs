//! Webhook hardening: loopback only with the operator's opt-in, no proxy unless the
//! operator names one, and a relying party with silent endpoints cannot hold up
//! another relying party's webhooks. Every destination here is on loopback; other
//! addresses are only ever refused literals, never connected to.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use godkend_protocol::Envelope;
use godkend_protocol::messages::{RequestState, RpResult};
use serde_json::json;
use tokio::io::AsyncReadExt as _;

use crate::common::{BIN, Db, PIN, TestServer};

both_backends!(
    webhooks_to_loopback_need_the_operator_opt_in,
    a_silent_relying_party_does_not_hold_up_another_ones_webhooks,
    a_hanging_try_is_not_sent_again_while_it_runs,
);

const ALLOW_LOOPBACK: &str = "--webhook-allow-loopback";

/// A relying party's endpoint on loopback that keeps every body POSTed to it.
#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    /// Starts it; returns its base URL (`http://127.0.0.1:PORT`).
    async fn start(&self) -> String {
        let bodies = self.bodies.clone();
        let app = axum::Router::new().fallback(move |body: String| {
            let bodies = bodies.clone();
            async move {
                bodies.lock().unwrap().push(body);
                StatusCode::NO_CONTENT
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn count(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }

    fn results(&self, key: &godkend_protocol::PublicKey) -> Vec<RpResult> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| Envelope::from_json(b).unwrap().open(&[key]).unwrap())
            .collect()
    }
}

/// A loopback listener that accepts connections and never answers: a webhook
/// endpoint that hangs. Counts connections accepted and connections the server
/// closed (its timeout ending a try).
#[derive(Clone, Default)]
struct Tarpit {
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl Tarpit {
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (accepted, closed) = (self.accepted.clone(), self.closed.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let closed = closed.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                    closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        url
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }
}

/// Polls `done` every 100 ms for up to `secs` seconds; true once it holds.
async fn eventually(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..secs * 10 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    done()
}

fn request_with_hook(user: &str, hook: &str) -> serde_json::Value {
    json!({"user": user, "kind": "login", "title": "Sign in", "message": "m", "webhook_url": hook})
}

async fn webhooks_to_loopback_need_the_operator_opt_in(db: Db) {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let port = base.rsplit(':').next().unwrap();
    let mut server = TestServer::start(db).await;
    server.add_user("alice");
    server.add_user("bob");
    let rp = server.add_rp("shop", "Shop");
    let alice = server.device("alice").await;
    let bob = server.device("bob").await;

    // Without the opt-in, loopback and every non-global literal are refused when the
    // request is created (nothing is connected to).
    for refused in [
        format!("{base}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        "https://[::ffff:127.0.0.1]/hook".to_owned(),
        "https://[64:ff9b::a9fe:a9fe]/latest".to_owned(), // NAT64 of 169.254.169.254
        "https://[2002:a00:1::1]/hook".to_owned(),        // 6to4 of 10.0.0.1
        "https://[::a00:1]/hook".to_owned(),              // IPv4-compatible 10.0.0.1
        "https://0.0.0.0/hook".to_owned(),
        "https://192.0.0.8/hook".to_owned(),
        "https://198.18.0.1/hook".to_owned(),
        "https://240.0.0.1/hook".to_owned(),
        "https://[fec0::1]/hook".to_owned(),
    ] {
        let r = rp.create_raw(&request_with_hook("alice", &refused)).await;
        assert_eq!(r.status(), 400, "{refused}");
    }

    // With the opt-in a relying party may name loopback, by address or by name.
    server.extra = vec![ALLOW_LOOPBACK.into()];
    server.restart().await;
    let by_address = rp
        .create(&request_with_hook(
            "alice",
            &format!("{base}/a?token=s3cret"),
        ))
        .await;
    let by_name = rp
        .create(&request_with_hook(
            "bob",
            &format!("http://localhost:{port}/b?token=s3cret"),
        ))
        .await;

    // The operator takes the opt-in away before the results are due: the check at
    // delivery refuses both, and nothing reaches the endpoint.
    server.extra.clear();
    server.restart().await;
    let request = alice.pending_one().await;
    alice
        .approve(&request, &by_address.code, PIN)
        .await
        .unwrap();
    let request = bob.pending_one().await;
    bob.approve(&request, &by_name.code, PIN).await.unwrap();
    let refused_twice = eventually(20, || {
        server
            .log()
            .matches("need the operator's --webhook-allow-loopback")
            .count()
            >= 2
    })
    .await;
    assert!(refused_twice, "both tries refused: {}", server.log());
    assert_eq!(
        receiver.count(),
        0,
        "nothing sent to loopback without the opt-in"
    );
    assert!(
        !server.log().contains("s3cret"),
        "no webhook query string in the log"
    );

    // Opted in again, the retries deliver both.
    server.extra = vec![ALLOW_LOOPBACK.into()];
    server.restart().await;
    assert!(
        eventually(30, || receiver.count() >= 2).await,
        "{}",
        server.log()
    );
    let key = server.server_key().await;
    let mut delivered: Vec<_> = receiver
        .results(&key)
        .into_iter()
        .map(|r| {
            assert_eq!(r.status, RequestState::Approved);
            r.request_id
        })
        .collect();
    delivered.sort();
    let mut expected = vec![by_address.request_id, by_name.request_id];
    expected.sort();
    assert_eq!(delivered, expected);
}

async fn a_silent_relying_party_does_not_hold_up_another_ones_webhooks(db: Db) {
    let tarpits: Vec<Tarpit> = (0..4).map(|_| Tarpit::default()).collect();
    let mut hooks = Vec::new();
    for tarpit in &tarpits {
        hooks.push(tarpit.start().await);
    }
    let receiver = Receiver::default();
    let quick_hook = format!("{}/hook", receiver.start().await);
    let server = TestServer::start_with(
        db,
        &[
            ALLOW_LOOPBACK,
            "--webhook-per-rp",
            "3",
            "--webhook-per-destination",
            "1",
        ],
    )
    .await;
    server.add_user("alice");
    server.add_user("bob");
    let slow = server.add_rp("slow", "Slow");
    let quick = server.add_rp("quick", "Quick");
    let _alice = server.device("alice").await;
    let _bob = server.device("bob").await;

    // The slow RP's endpoints all hang. Each new request supersedes the one before,
    // which makes that one final and its webhook due: five due, two to one tarpit.
    for hook in [&hooks[0], &hooks[0], &hooks[1], &hooks[2], &hooks[3]] {
        slow.create(&request_with_hook("alice", hook)).await;
    }
    slow.login("alice").await;
    let accepted = || tarpits.iter().map(Tarpit::accepted).sum::<usize>();
    let closed = || tarpits.iter().map(Tarpit::closed).sum::<usize>();
    // Serial delivery would connect to one tarpit and wait out its timeout (a
    // close) before the next; here three hang at once, the slow RP's cap.
    eventually(30, || accepted() >= 3 || closed() > 0).await;
    assert_eq!(
        (accepted(), closed()),
        (3, 0),
        "three tries in flight at once, none timed out yet"
    );

    // The quick RP's webhook arrives while all three still hang: before any of the
    // slow RP's tries times out.
    let created = quick.create(&request_with_hook("bob", &quick_hook)).await;
    quick.login("bob").await;
    eventually(30, || receiver.count() > 0 || closed() > 0).await;
    assert_eq!(receiver.count(), 1, "{}", server.log());
    assert_eq!(closed(), 0, "delivered before any slow try timed out");
    assert_eq!(accepted(), 3, "the slow RP never had more than 3 in flight");
    // Which three of the five due tries go first depends on timing; the one tarpit
    // that two of them share never gets both at once.
    assert!(
        tarpits[0].accepted() <= 1,
        "one at a time to one destination"
    );
    let key = server.server_key().await;
    let result = &receiver.results(&key)[0];
    assert_eq!(result.request_id, created.request_id);
    assert_eq!(result.status, RequestState::Superseded);
}

async fn a_hanging_try_is_not_sent_again_while_it_runs(db: Db) {
    let tarpit = Tarpit::default();
    let hook = tarpit.start().await;
    let first = TestServer::start_with(db, &[ALLOW_LOOPBACK]).await;
    let second = first.second_node().await;
    first.add_user("alice");
    let rp = first.add_rp("shop", "Shop");
    let _alice = first.device("alice").await;
    rp.create(&request_with_hook("alice", &hook)).await;
    rp.login("alice").await; // supersedes the first: its webhook is due
    // The try hangs until the server's timeout closes it. A claim that lapsed
    // before that would let the other node send the same result beside it.
    let timed_out = eventually(40, || tarpit.closed() > 0).await;
    assert!(timed_out, "{}{}", first.log(), second.log());
    assert_eq!(
        (tarpit.accepted(), tarpit.closed()),
        (1, 1),
        "one try at a time across both nodes"
    );
}

/// A server process started by hand, for an environment the harness does not set.
struct RawServer(Child);

impl Drop for RawServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_use_a_proxy_only_when_the_operator_names_one() {
    // The "proxy" is a receiver: a plain HTTP proxy request (absolute-form URI) lands
    // on its fallback route, so it counts what went through it.
    let proxy = Receiver::default();
    let proxy_url = proxy.start().await;
    let endpoint = Receiver::default();
    let hook = format!("{}/hook", endpoint.start().await);

    // Named by the operator: the webhook goes through the proxy.
    let mut server = TestServer::start_with(
        Db::Sqlite,
        &[ALLOW_LOOPBACK, "--webhook-proxy", proxy_url.as_str()],
    )
    .await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let _alice = server.device("alice").await;
    rp.create(&request_with_hook("alice", &hook)).await;
    rp.login("alice").await; // supersedes the first: its webhook is due
    assert!(
        eventually(20, || proxy.count() == 1).await,
        "{}",
        server.log()
    );
    assert_eq!(endpoint.count(), 0);

    // Only in the environment: ignored, the webhook goes straight to the endpoint.
    server.kill();
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(server.dir.path())
        .args(["--database-url", &server.database_url])
        .args(["--public-url", &server.url, "serve", "--listen"])
        .arg(format!("127.0.0.1:{}", server.port))
        .arg(ALLOW_LOOPBACK)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for name in ["http_proxy", "https_proxy", "all_proxy"] {
        command.env(name, &proxy_url);
        command.env(name.to_uppercase(), &proxy_url);
    }
    for name in ["no_proxy", "NO_PROXY", "REQUEST_METHOD"] {
        command.env_remove(name);
    }
    let _raw = RawServer(command.spawn().unwrap());
    let ready = format!("{}/readyz", server.url);
    let mut up = false;
    for _ in 0..200 {
        if let Ok(r) = server.http.get(&ready).send().await
            && r.status().is_success()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not start");
    rp.create(&request_with_hook("alice", &hook)).await;
    rp.login("alice").await;
    assert!(eventually(20, || endpoint.count() == 1).await);
    assert_eq!(proxy.count(), 1, "nothing more through the proxy");
}
