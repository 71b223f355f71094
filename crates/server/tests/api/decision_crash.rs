//! The app side of a crash: the real server process is SIGKILLed while a device's
//! decision is on its way, and started again on the same data dir. The decision
//! goes through the approval agent and its outbox (what the desktop app runs), via
//! a loopback TCP proxy that lets the test choose the moment of the kill:
//! - before the server committed: the proxy forwards all of the request but its
//!   last byte, so the server holds an unfinished request when it dies;
//! - after it committed: the proxy forwards the whole request and withholds the
//!   server's answer, which has begun to arrive.
//!
//! Either way the agent is told "kept" (not an error), retries once the server is
//! back, and reports the decision accepted; the server applied it exactly once
//! (decisions table and audit log), and the relying party's signed result verifies.
//! The request screen's words for those notices are checked in the app's own tests
//! (src/screen/request/tests.rs: a kept decision answered later).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use godkend_core::agent::{Agent, Choice, MemoryDevice, Notice, Work};
use godkend_core::answer::Answer;
use godkend_core::standing::Standing;
use godkend_protocol::messages::{DecisionKind, RequestState};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Notify};

use crate::common::{Db, PIN, TestServer, connect, verify_result};
use crate::outbox_retry::decisions_applied;

/// When the server dies, as seen from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// The request is at the server but for its last byte.
    BeforeCommit,
    /// The server's answer has begun to arrive at the proxy; the device never gets it.
    AfterCommit,
}

/// A TCP proxy in front of the server. Its first connection is cut as `cut` says:
/// it signals `at_cut` and holds both ends until `killed`, then drops them. Every
/// later connection is forwarded as it is.
struct CuttingProxy {
    url: String,
    cut: Cut,
    armed: AtomicBool,
    connections: AtomicU32,
    at_cut: Notify,
    killed: Notify,
    /// The status line of the answer the proxy withheld (after-commit cut).
    withheld: Mutex<Option<String>>,
    upstream: String,
}

impl CuttingProxy {
    async fn start(server: &TestServer, cut: Cut) -> Arc<CuttingProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Arc::new(CuttingProxy {
            url: format!("http://{}", listener.local_addr().unwrap()),
            cut,
            armed: AtomicBool::new(true),
            connections: AtomicU32::new(0),
            at_cut: Notify::new(),
            killed: Notify::new(),
            withheld: Mutex::default(),
            upstream: format!("127.0.0.1:{}", server.port),
        });
        let accepting = Arc::clone(&proxy);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                accepting.connections.fetch_add(1, Ordering::Relaxed);
                let proxy = Arc::clone(&accepting);
                tokio::spawn(async move {
                    let mut upstream = TcpStream::connect(&proxy.upstream).await.unwrap();
                    if proxy.armed.swap(false, Ordering::Relaxed) {
                        proxy.cut_off(client, upstream).await;
                    } else {
                        let mut client = client;
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        });
        proxy
    }

    async fn cut_off(&self, mut client: TcpStream, mut upstream: TcpStream) {
        let request = read_request(&mut client).await;
        let head = String::from_utf8_lossy(&request[..request.len().min(120)]).into_owned();
        assert!(
            head.starts_with("POST /v1/device/requests/") && head.contains("/decision "),
            "the first call through the proxy is the decision: {head}"
        );
        match self.cut {
            Cut::BeforeCommit => {
                upstream
                    .write_all(&request[..request.len() - 1])
                    .await
                    .unwrap();
            }
            Cut::AfterCommit => {
                upstream.write_all(&request).await.unwrap();
                let mut answer = [0u8; 64];
                let n = upstream.read(&mut answer).await.unwrap();
                let line = String::from_utf8_lossy(&answer[..n]);
                *self.withheld.lock().await = line.lines().next().map(str::to_owned);
            }
        }
        self.at_cut.notify_one();
        self.killed.notified().await;
        drop(upstream);
        drop(client);
    }
}

/// One whole HTTP/1.1 request (head and a `Content-Length` body) from `client`.
async fn read_request(client: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = client.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client closed before its request was whole");
        bytes.extend_from_slice(&chunk[..n]);
        let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .expect("a decision has a Content-Length")
            .trim()
            .parse()
            .unwrap();
        if bytes.len() >= head_end + 4 + length {
            return bytes;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_cut_before_the_commit_is_delivered_once_after_the_restart() {
    killed_mid_decision(Cut::BeforeCommit, DecisionKind::Approve).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_cut_after_the_commit_is_delivered_once_after_the_restart() {
    killed_mid_decision(Cut::AfterCommit, DecisionKind::Approve).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_cut_after_the_commit_is_delivered_once_after_the_restart() {
    killed_mid_decision(Cut::AfterCommit, DecisionKind::Deny).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_cut_before_the_commit_is_delivered_once_after_the_restart() {
    killed_mid_decision(Cut::BeforeCommit, DecisionKind::Deny).await;
}

async fn killed_mid_decision(cut: Cut, kind: DecisionKind) {
    let started = Instant::now();
    let mut server = TestServer::start_with(Db::Sqlite, &["--push-backoff-seconds", "0"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let proxy = CuttingProxy::start(&server, cut).await;
    let mut agent = Agent::new(Arc::new(MemoryDevice::new(Arc::new(
        device.client_at(&proxy.url),
    ))));

    let created = rp.login("alice").await;
    let id = created.request_id.clone();
    let request = device.pending_one().await;
    let choice = match kind {
        DecisionKind::Approve => Choice::Approve {
            code: created.code.as_str().into(),
            pin_key: Arc::new(device.pin(PIN)),
        },
        _ => Choice::Deny,
    };
    let deciding = tokio::spawn(agent.decide(&request, choice));

    tokio::time::timeout(Duration::from_secs(10), proxy.at_cut.notified())
        .await
        .expect("the decision reached the proxy");
    server.kill();
    let killed_at = Instant::now();
    proxy.killed.notify_one();
    let answer = deciding.await.unwrap();
    assert!(
        matches!(answer, Answer::Kept(_)),
        "a decision without an answer is kept, not failed: {answer:?}"
    );
    let effects = agent.answered(&id, kind, &answer, Instant::now());
    assert!(
        matches!(effects.notices.as_slice(), [Notice::Queued(q, _)] if *q == id),
        "the user is told it waits: {:?}",
        effects.notices
    );
    assert!(
        matches!(effects.work.as_slice(), [Work::Flush]),
        "and it is sent again"
    );

    server.restart().await;
    // Which side of the commit the kill landed on, as the database says.
    let state = match kind {
        DecisionKind::Approve => RequestState::Approved,
        _ => RequestState::Denied,
    };
    let before_retry = rp.status(&id).await.status;
    match cut {
        Cut::BeforeCommit => assert_eq!(before_retry, RequestState::Pending),
        Cut::AfterCommit => {
            assert_eq!(before_retry, state, "the server committed before it died");
            let withheld = proxy.withheld.lock().await.clone().unwrap_or_default();
            assert!(
                withheld.starts_with("HTTP/1.1 200"),
                "the withheld answer was an acceptance: {withheld}"
            );
        }
    }

    let answers = agent.flush().await;
    let delivered_after = killed_at.elapsed();
    let effects = agent.flushed(answers);
    let reported: Vec<&Answer> = effects
        .notices
        .iter()
        .filter_map(|n| match n {
            Notice::Answered(a, answer) if *a == id => Some(answer),
            _ => None,
        })
        .collect();
    assert!(
        matches!(reported.as_slice(), [Answer::Accepted(Standing::Decided(k))] if *k == kind),
        "the agent reports the decision accepted, once: {:?}",
        effects.notices
    );
    assert!(agent.flush().await.is_empty(), "nothing left in the outbox");
    assert_eq!(
        proxy.connections.load(Ordering::Relaxed),
        2,
        "the cut try, then the one retry that went through"
    );

    // Exactly once, in the audit log and in the decisions table.
    assert_eq!(decisions_applied(&server, &id), 1, "one audited decision");
    let mut db = connect(&server.database_url).await;
    let (accepted,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM decisions WHERE request_id = $1 AND http_status = 200",
    )
    .bind(&id)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(accepted, 1, "one accepted decision");
    let (state_text,): (String,) = sqlx::query_as("SELECT state FROM requests WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut db)
        .await
        .unwrap();

    // The relying party's signed result.
    let status = rp.status(&id).await;
    assert_eq!(status.status, state);
    let result = verify_result(&status, &server.server_key().await);
    assert_eq!(result.request_id, id);
    assert_eq!(result.status, state);
    assert!(result.device_signature.is_some(), "the device's signature");

    eprintln!(
        "decision killed {cut:?} ({kind:?}): kept, then delivered {:.2} s after the kill \
         (restart included); request {state_text}, 1 accepted decision, 1 audited; run {:.1} s",
        delivered_after.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
}
