//! Issue 15's headline test through every real part: the real server signs the RP's
//! origin into each request, godkend-core's agent (fed by the real push connection)
//! opens it in its loopback `HandoffListener`, and headless Chromium loads the RP's
//! page, which calls the served `/godkend.js`. The browser, not the page, names the
//! origin: the genuine `shop.example` page lets the agent approve with the PIN and no
//! code, a lookalike's hand-off marks the request for good, and the RP's signed
//! result says which. Both host names map to 127.0.0.1 through Chromium's
//! `--host-resolver-rules`, so no DNS is involved.
//!
//! The listener binds a free port (47470 may be taken on a test machine), so the page
//! passes it to `Godkend.handOff` as `options.ports`, the snippet's test option; what
//! the snippet does with it is what it does with its fixed ports in production.

use std::future::IntoFuture as _;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::Path;
use axum::response::Html;
use godkend_core::PinKey;
use godkend_core::agent::Choice;
use godkend_core::answer::Answer;
use godkend_core::handoff::{BindingState, HandoffConfig, HandoffListener, WebOrigin};
use godkend_core::push::VerifiedRequest;
use godkend_core::standing::Standing;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::{DecisionKind, RequestState};
use serde_json::json;

use crate::agent::Live;
use crate::browser::{Chromedriver, browser_missing, chromium_version, until};
use godkend_protocol::messages::CreatedRequest;

use crate::common::{Db, Device, PIN, Rp, TestServer};
use crate::origin_binding::signed_result;

/// Maps the genuine and the lookalike host to loopback, where the test's pages are.
const HOST_RULES: &str =
    "--host-resolver-rules=MAP shop.example 127.0.0.1, MAP shop-example.login.test 127.0.0.1";

/// A server with alice's device and the RP `shop` at `origin`; her agent runs on the
/// real push connection with a hand-off listener on a free loopback port.
pub(crate) struct Setup {
    pub(crate) server: TestServer,
    pub(crate) rp: Rp,
    pub(crate) live: Live,
    pin_key: Arc<PinKey>,
    pub(crate) listener_port: u16,
    _device: Device,
}

pub(crate) async fn setup(origin: &str) -> Setup {
    let server = TestServer::start_with(Db::Sqlite, &["--push-backoff-seconds", "0"]).await;
    server.add_user("alice");
    let rp = server.add_rp_with_origins("shop", "Shop", &[origin]);
    let device = server.device("alice").await;
    let mut live = Live::start(device.client_at(&server.url));
    let config = HandoffConfig {
        ports: vec![0],
        ..HandoffConfig::default()
    };
    let listener = HandoffListener::start(config)
        .await
        .expect("the hand-off listener starts");
    let listener_port = listener.port();
    live.agent.attach_handoff(Arc::new(listener));
    Setup {
        pin_key: Arc::new(device.pin(PIN)),
        server,
        rp,
        live,
        listener_port,
        _device: device,
    }
}

impl Setup {
    /// The RP asks alice to sign in with `binding`; the agent has it once it returns.
    pub(crate) async fn ask(&mut self, binding: &str) -> (CreatedRequest, VerifiedRequest) {
        let created = self
            .rp
            .create(
                &json!({"user": "alice", "kind": "login", "title": "Sign in to Shop",
                            "message": "Sign in from Chromium", "origin_binding": binding}),
            )
            .await;
        let request = self.live.arrival(&created.request_id).await;
        (created, request)
    }

    /// Decides through the agent, as the request screen does, and tells it the answer.
    async fn decide(&mut self, request: &VerifiedRequest, choice: Choice) -> Answer {
        let kind = choice.kind();
        let answer = self.live.agent.decide(request, choice).await;
        // Its effects are for the screen; the agent closes the request (and its
        // hand-off) on an accepted answer.
        let _ =
            self.live
                .agent
                .answered(&request.request.request_id, kind, &answer, Instant::now());
        answer
    }

    pub(crate) async fn approve(&mut self, request: &VerifiedRequest, code: &str) -> Answer {
        let choice = Choice::Approve {
            code: code.into(),
            pin_key: Arc::clone(&self.pin_key),
        };
        self.decide(request, choice).await
    }

    pub(crate) fn binding(&self, request: &VerifiedRequest) -> BindingState {
        self.live.agent.binding(&request.request.request_id)
    }
}

pub(crate) fn accepted_as(answer: &Answer, kind: DecisionKind) {
    assert!(
        matches!(answer, Answer::Accepted(Standing::Decided(k)) if *k == kind),
        "expected {kind:?} accepted: {answer:?}"
    );
}

pub(crate) fn refused_with(answer: &Answer, code: ErrorCode) {
    match answer {
        Answer::Refused(refusal) => assert_eq!(refusal.code, Some(code), "{refusal:?}"),
        other => panic!("expected a refusal with {code:?}: {other:?}"),
    }
}

/// Serves the RP's sign-in page on `pages` for any host name: `/<request id>` is the
/// page its server renders for that sign-in, with the id written into it (never read
/// from the address by the script) and the served `/godkend.js` handing it off. The
/// page records the snippet's result in `body[data-result]`.
fn serve_pages(pages: tokio::net::TcpListener, server_url: &str, listener_port: u16) {
    let snippet = format!("{server_url}/godkend.js");
    let app = axum::Router::new().route(
        "/{id}",
        axum::routing::get(move |Path(id): Path<String>| {
            let snippet = snippet.clone();
            async move {
                // Anything else (the browser's /favicon.ico) is not a sign-in.
                if !godkend_core::handoff::is_request_id(&id) {
                    return Err(axum::http::StatusCode::NOT_FOUND);
                }
                Ok(Html(format!(
                    r#"<!doctype html><html><head><title>Shop</title></head>
<body data-result="pending"><script src="{snippet}"></script><script>
Godkend.handOff("{id}", {{ ports: [{listener_port}] }}).then(function (r) {{
  document.body.dataset.result = r.handedOff ? "handed-off" : "not-handed-off";
}});
</script></body></html>"#
                )))
            }
        }),
    );
    tokio::spawn(axum::serve(pages, app).into_future());
}

/// Opens `url` in the browser and waits for the snippet's result.
async fn hand_off(browser: &fantoccini::Client, url: &str) -> String {
    browser.goto(url).await.unwrap();
    let result = until(
        &format!("the hand-off from {url}"),
        async || {
            browser
                .execute("return document.body.dataset.result;", vec![])
                .await
                .unwrap()
        },
        |v| v != "pending",
    )
    .await;
    result.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_hand_off_binds_the_agents_decisions_to_the_origin() {
    if let Some(why) = browser_missing() {
        eprintln!("!!!!!!!! SKIPPED: {why}: no end-to-end origin binding test !!!!!!!!");
        return;
    }
    println!("browser: {}", chromium_version());
    let pages = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = pages.local_addr().unwrap().port();
    let genuine = format!("http://shop.example:{port}");
    let lookalike = format!("http://shop-example.login.test:{port}");
    let mut s = setup(&genuine).await;
    serve_pages(pages, &s.server.url, s.listener_port);
    let driver = Chromedriver::start(&s.server.http).await;
    let browser = driver.connect_with(&[HOST_RULES]).await;

    // (a) The genuine page hands off: verified, and the PIN alone approves.
    let (created, request) = s.ask("required").await;
    assert_eq!(request.request.rp_origins, std::slice::from_ref(&genuine));
    let page = format!("{genuine}/{}", created.request_id);
    assert_eq!(hand_off(&browser, &page).await, "handed-off");
    let verified = BindingState::Verified(WebOrigin::from_header(&genuine).unwrap());
    assert_eq!(s.binding(&request), verified);
    accepted_as(&s.approve(&request, "").await, DecisionKind::Approve);
    let result = signed_result(&s.server, &s.rp, &created.request_id).await;
    assert_eq!(result.status, RequestState::Approved);
    assert!(result.origin_verified);
    assert_eq!(result.origin.as_deref(), Some(genuine.as_str()));
    assert!(!result.suspected_phishing);
    let decision = result.decision.unwrap();
    assert!(decision.get("code").is_none(), "no code typed: {decision}");

    // (b) A lookalike relays the next sign-in: its hand-off reaches the app (the
    // page cannot read the answer), the request is marked, and even the right code
    // cannot approve it.
    let (created, request) = s.ask("preferred").await;
    let page = format!("{lookalike}/{}", created.request_id);
    assert_eq!(hand_off(&browser, &page).await, "not-handed-off");
    let mismatch = BindingState::Mismatch(WebOrigin::from_header(&lookalike).unwrap());
    assert_eq!(s.binding(&request), mismatch);
    refused_with(
        &s.approve(&request, &created.code).await,
        ErrorCode::OriginMismatch,
    );
    // Sticky: the genuine page handing it off afterwards changes nothing.
    let page = format!("{genuine}/{}", created.request_id);
    assert_eq!(hand_off(&browser, &page).await, "not-handed-off");
    assert_eq!(s.binding(&request), mismatch);
    refused_with(&s.approve(&request, "").await, ErrorCode::OriginMismatch);
    // "Not me" goes through, and the RP learns it was suspected phishing.
    accepted_as(
        &s.decide(&request, Choice::NotMe).await,
        DecisionKind::NotMe,
    );
    let result = signed_result(&s.server, &s.rp, &created.request_id).await;
    assert_eq!(result.status, RequestState::NotMe);
    assert!(result.suspected_phishing);
    assert!(!result.origin_verified);
    assert_eq!(result.origin.as_deref(), Some(lookalike.as_str()));

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_hand_off_the_agent_needs_the_code_or_is_refused() {
    let mut s = setup("http://shop.example:8080").await;

    // (c) `required` and no page handed it off: the right code does not approve it.
    let (created, request) = s.ask("required").await;
    assert_eq!(s.binding(&request), BindingState::Unconfirmed);
    refused_with(
        &s.approve(&request, &created.code).await,
        ErrorCode::OriginRequired,
    );
    assert_eq!(
        s.rp.status(&created.request_id).await.status,
        RequestState::Pending
    );

    // (d) `preferred` and no hand-off: today's flow, the typed code approves.
    let (created, request) = s.ask("preferred").await;
    assert_eq!(s.binding(&request), BindingState::Unconfirmed);
    refused_with(&s.approve(&request, "").await, ErrorCode::BadRequest);
    accepted_as(
        &s.approve(&request, &created.code).await,
        DecisionKind::Approve,
    );
    let result = signed_result(&s.server, &s.rp, &created.request_id).await;
    assert_eq!(result.status, RequestState::Approved);
    assert!(!result.origin_verified);
    assert_eq!(result.origin, None);
    assert!(!result.suspected_phishing);
}
