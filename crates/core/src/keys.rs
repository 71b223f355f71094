//! The device key (possession) and the PIN key (knowledge). Both are ed25519; their
//! secret halves never appear in Debug output or logs.

use ed25519_dalek::SigningKey;
use godkend_protocol::PublicKey;
use zeroize::Zeroizing;

/// The device's ed25519 key. Its secret half lives only in the OS keyring.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        DeviceKey(SigningKey::generate(&mut rand::rng()))
    }

    /// Rebuilds the key from its 32-byte seed (as read from the keyring).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        DeviceKey(SigningKey::from_bytes(seed))
    }

    /// The seed, for storing in the keyring.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn public(&self) -> PublicKey {
        PublicKey::from_signing_key(&self.0)
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", self.public().kid())
    }
}

/// The key derived from the PIN. It is never stored: it exists only while the screen
/// that asked for the PIN is open, and is zeroized when dropped.
pub struct PinKey(SigningKey);

impl PinKey {
    pub(crate) fn from_seed(seed: &[u8; 32]) -> Self {
        PinKey(SigningKey::from_bytes(seed))
    }

    /// The public half, sent to the server at activation or PIN change only.
    pub fn public(&self) -> PublicKey {
        PublicKey::from_signing_key(&self.0)
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}

impl std::fmt::Debug for PinKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinKey(<redacted>)")
    }
}
