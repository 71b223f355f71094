//! Device life cycle: status (revoked/blocked), unlock, PIN change, device list and
//! revocation, user-verification keys.

use serde::{Deserialize, Serialize};

use crate::keys::Algorithm;
use crate::{Envelope, SignedObject};

/// Where a device stands at the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Active,
    /// Deregistered by the user or an admin. Final.
    Revoked,
    /// Five consecutive wrong PINs. Final; the device must be activated again.
    Blocked,
}

/// Server-signed status of one device. A device wipes itself only on a signed
/// `revoked` or `blocked` status naming its own id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceStatus {
    pub iat: i64,
    pub device_id: String,
    pub status: DeviceState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl SignedObject for DeviceStatus {
    const TYPE: &'static str = "device_status";
}

/// Server-signed challenge for an unlock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnlockChallenge {
    pub iat: i64,
    pub exp: i64,
    pub device_id: String,
    pub challenge: String,
}

impl SignedObject for UnlockChallenge {
    const TYPE: &'static str = "unlock_challenge";
}

/// The device's answer, signed by the device key and the PIN (or user-verification) key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnlockProof {
    pub iat: i64,
    pub device_id: String,
    pub challenge: String,
    /// The kid of the user-verification key that signs this proof instead of the
    /// PIN (see `Decision::uv_kid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uv_kid: Option<String>,
}

impl SignedObject for UnlockProof {
    const TYPE: &'static str = "unlock";
}

/// `POST /v1/device/unlock` answer: `{"unlocked": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unlocked {
    /// Always `true`: a refused unlock is a problem+json answer.
    pub unlocked: bool,
}

/// `GET /v1/device/requests` answer: the polling fallback while the event stream is
/// unavailable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingRequests {
    /// `approval_request` envelopes signed by the server key (payload:
    /// `ApprovalRequest`), oldest first.
    pub requests: Vec<Envelope>,
}

/// Replace the PIN key; signed by the device key and the old PIN key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinChange {
    pub iat: i64,
    pub device_id: String,
    pub nonce: String,
    pub new_pin_key: String,
}

impl SignedObject for PinChange {
    const TYPE: &'static str = "pin_change";
}

/// Revoke a device of the same user (or itself); signed by the device and PIN keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRevocation {
    pub iat: i64,
    pub device_id: String,
    pub nonce: String,
    pub target_device_id: String,
}

impl SignedObject for DeviceRevocation {
    const TYPE: &'static str = "device_revoke";
}

/// How a user-verification key protects itself, as the server records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UvKind {
    Pin,
    Hardware,
    Software,
}

/// Register a biometric user-verification key; signed by the device and PIN keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserVerificationKey {
    pub iat: i64,
    pub device_id: String,
    pub nonce: String,
    pub alg: Algorithm,
    pub public_key: String,
    pub kind: UvKind,
}

impl SignedObject for UserVerificationKey {
    const TYPE: &'static str = "uv_key";
}

/// One entry of the user's device list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceSummary {
    pub device_id: String,
    pub serial: String,
    pub name: String,
    pub status: DeviceState,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<i64>,
}

/// `GET /v1/device/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    pub devices: Vec<DeviceSummary>,
}
