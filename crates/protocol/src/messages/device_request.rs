//! The signed header on every device call: `Authorization: Godkend <base64url(envelope)>`.

use serde::{Deserialize, Serialize};

use crate::{Envelope, ProtocolError, SignedObject, b64};

/// The authorization scheme name.
pub const SCHEME: &str = "Godkend";

/// Binds one HTTP call to the device key: method, path with query as the client
/// addressed it, body hash, time and a nonce the server remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRequestHeader {
    pub iat: i64,
    pub device_id: String,
    pub method: String,
    pub path: String,
    pub nonce: String,
    pub body_sha256: String,
}

impl SignedObject for DeviceRequestHeader {
    const TYPE: &'static str = "device_request";
}

/// The header value for a sealed `DeviceRequestHeader` envelope.
pub fn to_header_value(envelope: &Envelope) -> Result<String, ProtocolError> {
    Ok(format!("{SCHEME} {}", b64::encode(envelope.to_json()?)))
}

/// Parses an `Authorization` header value back into its envelope.
pub fn from_header_value(value: &str) -> Result<Envelope, ProtocolError> {
    let bad = |why: &str| ProtocolError::InvalidHeader(why.into());
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| bad("expected `Godkend <token>`"))?;
    if scheme != SCHEME {
        return Err(bad("the scheme must be Godkend"));
    }
    let json = b64::decode(token.trim()).map_err(|_| bad("the token is not base64url"))?;
    serde_json::from_slice(&json).map_err(|_| bad("the token is not an envelope"))
}
