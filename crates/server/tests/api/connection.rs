//! The device's push connection (godkend-core) against the real server: restarts,
//! outages and resume.

use std::sync::Arc;
use std::time::Duration;

use godkend_core::client::{DeviceClient, ServerClient};
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

/// The id of a request that arrived on the stream.
fn request_arrived(update: &PushUpdate) -> Option<String> {
    match update {
        PushUpdate::Event(e) => match &**e {
            PushEvent::Request(r) => Some(r.request.request_id.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The same device as `device`, reaching the server only through `url`.
fn same_device_via(device: &crate::common::Device, url: &str) -> Arc<DeviceClient> {
    let via = ServerClient::new(
        url::Url::parse(url).unwrap(),
        device.client.server.server_key(),
    )
    .unwrap();
    Arc::new(DeviceClient::new(
        via,
        device.client.device_id.clone(),
        device.client.user.clone(),
        godkend_core::DeviceKey::from_seed(&device.client.key().seed()),
    ))
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
    let got = expect(&mut updates, "the first request", request_arrived).await;
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
    let got = expect(&mut updates, "the second request", request_arrived).await;
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

/// A proxy in front of the server that passes everything through, except that it
/// answers each event stream with `events` (given the server's own answer).
async fn proxy_events<F, Fut>(upstream: String, events: F) -> String
where
    F: Fn(reqwest::Response) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = axum::response::Response> + Send,
{
    use axum::body::Body;
    use axum::extract::Request;
    use axum::response::Response;

    let http = godkend_core::client::http_client().unwrap();
    let app = axum::Router::new().fallback(move |request: Request| {
        let (http, upstream, events) = (http.clone(), upstream.clone(), events.clone());
        async move {
            let path = request
                .uri()
                .path_and_query()
                .map(ToString::to_string)
                .unwrap_or_default();
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let mut forward = http.request(parts.method, format!("{upstream}{path}"));
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body).send().await.unwrap();
            if path.starts_with("/v1/device/events") {
                return events(answer).await;
            }
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            response
                .body(Body::from(answer.bytes().await.unwrap()))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A proxy that refuses event streams, as some corporate proxies do.
async fn stream_blocking_proxy(upstream: String) -> String {
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;

    proxy_events(upstream, |_| async {
        StatusCode::BAD_GATEWAY.into_response()
    })
    .await
}

/// A proxy that passes each event stream's first event, then a byte that is not
/// UTF-8 and one more event, and ends it.
async fn stream_garbling_proxy(upstream: String) -> String {
    use futures::StreamExt as _;

    proxy_events(upstream, |answer: reqwest::Response| async move {
        let mut stream = answer.bytes_stream();
        let mut first = Vec::new();
        while !first.windows(2).any(|w| w == b"\n\n") {
            match stream.next().await {
                Some(Ok(chunk)) => first.extend_from_slice(&chunk),
                _ => break,
            }
        }
        let end = first
            .windows(2)
            .position(|w| w == b"\n\n")
            .map_or(0, |at| at + 2);
        first.truncate(end);
        first.extend_from_slice(b"data: \xFF\n\n: more\n\n");
        axum::response::Response::builder()
            .header("content-type", "text/event-stream")
            .body(axum::body::Body::from(first))
            .unwrap()
    })
    .await
}

/// A stream that carried something unverifiable (here: not UTF-8) and then ended is
/// a failure: the app warns, and waits its back-off before it connects again instead
/// of resuming at once, as it does after a plain drop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_is_not_utf8_warns_and_backs_off() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    let proxy = stream_garbling_proxy(server.url.clone()).await;
    let client = same_device_via(&device, &proxy);
    let (tx, mut updates) = mpsc::channel(64);
    let task = tokio::spawn(connection::run(
        client,
        fast_policy(),
        tx,
        Arc::new(Notify::new()),
    ));
    expect(&mut updates, "the first event", |u| {
        matches!(u, PushUpdate::Event(_)).then_some(())
    })
    .await;
    let warning = expect(&mut updates, "a warning", |u| match u {
        PushUpdate::SecurityWarning(why) => Some(why.clone()),
        _ => None,
    })
    .await;
    assert!(warning.contains("not UTF-8"), "{warning}");
    let next = expect(&mut updates, "the connection's next state", |u| match u {
        PushUpdate::State(state) => Some(state.clone()),
        _ => None,
    })
    .await;
    assert!(
        matches!(next, ConnectionState::Offline { .. }),
        "a back-off, not an immediate reconnect: {next:?}"
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn falls_back_to_polling_when_streams_are_blocked() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let proxy = stream_blocking_proxy(server.url.clone()).await;
    let client = same_device_via(&device, &proxy);
    let policy = ConnectionPolicy {
        failures_before_polling: 2,
        poll_interval: Duration::from_millis(200),
        ..fast_policy()
    };
    let (tx, mut updates) = mpsc::channel(64);
    let task = tokio::spawn(connection::run(client, policy, tx, Arc::new(Notify::new())));
    expect(&mut updates, "polling", |u| {
        matches!(u, PushUpdate::State(ConnectionState::Polling)).then_some(())
    })
    .await;
    let created = rp.login("alice").await;
    let polled = expect(&mut updates, "the request by polling", |u| match u {
        PushUpdate::Polled(requests) => requests.first().map(|r| r.request.request_id.clone()),
        _ => None,
    })
    .await;
    assert_eq!(polled, created.request_id);
    task.abort();
}

/// Revoked while the app was not running: the refusal to connect carries the signed
/// status, and the connection reports the end instead of retrying forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_revoked_while_away_learns_it_on_connecting() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    server.admin(&["device", "revoke", &device.serial]).unwrap();
    let client = Arc::new(device.client);
    let (tx, mut updates) = mpsc::channel(64);
    let task = tokio::spawn(connection::run(
        client.clone(),
        fast_policy(),
        tx,
        Arc::new(Notify::new()),
    ));
    let status = expect(&mut updates, "the signed end", |u| match u {
        PushUpdate::Event(e) => match &**e {
            PushEvent::Ended(status, _) => Some(status.clone()),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(
        status.status,
        godkend_protocol::messages::DeviceState::Revoked
    );
    assert_eq!(status.device_id, client.device_id);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the connection task ends")
        .unwrap();
}

/// A TCP relay to the server whose open connections can all go silent at once, as
/// they do when the computer sleeps: no byte passes and nothing closes. Connections
/// made afterwards pass as before.
struct Relay {
    url: String,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    silence: tokio::sync::watch::Sender<()>,
}

impl Relay {
    async fn start(upstream: &str) -> Relay {
        use std::sync::atomic::Ordering;

        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (silence, silenced) = tokio::sync::watch::channel(());
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let upstream = upstream.clone();
                let mut silenced = silenced.clone();
                silenced.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = silenced.changed() => {
                            // Asleep: both sockets stay open and carry nothing.
                            std::future::pending::<()>().await;
                        }
                    }
                });
            }
        });
        Relay {
            url,
            accepted,
            silence,
        }
    }

    /// Every connection open now goes silent.
    fn sleep(&self) {
        self.silence.send_replace(());
    }

    fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// After a sleep the event stream is silent but not closed; the heartbeat timeout
/// (35 s) would notice it late. A wake (the app's resume) reconnects at once, and
/// what arrives next comes over the new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wake_after_sleep_reconnects_at_once() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let relay = Relay::start(&server.url).await;
    let client = same_device_via(&device, &relay.url);
    // The default heartbeat timeout: longer than `expect` waits.
    let policy = ConnectionPolicy::default();
    assert!(policy.heartbeat_timeout > Duration::from_secs(30));
    let (tx, mut updates) = mpsc::channel(64);
    let wake = Arc::new(Notify::new());
    let task = tokio::spawn(connection::run(client, policy, tx, wake.clone()));
    expect(&mut updates, "connected", |u| {
        matches!(u, PushUpdate::State(ConnectionState::Connected)).then_some(())
    })
    .await;

    relay.sleep();
    let before = relay.accepted();
    wake.notify_one();
    expect(&mut updates, "connected again at once", |u| {
        matches!(u, PushUpdate::State(ConnectionState::Connected)).then_some(())
    })
    .await;
    assert!(relay.accepted() > before, "a new connection was made");
    let created = rp.login("alice").await;
    let got = expect(
        &mut updates,
        "a request over the new stream",
        request_arrived,
    )
    .await;
    assert_eq!(got, created.request_id);
    task.abort();
}
