//! User verification (biometric unlock and approval): one signer trait for every
//! platform, because on Windows Hello and the Secure Enclave the OS check *is* the
//! signing call (the prompt happens inside the signature and the key never leaves).
//! A backend that only gates (polkit, UserConsentVerifier) is never enough on its
//! own: what reaches the server is a signature by the registered key (design.md §3).
//!
//! The pure rules every backend shares live here too: when failed scans suspend
//! biometrics (`suspension`), which second factors a request offers (`offer`), and
//! the P-256 signature form the protocol wants (`es256`).

use futures::future::BoxFuture;
use godkend_protocol::messages::UvKind;
use godkend_protocol::{Algorithm, Envelope, PublicKey, SignatureEntry, b64};

// With the core's other errors (a `CoreError` carries one), so it builds without the
// platforms' code.
pub use crate::error::UvError;

pub mod apple_status;
mod calls;
pub mod es256;
#[cfg(target_os = "linux")]
pub mod fingerprint;
#[cfg(target_os = "linux")]
pub mod fprintd;
#[cfg(windows)]
pub mod hello;
pub mod hello_status;
pub mod offer;
pub mod platform;
pub mod software;
pub mod suspension;
#[cfg(any(test, feature = "test-signers"))]
pub mod test_signers;
#[cfg(target_os = "macos")]
pub mod touch_id;

/// Whether a backend can verify the user here and now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    /// Not usable; the reason is for the user ("no fingerprint reader", "no finger
    /// enrolled", "fprintd is not running", "this build is not signed").
    Unavailable(String),
}

/// A user-verification key whose use needs the user: the platform's check runs
/// inside `sign`, and the key never leaves the platform where it can help it.
pub trait UvSigner: Send + Sync {
    /// Whether the check can run now (reader present, finger enrolled, ...). Async
    /// because asking needs the OS (fprintd over D-Bus, Hello's `IsSupportedAsync`).
    fn availability(&self) -> BoxFuture<'_, Availability>;

    /// How the key is protected, as registered at the server.
    fn kind(&self) -> UvKind;

    /// The key's signature algorithm (ed25519, rs256 or es256).
    fn alg(&self) -> Algorithm;

    /// The public key registered at the server.
    fn public_key(&self) -> PublicKey;

    /// Verifies the user (showing `reason` where the platform shows one) and signs
    /// `bytes`. The signature is in the protocol's form for `alg`: 64 bytes for
    /// ed25519, PKCS#1 v1.5 for rs256, raw r‖s for es256 (see `es256::der_to_raw`).
    /// Dropping the future cancels the check.
    fn sign<'a>(
        &'a self,
        bytes: &'a [u8],
        reason: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, UvError>>;

    /// Deletes the key where it lives (keyring entry, Hello credential, Secure
    /// Enclave key); the signer is unavailable afterwards. Turning biometrics off,
    /// a new PIN, revoke, a block and a wipe call it.
    fn delete_key(&self) -> BoxFuture<'_, Result<(), UvError>>;
}

/// Has `signer` verify the user and sign `envelope`'s canonical payload, then adds
/// the signature. It is checked against the signer's own public key first, so a
/// backend that signs with another key or in another form fails here, in words,
/// rather than as a refusal from the server.
pub async fn sign_envelope(
    envelope: &mut Envelope,
    signer: &dyn UvSigner,
    reason: &str,
) -> Result<(), UvError> {
    let payload = envelope
        .canonical_payload()
        .map_err(|e| UvError::Failed(e.to_string()))?;
    let signature = signer.sign(&payload, reason).await?;
    let public = signer.public_key();
    if public.alg() != signer.alg() || public.verify(&payload, &signature).is_err() {
        return Err(UvError::Failed(
            "the platform's signature does not verify with its registered key".into(),
        ));
    }
    envelope.add_signature(SignatureEntry {
        kid: public.kid(),
        alg: public.alg(),
        sig: b64::encode(&signature),
    });
    Ok(())
}
