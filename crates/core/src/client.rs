//! The signed server client. Every device call carries the device-request header
//! (design.md §4); every server answer that matters is verified against the pinned
//! server key (`pinned_server`) before anyone sees it.

use std::ops::Deref;
use std::sync::Arc;

use futures::Stream;
use godkend_protocol::messages::device_request::{self, DeviceRequestHeader};
use godkend_protocol::messages::{
    DecisionAccepted, DeviceList, DeviceRevocation, DeviceState, DeviceStatus, PendingRequests,
    PinChange, ServerInfo, ServerInfoResponse, UnlockChallenge, UnlockProof, Unlocked,
};
use godkend_protocol::{Envelope, ErrorCode, Problem, PublicKey, b64};
use rand::RngExt as _;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::CoreError;
use crate::keys::{DeviceKey, PinKey};
use crate::pinned_server::PinnedServer;
use crate::push::{EventCheck, Received, VerifiedRequest};

/// A connection to one server, pinned to its key.
#[derive(Debug)]
pub struct ServerClient {
    http: reqwest::Client,
    pinned: PinnedServer,
}

/// A client is its pinned server plus HTTP: the key, the clock offset and `open` are
/// the pinned server's, called on the client as they always were.
impl Deref for ServerClient {
    type Target = PinnedServer;

    fn deref(&self) -> &PinnedServer {
        &self.pinned
    }
}

impl From<reqwest::Error> for CoreError {
    fn from(e: reqwest::Error) -> Self {
        CoreError::Offline(e.to_string())
    }
}

/// Installs the rustls crypto provider once per process.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP client: rustls with the OS trust store (corporate CAs work), the
/// system/environment proxy honoured.
pub fn http_client() -> Result<reqwest::Client, CoreError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("godkend/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| CoreError::Offline(e.to_string()))
}

impl ServerClient {
    /// A client for `base`, trusting `server_key`.
    pub fn new(base: url::Url, server_key: PublicKey) -> Result<Arc<Self>, CoreError> {
        let pinned = PinnedServer::new(base, server_key)?;
        Ok(Arc::new(ServerClient {
            http: http_client()?,
            pinned,
        }))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base().as_str().trim_end_matches('/'))
    }

    /// The path as signed: the public URL's path prefix plus the call's path.
    pub(crate) fn signed_path(&self, path: &str) -> String {
        format!("{}{path}", self.base().path().trim_end_matches('/'))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Fetches the server info, following only rotations signed by the pinned key.
    pub async fn server_info(&self) -> Result<ServerInfo, CoreError> {
        let response = self.http.get(self.url("/v1/server-info")).send().await?;
        let info: ServerInfoResponse = read_json(response).await?;
        self.follow_server_info(&info)
    }
}

/// Reads a JSON answer, or the problem the server sent instead.
pub(crate) async fn read_json<T: DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, CoreError> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| CoreError::Malformed(e.to_string()));
    }
    Err(problem_from(status, &bytes))
}

pub(crate) fn problem_from(status: StatusCode, bytes: &[u8]) -> CoreError {
    match serde_json::from_slice::<Problem>(bytes) {
        Ok(mut problem) => {
            // The HTTP status is what a client judges an answer by (PROTOCOL.md §10).
            problem.status = status.as_u16();
            CoreError::Server(Box::new(problem))
        }
        Err(_) if !godkend_protocol::problem::is_final_status(status.as_u16()) => {
            CoreError::Offline(format!("the server cannot answer now ({status})"))
        }
        Err(_) => CoreError::Malformed(format!("unexpected answer {status}")),
    }
}

/// An activated device talking to its server.
#[derive(Debug)]
pub struct DeviceClient {
    pub server: Arc<ServerClient>,
    pub device_id: String,
    pub user: String,
    key: DeviceKey,
}

impl DeviceClient {
    pub fn new(server: Arc<ServerClient>, device_id: String, user: String, key: DeviceKey) -> Self {
        DeviceClient {
            server,
            device_id,
            user,
            key,
        }
    }

    pub fn key(&self) -> &DeviceKey {
        &self.key
    }

    /// What a push event or a pending request must match to be believed here.
    pub fn event_check(&self) -> EventCheck<'_> {
        EventCheck {
            server: &self.server,
            device_id: &self.device_id,
            user: &self.user,
        }
    }

    /// The status in `envelope` if it ends this device: signed by the pinned server
    /// key, about this device, and revoked or blocked. Anything else (unsigned, about
    /// another device, active) ends nothing.
    pub fn signed_end(&self, envelope: &Envelope) -> Option<DeviceStatus> {
        let Ok(status) = self.server.open::<DeviceStatus>(envelope) else {
            tracing::warn!("ignored a device status that is not signed by the pinned server key");
            return None;
        };
        (status.device_id == self.device_id && status.status != DeviceState::Active)
            .then_some(status)
    }

    /// The `Authorization` value for one call.
    pub fn header(&self, method: &Method, path: &str, body: &[u8]) -> Result<String, CoreError> {
        let nonce: [u8; 16] = rand::rng().random();
        let header = DeviceRequestHeader {
            iat: self.server.server_now(),
            device_id: self.device_id.clone(),
            method: method.as_str().to_owned(),
            path: self.server.signed_path(path),
            nonce: b64::encode(nonce),
            body_sha256: b64::sha256_b64(body),
        };
        let envelope = Envelope::seal(&header, &[self.key.signing_key()])?;
        Ok(device_request::to_header_value(&envelope)?)
    }

    /// A signed call. On a clock-skew answer it re-learns server time from the signed
    /// server info and tries once more with a fresh header.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, CoreError> {
        let body = body.unwrap_or_default();
        for attempt in 0..2 {
            let mut request = self
                .server
                .http()
                .request(method.clone(), self.server.url(path))
                .header(
                    reqwest::header::AUTHORIZATION,
                    self.header(&method, path, &body)?,
                );
            if !body.is_empty() {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = request.send().await?;
            if response.status() == StatusCode::UNAUTHORIZED && attempt == 0 {
                let status = response.status();
                let bytes = response.bytes().await?;
                let error = problem_from(status, &bytes);
                if error.code() == Some(ErrorCode::ClockSkew) {
                    self.server.server_info().await?;
                    continue;
                }
                return Err(error);
            }
            return Ok(response);
        }
        Err(CoreError::Offline(
            "the server keeps refusing this device's clock".into(),
        ))
    }

    /// A signed call answered with JSON.
    pub async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, CoreError> {
        read_json(self.call(method, path, body).await?).await
    }

    /// A signed call answered with no content.
    pub(crate) async fn call_empty(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(), CoreError> {
        let response = self.call(method, path, body).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(problem_from(status, &response.bytes().await?))
    }

    /// This device's signed status (works after revocation too).
    pub async fn status(&self) -> Result<(DeviceStatus, Envelope), CoreError> {
        let envelope: Envelope = self
            .call_json(Method::GET, "/v1/device/status", None)
            .await?;
        let status: DeviceStatus = self.server.open(&envelope)?;
        if status.device_id != self.device_id {
            return Err(CoreError::Malformed(
                "the status names another device".into(),
            ));
        }
        self.server.observe_server_time(status.iat);
        Ok((status, envelope))
    }

    /// Opens the event stream, resuming after `last_event_id` if given. The stream
    /// yields verified events, or errors for events that failed verification (which
    /// the caller drops); it ends when the connection does.
    pub async fn events(
        &self,
        last_event_id: Option<i64>,
    ) -> Result<impl Stream<Item = Result<Received, CoreError>> + '_, CoreError> {
        let path = "/v1/device/events";
        let mut request = self
            .server
            .http()
            .request(Method::GET, self.server.url(path))
            .header(
                reqwest::header::AUTHORIZATION,
                self.header(&Method::GET, path, b"")?,
            )
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            return Err(problem_from(status, &response.bytes().await?));
        }
        Ok(self.event_check().decode_events(response.bytes_stream()))
    }

    /// Pending requests (the polling fallback), each verified.
    pub async fn pending(&self) -> Result<Vec<VerifiedRequest>, CoreError> {
        let pending: PendingRequests = self
            .call_json(Method::GET, "/v1/device/requests", None)
            .await?;
        let verify_all = || -> Result<Vec<VerifiedRequest>, CoreError> {
            pending
                .requests
                .iter()
                .map(|e| self.event_check().verify_request(e.clone()))
                .collect()
        };
        match verify_all() {
            // Perhaps signed by a newer key: follow the signed rotation chain (only
            // from the pinned key), then verify once more.
            Err(CoreError::BadServerSignature(_)) => {
                self.server.server_info().await?;
                verify_all()
            }
            other => other,
        }
    }

    /// Unlock: signs a fresh server challenge with the device and PIN keys.
    pub async fn unlock(&self, pin: &PinKey) -> Result<(), CoreError> {
        let mut signed = self.unlock_proof(None).await?;
        signed.sign_with(pin.signing_key())?;
        self.send_unlock(&signed).await
    }

    /// A fresh server challenge answered in an unlock proof signed by the device key;
    /// the second factor signs it next. `uv_kid` names the user-verification key that
    /// will sign, when it is not the PIN.
    pub(crate) async fn unlock_proof(&self, uv_kid: Option<String>) -> Result<Envelope, CoreError> {
        let envelope: Envelope = self
            .call_json(Method::POST, "/v1/device/unlock/challenge", None)
            .await?;
        let challenge: UnlockChallenge = self.server.open(&envelope)?;
        self.server.observe_server_time(challenge.iat);
        let proof = UnlockProof {
            iat: self.server.server_now(),
            device_id: self.device_id.clone(),
            challenge: challenge.challenge,
            uv_kid,
        };
        Ok(Envelope::seal(&proof, &[self.key.signing_key()])?)
    }

    /// Sends an unlock proof signed by both factors.
    pub(crate) async fn send_unlock(&self, signed: &Envelope) -> Result<(), CoreError> {
        let answer: Unlocked = self
            .call_json(
                Method::POST,
                "/v1/device/unlock",
                Some(signed.to_json()?.into_bytes()),
            )
            .await?;
        if !answer.unlocked {
            return Err(CoreError::Malformed(
                "the server answered the unlock without unlocking".into(),
            ));
        }
        Ok(())
    }

    /// Sends a decision envelope's exact bytes. Resending the same bytes gets the
    /// same answer and is never counted twice.
    pub async fn send_decision(
        &self,
        request_id: &str,
        body: &[u8],
    ) -> Result<DecisionAnswer, CoreError> {
        let path = format!("/v1/device/requests/{request_id}/decision");
        let response = self.call(Method::POST, &path, Some(body.to_vec())).await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| CoreError::Malformed(e.to_string()));
        }
        Err(problem_from(status, &bytes))
    }

    /// Replaces the PIN key; authorised by the old one.
    pub async fn change_pin(&self, old: &PinKey, new: &PinKey) -> Result<(), CoreError> {
        let change = PinChange {
            iat: self.server.server_now(),
            device_id: self.device_id.clone(),
            nonce: b64::encode(rand::rng().random::<[u8; 16]>()),
            new_pin_key: new.public().to_b64(),
        };
        let signed = Envelope::seal(&change, &[self.key.signing_key(), old.signing_key()])?;
        self.call_empty(
            Method::POST,
            "/v1/device/pin",
            Some(signed.to_json()?.into_bytes()),
        )
        .await
    }

    /// The user's devices.
    pub async fn devices(&self) -> Result<DeviceList, CoreError> {
        self.call_json(Method::GET, "/v1/device/devices", None)
            .await
    }

    /// Revokes one of the user's devices (this one included); needs the PIN.
    pub async fn revoke(&self, target_device_id: &str, pin: &PinKey) -> Result<(), CoreError> {
        let revocation = DeviceRevocation {
            iat: self.server.server_now(),
            device_id: self.device_id.clone(),
            nonce: b64::encode(rand::rng().random::<[u8; 16]>()),
            target_device_id: target_device_id.into(),
        };
        let signed = Envelope::seal(&revocation, &[self.key.signing_key(), pin.signing_key()])?;
        self.call_empty(
            Method::POST,
            "/v1/device/devices/revoke",
            Some(signed.to_json()?.into_bytes()),
        )
        .await
    }
}

impl DeviceClient {
    /// Registers a biometric user-verification key; authorised by the PIN. `kind`
    /// says how the key is protected (`software` for the Linux fprintd-gated key).
    pub async fn register_uv_key(
        &self,
        alg: godkend_protocol::Algorithm,
        public_key: &str,
        kind: godkend_protocol::messages::UvKind,
        pin: &PinKey,
    ) -> Result<(), CoreError> {
        let key = godkend_protocol::messages::UserVerificationKey {
            iat: self.server.server_now(),
            device_id: self.device_id.clone(),
            nonce: b64::encode(rand::rng().random::<[u8; 16]>()),
            alg,
            public_key: public_key.into(),
            kind,
        };
        let signed = Envelope::seal(&key, &[self.key.signing_key(), pin.signing_key()])?;
        self.call_empty(
            Method::POST,
            "/v1/device/uv-key",
            Some(signed.to_json()?.into_bytes()),
        )
        .await
    }

    /// Removes the biometric key at the server (turning biometrics off).
    pub async fn remove_uv_key(&self) -> Result<(), CoreError> {
        self.call_empty(Method::DELETE, "/v1/device/uv-key", None)
            .await
    }
}

/// The server's answer to an accepted decision (the protocol's type, under the name
/// the outbox has always used).
pub type DecisionAnswer = DecisionAccepted;
