//! The errors a user of the core can act on.

use godkend_protocol::{ErrorCode, Problem, ProtocolError};

/// What went wrong, in terms the app can show.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("cannot reach the server: {0}")]
    Offline(String),
    #[error("the server answered: {0}")]
    Server(Box<Problem>),
    #[error("the server's answer is not signed by the key this device trusts: {0}")]
    BadServerSignature(ProtocolError),
    #[error("the server sent something this app does not understand: {0}")]
    Malformed(String),
    #[error("the server address is not allowed: {0}")]
    InsecureUrl(String),
    #[error("{0}")]
    Pin(String),
    #[error("key derivation failed: {0}")]
    Kdf(String),
    /// The biometric check or its key produced no signature (cancelled, no match,
    /// unavailable, failed).
    #[error("{0}")]
    UserVerification(#[from] UvError),
}

impl CoreError {
    /// The server's error code, if the server answered with a problem.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            CoreError::Server(p) => Some(p.code),
            _ => None,
        }
    }

    /// Whether this is the server's final refusal, which sending the same bytes again
    /// cannot change (PROTOCOL.md §10). Anything else (offline, a 5xx, 408, 429, a
    /// clock the server keeps refusing, an answer that could not be read) is not
    /// final: a decision is kept and sent again.
    pub fn is_final(&self) -> bool {
        matches!(self, CoreError::Server(p) if p.is_final())
    }

    /// The problem the server answered with, if any.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            CoreError::Server(p) => Some(p),
            _ => None,
        }
    }
}

impl From<ProtocolError> for CoreError {
    fn from(e: ProtocolError) -> Self {
        CoreError::Malformed(e.to_string())
    }
}

/// Why a user verification produced no signature. Only `NoMatch` is a failed
/// attempt (it counts toward the suspension, `uv::suspension::ScanLimit`); the others
/// say nothing about who is at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UvError {
    /// The user (or the app) cancelled the check.
    #[error("the check was cancelled")]
    Cancelled,
    /// The check ran out of time without a verdict.
    #[error("the check timed out")]
    TimedOut,
    /// The scan did not match an enrolled finger (or face).
    #[error("the fingerprint did not match")]
    NoMatch,
    /// The backend cannot run: no reader, no enrolled finger, daemon missing, key
    /// gone. Offer the PIN.
    #[error("biometric verification is not available: {0}")]
    Unavailable(String),
    /// Anything else that went wrong (the reader failed, the OS refused, the key did
    /// not sign as registered).
    #[error("biometric verification failed: {0}")]
    Failed(String),
}
