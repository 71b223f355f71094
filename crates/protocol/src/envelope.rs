//! Envelopes: a signed object plus its signatures, and the sealing and opening of one.
//!
//! The payload is kept as received (`serde_json::Value`), so a verifier checks the
//! signature over exactly what the signer produced, even if it carries fields this
//! version does not know.

use ed25519_dalek::Signer as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::keys::{Algorithm, PublicKey};
use crate::{PROTOCOL_VERSION, ProtocolError, b64, canonical};

/// A struct that travels as a signed object. `TYPE` is written into the object's `type`
/// field, which keeps signature domains apart (a decision can never pass as an unlock).
pub trait SignedObject: Serialize + DeserializeOwned {
    /// The object's `type` on the wire.
    const TYPE: &'static str;
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureEntry {
    /// The signing key's id: the first 16 characters of base64url(SHA-256(key bytes)).
    pub kid: String,
    pub alg: Algorithm,
    /// base64url signature bytes (ES256: raw r‖s).
    pub sig: String,
}

/// `{"payload": {...}, "signatures": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope {
    /// The signed object: its fields plus `v` (1) and `type`. Every signature covers
    /// the RFC 8785 canonical form of this value exactly as received.
    pub payload: Value,
    /// Independent signatures over the same bytes; their order carries no meaning.
    pub signatures: Vec<SignatureEntry>,
}

/// Turns a `SignedObject` into its payload: the struct's fields plus `v` and `type`.
pub fn payload_of<T: SignedObject>(object: &T) -> Result<Value, ProtocolError> {
    let Value::Object(mut map) = serde_json::to_value(object)? else {
        return Err(ProtocolError::NotAnObject);
    };
    map.insert("v".into(), Value::from(PROTOCOL_VERSION));
    map.insert("type".into(), Value::from(T::TYPE));
    Ok(Value::Object(map))
}

/// Reads a payload as `T`, checking `v` and `type` first.
pub fn object_from_payload<T: SignedObject>(payload: &Value) -> Result<T, ProtocolError> {
    let map: &Map<String, Value> = payload.as_object().ok_or(ProtocolError::NotAnObject)?;
    match map.get("v") {
        Some(v) if v.as_u64() == Some(PROTOCOL_VERSION) => {}
        other => {
            return Err(ProtocolError::UnsupportedVersion(
                other.map_or_else(|| "none".into(), ToString::to_string),
            ));
        }
    }
    let found = map.get("type").and_then(Value::as_str).unwrap_or("");
    if found != T::TYPE {
        return Err(ProtocolError::WrongType {
            expected: T::TYPE,
            found: found.into(),
        });
    }
    Ok(serde_json::from_value(payload.clone())?)
}

impl Envelope {
    /// Builds the payload of `object` and signs it with every key in `signers`, in order.
    pub fn seal<T: SignedObject>(
        object: &T,
        signers: &[&ed25519_dalek::SigningKey],
    ) -> Result<Self, ProtocolError> {
        let mut envelope = Envelope {
            payload: payload_of(object)?,
            signatures: Vec::new(),
        };
        for key in signers {
            envelope.sign_with(key)?;
        }
        Ok(envelope)
    }

    /// Adds an ed25519 signature over the canonical payload.
    pub fn sign_with(&mut self, key: &ed25519_dalek::SigningKey) -> Result<(), ProtocolError> {
        let signature = key.sign(&self.canonical_payload()?);
        self.signatures.push(SignatureEntry {
            kid: PublicKey::from_signing_key(key).kid(),
            alg: Algorithm::Ed25519,
            sig: b64::encode(signature.to_bytes()),
        });
        Ok(())
    }

    /// Adds a signature made elsewhere (a platform user-verification key).
    pub fn add_signature(&mut self, entry: SignatureEntry) {
        self.signatures.push(entry);
    }

    /// The signed bytes: the payload's RFC 8785 form. A payload with a number that is
    /// not an integer below 2^53 in absolute value has none (it is refused before any
    /// signature is made or checked): its canonical form could be another payload's.
    pub fn canonical_payload(&self) -> Result<Vec<u8>, ProtocolError> {
        canonical::check_numbers(&self.payload)?;
        canonical::to_vec(&self.payload)
    }

    /// base64url(SHA-256(canonical payload)): the request hash a decision carries.
    pub fn payload_hash(&self) -> Result<String, ProtocolError> {
        Ok(b64::sha256_b64(self.canonical_payload()?))
    }

    /// The signature entry made by `key`, if any.
    pub fn signature_by(&self, key: &PublicKey) -> Option<&SignatureEntry> {
        let kid = key.kid();
        self.signatures.iter().find(|s| s.kid == kid)
    }

    /// Checks that `key` signed this payload. The algorithm comes from `key`; a
    /// signature claiming another algorithm is refused, and so is an envelope with
    /// two entries under the key's id (which one counts would be up to each
    /// verifier, and an entry nobody checked would travel as if it were signed).
    pub fn verify(&self, key: &PublicKey) -> Result<(), ProtocolError> {
        let kid = key.kid();
        let mut by_key = self.signatures.iter().filter(|s| s.kid == kid);
        let entry = by_key
            .next()
            .ok_or_else(|| ProtocolError::MissingSignature { kid: kid.clone() })?;
        if by_key.next().is_some() {
            return Err(ProtocolError::DuplicateSignature { kid });
        }
        if entry.alg != key.alg() {
            return Err(ProtocolError::AlgorithmMismatch {
                kid: entry.kid.clone(),
                claimed: entry.alg.as_str(),
                actual: key.alg().as_str(),
            });
        }
        let signature = b64::decode(&entry.sig).map_err(|_| ProtocolError::BadSignature {
            kid: entry.kid.clone(),
        })?;
        key.verify(&self.canonical_payload()?, &signature)
    }

    /// Verifies the signature of every key in `keys`, then reads the payload as `T`.
    pub fn open<T: SignedObject>(&self, keys: &[&PublicKey]) -> Result<T, ProtocolError> {
        for key in keys {
            self.verify(key)?;
        }
        object_from_payload(&self.payload)
    }

    /// Reads the payload as `T` without checking any signature. Only for objects whose
    /// signer is not known yet (the server reads `device_id` to find the device key).
    pub fn peek<T: SignedObject>(&self) -> Result<T, ProtocolError> {
        object_from_payload(&self.payload)
    }

    /// The envelope's compact JSON.
    pub fn to_json(&self) -> Result<String, ProtocolError> {
        Ok(serde_json::to_string(self)?)
    }

    /// Parses an envelope from JSON.
    pub fn from_json(text: &str) -> Result<Self, ProtocolError> {
        Ok(serde_json::from_str(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Note {
        iat: i64,
        text: String,
    }
    impl SignedObject for Note {
        const TYPE: &'static str = "note";
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Other {
        iat: i64,
    }
    impl SignedObject for Other {
        const TYPE: &'static str = "other";
    }

    fn key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    /// A note signed by `key` alone.
    fn sealed_note(key: &ed25519_dalek::SigningKey) -> Envelope {
        let note = Note {
            iat: 1,
            text: "x".into(),
        };
        Envelope::seal(&note, &[key]).unwrap()
    }

    #[test]
    fn sealed_object_opens_with_every_signer() {
        let (a, b) = (key(1), key(2));
        let note = Note {
            iat: 10,
            text: "hi".into(),
        };
        let env = Envelope::seal(&note, &[&a, &b]).unwrap();
        assert_eq!(env.payload["type"], "note");
        assert_eq!(env.payload["v"], 1);
        let opened: Note = env
            .open(&[
                &PublicKey::from_signing_key(&a),
                &PublicKey::from_signing_key(&b),
            ])
            .unwrap();
        assert_eq!(opened, note);
    }

    #[test]
    fn missing_signer_and_changed_payload_fail() {
        let a = key(1);
        let mut env = sealed_note(&a);
        let b = PublicKey::from_signing_key(&key(2));
        assert!(matches!(
            env.open::<Note>(&[&b]),
            Err(ProtocolError::MissingSignature { .. })
        ));
        env.payload["text"] = "y".into();
        assert!(matches!(
            env.open::<Note>(&[&PublicKey::from_signing_key(&a)]),
            Err(ProtocolError::BadSignature { .. })
        ));
    }

    #[test]
    fn wrong_type_is_refused_even_with_a_good_signature() {
        let a = key(1);
        let env = sealed_note(&a);
        assert!(matches!(
            env.open::<Other>(&[&PublicKey::from_signing_key(&a)]),
            Err(ProtocolError::WrongType { .. })
        ));
    }

    #[test]
    fn a_payload_with_an_unsafe_number_is_refused_before_verifying() {
        let a = key(1);
        let sealed = sealed_note(&a);
        let public = PublicKey::from_signing_key(&a);
        // `1.0` canonicalises like `1`, so the signature would verify over it.
        for iat in ["1.0", "1e0"] {
            let mut forged = sealed.clone();
            forged.payload["iat"] = serde_json::from_str(iat).unwrap();
            assert_eq!(
                forged.canonical_payload().map_err(|_| ()),
                Err(()),
                "{iat} has no signed bytes"
            );
            assert!(matches!(
                forged.open::<Note>(&[&public]),
                Err(ProtocolError::UnsafeNumber(_))
            ));
        }
        let big = Note {
            iat: 1 << 53,
            text: "x".into(),
        };
        assert!(matches!(
            Envelope::seal(&big, &[&a]),
            Err(ProtocolError::UnsafeNumber(_))
        ));
    }

    /// Found by the envelope fuzz target: a good signature and a second entry under
    /// the same key id, which no check looked at, verified.
    #[test]
    fn two_signatures_by_one_key_are_refused() {
        let a = key(1);
        let public = PublicKey::from_signing_key(&a);
        let sealed = sealed_note(&a);
        let good = sealed.signatures[0].clone();
        let garbage = SignatureEntry {
            sig: "not a signature".into(),
            ..good.clone()
        };
        for second in [good, garbage] {
            for first_is_good in [true, false] {
                let mut doubled = sealed.clone();
                if first_is_good {
                    doubled.add_signature(second.clone());
                } else {
                    doubled.signatures.insert(0, second.clone());
                }
                assert_eq!(
                    doubled.verify(&public),
                    Err(ProtocolError::DuplicateSignature { kid: public.kid() })
                );
                assert!(doubled.open::<Note>(&[&public]).is_err());
            }
        }
        assert_eq!(sealed.verify(&public), Ok(()));
    }

    #[test]
    fn claimed_algorithm_must_match_the_registered_key() {
        let a = key(1);
        let mut env = sealed_note(&a);
        env.signatures[0].alg = Algorithm::Es256;
        assert!(matches!(
            env.verify(&PublicKey::from_signing_key(&a)),
            Err(ProtocolError::AlgorithmMismatch { .. })
        ));
    }
}
