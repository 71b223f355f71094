//! The server this device is pinned to: its address, the key every server object
//! must be signed with, and the offset to the server's clock learnt from signed
//! server objects, so a wrong PC clock does not lock the user out. No network: the
//! server client (`client::ServerClient`) wraps it with HTTP, and the push events'
//! checks (`push`) use it as it is.

use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};

use godkend_protocol::messages::{ServerInfo, ServerInfoResponse};
use godkend_protocol::rules::ClockOffset;
use godkend_protocol::{Envelope, PublicKey, SignedObject};

use crate::CoreError;

/// Local Unix time in seconds.
pub fn local_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// One server, pinned to its key.
#[derive(Debug)]
pub struct PinnedServer {
    base: url::Url,
    server_key: RwLock<PublicKey>,
    offset: AtomicI64,
    /// Added to the local clock: lets tests run the device with a wrong clock.
    local_skew: AtomicI64,
}

impl PinnedServer {
    /// The server at `base`, trusting `server_key`. Only HTTPS, or HTTP on loopback.
    pub fn new(base: url::Url, server_key: PublicKey) -> Result<Self, CoreError> {
        godkend_protocol::rules::check_transport(&base).map_err(CoreError::InsecureUrl)?;
        Ok(PinnedServer {
            base,
            server_key: RwLock::new(server_key),
            offset: AtomicI64::new(0),
            local_skew: AtomicI64::new(0),
        })
    }

    pub fn base(&self) -> &url::Url {
        &self.base
    }

    /// The server key this device currently trusts.
    pub fn server_key(&self) -> PublicKey {
        self.server_key
            .read()
            .map_or_else(|p| p.into_inner().clone(), |k| k.clone())
    }

    /// Pretends the local clock is `seconds` off (tests and diagnostics).
    pub fn set_local_clock_skew(&self, seconds: i64) {
        self.local_skew.store(seconds, Ordering::Relaxed);
    }

    fn local_time(&self) -> i64 {
        local_now() + self.local_skew.load(Ordering::Relaxed)
    }

    /// The current time on the server's clock, as far as this device knows.
    pub fn server_now(&self) -> i64 {
        ClockOffset(self.offset.load(Ordering::Relaxed)).server_time(self.local_time())
    }

    /// Learns the clock offset from a signed server object's `iat`.
    pub fn observe_server_time(&self, server_iat: i64) {
        let offset = ClockOffset::from_observation(server_iat, self.local_time());
        self.offset.store(offset.0, Ordering::Relaxed);
    }

    /// Opens a server-signed envelope with the pinned key.
    pub fn open<T: SignedObject>(&self, envelope: &Envelope) -> Result<T, CoreError> {
        envelope
            .open(&[&self.server_key()])
            .map_err(CoreError::BadServerSignature)
    }

    /// Reads the server's info, following only key rotations signed by the pinned
    /// key: the newest key in that chain becomes the pinned one.
    pub fn follow_server_info(&self, info: &ServerInfoResponse) -> Result<ServerInfo, CoreError> {
        let (info, current) = info
            .verify_from(&self.server_key())
            .map_err(CoreError::BadServerSignature)?;
        if let Ok(mut key) = self.server_key.write() {
            *key = current;
        }
        self.observe_server_time(info.iat);
        Ok(info)
    }
}
