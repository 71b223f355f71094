//! Biometric unlock and approval on Linux: a user-verification key kept in the
//! keyring and released by a matching fingerprint (fprintd). The server records it
//! as `software` (design.md §3): it unlocks the app, and approves only where the
//! server's operator allows software keys.

use crate::device::{Device, DeviceError};
use crate::uv::fingerprint::FingerprintSigner;
use crate::uv::software::SoftwareSigner;
use crate::vault::Secret;

impl Device {
    /// Turns biometrics on: a fresh key, registered at the server with the PIN's
    /// authority, then kept in the keyring. `connection` reaches fprintd (the
    /// system bus).
    pub async fn enable_biometrics(
        &self,
        pin: &str,
        connection: zbus::Connection,
    ) -> Result<FingerprintSigner, DeviceError> {
        let pin_key = self.pin_key(pin).await?;
        let key = SoftwareSigner::generate();
        self.client.register_uv(&key, &pin_key).await?;
        drop(pin_key);
        if let Some(seed) = key.seed() {
            self.vault.store(Secret::BiometricSeed, &seed)?;
        }
        Ok(FingerprintSigner::new(connection, "", key))
    }

    /// The fingerprint signer, when biometrics are on.
    pub fn biometric_signer(
        &self,
        connection: zbus::Connection,
    ) -> Result<Option<FingerprintSigner>, DeviceError> {
        let seed = self.vault.biometric_seed()?;
        Ok(seed
            .map(|seed| FingerprintSigner::new(connection, "", SoftwareSigner::from_seed(&seed))))
    }

    /// Turns biometrics off: the key goes at the server first (so a copy could no
    /// longer sign anything it accepts), then from the keyring.
    pub async fn disable_biometrics(&self) -> Result<(), DeviceError> {
        self.client.remove_uv_key().await?;
        self.vault.delete(Secret::BiometricSeed)?;
        Ok(())
    }
}
