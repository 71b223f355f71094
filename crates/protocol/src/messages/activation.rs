//! Activation: the link an admin hands out, the HMAC proofs both ways, and the
//! server-signed answer. The device never sends the code itself (design.md §4).

use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::messages::server::{Organisation, VersionPolicy};
use crate::{Envelope, ProtocolError, SignedObject, b64, canonical};

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Length of a generated activation code.
pub const CODE_LENGTH: usize = 16;

/// Upper-cases the code and drops everything that is not a letter or digit, so
/// "abcd-efgh ijkl" and "ABCDEFGHIJKL" are the same code.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Shows a code in groups of four for reading aloud or typing.
pub fn format_code(code: &str) -> String {
    normalise_code(code)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

fn hmac(code: &str, message: &serde_json::Value) -> Result<[u8; 32], ProtocolError> {
    let bytes = canonical::to_vec(message)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(normalise_code(code).as_bytes())
        .map_err(|e| ProtocolError::Canonical(e.to_string()))?;
    mac.update(&bytes);
    Ok(mac.finalize().into_bytes().into())
}

/// The device's proof: HMAC(code, JCS{role: "device", user, device_key, pin_key, server_key}).
pub fn device_proof(
    code: &str,
    user: &str,
    device_key: &str,
    pin_key: &str,
    server_key: &str,
) -> Result<String, ProtocolError> {
    let message = json!({
        "role": "device", "user": user, "device_key": device_key,
        "pin_key": pin_key, "server_key": server_key,
    });
    Ok(b64::encode(hmac(code, &message)?))
}

/// The server's proof: HMAC(code, JCS{role: "server", user, device_id, device_key, server_key}).
pub fn server_proof(
    code: &str,
    user: &str,
    device_id: &str,
    device_key: &str,
    server_key: &str,
) -> Result<String, ProtocolError> {
    let message = json!({
        "role": "server", "user": user, "device_id": device_id,
        "device_key": device_key, "server_key": server_key,
    });
    Ok(b64::encode(hmac(code, &message)?))
}

/// Compares two proofs in constant time.
pub fn proofs_equal(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (b64::decode(a), b64::decode(b)) else {
        return false;
    };
    a.len() == b.len() && a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `POST /v1/device/activate` body. Unsigned: the HMAC proof binds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationRequest {
    pub user: String,
    /// ed25519 device public key, base64url.
    pub device_key: String,
    /// ed25519 PIN public key, base64url.
    pub pin_key: String,
    /// The server key the device saw in server info, base64url.
    pub server_key: String,
    /// A name for the device list, e.g. the host name.
    pub device_name: String,
    pub proof: String,
}

/// The server-signed answer to a good activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activation {
    pub iat: i64,
    pub device_id: String,
    pub serial: String,
    pub user: String,
    pub device_key: String,
    pub org: Organisation,
    pub version_policy: VersionPolicy,
    /// The server's HMAC proof that it knew the code.
    pub proof: String,
}

impl SignedObject for Activation {
    const TYPE: &'static str = "activation";
}

/// The body of the activation answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationResponse {
    pub activation: Envelope,
}

/// `godkend://activate?server=...&user=...&code=...&fp=...`: everything a device needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationLink {
    pub server_url: String,
    pub user: String,
    pub code: String,
    /// The server key id the admin saw; the app refuses a server presenting another.
    pub server_kid: Option<String>,
}

impl ActivationLink {
    /// The link as text.
    pub fn to_uri(&self) -> String {
        let mut url = url::Url::parse("godkend://activate").unwrap_or_else(|_| unreachable!());
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("server", &self.server_url);
            query.append_pair("user", &self.user);
            query.append_pair("code", &self.code);
            if let Some(kid) = &self.server_kid {
                query.append_pair("fp", kid);
            }
        }
        url.to_string()
    }

    /// Parses a link; every field but `fp` is required.
    pub fn parse(text: &str) -> Result<Self, ProtocolError> {
        let bad = |why: &str| ProtocolError::InvalidLink(why.into());
        let url = url::Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "godkend" || url.host_str() != Some("activate") {
            return Err(bad("it must start with godkend://activate"));
        }
        let get = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .filter(|v| !v.is_empty())
        };
        Ok(ActivationLink {
            server_url: get("server").ok_or_else(|| bad("the server address is missing"))?,
            user: get("user").ok_or_else(|| bad("the user id is missing"))?,
            code: get("code").ok_or_else(|| bad("the activation code is missing"))?,
            server_kid: get("fp"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_normalisation_drops_separators_and_case() {
        assert_eq!(normalise_code(" abcd-efgh jk2m "), "ABCDEFGHJK2M");
        assert_eq!(format_code("abcdefghjk2m"), "ABCD-EFGH-JK2M");
    }

    #[test]
    fn proofs_depend_on_role_code_and_every_field() {
        let d = device_proof("ABCD-EFGH", "alice", "dk", "pk", "sk").unwrap();
        assert_eq!(
            d,
            device_proof("abcdefgh", "alice", "dk", "pk", "sk").unwrap()
        );
        assert_ne!(
            d,
            device_proof("ABCDEFGX", "alice", "dk", "pk", "sk").unwrap()
        );
        assert_ne!(
            d,
            device_proof("ABCDEFGH", "alice", "dk", "pk", "other").unwrap()
        );
        let s = server_proof("ABCDEFGH", "alice", "dk", "pk", "sk").unwrap();
        assert_ne!(d, s, "a device proof can never pass as a server proof");
        assert!(proofs_equal(&d, &d.clone()));
        assert!(!proofs_equal(&d, &s));
        assert!(!proofs_equal(&d, "not base64!"));
    }

    #[test]
    fn link_round_trips_and_rejects_missing_fields() {
        let link = ActivationLink {
            server_url: "https://auth.example.com/".into(),
            user: "alice@example.com".into(),
            code: "ABCD-EFGH-JKMN-PQRS".into(),
            server_kid: Some("abc".into()),
        };
        assert_eq!(ActivationLink::parse(&link.to_uri()).unwrap(), link);
        assert!(ActivationLink::parse("godkend://activate?server=x&user=y").is_err());
        assert!(ActivationLink::parse("https://activate?server=x&user=y&code=z").is_err());
        assert!(ActivationLink::parse("not a link").is_err());
    }
}
