//! The one error type of the protocol crate.

use thiserror::Error;

/// Everything that can go wrong while encoding, decoding, signing or verifying.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("invalid base64url: {0}")]
    Base64(String),
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("cannot canonicalise: {0}")]
    Canonical(String),
    #[error(
        "a signed payload holds the number {0}; only integers of absolute value below 2^53 are allowed"
    )]
    UnsafeNumber(String),
    #[error("invalid {alg} public key")]
    BadKey { alg: &'static str },
    #[error("the object carries no signature by key {kid}")]
    MissingSignature { kid: String },
    #[error("signature by key {kid} does not verify")]
    BadSignature { kid: String },
    #[error("the object carries more than one signature by key {kid}")]
    DuplicateSignature { kid: String },
    #[error("signature by key {kid} claims algorithm {claimed}, but that key is {actual}")]
    AlgorithmMismatch {
        kid: String,
        claimed: &'static str,
        actual: &'static str,
    },
    #[error("expected a `{expected}` object, got `{found}`")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(String),
    #[error("the payload is not a JSON object")]
    NotAnObject,
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("invalid serial number: {0}")]
    InvalidSerial(String),
    #[error("invalid activation link: {0}")]
    InvalidLink(String),
    #[error("invalid authorization header: {0}")]
    InvalidHeader(String),
}

impl From<serde_json::Error> for ProtocolError {
    fn from(e: serde_json::Error) -> Self {
        ProtocolError::Json(e.to_string())
    }
}
