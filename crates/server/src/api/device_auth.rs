//! The device-request header check (design.md §4): every device call carries an
//! envelope over method, path, time, nonce and body hash, signed by the device key.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use godkend_protocol::messages::{DeviceRequestHeader, DeviceState, device_request};
use godkend_protocol::{ErrorCode, Problem, PublicKey, b64, rules};

use super::error::ApiError;
use crate::service::{ServiceError, SharedService, now};
use crate::store::{DeviceRow, Nonce};

/// An authenticated device call: the device (in any state) and the body it signed.
/// Its header's nonce is spent (a replay was refused) before the handler runs.
pub struct DeviceCall {
    pub device: DeviceRow,
    pub body: Bytes,
}

/// A device call authenticated like `DeviceCall` whose nonce is NOT spent yet: the
/// handler spends it inside the transaction that acts on the call (one write
/// transaction instead of two), or on its own on every path that acts on nothing.
/// Only the decision uses it (its hot path).
pub struct DeviceCallUnspent {
    pub device: DeviceRow,
    pub body: Bytes,
    pub nonce: Nonce,
}

/// Largest signed body a device may send.
pub const MAX_DEVICE_BODY: usize = 64 * 1024;

/// Largest `Authorization` header a device may send (a real one is under 1 KiB).
pub const MAX_DEVICE_HEADER: usize = 4096;

/// The nonce's length in bytes, before base64url (PROTOCOL.md §3.1).
pub const NONCE_BYTES: std::ops::RangeInclusive<usize> = 16..=64;

/// The one answer for an unknown device and a bad signature, so a caller cannot
/// learn which device ids exist.
fn unknown_or_forged() -> Problem {
    Problem::new(ErrorCode::Unauthorized, "unknown device or bad signature")
}

impl DeviceCall {
    /// The device, if it is still active; a revoked or blocked device gets its signed
    /// status in the problem so it can wipe itself.
    pub fn active(&self, service: &SharedService) -> Result<&DeviceRow, ApiError> {
        active(&self.device, service)
    }
}

impl DeviceCallUnspent {
    /// `DeviceCall::active`; a call refused here acts on nothing, so its nonce is
    /// spent on its own first (a replay still answers `replayed_nonce`).
    pub async fn active(&self, service: &SharedService) -> Result<&DeviceRow, ApiError> {
        if self.device.state() == DeviceState::Active {
            return Ok(&self.device);
        }
        service
            .spend_nonce_alone(&self.device.id, &self.nonce)
            .await?;
        active(&self.device, service)
    }
}

fn active<'a>(device: &'a DeviceRow, service: &SharedService) -> Result<&'a DeviceRow, ApiError> {
    if device.state() == DeviceState::Active {
        Ok(device)
    } else {
        Err(service.ended_device_problem(device)?.into())
    }
}

impl FromRequest<SharedService> for DeviceCall {
    type Rejection = ApiError;

    async fn from_request(req: Request, service: &SharedService) -> Result<Self, Self::Rejection> {
        let DeviceCallUnspent {
            device,
            body,
            nonce,
        } = DeviceCallUnspent::from_request(req, service).await?;
        service.spend_nonce_alone(&device.id, &nonce).await?;
        Ok(DeviceCall { device, body })
    }
}

impl FromRequest<SharedService> for DeviceCallUnspent {
    type Rejection = ApiError;

    async fn from_request(req: Request, service: &SharedService) -> Result<Self, Self::Rejection> {
        let unauthorized = |why: &str| Problem::new(ErrorCode::Unauthorized, why.to_owned());
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                unauthorized("device calls need a signed `Authorization: Godkend ...` header")
            })?
            .to_owned();
        if value.len() > MAX_DEVICE_HEADER {
            return Err(unauthorized("the Authorization header is too large").into());
        }
        let method = req.method().as_str().to_owned();
        let prefix = service
            .settings
            .public_url
            .path()
            .trim_end_matches('/')
            .to_owned();
        let path = format!(
            "{prefix}{}",
            req.uri().path_and_query().map_or("/", |p| p.as_str())
        );
        let body = Bytes::from_request(req, service)
            .await
            .map_err(|e| super::extract::body_problem(e.status()))?;

        let envelope =
            device_request::from_header_value(&value).map_err(|e| unauthorized(&e.to_string()))?;
        let header: DeviceRequestHeader = envelope
            .peek()
            .map_err(|e| unauthorized(&format!("the header is not a device request: {e}")))?;
        if !b64::decode(&header.nonce).is_ok_and(|n| NONCE_BYTES.contains(&n.len())) {
            return Err(
                unauthorized("the nonce must be 16 to 64 random bytes in base64url").into(),
            );
        }
        // A malformed id cannot name a device; it never reaches the database.
        godkend_protocol::ids::check_device(&header.device_id)
            .map_err(|_| unauthorized("unknown device"))?;
        let device = service
            .store
            .device(&header.device_id)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(unknown_or_forged)?;
        let key = PublicKey::ed25519_b64(&device.device_key).map_err(ServiceError::from)?;
        envelope.verify(&key).map_err(|_| unknown_or_forged())?;
        let server_now = now();
        if !rules::header_time_ok(header.iat, server_now) {
            let mut p = Problem::new(
                ErrorCode::ClockSkew,
                "the request time is too far from the server's clock",
            )
            .with_detail("correct the clock offset with server_time and retry");
            p.server_time = Some(server_now);
            return Err(p.into());
        }
        if header.method != method || header.path != path {
            return Err(unauthorized("the signed method or path does not match this call").into());
        }
        if header.body_sha256 != b64::sha256_b64(&body) {
            return Err(unauthorized("the signed body hash does not match the body").into());
        }
        let nonce = Nonce {
            value: header.nonce,
            expires_at: header.iat + 2 * rules::HEADER_SKEW_SECONDS,
        };
        Ok(DeviceCallUnspent {
            device,
            body,
            nonce,
        })
    }
}
