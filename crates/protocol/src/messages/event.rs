//! Push events: the SSE `event:` names and the signed objects they carry.

use serde::{Deserialize, Serialize};

use crate::SignedObject;

/// The SSE `event:` field. Each carries a server-signed envelope in `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// `data` is an `approval_request` envelope.
    RequestCreated,
    /// `data` is a `request_closed` envelope.
    RequestClosed,
    /// `data` is a `device_status` envelope (revoked or blocked).
    DeviceStatus,
    /// `data` is a `server_info` envelope (new version policy or support details).
    Policy,
    /// `data` is a `heartbeat` envelope, sent every 15 s.
    Heartbeat,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RequestCreated => "request_created",
            EventKind::RequestClosed => "request_closed",
            EventKind::DeviceStatus => "device_status",
            EventKind::Policy => "policy",
            EventKind::Heartbeat => "heartbeat",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::from(name)).ok()
    }
}

/// Seconds between heartbeats.
pub const HEARTBEAT_SECONDS: u64 = 15;

/// Why a request left the pending state before this device decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Decided on another device.
    Withdrawn,
    /// A newer request for the same user replaced it.
    Superseded,
    Expired,
    /// The request failed: 3 wrong codes, or the user's last device ended. Older
    /// servers sent this as `decided`, which is read as `failed`.
    #[serde(alias = "decided")]
    Failed,
    /// A reason newer than this build: the request is closed, for a reason it cannot
    /// name.
    #[serde(other)]
    Unknown,
}

/// Server-signed: a request is no longer pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestClosed {
    pub iat: i64,
    pub device_id: String,
    pub request_id: String,
    pub reason: CloseReason,
}

impl SignedObject for RequestClosed {
    const TYPE: &'static str = "request_closed";
}

/// Server-signed keep-alive, which also keeps the device's clock offset fresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    pub iat: i64,
    pub device_id: String,
}

impl SignedObject for Heartbeat {
    const TYPE: &'static str = "heartbeat";
}

#[cfg(test)]
mod tests {
    use super::CloseReason;

    fn read(name: &str) -> CloseReason {
        serde_json::from_value(serde_json::Value::from(name)).unwrap()
    }

    #[test]
    fn failed_has_its_own_name_and_an_older_server_s_decided_reads_as_failed() {
        assert_eq!(serde_json::to_value(CloseReason::Failed).unwrap(), "failed");
        assert_eq!(read("failed"), CloseReason::Failed);
        assert_eq!(read("decided"), CloseReason::Failed);
    }

    #[test]
    fn an_unknown_reason_parses() {
        assert_eq!(read("cancelled_by_admin"), CloseReason::Unknown);
        assert_eq!(read("withdrawn"), CloseReason::Withdrawn);
    }
}
