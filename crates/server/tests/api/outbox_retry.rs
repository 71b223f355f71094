//! The outbox against the real server behind a loopback reverse proxy that answers
//! decision calls with scripted errors first: a decision is kept on every answer that
//! is not final and delivered exactly once later; a final refusal is not retried;
//! every queued decision reports; an unknown code is judged by its HTTP status.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use godkend_core::client::DeviceClient;
use godkend_core::outbox::{Delivery, Outbox};
use godkend_core::retry::Backoff;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::RequestState;

use crate::common::{Db, PIN, TestServer};

both_backends!(
    a_decision_kept_through_server_errors_is_delivered_once,
    a_final_refusal_is_not_retried,
    every_queued_decision_reports,
    an_unknown_code_is_judged_by_its_status,
    a_kept_decision_is_dropped_once_its_deadline_passed,
);

/// A scripted answer: status and body.
type Canned = (u16, String);

/// Answers decision calls from its script while it lasts, then forwards them; every
/// other call is forwarded at once.
pub(crate) struct Proxy {
    upstream: String,
    script: Mutex<VecDeque<Canned>>,
    /// Decision calls seen, canned or forwarded.
    decisions: Mutex<u32>,
    http: reqwest::Client,
}

impl Proxy {
    pub(crate) async fn start(upstream: &str) -> (Arc<Proxy>, String) {
        let proxy = Arc::new(Proxy {
            upstream: upstream.trim_end_matches('/').to_owned(),
            script: Mutex::default(),
            decisions: Mutex::default(),
            http: reqwest::Client::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&proxy));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (proxy, url)
    }

    pub(crate) fn script(&self, answers: impl IntoIterator<Item = Canned>) {
        self.script.lock().unwrap().extend(answers);
    }

    pub(crate) fn decisions(&self) -> u32 {
        *self.decisions.lock().unwrap()
    }
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.ends_with("/decision") {
        *proxy.decisions.lock().unwrap() += 1;
        let canned = proxy.script.lock().unwrap().pop_front();
        if let Some((status, body)) = canned {
            let is_problem = body.starts_with('{');
            let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
            if is_problem {
                response.headers_mut().insert(
                    "content-type",
                    godkend_protocol::problem::CONTENT_TYPE.parse().unwrap(),
                );
            }
            return response;
        }
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let mut upstream = proxy
        .http
        .request(parts.method, format!("{}{path}{query}", proxy.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

/// A problem body as a server (possibly a newer one) would send it.
pub(crate) fn problem(code: &str, status: u16) -> Canned {
    let body = serde_json::json!({
        "type": format!("https://godkend.dev/problems/{code}"),
        "title": "scripted",
        "status": status,
        "code": code,
    });
    (status, body.to_string())
}

/// Short delays, so the test does not wait for the real ones.
fn quick() -> Backoff {
    Backoff::new(Duration::from_millis(20), Duration::from_millis(100))
}

/// The test server, a proxy in front of it, a device talking through the proxy, and
/// its outbox.
pub(crate) struct Setup {
    pub(crate) server: TestServer,
    pub(crate) rp: crate::common::Rp,
    pub(crate) device: crate::common::Device,
    pub(crate) proxy: Arc<Proxy>,
    pub(crate) via_proxy: DeviceClient,
    outbox: Outbox,
    _dir: tempfile::TempDir,
}

pub(crate) async fn setup(db: Db) -> Setup {
    // Denials back off further requests; not what these tests are about.
    let server = TestServer::start_with(db, &["--push-backoff-seconds", "0"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let (proxy, url) = Proxy::start(&server.url).await;
    let via_proxy = device.client_at(&url);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox.json"), &[9; 32]);
    Setup {
        server,
        rp,
        device,
        proxy,
        via_proxy,
        outbox,
        _dir: dir,
    }
}

/// How many decisions the server's audit log records for `request_id`.
pub(crate) fn decisions_applied(server: &TestServer, request_id: &str) -> usize {
    let audit = server.admin(&["audit"]).unwrap();
    audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["event"] == "decision" && e["detail"].as_str().unwrap_or("").starts_with(request_id)
        })
        .count()
}

async fn a_decision_kept_through_server_errors_is_delivered_once(db: Db) {
    let s = setup(db).await;
    let created = s.rp.login("alice").await;
    let request = s.device.pending_one().await;
    let signed = s
        .via_proxy
        .approve(&request, &created.code, &s.device.pin(PIN))
        .unwrap();
    // "Being processed", an internal fault, a bare 502 from a proxy, a rate limit.
    s.proxy.script([
        problem("retry_later", 503),
        problem("internal", 500),
        (502, "bad gateway".to_owned()),
        problem("rate_limited", 429),
    ]);
    let first = s.outbox.send(&s.via_proxy, &signed).await.unwrap();
    assert!(
        matches!(&first, Delivery::Kept(e) if e.code() == Some(ErrorCode::RetryLater)),
        "{first:?}"
    );
    assert_eq!(s.outbox.pending().unwrap().len(), 1, "kept in the outbox");

    let settled = s.outbox.settle(&s.via_proxy, quick()).await.unwrap();
    match &settled[..] {
        [(id, Delivery::Accepted(answer))] => {
            assert_eq!(id, &created.request_id);
            assert_eq!(answer.status, RequestState::Approved);
        }
        other => panic!("expected one accepted decision, got {other:?}"),
    }
    assert_eq!(
        s.proxy.decisions(),
        5,
        "four refused tries, then the one that went through"
    );
    assert!(s.outbox.pending().unwrap().is_empty());
    assert_eq!(decisions_applied(&s.server, &created.request_id), 1);
    assert_eq!(
        s.rp.status(&created.request_id).await.status,
        RequestState::Approved
    );
}

async fn a_final_refusal_is_not_retried(db: Db) {
    let s = setup(db).await;
    s.rp.login("alice").await;
    let request = s.device.pending_one().await;
    let wrong = s
        .via_proxy
        .approve(&request, "000000", &s.device.pin(PIN))
        .unwrap();
    let delivery = s.outbox.send(&s.via_proxy, &wrong).await.unwrap();
    assert!(
        matches!(&delivery, Delivery::Refused(e) if e.code() == Some(ErrorCode::CodeMismatch)),
        "{delivery:?}"
    );
    assert!(
        s.outbox.pending().unwrap().is_empty(),
        "a final refusal is removed"
    );
    assert!(
        s.outbox
            .settle(&s.via_proxy, quick())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.proxy.decisions(), 1, "sent once, never again");
}

async fn every_queued_decision_reports(db: Db) {
    let s = setup(db).await;
    // A decision kept while the server cannot take it ...
    let first = s.rp.login("alice").await;
    let request = s.device.pending_one().await;
    let denied = s.via_proxy.refuse(&request, false).unwrap();
    s.proxy
        .script([problem("retry_later", 503), problem("retry_later", 503)]);
    assert!(
        s.outbox
            .send(&s.via_proxy, &denied)
            .await
            .unwrap()
            .is_kept()
    );
    // ... then a newer request replaces that one, and is approved while the server
    // still cannot take it.
    let second = s.rp.login("alice").await;
    let request = s.device.pending_one().await;
    let approved = s
        .via_proxy
        .approve(&request, &second.code, &s.device.pin(PIN))
        .unwrap();
    assert!(
        s.outbox
            .send(&s.via_proxy, &approved)
            .await
            .unwrap()
            .is_kept()
    );
    assert_eq!(s.outbox.pending().unwrap().len(), 2);

    let mut settled = s.outbox.settle(&s.via_proxy, quick()).await.unwrap();
    settled.sort_by_key(|(id, _)| (id != &first.request_id, id.clone()));
    match &settled[..] {
        [
            (a, Delivery::Refused(late)),
            (b, Delivery::Accepted(answer)),
        ] => {
            assert_eq!(a, &first.request_id);
            assert_eq!(late.code(), Some(ErrorCode::RequestNotPending));
            assert_eq!(b, &second.request_id);
            assert_eq!(answer.status, RequestState::Approved);
        }
        other => panic!("expected both decisions to report, got {other:?}"),
    }
    assert!(s.outbox.pending().unwrap().is_empty());
}

async fn an_unknown_code_is_judged_by_its_status(db: Db) {
    let s = setup(db).await;
    let created = s.rp.login("alice").await;
    let request = s.device.pending_one().await;
    let signed = s
        .via_proxy
        .approve(&request, &created.code, &s.device.pin(PIN))
        .unwrap();

    // A code from a newer server with a 5xx status: not final, kept.
    s.proxy.script([problem("overloaded_elsewhere", 503)]);
    let kept = s.outbox.send(&s.via_proxy, &signed).await.unwrap();
    assert!(
        matches!(&kept, Delivery::Kept(e) if e.code() == Some(ErrorCode::Unknown)),
        "{kept:?}"
    );
    assert_eq!(s.outbox.pending().unwrap().len(), 1);

    // The same kind of code with a 4xx status: a final refusal, removed.
    s.proxy.script([problem("refused_for_a_new_reason", 422)]);
    let settled = s.outbox.settle(&s.via_proxy, quick()).await.unwrap();
    match &settled[..] {
        [(_, Delivery::Refused(e))] => assert_eq!(e.code(), Some(ErrorCode::Unknown)),
        other => panic!("expected a final refusal, got {other:?}"),
    }
    assert!(s.outbox.pending().unwrap().is_empty());
    assert_eq!(s.proxy.decisions(), 2);
    // It never reached the server: the request still waits.
    assert_eq!(
        s.rp.status(&created.request_id).await.status,
        RequestState::Pending
    );
}

async fn a_kept_decision_is_dropped_once_its_deadline_passed(db: Db) {
    let s = setup(db).await;
    s.rp.login("alice").await;
    let request = s.device.pending_one().await;
    let denied = s.via_proxy.refuse(&request, false).unwrap();
    s.proxy
        .script([problem("internal", 500), problem("internal", 500)]);
    assert!(
        s.outbox
            .send(&s.via_proxy, &denied)
            .await
            .unwrap()
            .is_kept()
    );
    // Later than the request's exp plus the grace, as the device sees server time.
    s.via_proxy
        .server
        .set_local_clock_skew(denied.deadline - s.via_proxy.server.server_now() + 1);
    let settled = s.outbox.settle(&s.via_proxy, quick()).await.unwrap();
    assert!(
        matches!(&settled[..], [(_, Delivery::Lapsed(_))]),
        "{settled:?}"
    );
    assert!(s.outbox.pending().unwrap().is_empty());
    assert_eq!(s.proxy.decisions(), 2);
}
