//! Simulated users: one activated device each (the real core client: signed calls,
//! verified push events, decisions signed with the device and PIN keys), and the
//! relying party that asks for their approval.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use godkend_core::PinKey;
use godkend_core::activation::ActivationInput;
use godkend_core::activation_exchange::activate;
use godkend_core::client::{DeviceClient, ServerClient};
use godkend_core::pin::{KdfParams, derive_pin_key};
use godkend_core::push::PushEvent;
use godkend_core::push::VerifiedRequest;
use godkend_protocol::PublicKey;
use godkend_protocol::messages::{RequestState, RequestStatus, RpResult};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::server::Server;

const PIN: &str = "403917";

/// The PIN key all simulated users share: deriving one (Argon2id, 19 MiB) per user
/// would make setting up 10,000 devices take an hour, and the server sees only the
/// public key and the signatures, which are the same work either way.
pub fn shared_pin() -> Arc<PinKey> {
    let pepper: [u8; 32] = rand::random();
    Arc::new(derive_pin_key(PIN, b"bench-salt-bench", KdfParams::MINIMUM, &pepper).unwrap())
}

/// How long one step may take before the round counts as failed.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// A user and their device.
pub struct User {
    pub name: String,
    pub client: Arc<DeviceClient>,
    pin: Arc<PinKey>,
    /// Requests from the device's push stream, with the instant each arrived.
    events: Mutex<Option<mpsc::UnboundedReceiver<(VerifiedRequest, Instant)>>>,
    stream: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The timings of one approval round trip.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// When the request was due → the RP's create sent (the load generator's lag).
    pub due_to_sent: Duration,
    /// When the request was due → the RP's create answered (the server's create).
    pub due_to_created: Duration,
    /// RP create sent → the signed event verified on the device's stream.
    pub create_to_event: Duration,
    /// The device got the server's acceptance of its decision → the RP's long poll
    /// answered (0 when the answer came first).
    pub accepted_to_answer: Duration,
    /// RP create sent → the RP holds the verified signed result.
    pub create_to_result: Duration,
}

impl User {
    /// Adds `name` on the server and activates a device for it; the device then talks
    /// through `shared` (one HTTP client for all simulated devices, as the OS would
    /// share one network stack).
    pub async fn activate(
        server: &Server,
        name: String,
        shared: &Arc<ServerClient>,
        pin: &Arc<PinKey>,
    ) -> Self {
        let name = name.as_str();
        server.admin("/v1/admin/users", json!({"user": name})).await;
        let link = server
            .admin("/v1/admin/activations", json!({"user": name}))
            .await["link"]
            .as_str()
            .unwrap()
            .to_owned();
        let input = ActivationInput::from_link(&link, "bench").unwrap();
        let activated = activate(&input, pin).await.unwrap();
        assert_eq!(activated.server_key, server.public_key);
        let client = DeviceClient::new(
            shared.clone(),
            activated.activation.device_id.clone(),
            name.into(),
            activated.device_key,
        );
        User {
            name: name.into(),
            client: Arc::new(client),
            pin: pin.clone(),
            events: Mutex::new(None),
            stream: std::sync::Mutex::new(None),
        }
    }

    /// Opens the device's push stream; returns once its first heartbeat arrived (the
    /// stream is live). Replaces an earlier stream.
    pub async fn connect(&self) {
        self.disconnect();
        let (tx, rx) = mpsc::unbounded_channel();
        let (live_tx, live_rx) = oneshot::channel();
        let client = self.client.clone();
        let task = tokio::spawn(async move {
            let mut events = Box::pin(client.events(None).await.expect("the stream opens"));
            let mut live = Some(live_tx);
            while let Some(item) = events.next().await {
                match item.map(|r| r.event) {
                    Ok(PushEvent::Request(request)) => {
                        let _ = tx.send((request, Instant::now()));
                    }
                    Ok(PushEvent::Heartbeat(_)) => {
                        if let Some(live) = live.take() {
                            let _ = live.send(());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => panic!("a push event failed: {e}"),
                }
            }
        });
        *self.stream.lock().unwrap() = Some(task);
        *self.events.lock().await = Some(rx);
        tokio::time::timeout(STEP_TIMEOUT, live_rx)
            .await
            .expect("the stream goes live in time")
            .expect("the stream goes live");
    }

    pub fn disconnect(&self) {
        if let Some(task) = self.stream.lock().unwrap().take() {
            task.abort();
        }
    }

    /// One full approval round trip, timed from `start` (the create's intended send
    /// time in an open loop, so a late send counts against the server).
    pub async fn round_trip(&self, rp: &Rp, start: Instant) -> Timing {
        let mut events = self.events.lock().await;
        let events = events.as_mut().expect("connected");
        let sent_at = Instant::now();
        let created = rp.create(&self.name).await;
        let created_at = Instant::now();
        let request_id = created["request_id"].as_str().unwrap().to_owned();
        let code = created["code"].as_str().unwrap().to_owned();
        // The relying party long-polls at once, as a login page does.
        let wait = tokio::spawn({
            let rp = rp.clone();
            let id = request_id.clone();
            async move {
                let status = rp.wait(&id).await;
                (status, Instant::now())
            }
        });
        let (request, event_at) = loop {
            let (request, at) = tokio::time::timeout(STEP_TIMEOUT, events.recv())
                .await
                .expect("the request event arrives in time")
                .expect("the stream is open");
            if request.request.request_id == request_id {
                break (request, at);
            }
        };
        let signed = self.client.approve(&request, &code, &self.pin).unwrap();
        self.client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
            .expect("the decision is accepted");
        let accepted_at = Instant::now();
        let (status, answered_at) = tokio::time::timeout(STEP_TIMEOUT, wait)
            .await
            .expect("the long poll answers in time")
            .unwrap();
        assert_eq!(status, RequestState::Approved);
        Timing {
            due_to_sent: sent_at.saturating_duration_since(start),
            due_to_created: created_at.saturating_duration_since(start),
            create_to_event: event_at - start,
            accepted_to_answer: answered_at.saturating_duration_since(accepted_at),
            create_to_result: answered_at - start,
        }
    }
}

/// The relying party: its API key and an HTTP client of its own.
#[derive(Clone)]
pub struct Rp {
    url: String,
    key: String,
    server_key: PublicKey,
    http: reqwest::Client,
}

impl Rp {
    pub fn new(server: &Server, key: String) -> Self {
        Rp {
            url: server.url.clone(),
            key,
            server_key: server.public_key.clone(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(4096)
                .no_proxy()
                .build()
                .unwrap(),
        }
    }

    async fn create(&self, user: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/v1/rp/requests", self.url))
            .bearer_auth(&self.key)
            .json(&json!({"user": user, "kind": "login", "title": "Bench", "message": "m"}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "create failed: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// The long poll; the signed result is verified against the server key.
    async fn wait(&self, id: &str) -> RequestState {
        let status: RequestStatus = self
            .http
            .get(format!("{}/v1/rp/requests/{id}/wait?timeout=30", self.url))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let result: RpResult = status
            .result
            .as_ref()
            .expect("a final request carries its signed result")
            .open(&[&self.server_key])
            .expect("the result is signed by the server");
        assert_eq!(result.request_id, id);
        status.status
    }
}
