//! The Linux user-verification signer: an ed25519 key from the keyring (a
//! [`SoftwareSigner`], recorded at the server as `software`) that signs only after
//! fprintd reports a matching scan. The scan gates the key; it does not hold it, so
//! whoever copies the keyring signs without a finger, which is why the server takes
//! `software` keys for approvals only when its operator allows them.

use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use godkend_protocol::messages::UvKind;
use godkend_protocol::{Algorithm, PublicKey};

use super::fprintd::{self, FprintdError, Scan};
use super::software::SoftwareSigner;
use super::{Availability, UvError, UvSigner};

/// How long a scan waits for a finger.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(30);

/// A key that signs after a matching fingerprint (see the module's note).
#[derive(Debug)]
pub struct FingerprintSigner {
    connection: zbus::Connection,
    /// The OS user whose fingers count ("" is the user this process runs as).
    user: String,
    timeout: Duration,
    key: SoftwareSigner,
}

impl FingerprintSigner {
    /// `key` gated by fprintd on `connection` (the system bus in the app; a private
    /// one in tests).
    pub fn new(connection: zbus::Connection, user: &str, key: SoftwareSigner) -> Self {
        FingerprintSigner {
            connection,
            user: user.to_owned(),
            timeout: SCAN_TIMEOUT,
            key,
        }
    }

    /// The same, waiting at most `timeout` for a finger.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The key's seed, for the keyring.
    pub fn key(&self) -> &SoftwareSigner {
        &self.key
    }
}

/// What a failed scan means for the signer: only a finger that did not match is a
/// failed attempt; the rest say the check cannot run now, or was stopped.
fn uv_error(error: &FprintdError) -> UvError {
    match error {
        FprintdError::Cancelled => UvError::Cancelled,
        FprintdError::Timeout => UvError::TimedOut,
        FprintdError::DaemonMissing
        | FprintdError::NoReader
        | FprintdError::NoEnrolledFinger
        | FprintdError::PermissionDenied => UvError::Unavailable(error.to_string()),
        FprintdError::ReaderBusy | FprintdError::Failed(_) => UvError::Failed(error.to_string()),
    }
}

impl UvSigner for FingerprintSigner {
    fn availability(&self) -> BoxFuture<'_, Availability> {
        async move {
            if let Err(error) = fprintd::availability(&self.connection, &self.user).await {
                return Availability::Unavailable(error.to_string());
            }
            self.key.availability().await
        }
        .boxed()
    }

    fn kind(&self) -> UvKind {
        UvKind::Software
    }

    fn alg(&self) -> Algorithm {
        Algorithm::Ed25519
    }

    fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// fprintd shows no prompt of its own: the app shows `reason` beside its Cancel
    /// button, which drops this future (and fprintd's claim with it).
    fn sign<'a>(
        &'a self,
        bytes: &'a [u8],
        reason: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, UvError>> {
        async move {
            match fprintd::verify(&self.connection, &self.user, self.timeout).await {
                Ok(Scan::Match) => self.key.sign(bytes, reason).await,
                Ok(Scan::NoMatch) => Err(UvError::NoMatch),
                Err(error) => Err(uv_error(&error)),
            }
        }
        .boxed()
    }

    fn delete_key(&self) -> BoxFuture<'_, Result<(), UvError>> {
        self.key.delete_key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_finger_that_did_not_match_is_a_failed_attempt() {
        assert_eq!(uv_error(&FprintdError::Cancelled), UvError::Cancelled);
        assert_eq!(uv_error(&FprintdError::Timeout), UvError::TimedOut);
        for unavailable in [
            FprintdError::DaemonMissing,
            FprintdError::NoReader,
            FprintdError::NoEnrolledFinger,
            FprintdError::PermissionDenied,
        ] {
            assert!(matches!(uv_error(&unavailable), UvError::Unavailable(_)));
        }
        assert!(matches!(
            uv_error(&FprintdError::ReaderBusy),
            UvError::Failed(_)
        ));
    }
}
