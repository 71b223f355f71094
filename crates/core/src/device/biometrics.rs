//! Biometric unlock and approval for the activated device, as the app uses it: is
//! the platform's check available, turn it on (with the PIN) and off, and the signer
//! while it is on.
//!
//! On Linux the key is an ed25519 key kept in the keyring and released by a matching
//! fingerprint (fprintd on the system bus). The server records it as `software`
//! (design.md §3): it unlocks the app, and approves only where the server's operator
//! allows software keys. Nothing here touches D-Bus until one of these is called,
//! so an app without biometrics never loads the fprintd client.

use std::sync::Arc;

use godkend_protocol::messages::UvKind;

use crate::device::{Device, DeviceError};
use crate::uv::{Availability, UvSigner};
#[cfg(target_os = "linux")]
use crate::{
    uv::fingerprint::FingerprintSigner, uv::fprintd, uv::software::SoftwareSigner, vault::Secret,
};

impl Device {
    /// Whether this computer can verify its user for Godkend now (a reader with an
    /// enrolled finger on Linux); the reason when not, for the settings screen.
    pub async fn biometric_availability(&self) -> Availability {
        #[cfg(target_os = "linux")]
        {
            match zbus::Connection::system().await {
                Ok(bus) => match fprintd::availability(&bus, "").await {
                    Ok(()) => Availability::Available,
                    Err(e) => Availability::Unavailable(e.to_string()),
                },
                Err(e) => Availability::Unavailable(format!(
                    "the system bus cannot be reached ({e}), so the fingerprint service cannot"
                )),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            Availability::Unavailable("this build has no biometric check for this system".into())
        }
    }

    /// Turns biometrics on (the PIN authorises the new key at the server); the key's
    /// kind, as registered.
    pub async fn enable_biometrics(&self, pin: &str) -> Result<UvKind, DeviceError> {
        #[cfg(target_os = "linux")]
        {
            let bus = zbus::Connection::system().await.map_err(bus_error)?;
            Ok(self.enable_biometrics_on(pin, bus).await?.kind())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = pin;
            Err(DeviceError::Core(crate::CoreError::UserVerification(
                crate::uv::UvError::Unavailable("not in this build".into()),
            )))
        }
    }

    /// The signer while biometrics are on; `None` when they are off.
    pub async fn biometric_signer(&self) -> Result<Option<Arc<dyn UvSigner>>, DeviceError> {
        #[cfg(target_os = "linux")]
        {
            if self.vault.biometric_seed()?.is_none() {
                return Ok(None);
            }
            let bus = zbus::Connection::system().await.map_err(bus_error)?;
            Ok(self
                .biometric_signer_on(bus)?
                .map(|signer| Arc::new(signer) as Arc<dyn UvSigner>))
        }
        #[cfg(not(target_os = "linux"))]
        {
            Ok(None)
        }
    }

    /// Turns biometrics off: the key goes at the server first (so a copy could no
    /// longer sign anything it accepts), then locally.
    pub async fn disable_biometrics(&self) -> Result<(), DeviceError> {
        self.client.remove_uv_key().await?;
        self.forget_biometrics()
    }

    /// Deletes the local biometric key only: the server has already dropped it (a
    /// new PIN, an admin, `uv_key_unknown`). Deleting a key that is not there is fine.
    pub fn forget_biometrics(&self) -> Result<(), DeviceError> {
        #[cfg(target_os = "linux")]
        self.vault.delete(Secret::BiometricSeed)?;
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
fn bus_error(e: zbus::Error) -> DeviceError {
    DeviceError::Core(crate::CoreError::UserVerification(
        crate::uv::UvError::Unavailable(format!("the system bus cannot be reached: {e}")),
    ))
}
