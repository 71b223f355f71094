//! The network edge: slow clients are cut off, connection floods are capped per
//! client, `X-Forwarded-For` counts only from trusted proxies, device headers are
//! bounded and do not tell unknown devices from bad signatures, streams per device
//! are capped, and the demo answers only to its own host names. Loopback only.

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use godkend_core::keys::DeviceKey;
use godkend_core::push::PushEvent;
use godkend_protocol::messages::{DeviceRequestHeader, device_request};
use godkend_protocol::{Envelope, b64};
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::{BIN, Db, TestServer};

both_backends!(
    forwarded_for_counts_only_from_a_trusted_proxy,
    device_header_nonce_and_size_are_bounded,
    unknown_device_and_bad_signature_get_the_same_answer,
    a_fifth_stream_of_a_device_closes_its_oldest,
);

/// Reads until the server closes the connection; returns how long that took, or
/// `None` if it was still open after `limit`.
async fn time_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
    .map(|()| start.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_header_is_dropped_within_the_header_timeout() {
    let server = TestServer::start_with(Db::Sqlite, &["--header-read-timeout", "2s"]).await;
    let mut slow = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let closed = time_until_closed(&mut slow, Duration::from_secs(15)).await;
    assert!(
        closed.is_some_and(|t| t < Duration::from_secs(10)),
        "a half-sent header keeps its connection: {closed:?}"
    );
    // A client that connects and sends nothing is dropped too.
    let mut silent = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let closed = time_until_closed(&mut silent, Duration::from_secs(15)).await;
    assert!(
        closed.is_some_and(|t| t < Duration::from_secs(10)),
        "{closed:?}"
    );
    let ok = server
        .http
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_body_is_dropped_within_the_body_timeout() {
    let server = TestServer::start_with(Db::Sqlite, &["--body-read-timeout", "2s"]).await;
    let mut slow = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    slow.write_all(
        b"POST /v1/device/activate HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"user\": \"al",
    )
    .await
    .unwrap();
    let closed = time_until_closed(&mut slow, Duration::from_secs(15)).await;
    assert!(
        closed.is_some_and(|t| t < Duration::from_secs(10)),
        "a stalled body keeps its connection: {closed:?}"
    );
    let ok = server
        .http
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

/// The read timeouts bound what the client sends, not how long an answer may take:
/// an event stream and the relying party's long poll outlive them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_and_long_polls_outlive_the_read_timeouts() {
    let server = TestServer::start_with(
        Db::Sqlite,
        &["--header-read-timeout", "1s", "--body-read-timeout", "1s"],
    )
    .await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let mut events = Box::pin(device.client.events(None).await.unwrap());
    crate::common::next_event(&mut events, 5, |e| {
        matches!(e, PushEvent::Heartbeat(_)).then_some(())
    })
    .await;
    let created = rp.login("alice").await;
    // A long poll of 4 s, past both timeouts, answers `pending` at its end.
    let started = Instant::now();
    let waited = rp.wait(&created.request_id, 4).await;
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert_eq!(
        waited.status,
        godkend_protocol::messages::RequestState::Pending
    );
    // The stream opened before the wait still delivers.
    let request = crate::common::next_event(&mut events, 5, |e| match e {
        PushEvent::Request(r) => Some(r.request.request_id.clone()),
        _ => None,
    })
    .await;
    assert_eq!(request, created.request_id);
}

/// A server started under a low open-file limit (soft and hard), killed on drop.
struct LimitedServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl LimitedServer {
    async fn start(open_files: u32, env: &[(&str, &str)]) -> Self {
        let dir = crate::common::private_tempdir();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let db = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("godkend.db").display()
        );
        let listen = format!("127.0.0.1:{port}");
        let url = format!("http://{listen}");
        // `ulimit -n` in sh sets the soft and the hard limit, so the server cannot
        // raise itself above it: the flood must be stopped by the caps.
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {open_files} && exec \"$0\" \"$@\""))
            .arg(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "--database-url",
                &db,
                "--public-url",
                &url,
                "serve",
                "--listen",
                &listen,
            ])
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start godkend-server under sh");
        let server = LimitedServer {
            child,
            port,
            _dir: dir,
        };
        for _ in 0..200 {
            if server.healthz(Duration::from_secs(1)).await {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start");
    }

    async fn healthz(&self, limit: Duration) -> bool {
        let http = reqwest::Client::builder().timeout(limit).build().unwrap();
        http.get(format!("http://127.0.0.1:{}/healthz", self.port))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// `n` idle connections from `from`; a connect the server never takes counts as open.
    async fn flood(&self, from: &str, n: usize) -> Vec<Option<TcpStream>> {
        let to = SocketAddr::from(([127, 0, 0, 1], self.port));
        let from: IpAddr = from.parse().unwrap();
        futures::future::join_all((0..n).map(|_| async move {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::new(from, 0)).unwrap();
            tokio::time::timeout(Duration::from_secs(3), socket.connect(to))
                .await
                .ok()
                .and_then(Result::ok)
        }))
        .await
    }
}

impl Drop for LimitedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many of `streams` the server still holds open (no EOF within a moment).
async fn still_open(streams: &mut [Option<TcpStream>]) -> usize {
    let open = futures::future::join_all(streams.iter_mut().map(|s| async move {
        let Some(s) = s else { return true };
        let mut buf = [0u8; 16];
        tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf))
            .await
            .is_err()
    }))
    .await;
    open.into_iter().filter(|o| *o).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_flood_from_one_address_leaves_healthz_answering() {
    // Set through the environment, as a service unit would.
    let server = LimitedServer::start(
        256,
        &[
            ("GODKEND_MAX_CONNECTIONS_PER_CLIENT", "16"),
            ("GODKEND_TRUSTED_PROXIES", "127.0.0.3/32"),
            // Long enough that only the cap, not the timeout, can drop the flood.
            ("GODKEND_HEADER_READ_TIMEOUT", "120s"),
        ],
    )
    .await;
    // 300 idle connections from one address: more than the 256 descriptors the
    // server has.
    let mut flood = server.flood("127.0.0.2", 300).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        server.healthz(Duration::from_secs(5)).await,
        "/healthz on 127.0.0.1 stopped answering under a flood from 127.0.0.2"
    );
    let open = still_open(&mut flood).await;
    assert!(open <= 16, "{open} connections from 127.0.0.2 stayed open");
    drop(flood);
    // A trusted proxy carries many clients: the per-client cap does not apply to it.
    let mut proxied = server.flood("127.0.0.3", 40).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(still_open(&mut proxied).await, 40);
    assert!(server.healthz(Duration::from_secs(5)).await);
}

/// The audit entries of `event` for `device`, newest last.
fn audit_ips(server: &TestServer, event: &str) -> Vec<Value> {
    let entries = server.admin(&["audit"]).expect("audit");
    entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == event)
        .map(|e| e["ip"].clone())
        .collect()
}

async fn forwarded_for_counts_only_from_a_trusted_proxy(db: Db) {
    let server = TestServer::start_with(db, &["--trusted-proxy", "127.0.0.2/31"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let client_from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(IpAddr::from(ip))
            .build()
            .unwrap()
    };
    // (TCP peer, X-Forwarded-For, the address the audit must show)
    let cases = [
        ([127, 0, 0, 1], "203.0.113.9", "127.0.0.1"),
        (
            [127, 0, 0, 2],
            "198.51.100.7, 203.0.113.9, 127.0.0.3",
            "203.0.113.9",
        ),
    ];
    for (peer, forwarded, expected) in cases {
        let (created, signed) = device.signed_login(&rp, "alice").await;
        let path = format!("/v1/device/requests/{}/decision", created.request_id);
        let response = client_from(peer)
            .post(format!("{}{path}", server.url))
            .header(
                "authorization",
                device
                    .client
                    .header(&Method::POST, &path, &signed.bytes)
                    .unwrap(),
            )
            .header("x-forwarded-for", forwarded)
            .header("content-type", "application/json")
            .body(signed.bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let ips = audit_ips(&server, "decision");
        assert_eq!(
            ips.last().unwrap(),
            expected,
            "from {peer:?} with X-Forwarded-For {forwarded}"
        );
    }
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A `GET /v1/device/status` header for `device_id` with `nonce`, signed by `keys`.
fn status_header(device_id: &str, nonce: &str, keys: &[&DeviceKey]) -> String {
    let header = DeviceRequestHeader {
        iat: now(),
        device_id: device_id.to_owned(),
        method: "GET".into(),
        path: "/v1/device/status".into(),
        nonce: nonce.to_owned(),
        body_sha256: b64::sha256_b64(b""),
    };
    let signers: Vec<_> = keys.iter().map(|k| k.signing_key()).collect();
    device_request::to_header_value(&Envelope::seal(&header, &signers).unwrap()).unwrap()
}

async fn status_with(server: &TestServer, header: &str) -> (u16, Value) {
    let r = server
        .http
        .get(format!("{}/v1/device/status", server.url))
        .header("authorization", header)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn device_header_nonce_and_size_are_bounded(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    let id = &device.client.device_id;
    let key = device.client.key();
    let nonce = |n: usize| b64::encode((0..n).map(|_| rand::random::<u8>()).collect::<Vec<u8>>());
    for (why, nonce) in [
        ("8 bytes", nonce(8)),
        ("15 bytes", nonce(15)),
        ("65 bytes", nonce(65)),
        ("not base64url", "+/+/+/+/+/+/+/+/+/+/+/+/".to_owned()),
        ("padded", format!("{}==", nonce(16))),
    ] {
        let (status, problem) = status_with(&server, &status_header(id, &nonce, &[key])).await;
        assert_eq!(status, 401, "nonce {why}: {problem}");
        assert_eq!(problem["code"], "unauthorized", "nonce {why}: {problem}");
    }
    for n in [16, 64] {
        let (status, problem) = status_with(&server, &status_header(id, &nonce(n), &[key])).await;
        assert_eq!(status, 200, "nonce of {n} bytes: {problem}");
    }
    // A header padded with extra signatures past 4 KiB is refused before any work.
    let extra: Vec<DeviceKey> = (0..40).map(|_| DeviceKey::generate()).collect();
    let mut keys = vec![key];
    keys.extend(extra.iter());
    let big = status_header(id, &nonce(32), &keys);
    assert!(big.len() > 4096);
    let (status, problem) = status_with(&server, &big).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["code"], "unauthorized", "{problem}");
}

async fn unknown_device_and_bad_signature_get_the_same_answer(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    let stranger = DeviceKey::generate();
    let nonce = || b64::encode(rand::random::<[u8; 16]>());
    let unknown = status_with(
        &server,
        &status_header("dev-00000000", &nonce(), &[&stranger]),
    )
    .await;
    let forged = status_with(
        &server,
        &status_header(&device.client.device_id, &nonce(), &[&stranger]),
    )
    .await;
    assert_eq!(unknown.0, 401);
    assert_eq!(
        unknown, forged,
        "the answers tell an unknown device from a forged one"
    );
    // The real key still works.
    let (status, _) = status_with(
        &server,
        &status_header(&device.client.device_id, &nonce(), &[device.client.key()]),
    )
    .await;
    assert_eq!(status, 200);
}

/// Reads `stream` until it ends; `true` if it did within `limit`.
async fn ends_within<S: futures::Stream + Unpin>(stream: &mut S, limit: Duration) -> bool {
    tokio::time::timeout(limit, async { while stream.next().await.is_some() {} })
        .await
        .is_ok()
}

async fn a_fifth_stream_of_a_device_closes_its_oldest(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let mut streams = Vec::new();
    for _ in 0..5 {
        let mut events = Box::pin(device.client.events(None).await.unwrap());
        // Each stream is registered once its first heartbeat arrives.
        crate::common::next_event(&mut events, 5, |e| {
            matches!(e, PushEvent::Heartbeat(_)).then_some(())
        })
        .await;
        streams.push(events);
    }
    assert!(
        ends_within(&mut streams[0], Duration::from_secs(5)).await,
        "the oldest of five streams stayed open (default cap 4)"
    );
    // The four newest still deliver.
    let created = rp.login("alice").await;
    for events in &mut streams[1..] {
        let request = crate::common::next_event(events, 5, |e| match e {
            PushEvent::Request(r) => Some(r.request.request_id.clone()),
            _ => None,
        })
        .await;
        assert_eq!(request, created.request_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_refuses_foreign_host_names() {
    let server = TestServer::start_with(Db::Sqlite, &["--demo"]).await;
    let get = |host: String| {
        server
            .http
            .get(format!("{}/demo", server.url))
            .header("host", host)
            .send()
    };
    for host in [
        format!("127.0.0.1:{}", server.port),
        format!("localhost:{}", server.port),
        "[::1]".to_owned(),
    ] {
        assert_eq!(get(host.clone()).await.unwrap().status(), 200, "{host}");
    }
    for host in [
        format!("rebind.attacker.example:{}", server.port),
        "127.0.0.1.nip.io".to_owned(),
    ] {
        assert_eq!(get(host.clone()).await.unwrap().status(), 421, "{host}");
    }
    let login = server
        .http
        .post(format!("{}/demo/api/login", server.url))
        .header("host", "rebind.attacker.example")
        .json(&serde_json::json!({"user": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 421);
    // The rest of the server does not care about the host name.
    let health = server
        .http
        .get(format!("{}/healthz", server.url))
        .header("host", "rebind.attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
