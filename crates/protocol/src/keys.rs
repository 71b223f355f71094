//! Public keys, key ids and signature verification for the three algorithms the
//! protocol knows. A verifier always takes the algorithm from the key it registered,
//! never from the `alg` a signature claims (design.md §4).

use ed25519_dalek::Verifier as _;
use serde::{Deserialize, Serialize};

use crate::{ProtocolError, b64};

/// Signature algorithms. `Ed25519` for device, PIN and server keys; `Rs256`
/// (RSA-2048 PKCS#1 v1.5 SHA-256) and `Es256` (ECDSA P-256 SHA-256, raw r‖s) only for
/// platform user-verification keys (Windows Hello, Secure Enclave).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Ed25519,
    Rs256,
    Es256,
}

impl Algorithm {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::Rs256 => "rs256",
            Algorithm::Es256 => "es256",
        }
    }
}

/// A key id: the first 16 characters of base64url(SHA-256(public key bytes)).
pub fn kid_of(public_key_bytes: &[u8]) -> String {
    let mut full = b64::sha256_b64(public_key_bytes);
    full.truncate(16);
    full
}

/// A public key as registered: its algorithm and its bytes (raw 32 bytes for
/// ed25519, DER SubjectPublicKeyInfo for RSA and P-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    alg: Algorithm,
    bytes: Vec<u8>,
}

impl PublicKey {
    /// Parses and validates a key of the given algorithm.
    pub fn new(alg: Algorithm, bytes: Vec<u8>) -> Result<Self, ProtocolError> {
        let key = PublicKey { alg, bytes };
        key.check()?;
        Ok(key)
    }

    /// An ed25519 key from its raw bytes.
    pub fn ed25519(bytes: [u8; 32]) -> Result<Self, ProtocolError> {
        Self::new(Algorithm::Ed25519, bytes.to_vec())
    }

    /// An ed25519 key from base64url text (the wire form).
    pub fn ed25519_b64(text: &str) -> Result<Self, ProtocolError> {
        Self::ed25519(b64::decode_array::<32>(text)?)
    }

    /// A key of `alg` from base64url text.
    pub fn from_b64(alg: Algorithm, text: &str) -> Result<Self, ProtocolError> {
        Self::new(alg, b64::decode(text)?)
    }

    /// The ed25519 key that verifies signatures of `signing_key`.
    pub fn from_signing_key(signing_key: &ed25519_dalek::SigningKey) -> Self {
        PublicKey {
            alg: Algorithm::Ed25519,
            bytes: signing_key.verifying_key().to_bytes().to_vec(),
        }
    }

    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key bytes as base64url.
    pub fn to_b64(&self) -> String {
        b64::encode(&self.bytes)
    }

    /// This key's id.
    pub fn kid(&self) -> String {
        kid_of(&self.bytes)
    }

    fn check(&self) -> Result<(), ProtocolError> {
        let bad = || ProtocolError::BadKey {
            alg: self.alg.as_str(),
        };
        match self.alg {
            Algorithm::Ed25519 => {
                let raw: [u8; 32] = self.bytes.as_slice().try_into().map_err(|_| bad())?;
                ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|_| bad())?;
            }
            Algorithm::Rs256 => {
                rsa_key(&self.bytes).ok_or_else(bad)?;
            }
            Algorithm::Es256 => {
                p256_key(&self.bytes).ok_or_else(bad)?;
            }
        }
        Ok(())
    }

    /// Verifies `signature` over `message` with this key's own algorithm.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), ProtocolError> {
        let bad = || ProtocolError::BadSignature { kid: self.kid() };
        let ok = match self.alg {
            Algorithm::Ed25519 => {
                let raw: [u8; 32] = self.bytes.as_slice().try_into().map_err(|_| bad())?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|_| bad())?;
                let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| bad())?;
                key.verify_strict(message, &sig).is_ok()
            }
            Algorithm::Rs256 => {
                use rsa::signature::Verifier as _;
                let key = rsa_key(&self.bytes).ok_or_else(bad)?;
                let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key);
                let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| bad())?;
                verifier.verify(message, &sig).is_ok()
            }
            Algorithm::Es256 => {
                let key = p256_key(&self.bytes).ok_or_else(bad)?;
                let sig = p256::ecdsa::Signature::from_slice(signature).map_err(|_| bad())?;
                key.verify(message, &sig).is_ok()
            }
        };
        if ok { Ok(()) } else { Err(bad()) }
    }
}

/// Minimum RSA modulus size accepted for platform keys.
const MIN_RSA_BITS: usize = 2048;

fn rsa_key(der: &[u8]) -> Option<rsa::PublicKey> {
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::traits::PublicKeyParts as _;
    let key = rsa::PublicKey::from_public_key_der(der).ok()?;
    (key.size() * 8 >= MIN_RSA_BITS).then_some(key)
}

fn p256_key(der: &[u8]) -> Option<p256::ecdsa::VerifyingKey> {
    use p256::pkcs8::DecodePublicKey as _;
    p256::ecdsa::VerifyingKey::from_public_key_der(der).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    fn key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn kid_is_sixteen_base64url_characters_of_the_key_hash() {
        let public = PublicKey::from_signing_key(&key(1));
        let kid = public.kid();
        assert_eq!(kid.len(), 16);
        assert!(b64::sha256_b64(public.bytes()).starts_with(&kid));
    }

    #[test]
    fn ed25519_signature_verifies_and_tampering_fails() {
        let signing = key(7);
        let public = PublicKey::from_signing_key(&signing);
        let sig = signing.sign(b"hello").to_bytes();
        assert!(public.verify(b"hello", &sig).is_ok());
        assert!(public.verify(b"hellO", &sig).is_err());
        assert!(
            PublicKey::from_signing_key(&key(8))
                .verify(b"hello", &sig)
                .is_err()
        );
        assert!(public.verify(b"hello", &sig[..63]).is_err());
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(PublicKey::new(Algorithm::Ed25519, vec![1; 31]).is_err());
        assert!(PublicKey::new(Algorithm::Rs256, vec![1; 300]).is_err());
        assert!(PublicKey::new(Algorithm::Es256, vec![]).is_err());
    }
}
