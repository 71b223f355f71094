//! The approval service: the rules of design.md §4–§5 over the store, the server key
//! and the push hub. HTTP handlers and the admin CLI both call into it.

mod activation;
mod admin;
mod approval;
mod decision;
mod decision_checks;
mod device;
mod retention;
mod rp_keys;
mod second_factor;

use std::sync::Arc;

use godkend_protocol::messages::{Organisation, ServerInfo, ServerInfoResponse, VersionPolicy};
use godkend_protocol::{Envelope, Problem, SignedObject};
use rand::RngExt as _;

use crate::push::Hub;
use crate::server_key::ServerKeys;
use crate::store::{EventRow, Store, StoreError};

pub use activation::NewActivation;
pub use admin::{DeviceInfo, NewRp, Revoked, RpInfo, UserInfo, api_key_hash};
pub use decision::DecisionOutcome;
pub use rp_keys::RotatedKey;

/// Operator settings that shape the service's behaviour.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The URL devices and relying parties use to reach this server.
    pub public_url: url::Url,
    pub org: Organisation,
    pub version_policy: VersionPolicy,
    /// How long activation codes live.
    pub activation_ttl_seconds: i64,
    /// How long a "not me" report blocks pushes to that user.
    pub not_me_block_seconds: i64,
    /// Base of the push backoff after denials (doubles with each further strike).
    pub push_backoff_base_seconds: i64,
    /// Longest push backoff.
    pub push_backoff_max_seconds: i64,
    /// SHA-256 of the admin API token; `None` turns the admin API off.
    pub admin_token_hash: Option<String>,
    /// Trusted proxies, body deadline and stream cap (`serve` options, net.rs).
    pub net: crate::net::NetPolicy,
    /// Where webhooks may go, through what, and how many at once.
    pub webhooks: crate::webhook::WebhookSettings,
    /// Most failed activations per client address (IPv6: per /64) per window.
    pub activation_failures_per_source: i64,
    /// Most failed activations per user id per window.
    pub activation_failures_per_user: i64,
    /// The window of the two limits above.
    pub activation_failure_window_seconds: i64,
    /// Decisions and finished requests older than this are deleted (0: kept).
    pub request_retention_seconds: i64,
    /// IP addresses in audit rows older than this are blanked (0: kept).
    pub audit_ip_retention_seconds: i64,
    /// Whether a `software` user-verification key (on Linux an ed25519 key in the
    /// keyring, next to the device key, gated only by fprintd) may approve requests.
    /// Off by default: whoever copies that keyring can sign without a finger. Such a
    /// key always unlocks, which only opens the app for viewing.
    pub allow_software_uv: bool,
}

impl Settings {
    pub fn new(public_url: url::Url) -> Self {
        Settings {
            public_url,
            org: Organisation {
                name: "Godkend".into(),
                ..Organisation::default()
            },
            version_policy: VersionPolicy {
                latest: env!("CARGO_PKG_VERSION").into(),
                minimum: "0.1.0".into(),
                update_url: None,
            },
            activation_ttl_seconds: 15 * 60,
            not_me_block_seconds: 15 * 60,
            push_backoff_base_seconds: 5,
            push_backoff_max_seconds: 15 * 60,
            admin_token_hash: None,
            net: crate::net::NetPolicy::default(),
            webhooks: crate::webhook::WebhookSettings::default(),
            activation_failures_per_source: 20,
            activation_failures_per_user: 10,
            activation_failure_window_seconds: 15 * 60,
            request_retention_seconds: 30 * 86_400,
            audit_ip_retention_seconds: 90 * 86_400,
            allow_software_uv: false,
        }
    }
}

/// Everything a request handler needs.
#[derive(Debug)]
pub struct Service {
    pub store: Store,
    pub keys: ServerKeys,
    pub hub: Hub,
    pub settings: Settings,
    /// Flipped to `true` on shutdown: open streams and long polls end.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// The relying parties' long polls, woken when their request reaches a final state.
    pub waiters: crate::request_waiters::RequestWaiters,
}

pub type SharedService = Arc<Service>;

/// Why a service call failed: a problem for the caller, or an internal fault.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Problem(Box<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing failed: {0}")]
    Protocol(#[from] godkend_protocol::ProtocolError),
}

impl From<Box<Problem>> for ServiceError {
    fn from(p: Box<Problem>) -> Self {
        ServiceError::Problem(p)
    }
}

impl From<Problem> for ServiceError {
    fn from(p: Problem) -> Self {
        ServiceError::Problem(Box::new(p))
    }
}

/// The answer to a device call whose header nonce this device used before.
pub(crate) fn replayed_nonce() -> Problem {
    Problem::new(
        godkend_protocol::ErrorCode::ReplayedNonce,
        "this signed request was already used",
    )
}

impl From<serde_json::Error> for ServiceError {
    fn from(e: serde_json::Error) -> Self {
        ServiceError::Protocol(e.into())
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::Database(e))
    }
}

/// Current Unix time in seconds (the server clock is the protocol's clock).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A random identifier: `prefix` and 128 bits in base64url.
pub fn random_id(prefix: &str) -> String {
    let bytes: [u8; 16] = rand::rng().random();
    format!("{prefix}{}", godkend_protocol::b64::encode(bytes))
}

/// A new relying-party API key: `gk_` and 128 random bits.
pub fn new_api_key() -> String {
    format!("gk_{}", random_id(""))
}

/// A random string of `len` characters from `alphabet`.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

impl Service {
    pub fn new(store: Store, keys: ServerKeys, settings: Settings) -> Self {
        Service {
            store,
            keys,
            hub: Hub::default(),
            settings,
            shutdown: tokio::sync::watch::Sender::new(false),
            waiters: crate::request_waiters::RequestWaiters::default(),
        }
    }

    /// Spends a device call's header nonce in a transaction of its own; a nonce this
    /// device used before is refused (`replayed_nonce`).
    pub async fn spend_nonce_alone(
        &self,
        device: &str,
        nonce: &crate::store::Nonce,
    ) -> Result<(), ServiceError> {
        if self.store.remember_nonce(device, nonce).await? {
            Ok(())
        } else {
            Err(replayed_nonce().into())
        }
    }

    /// Signs a server object.
    pub fn seal<T: SignedObject>(&self, object: &T) -> Result<Envelope, ServiceError> {
        Ok(self.keys.seal(object)?)
    }

    /// A stored server-signed envelope as it is served: signed by the current key
    /// (re-signed if an older key of this server signed it; PROTOCOL.md §4).
    pub fn deliverable(&self, stored: &str) -> Result<Envelope, ServiceError> {
        Ok(self.keys.resign(&Envelope::from_json(stored)?)?)
    }

    /// `deliverable` as JSON text (push events and webhook bodies).
    pub fn deliverable_json(&self, stored: &str) -> Result<String, ServiceError> {
        Ok(self.keys.resign_json(stored)?)
    }

    /// The signed server info with the rotation chain.
    pub fn server_info(&self) -> Result<ServerInfoResponse, ServiceError> {
        let info = ServerInfo {
            iat: now(),
            server_kid: self.keys.kid(),
            server_key: self.keys.public().to_b64(),
            public_url: self.settings.public_url.to_string(),
            org: self.settings.org.clone(),
            version_policy: self.settings.version_policy.clone(),
            software_uv_approves: self.settings.allow_software_uv,
        };
        Ok(ServerInfoResponse {
            info: self.seal(&info)?,
            rotations: self.keys.rotations().to_vec(),
        })
    }

    /// Hands committed events to this node's connected streams. A device that ended
    /// (`device_status`) may have failed requests without naming them: every long
    /// poll then reads its request again. Callers that finish a request they can name
    /// call `finished` for it.
    pub(crate) fn publish(&self, events: &[EventRow]) {
        for event in events {
            self.hub.publish(event);
        }
        if events
            .iter()
            .any(|e| e.kind == godkend_protocol::messages::EventKind::DeviceStatus.as_str())
        {
            self.waiters.all_may_have_finished();
        }
    }

    /// Wakes the relying party's long polls on `request` (called after the commit
    /// that may have finished it).
    pub(crate) fn finished(&self, request: &str) {
        self.waiters.finished(request);
    }
}
