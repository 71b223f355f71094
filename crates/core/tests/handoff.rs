//! The browser hand-off listener over real loopback sockets: what a browser's
//! hand-off does to the binding book, every refusal, the bounds under a flood, and a
//! hand-off from another OS user's socket (a user created for the run).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod handoff_support;

use std::time::{Duration, Instant};

use godkend_core::handoff::{
    BindingState, HandoffConfig, HandoffError, HandoffListener, Limits, WebOrigin,
};
use handoff_support::{Exchange, HandoffRequest, exchange, start};
use tokio::net::TcpStream;

const GENUINE: &str = "https://shop.example";
const LOOKALIKE: &str = "https://shop-example.login.test";

fn allowed() -> Vec<String> {
    vec![GENUINE.to_owned()]
}

fn origin(o: &str) -> WebOrigin {
    WebOrigin::from_header(o).unwrap()
}

async fn hand_off(listener: &HandoffListener, request_id: &str, from: &str) -> Exchange {
    exchange(
        listener.port(),
        &HandoffRequest::new(listener.port(), request_id, from).raw(),
    )
    .await
}

#[tokio::test]
async fn the_genuine_page_verifies_its_request() {
    let listener = start(Limits::default()).await;
    let mut events = listener.subscribe();
    assert_eq!(
        listener.open_request("req_1", &allowed()),
        BindingState::Unconfirmed
    );

    let answer = hand_off(&listener, "req_1", GENUINE).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("access-control-allow-origin"), Some(GENUINE));
    assert_eq!(answer.body, r#"{"status":"verified"}"#);
    assert_eq!(
        listener.state("req_1"),
        Some(BindingState::Verified(origin(GENUINE)))
    );
    let event = tokio::time::timeout(Duration::from_secs(2), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.request_id, "req_1");
    assert_eq!(event.origin, origin(GENUINE));
    assert_eq!(event.state, BindingState::Verified(origin(GENUINE)));
}

#[tokio::test]
async fn a_lookalike_page_marks_a_sticky_mismatch() {
    let listener = start(Limits::default()).await;
    let mut events = listener.subscribe();
    listener.open_request("req_1", &allowed());

    let answer = hand_off(&listener, "req_1", LOOKALIKE).await;
    assert_eq!(answer.status, 403, "{answer:?}");
    assert_eq!(answer.header("access-control-allow-origin"), None);
    assert_eq!(answer.body, r#"{"status":"mismatch"}"#);
    let mismatch = BindingState::Mismatch(origin(LOOKALIKE));
    assert_eq!(listener.state("req_1"), Some(mismatch.clone()));
    assert_eq!(events.recv().await.unwrap().state, mismatch);

    // The genuine page hands off afterwards: it may read the answer, but the request
    // stays a mismatch.
    let answer = hand_off(&listener, "req_1", GENUINE).await;
    assert_eq!(answer.status, 409, "{answer:?}");
    assert_eq!(answer.header("access-control-allow-origin"), Some(GENUINE));
    assert_eq!(answer.body, r#"{"status":"already_mismatched"}"#);
    assert_eq!(listener.state("req_1"), Some(mismatch.clone()));
    assert_eq!(events.recv().await.unwrap().state, mismatch);
}

#[tokio::test]
async fn a_hand_off_before_its_request_is_held_and_applied() {
    let listener = start(Limits {
        held_answer_within: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let asked = Instant::now();
    let answer = hand_off(&listener, "req_early", GENUINE).await;
    assert!(
        asked.elapsed() >= Duration::from_millis(300),
        "the answer waited for the request to open"
    );
    assert_eq!(answer.status, 202, "{answer:?}");
    assert_eq!(answer.body, r#"{"status":"held"}"#);
    // The origin cannot be judged yet, so the page is not told anything.
    assert_eq!(answer.header("access-control-allow-origin"), None);
    assert_eq!(listener.state("req_early"), None);
    assert_eq!(
        listener.open_request("req_early", &allowed()),
        BindingState::Verified(origin(GENUINE))
    );
}

/// A hand-off of `request_id` from `from`, whose answer may wait: on a task.
fn in_background(
    port: u16,
    request_id: &'static str,
    from: &'static str,
) -> tokio::task::JoinHandle<Exchange> {
    tokio::spawn(
        async move { exchange(port, &HandoffRequest::new(port, request_id, from).raw()).await },
    )
}

/// Until `n` answers wait at the listener (10 s at most).
async fn answers_waiting(listener: &HandoffListener, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while listener.answers_waiting() != n {
        assert!(
            Instant::now() < deadline,
            "{} answers wait, not {n}",
            listener.answers_waiting()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The page hands off a moment before the push reaches the app (the e2e run in CI
/// met this): the answer waits for the request and gives the page its outcome.
#[tokio::test]
async fn a_page_a_moment_ahead_of_its_request_reads_the_outcome() {
    let listener = std::sync::Arc::new(start(Limits::default()).await);
    let port = listener.port();
    let early = |id, from| in_background(port, id, from);
    let genuine = early("req_a", GENUINE);
    let lookalike = early("req_b", LOOKALIKE);
    let closed = early("req_c", GENUINE);
    // The answers are waiting: none has come back before the requests open.
    answers_waiting(&listener, 3).await;
    assert!(!genuine.is_finished() && !lookalike.is_finished() && !closed.is_finished());

    let opened = Instant::now();
    assert_eq!(
        listener.open_request("req_a", &allowed()),
        BindingState::Verified(origin(GENUINE))
    );
    listener.open_request("req_b", &allowed());
    listener.close_request("req_c");

    let answer = genuine.await.unwrap();
    assert!(
        opened.elapsed() < Duration::from_secs(1),
        "answered on opening"
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("access-control-allow-origin"), Some(GENUINE));
    assert_eq!(answer.body, r#"{"status":"verified"}"#);
    let answer = lookalike.await.unwrap();
    assert_eq!(answer.status, 403, "{answer:?}");
    assert_eq!(answer.header("access-control-allow-origin"), None);
    assert_eq!(answer.body, r#"{"status":"mismatch"}"#);
    let answer = closed.await.unwrap();
    assert_eq!(answer.status, 410, "{answer:?}");
    assert_eq!(answer.body, r#"{"status":"not_pending"}"#);
}

/// Waiting answers hold connections: only a few may wait at once, so a page that
/// hands off unknown ids cannot take the slots the genuine page needs.
#[tokio::test]
async fn only_a_few_answers_wait_at_once() {
    let listener = std::sync::Arc::new(
        start(Limits {
            held_waiting: 2,
            ..Limits::default()
        })
        .await,
    );
    let port = listener.port();
    let early = |id| in_background(port, id, GENUINE);
    let (first, second) = (early("req_1"), early("req_2"));
    answers_waiting(&listener, 2).await;
    let asked = Instant::now();
    let third = hand_off(&listener, "req_3", GENUINE).await;
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "the third did not wait"
    );
    assert_eq!(third.status, 202, "{third:?}");
    assert_eq!(third.body, r#"{"status":"held"}"#);
    // The third is held all the same: its request opens verified.
    for id in ["req_1", "req_2", "req_3"] {
        assert_eq!(
            listener.open_request(id, &allowed()),
            BindingState::Verified(origin(GENUINE))
        );
    }
    for waited in [first, second] {
        let answer = waited.await.unwrap();
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(answer.header("access-control-allow-origin"), Some(GENUINE));
    }
    // The slots were given back: a fourth early hand-off waits again.
    let fourth = early("req_4");
    answers_waiting(&listener, 1).await;
    listener.open_request("req_4", &allowed());
    assert_eq!(fourth.await.unwrap().status, 200);
}

#[tokio::test]
async fn a_superseding_request_starts_unconfirmed() {
    let listener = start(Limits::default()).await;
    listener.open_request("req_r1", &allowed());
    assert_eq!(hand_off(&listener, "req_r1", GENUINE).await.status, 200);
    // The server supersedes R with R2: the app closes R and opens R2.
    listener.close_request("req_r1");
    assert_eq!(
        listener.open_request("req_r2", &allowed()),
        BindingState::Unconfirmed
    );
    // A late hand-off of R is told it is not pending and changes nothing.
    let answer = hand_off(&listener, "req_r1", GENUINE).await;
    assert_eq!(answer.status, 410, "{answer:?}");
    assert_eq!(answer.body, r#"{"status":"not_pending"}"#);
    assert_eq!(listener.state("req_r1"), None);
    assert_eq!(listener.state("req_r2"), Some(BindingState::Unconfirmed));
}

/// A change to the well-formed hand-off, the status it must get and its error code.
type Case = (&'static str, fn(&mut HandoffRequest), u16, &'static str);

/// Sends each case's request to a listener with a pending `req_1`: each gets its
/// answer, none carries `Access-Control-Allow-Origin`, and nothing reaches the book.
async fn assert_refused(cases: &[Case]) {
    let listener = start(Limits::default()).await;
    let mut events = listener.subscribe();
    listener.open_request("req_1", &allowed());
    let port = listener.port();
    for (what, change, status, code) in cases {
        let mut request = HandoffRequest::new(port, "req_1", GENUINE);
        change(&mut request);
        let answer = exchange(port, &request.raw()).await;
        assert_eq!(answer.status, *status, "{what}: {answer:?}");
        let error = format!(r#""error":"{code}""#);
        assert!(answer.body.contains(&error), "{what}: {answer:?}");
        assert_eq!(answer.header("access-control-allow-origin"), None, "{what}");
        if *status == 405 {
            assert_eq!(answer.header("allow"), Some("POST"), "{what}");
        }
    }
    assert_eq!(listener.state("req_1"), Some(BindingState::Unconfirmed));
    assert!(
        events.try_recv().is_err(),
        "no refused request reached the app"
    );
    // The well-formed hand-off still works afterwards.
    assert_eq!(hand_off(&listener, "req_1", GENUINE).await.status, 200);
}

#[tokio::test]
async fn another_method_or_path_is_refused() {
    assert_refused(&[
        ("GET", |r| r.method = "GET", 405, "method_not_allowed"),
        (
            "a preflight",
            |r| r.method = "OPTIONS",
            405,
            "method_not_allowed",
        ),
        ("PUT", |r| r.method = "PUT", 405, "method_not_allowed"),
        (
            "another path",
            |r| r.path = "/v1/handoffs",
            404,
            "not_found",
        ),
        ("the root", |r| r.path = "/", 404, "not_found"),
        (
            "a query",
            |r| r.path = "/v1/handoff?id=req_1",
            404,
            "not_found",
        ),
    ])
    .await;
}

#[tokio::test]
async fn a_wrong_host_or_origin_is_refused() {
    assert_refused(&[
        (
            "a rebound host",
            |r| r.host = Some("shop-example.login.test".into()),
            400,
            "wrong_host",
        ),
        (
            "localhost",
            |r| r.host = Some("localhost".into()),
            400,
            "wrong_host",
        ),
        (
            "another port",
            |r| r.host = Some("127.0.0.1:1".into()),
            400,
            "wrong_host",
        ),
        ("no Host", |r| r.host = None, 400, "wrong_host"),
        ("no Origin", |r| r.origin = None, 400, "missing_origin"),
        (
            "Origin null",
            |r| r.origin = Some("null".into()),
            400,
            "bad_origin",
        ),
        (
            "an Origin with a path",
            |r| r.origin = Some(format!("{GENUINE}/")),
            400,
            "bad_origin",
        ),
    ])
    .await;
}

#[tokio::test]
async fn a_wrong_body_is_refused() {
    assert_refused(&[
        (
            "JSON",
            |r| r.content_type = "application/json",
            415,
            "wrong_content_type",
        ),
        (
            "oversized",
            |r| r.body = "a".repeat(129),
            413,
            "body_too_large",
        ),
        (
            "oversized chunks",
            |r| (r.body, r.chunked) = ("a".repeat(4096), true),
            413,
            "body_too_large",
        ),
        (
            "not an id",
            |r| r.body = "req_1; DROP".into(),
            400,
            "bad_request_id",
        ),
        ("empty", |r| r.body = String::new(), 400, "bad_request_id"),
        (
            "control characters",
            |r| r.body = "req\u{0}\u{1}".into(),
            400,
            "bad_request_id",
        ),
    ])
    .await;
}

#[tokio::test]
async fn garbage_is_refused_and_the_listener_goes_on() {
    let listener = start(Limits::default()).await;
    listener.open_request("req_1", &allowed());
    let answer = exchange(listener.port(), "NONSENSE\r\n\r\n").await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(hand_off(&listener, "req_1", GENUINE).await.status, 200);
}

#[tokio::test]
async fn the_first_free_port_is_taken_and_none_free_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let config = HandoffConfig {
        ports: vec![taken_port, 0],
        ..HandoffConfig::default()
    };
    let listener = HandoffListener::start(config).await.unwrap();
    assert_ne!(listener.port(), taken_port);

    let config = HandoffConfig {
        ports: vec![taken_port],
        ..HandoffConfig::default()
    };
    assert!(matches!(
        HandoffListener::start(config).await,
        Err(HandoffError::NoFreePort { .. })
    ));
}

#[tokio::test]
async fn a_stopped_listener_closes_its_port_and_connections() {
    let listener = start(Limits::default()).await;
    let port = listener.port();
    let idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    listener.stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    let mut buf = [0u8; 16];
    idle.readable().await.unwrap();
    assert_eq!(
        idle.try_read(&mut buf).unwrap_or(0),
        0,
        "the idle connection was closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_hand_offs_is_bounded_and_the_next_one_works() {
    let limits = Limits {
        per_second: 10,
        burst: 20,
        ..Limits::default()
    };
    let listener = start(limits).await;
    listener.open_request("req_1", &allowed());
    let port = listener.port();
    let raw = HandoffRequest::new(port, "req_1", GENUINE).raw();
    let started = Instant::now();
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let raw = raw.clone();
        flood.spawn(async move { handoff_support::try_exchange(port, &raw).await });
    }
    let (mut taken, mut too_many, mut closed) = (0u32, 0u32, 0u32);
    while let Some(result) = flood.join_next().await {
        match result.unwrap() {
            Some(answer) if answer.status == 200 => taken += 1,
            Some(answer) if answer.status == 429 => too_many += 1,
            Some(answer) => panic!("unexpected answer {answer:?}"),
            None => closed += 1,
        }
    }
    let took = started.elapsed();
    println!(
        "flood of 200: {taken} taken, {too_many} too many, {closed} closed at accept, in {took:?}"
    );
    // The burst, plus what the rate refilled while the flood lasted.
    let refilled = u32::try_from(took.as_millis() / 100).unwrap() + 1;
    assert!(taken <= 20 + refilled, "{taken} taken in {took:?}");
    assert!(too_many + closed > 0);
    assert!(took < Duration::from_secs(5), "the flood took {took:?}");
    // A second later the user's own hand-off goes through, at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    let answer = hand_off(&listener, "req_1", GENUINE).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(asked.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_bounded_and_timed_out() {
    let limits = Limits {
        max_connections: 4,
        header_time: Duration::from_millis(300),
        connection_time: Duration::from_millis(600),
        ..Limits::default()
    };
    let listener = start(limits).await;
    let port = listener.port();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A fifth is closed as soon as it is accepted: the hand-off fails, nothing hangs.
    assert!(
        handoff_support::try_exchange(port, &HandoffRequest::new(port, "req_1", GENUINE).raw())
            .await
            .is_none()
    );
    // Once the idle ones have run out of time, hand-offs work again.
    tokio::time::sleep(Duration::from_millis(800)).await;
    listener.open_request("req_1", &allowed());
    assert_eq!(hand_off(&listener, "req_1", GENUINE).await.status, 200);
    for stream in idle {
        let mut buf = [0u8; 256];
        stream.readable().await.unwrap();
        // Closed by the listener: EOF, or hyper's 408 and then EOF.
        let n = stream.try_read(&mut buf).unwrap_or(0);
        assert!(
            n == 0 || buf.starts_with(b"HTTP/1.1 408"),
            "{:?}",
            &buf[..n]
        );
    }
}
