//! Server identity: the signed server info and the key-rotation chain.

use serde::{Deserialize, Serialize};

use crate::{Envelope, SignedObject};

/// The organisation that runs the server, shown in the app's help and support.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
}

/// The app versions the server wants: below `minimum` the app must update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionPolicy {
    pub latest: String,
    pub minimum: String,
    /// Where the operator says to get a new version (an `https` page: the
    /// organisation's software portal, or the project's releases). Absent, the app
    /// says to update the way Godkend was installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_url: Option<String>,
}

/// What the app should tell the user about its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionVerdict {
    UpToDate,
    UpdateAvailable,
    UpdateRequired,
}

impl VersionPolicy {
    /// Compares `current` (dotted numeric, e.g. "0.1.0") with the policy. An
    /// unparseable policy version is ignored rather than locking the user out.
    pub fn verdict(&self, current: &str) -> VersionVerdict {
        let (Some(now), latest, minimum) = (
            parse_version(current),
            parse_version(&self.latest),
            parse_version(&self.minimum),
        ) else {
            return VersionVerdict::UpToDate;
        };
        if minimum.is_some_and(|m| now < m) {
            VersionVerdict::UpdateRequired
        } else if latest.is_some_and(|l| now < l) {
            VersionVerdict::UpdateAvailable
        } else {
            VersionVerdict::UpToDate
        }
    }
}

fn parse_version(text: &str) -> Option<Vec<u64>> {
    let core = text.split(['-', '+']).next()?;
    core.split('.').map(|p| p.parse().ok()).collect()
}

/// Signed by the server's current key: who it is and how to reach support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerInfo {
    pub iat: i64,
    pub server_kid: String,
    /// ed25519 public key, base64url raw bytes.
    pub server_key: String,
    pub public_url: String,
    pub org: Organisation,
    pub version_policy: VersionPolicy,
    /// Whether `software` user-verification keys approve requests here (`serve
    /// --allow-software-uv`); absent means no (they only unlock). The app offers the
    /// scan on the request screen only when this says yes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub software_uv_approves: bool,
}

impl SignedObject for ServerInfo {
    const TYPE: &'static str = "server_info";
}

/// A rotation statement: the old key vouches for the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyRotation {
    pub iat: i64,
    pub old_kid: String,
    pub new_kid: String,
    /// ed25519 public key, base64url raw bytes.
    pub new_key: String,
}

impl SignedObject for KeyRotation {
    const TYPE: &'static str = "key_rotation";
}

/// `GET /v1/server-info`: the signed info and every rotation statement, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerInfoResponse {
    pub info: Envelope,
    #[serde(default)]
    pub rotations: Vec<Envelope>,
}

impl ServerInfoResponse {
    /// Walks the rotation chain from a pinned key to the key that signed `info`, and
    /// returns the verified info and the current key. Nothing else is accepted.
    pub fn verify_from(
        &self,
        pinned: &crate::PublicKey,
    ) -> Result<(ServerInfo, crate::PublicKey), crate::ProtocolError> {
        let mut current = pinned.clone();
        for rotation in &self.rotations {
            let Ok(statement) = rotation.peek::<KeyRotation>() else {
                continue;
            };
            if statement.old_kid == current.kid() {
                let statement: KeyRotation = rotation.open(&[&current])?;
                let next = crate::PublicKey::ed25519_b64(&statement.new_key)?;
                if next.kid() != statement.new_kid {
                    return Err(crate::ProtocolError::BadKey { alg: "ed25519" });
                }
                current = next;
            }
        }
        let info: ServerInfo = self.info.open(&[&current])?;
        Ok((info, current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublicKey;

    fn policy(latest: &str, minimum: &str) -> VersionPolicy {
        VersionPolicy {
            latest: latest.into(),
            minimum: minimum.into(),
            update_url: None,
        }
    }

    #[test]
    fn version_verdicts() {
        assert_eq!(
            policy("1.2.0", "1.0.0").verdict("1.2.0"),
            VersionVerdict::UpToDate
        );
        assert_eq!(
            policy("1.2.0", "1.0.0").verdict("1.1.9"),
            VersionVerdict::UpdateAvailable
        );
        assert_eq!(
            policy("1.2.0", "1.0.0").verdict("0.9.0"),
            VersionVerdict::UpdateRequired
        );
        assert_eq!(
            policy("1.10.0", "1.0.0").verdict("1.9.0"),
            VersionVerdict::UpdateAvailable
        );
        assert_eq!(
            policy("garbage", "x").verdict("0.1.0"),
            VersionVerdict::UpToDate
        );
    }

    fn info_signed_by(key: &ed25519_dalek::SigningKey) -> Envelope {
        let public = PublicKey::from_signing_key(key);
        let info = ServerInfo {
            iat: 1,
            server_kid: public.kid(),
            server_key: public.to_b64(),
            public_url: "http://127.0.0.1".into(),
            org: Organisation::default(),
            version_policy: policy("0.1.0", "0.1.0"),
            software_uv_approves: false,
        };
        Envelope::seal(&info, &[key]).unwrap()
    }

    #[test]
    fn rotation_chain_is_followed_only_from_the_pinned_key() {
        let old = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
        let new = ed25519_dalek::SigningKey::from_bytes(&[2; 32]);
        let new_pub = PublicKey::from_signing_key(&new);
        let rotation = KeyRotation {
            iat: 1,
            old_kid: PublicKey::from_signing_key(&old).kid(),
            new_kid: new_pub.kid(),
            new_key: new_pub.to_b64(),
        };
        let response = ServerInfoResponse {
            info: info_signed_by(&new),
            rotations: vec![Envelope::seal(&rotation, &[&old]).unwrap()],
        };
        let (_, current) = response
            .verify_from(&PublicKey::from_signing_key(&old))
            .unwrap();
        assert_eq!(current, new_pub);

        // A rotation signed by someone else is not followed.
        let forged = ServerInfoResponse {
            info: info_signed_by(&new),
            rotations: vec![Envelope::seal(&rotation, &[&new]).unwrap()],
        };
        assert!(
            forged
                .verify_from(&PublicKey::from_signing_key(&old))
                .is_err()
        );
    }
}
