//! Biometric unlock and approval for the activated device, as the app uses it: is
//! the platform's check available, turn it on (with the PIN) and off, and the signer
//! while it is on.
//!
//! On Linux the key is an ed25519 key kept in the keyring and released by a matching
//! fingerprint (fprintd on the system bus). The server records it as `software`
//! (design.md §3): it unlocks the app, and approves only where the server's operator
//! allows software keys. Nothing here touches D-Bus until one of these is called,
//! so an app without biometrics never loads the fprintd client. On Windows and macOS
//! the platform makes and keeps the key (platform_biometrics.rs).

use std::sync::Arc;

use godkend_protocol::messages::UvKind;

use crate::device::{Device, DeviceError};
use crate::uv::{Availability, UvSigner};
#[cfg(target_os = "linux")]
use crate::{uv::fingerprint::FingerprintSigner, uv::software::SoftwareSigner, vault::Secret};

impl Device {
    /// Whether this computer can verify its user for Godkend now (a reader with an
    /// enrolled finger on Linux, Windows Hello set up, Touch ID in a signed build);
    /// the reason when not, for the settings screen.
    pub async fn biometric_availability(&self) -> Availability {
        crate::uv::platform::availability().await
    }

    /// Turns biometrics on (the PIN authorises the new key at the server); the key's
    /// kind, as registered.
    pub async fn enable_biometrics(&self, pin: &str) -> Result<UvKind, DeviceError> {
        #[cfg(target_os = "linux")]
        {
            let bus = zbus::Connection::system()
                .await
                .map_err(|e| bus_error(&e))?;
            Ok(self.enable_biometrics_on(pin, bus).await?.kind())
        }
        #[cfg(any(windows, target_os = "macos"))]
        {
            Ok(self.enable_platform_biometrics(pin).await?.kind())
        }
        #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
        {
            let _ = pin;
            Err(
                crate::CoreError::UserVerification(crate::uv::UvError::Unavailable(
                    "this platform has no biometric check Godkend can use".into(),
                ))
                .into(),
            )
        }
    }

    /// The signer while biometrics are on; `None` when they are off. No prompt.
    pub async fn biometric_signer(&self) -> Result<Option<Arc<dyn UvSigner>>, DeviceError> {
        #[cfg(target_os = "linux")]
        {
            if self.vault.biometric_seed()?.is_none() {
                return Ok(None);
            }
            let bus = zbus::Connection::system()
                .await
                .map_err(|e| bus_error(&e))?;
            Ok(self
                .biometric_signer_on(bus)?
                .map(|signer| Arc::new(signer) as Arc<dyn UvSigner>))
        }
        #[cfg(any(windows, target_os = "macos"))]
        {
            Ok(self
                .platform_biometric_signer()
                .await?
                .map(|signer| Arc::new(signer) as Arc<dyn UvSigner>))
        }
        #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
        {
            Ok(None)
        }
    }

    /// Turns biometrics off: the key goes at the server first (so a copy could no
    /// longer sign anything it accepts), then locally.
    pub async fn disable_biometrics(&self) -> Result<(), DeviceError> {
        self.client.remove_uv_key().await?;
        self.forget_biometrics().await
    }

    /// Deletes the local biometric key only: the server has already dropped it (a
    /// new PIN, an admin, `uv_key_unknown`, an ended device). Deleting a key that is
    /// not there is fine. Async because a platform's key is deleted through the OS.
    #[cfg_attr(
        target_os = "linux",
        allow(
            clippy::unused_async,
            reason = "the keyring call is synchronous on Linux"
        )
    )]
    pub async fn forget_biometrics(&self) -> Result<(), DeviceError> {
        #[cfg(target_os = "linux")]
        self.vault.delete(Secret::BiometricSeed)?;
        #[cfg(any(windows, target_os = "macos"))]
        self.delete_platform_biometrics().await?;
        Ok(())
    }

    /// [`Device::enable_biometrics`] with fprintd on `bus` (tests give a private one).
    #[cfg(target_os = "linux")]
    pub async fn enable_biometrics_on(
        &self,
        pin: &str,
        bus: zbus::Connection,
    ) -> Result<FingerprintSigner, DeviceError> {
        let pin_key = self.pin_key(pin).await?;
        let key = SoftwareSigner::generate();
        self.client.register_uv(&key, &pin_key).await?;
        drop(pin_key);
        if let Some(seed) = key.seed() {
            self.vault.store(Secret::BiometricSeed, &seed)?;
        }
        Ok(FingerprintSigner::new(bus, "", key))
    }

    /// [`Device::biometric_signer`] with fprintd on `bus`.
    #[cfg(target_os = "linux")]
    pub fn biometric_signer_on(
        &self,
        bus: zbus::Connection,
    ) -> Result<Option<FingerprintSigner>, DeviceError> {
        let seed = self.vault.biometric_seed()?;
        Ok(seed.map(|seed| FingerprintSigner::new(bus, "", SoftwareSigner::from_seed(&seed))))
    }
}

#[cfg(target_os = "linux")]
fn bus_error(e: &zbus::Error) -> DeviceError {
    DeviceError::Core(crate::CoreError::UserVerification(
        crate::uv::UvError::Unavailable(format!("the system bus cannot be reached: {e}")),
    ))
}
