//! Fixed keys and the vector builder of gen_vectors.

use std::collections::BTreeMap;

use base64::Engine as _;
use godkend_protocol::envelope::payload_of;
use godkend_protocol::{Algorithm, PublicKey, SignedObject, b64, canonical};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Result;

/// A fixed RSA-2048 test key (PKCS#8 DER, standard base64), standing in for a
/// Windows Hello key. Made once with `openssl genpkey -algorithm RSA`; test use only.
pub const RSA_PKCS8_BASE64: &str = "\
    MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC2g++Nk+oJ5+L+foru1Ui86swL\
    29UrjUONdcZR6+goCo9mg6KN4vIaR/Gyzm4KN1dTkqkii4O3LuMsA5XWEPf4ftwsedUKOyKTQvH9\
    IzUnwl16kvCxidShnhSO2HONs6r64GqraRK3sHIo9PXankFuoIArBoiVAaasIq7xizWOG1VuB/JI\
    UbSEaHkpl3cjN0ZejaZcVW5BBQaQ5WBpg4WydbwLltoXKBWuYwQvugAG85noxVxkpW+YyKPuCrNn\
    OZ6Tw5xbsCbCX7UWR7XGwaT3HmejZHWcOsX5E18Q7iQ0uEBDlEEX/OkhwY0Y2WFuq8QWctxhZ9UF\
    CPG7/wLsQpIDAgMBAAECggEAE1mBeB0KXup6okiAKjnqcDzkTQ2NWASt+L1XvS+peTVFZrTl8uzw\
    heDCuxYvjF25oF6YF9V6rV0HMI9gv0UlRO8OIJj6AQ+r5rjeNtwYspJknq4dXnUiWdAMlehUt90o\
    b1iDdpC5L0hBkh4GQpssjLHvZKBYspNuPCmhKnJ7xwjowL8zQ+tKNoHRfoEy1Kjou2yUGSu5iIRk\
    v+whX3W++3MrMVOhEYbec3e0KDkMTqHRLRhmiPVUMc48HmyqLzisiZRFwfBvZqXQV+g/zBVZEJ5k\
    n3x9tTrd45D+doWTmp+Xb6Z4HLAB6GnyMeHHDR8FEyLL7D1RX2QTErOe5OOXIQKBgQDvFfsH1tqX\
    I6iOzQTTD7wc73Yp2gqmcs72FR9UxBacud6h5sG++vQSRF2i6nz99+dB2RLGfepxkaSkmMwTqqfN\
    q7PbqXNMM2vJlciOFXORJeNP4Vap0FNJJv50YiK7wLoXDSkBqy1+t0ED1nxIW7syPQ3xISHyU5Uq\
    7d/rtu1uvQKBgQDDbWwfiFzNbnR04y3uSZRQCQ5dyhKtHuece72+lM3L5J1XlVPD0XvJ2YI5oLeb\
    75Pw71z4mJ+vNhDEW0Ijf75Vd0kbsigrzINbvhR2Ya1j63wKuCNqwba8sbL7NQ6JBE7ZgfR3wWb5\
    gcspd90jIu2KjFGlk1mTOpw3J3twgI1vvwKBgAd12yByft2qei8CjLz9R7RrcHd720s4V+br389o\
    UwBO+Hh6197au9T6FyXnRUEzhB7U5DYXZcJndgjAz9VpRNUxH2qiTfu5uwpORzTPzIxh70bl1Ct2\
    WbL1qYj+KvFK4UOo4Hex3LiQhVHWVoh3fE7kAtRcYU/LdeMiCxOy4JPNAoGAcZ1q78YiVdhyYgY1\
    jMRAMmuha4twYi+GbaZPAL6YCoLFqsaI5V4jfo0ytXgnZsPZGYi/X1Oz+nQPOWjowaShriRkX3Kr\
    AhOrBqoyUUSmPmIIQl8dUBKAv6D7sin9YlEb2j5AN2M8D7CSwXALI0NKIHNFgGJzADJh4XrVu+kw\
    0RcCgYBuTORr82aeWIWAapxy3NU508YJgM2cg+x/Ic682aaiCMdrDt0xxTaeE/HlamSmOXi9D9zP\
    uD8sAhnJo1UiSaqQAFg4/s1Bd/CSpcfDwwqyejC8mlTuNr3knNM2Gpu7LluccvZigHF50knZekVb\
    kZaQZsJJMv+Tic6Ez9PoIn/ECw==";

/// A private key of any of the three algorithms, with its public half.
pub struct Key {
    pub signer: Signer,
    pub public: PublicKey,
}

pub enum Signer {
    Ed25519(ed25519_dalek::SigningKey),
    Rs256(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
    Es256(p256::ecdsa::SigningKey),
}

impl Key {
    /// The ed25519 key whose 32-byte seed is `seed` repeated.
    pub fn ed25519(seed: u8) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        Key {
            public: PublicKey::from_signing_key(&key),
            signer: Signer::Ed25519(key),
        }
    }

    /// The P-256 key whose 32-byte big-endian scalar is `byte` repeated.
    pub fn es256(byte: u8) -> Result<Self> {
        use p256::pkcs8::EncodePublicKey as _;
        let key = p256::ecdsa::SigningKey::from_slice(&[byte; 32])?;
        let der = key.verifying_key().to_public_key_der()?;
        Ok(Key {
            public: PublicKey::new(Algorithm::Es256, der.as_bytes().to_vec())?,
            signer: Signer::Es256(key),
        })
    }

    /// The fixed RSA-2048 key above.
    pub fn rs256() -> Result<Self> {
        use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
        use rsa::signature::Keypair as _;
        let der = base64::engine::general_purpose::STANDARD.decode(RSA_PKCS8_BASE64)?;
        let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::from_pkcs8_der(&der)?;
        let spki = key.verifying_key().to_public_key_der()?;
        Ok(Key {
            public: PublicKey::new(Algorithm::Rs256, spki.as_bytes().to_vec())?,
            signer: Signer::Rs256(Box::new(key)),
        })
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.signer {
            Signer::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(message).to_bytes().to_vec()
            }
            Signer::Rs256(key) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                key.sign(message).to_vec()
            }
            Signer::Es256(key) => {
                use p256::ecdsa::signature::Signer as _;
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_bytes().to_vec()
            }
        }
    }

    pub fn b64(&self) -> String {
        self.public.to_b64()
    }

    pub fn kid(&self) -> String {
        self.public.kid()
    }
}

/// Every key the vectors use. Seeds are documented in PROTOCOL.md §12.
pub struct Keys {
    pub server: Key,
    pub server_next: Key,
    pub device: Key,
    pub pin: Key,
    pub other_device: Key,
    pub new_pin: Key,
    pub wrong_pin: Key,
    pub uv_ed25519: Key,
    pub uv_rs256: Key,
    pub uv_es256: Key,
}

impl Keys {
    pub fn fixed() -> Result<Self> {
        Ok(Keys {
            server: Key::ed25519(0x01),
            server_next: Key::ed25519(0x02),
            device: Key::ed25519(0x03),
            pin: Key::ed25519(0x04),
            other_device: Key::ed25519(0x05),
            new_pin: Key::ed25519(0x06),
            wrong_pin: Key::ed25519(0x07),
            uv_ed25519: Key::ed25519(0x08),
            uv_rs256: Key::rs256()?,
            uv_es256: Key::es256(0x09)?,
        })
    }

    /// Name, private key source and public key of every key, for the docs.
    pub fn table(&self) -> Vec<(&'static str, &'static str, &Key)> {
        vec![
            ("server", "ed25519 seed 32 x 0x01", &self.server),
            ("server_next", "ed25519 seed 32 x 0x02", &self.server_next),
            ("device", "ed25519 seed 32 x 0x03", &self.device),
            ("pin", "ed25519 seed 32 x 0x04", &self.pin),
            ("other_device", "ed25519 seed 32 x 0x05", &self.other_device),
            ("new_pin", "ed25519 seed 32 x 0x06", &self.new_pin),
            ("wrong_pin", "ed25519 seed 32 x 0x07", &self.wrong_pin),
            ("uv_ed25519", "ed25519 seed 32 x 0x08", &self.uv_ed25519),
            ("uv_rs256", "RSA-2048, RSA_PKCS8_BASE64", &self.uv_rs256),
            ("uv_es256", "P-256 scalar 32 x 0x09", &self.uv_es256),
        ]
    }
}

#[derive(Serialize)]
pub struct SignatureVector {
    pub alg: Algorithm,
    pub kid: String,
    pub public_key: String,
    pub signature: String,
}

/// One vector of a message file.
#[derive(Serialize)]
pub struct Vector {
    pub description: String,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    pub object: Value,
    pub canonical: String,
    pub signatures: Vec<SignatureVector>,
    #[serde(flatten)]
    pub extra: BTreeMap<&'static str, Value>,
}

/// The payload of `object`: its fields plus `v` and `type`.
pub fn object<T: SignedObject>(object: &T) -> Result<Value> {
    Ok(payload_of(object)?)
}

/// `object` with another `type`, as if signed for another purpose.
pub fn retyped(mut object: Value, type_name: &str) -> Value {
    object["type"] = Value::from(type_name);
    object
}

/// A vector for `object` signed by `signers`, in order.
pub fn signed(description: &str, object: Value, signers: &[&Key]) -> Result<Vector> {
    let canonical = canonical::to_string(&object)?;
    let signatures = signers
        .iter()
        .map(|key| SignatureVector {
            alg: key.public.alg(),
            kid: key.kid(),
            public_key: key.b64(),
            signature: b64::encode(key.sign(canonical.as_bytes())),
        })
        .collect();
    Ok(Vector {
        description: description.into(),
        valid: true,
        reason: None,
        now: None,
        object,
        canonical,
        signatures,
        extra: BTreeMap::new(),
    })
}

impl Vector {
    pub fn at(mut self, now: i64) -> Self {
        self.now = Some(now);
        self
    }

    pub fn with(mut self, field: &'static str, value: Value) -> Self {
        self.extra.insert(field, value);
        self
    }

    pub fn invalid(mut self, reason: &'static str) -> Self {
        self.valid = false;
        self.reason = Some(reason);
        self
    }

    /// Changes the object after it was signed.
    pub fn tampered(mut self, change: impl FnOnce(&mut Map<String, Value>)) -> Result<Self> {
        let map = self.object.as_object_mut().ok_or("not an object")?;
        change(map);
        self.canonical = canonical::to_string(&self.object)?;
        Ok(self.invalid("signature"))
    }

    /// Lists `registered` as the key of signature `index`, which another key made.
    pub fn claimed_by(mut self, index: usize, registered: &Key) -> Self {
        let entry = &mut self.signatures[index];
        entry.alg = registered.public.alg();
        entry.kid = registered.kid();
        entry.public_key = registered.b64();
        self.invalid("signature")
    }

    /// Flips the lowest bit of byte `byte` of signature `index`.
    pub fn flipped(mut self, index: usize, byte: usize) -> Result<Self> {
        let entry = &mut self.signatures[index];
        let mut bytes = b64::decode(&entry.signature)?;
        bytes[byte] ^= 0x01;
        entry.signature = b64::encode(bytes);
        Ok(self.invalid("signature"))
    }
}
