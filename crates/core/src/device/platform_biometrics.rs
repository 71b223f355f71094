//! Biometric unlock and approval on Windows (Hello) and macOS (Touch ID): the
//! user-verification key is made and kept by the platform under a name made from
//! the device id (`uv::platform::key_name`), so, unlike Linux's seed in the keyring,
//! Godkend stores nothing: whether biometrics are on is whether that key exists.

use crate::CoreError;
use crate::device::{Device, DeviceError};
use crate::uv::platform::{self, PlatformSigner};
use crate::uv::{UvError, UvSigner as _};

impl Device {
    /// Turns biometrics on: a fresh platform key (replacing an earlier one of this
    /// device), registered at the server with the PIN's authority and the kind the
    /// platform reports. A key the server did not take is deleted again.
    pub(super) async fn enable_platform_biometrics(
        &self,
        pin: &str,
    ) -> Result<PlatformSigner, DeviceError> {
        let pin_key = self.pin_key(pin).await?;
        let signer = platform::create(&self.client.device_id)
            .await
            .map_err(CoreError::from)?;
        if let Err(error) = self.client.register_uv(&signer, &pin_key).await {
            if let Err(delete) = signer.delete_key().await {
                tracing::warn!(error = %delete, "could not delete the unregistered biometric key");
            }
            return Err(error.into());
        }
        Ok(signer)
    }

    /// The platform signer, when biometrics are on. No prompt. A key that is not
    /// there (never made, deleted by the user in the OS, or an unsigned macOS build
    /// that cannot hold one) is `None`.
    pub(super) async fn platform_biometric_signer(
        &self,
    ) -> Result<Option<PlatformSigner>, DeviceError> {
        match platform::open(&self.client.device_id).await {
            Ok(signer) => Ok(Some(signer)),
            Err(UvError::Unavailable(_)) => Ok(None),
            Err(error) => Err(CoreError::from(error).into()),
        }
    }

    /// Deletes the platform's key of this device (none there is fine).
    pub(super) async fn delete_platform_biometrics(&self) -> Result<(), DeviceError> {
        platform::delete(&self.client.device_id)
            .await
            .map_err(CoreError::from)?;
        Ok(())
    }
}
