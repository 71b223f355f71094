//! An ed25519 user-verification key held in memory, recorded at the server as
//! `software`. It checks nobody: the Linux fprintd backend wraps it and signs only
//! after a matching scan, and tests use it as the plain signer it is. Where it is
//! stored (the keyring, next to the device key) is why the server accepts it for
//! approvals only when the operator allows `software` keys.

use std::sync::Mutex;

use ed25519_dalek::Signer as _;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use godkend_protocol::messages::UvKind;
use godkend_protocol::{Algorithm, PublicKey};
use zeroize::Zeroizing;

use super::{Availability, UvError, UvSigner};

/// An ed25519 key that signs whenever asked (see the module's note).
pub struct SoftwareSigner {
    /// `None` once deleted.
    key: Mutex<Option<ed25519_dalek::SigningKey>>,
    public: PublicKey,
}

impl SoftwareSigner {
    /// A fresh random key.
    pub fn generate() -> Self {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rng());
        SoftwareSigner {
            public: PublicKey::from_signing_key(&key),
            key: Mutex::new(Some(key)),
        }
    }

    /// The key with this 32-byte seed (as kept in the keyring).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        SoftwareSigner {
            public: PublicKey::from_signing_key(&key),
            key: Mutex::new(Some(key)),
        }
    }

    /// The seed, for the keyring; `None` once deleted.
    pub fn seed(&self) -> Option<Zeroizing<[u8; 32]>> {
        let key = self.key.lock().ok()?;
        key.as_ref().map(|k| Zeroizing::new(k.to_bytes()))
    }
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key: its kid is enough to tell keys apart.
        f.debug_struct("SoftwareSigner")
            .field("kid", &self.public.kid())
            .finish_non_exhaustive()
    }
}

impl UvSigner for SoftwareSigner {
    fn availability(&self) -> BoxFuture<'_, Availability> {
        let present = self.key.lock().is_ok_and(|k| k.is_some());
        futures::future::ready(if present {
            Availability::Available
        } else {
            Availability::Unavailable("the biometric key has been deleted".into())
        })
        .boxed()
    }

    fn kind(&self) -> UvKind {
        UvKind::Software
    }

    fn alg(&self) -> Algorithm {
        Algorithm::Ed25519
    }

    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    fn sign<'a>(
        &'a self,
        bytes: &'a [u8],
        _reason: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, UvError>> {
        let signed = match self.key.lock() {
            Ok(key) => key.as_ref().map_or_else(
                || {
                    Err(UvError::Unavailable(
                        "the biometric key has been deleted".into(),
                    ))
                },
                |k| Ok(k.sign(bytes).to_bytes().to_vec()),
            ),
            Err(_) => Err(UvError::Failed("the key is unusable".into())),
        };
        futures::future::ready(signed).boxed()
    }

    fn delete_key(&self) -> BoxFuture<'_, Result<(), UvError>> {
        // SigningKey zeroizes itself on drop.
        if let Ok(mut key) = self.key.lock() {
            key.take();
        }
        futures::future::ready(Ok(())).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn signs_as_ed25519_until_deleted() {
        let signer = SoftwareSigner::from_seed(&[5; 32]);
        assert_eq!(signer.kind(), UvKind::Software);
        assert_eq!(signer.availability().await, Availability::Available);
        let sig = signer.sign(b"payload", "why").await.unwrap();
        signer.public_key().verify(b"payload", &sig).unwrap();
        let again = SoftwareSigner::from_seed(&signer.seed().unwrap());
        assert_eq!(again.public_key(), signer.public_key());

        signer.delete_key().await.unwrap();
        assert!(matches!(
            signer.availability().await,
            Availability::Unavailable(_)
        ));
        assert!(matches!(
            signer.sign(b"payload", "why").await,
            Err(UvError::Unavailable(_))
        ));
        assert!(signer.seed().is_none());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let signer = SoftwareSigner::from_seed(&[5; 32]);
        let shown = format!("{signer:?}");
        assert!(shown.contains(&signer.public_key().kid()));
        assert!(
            !shown.contains("0505") && !shown.contains("[5, 5"),
            "{shown}"
        );
    }
}
