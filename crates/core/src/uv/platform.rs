//! This platform's biometric check, behind one name: fprintd on Linux, Windows Hello
//! on Windows, Touch ID on macOS. The app asks `availability` before it shows the
//! settings switch, and names the check with `name` ("Use Windows Hello").
//!
//! On Windows and macOS the key lives with the platform (a Hello credential, a
//! Secure Enclave key) under a name made from the device id, so nothing about it is
//! stored by Godkend; on Linux the key's seed is in the keyring
//! (`Device::enable_biometrics` in device/biometrics.rs).

use super::Availability;
#[cfg(any(windows, target_os = "macos"))]
use super::UvError;

/// The signer of this platform.
#[cfg(windows)]
pub type PlatformSigner = super::hello::HelloSigner;
/// The signer of this platform.
#[cfg(target_os = "macos")]
pub type PlatformSigner = super::touch_id::TouchIdSigner;
/// The signer of this platform.
#[cfg(target_os = "linux")]
pub type PlatformSigner = super::fingerprint::FingerprintSigner;

/// The check's name as the user knows it.
pub fn name() -> &'static str {
    if cfg!(windows) {
        "Windows Hello"
    } else if cfg!(target_os = "macos") {
        "Touch ID"
    } else {
        "fingerprint"
    }
}

/// Whether this platform's check can run here, before any key exists (the settings
/// switch appears only when it can).
pub async fn availability() -> Availability {
    #[cfg(windows)]
    return super::hello::HelloSigner::platform_availability().await;
    #[cfg(target_os = "macos")]
    return super::touch_id::TouchIdSigner::platform_availability().await;
    #[cfg(target_os = "linux")]
    return match zbus::Connection::system().await {
        Ok(connection) => match super::fprintd::availability(&connection, "").await {
            Ok(()) => Availability::Available,
            Err(error) => Availability::Unavailable(error.to_string()),
        },
        Err(_) => Availability::Unavailable(
            "the system bus is not reachable, so fprintd cannot be asked".into(),
        ),
    };
    #[cfg(not(any(windows, target_os = "macos", target_os = "linux")))]
    Availability::Unavailable("this platform has no biometric check Godkend can use".into())
}

/// The name of `device_id`'s key in Windows Hello or the keychain: one per
/// activation, so a new activation never signs with an old one's key.
pub fn key_name(device_id: &str) -> String {
    format!("godkend.uv.{device_id}")
}

/// Makes `device_id`'s key, replacing an earlier one of that device.
#[cfg(any(windows, target_os = "macos"))]
pub async fn create(device_id: &str) -> Result<PlatformSigner, UvError> {
    PlatformSigner::create(&key_name(device_id)).await
}

/// `device_id`'s key, without a prompt; `Unavailable` when there is none.
#[cfg(any(windows, target_os = "macos"))]
pub async fn open(device_id: &str) -> Result<PlatformSigner, UvError> {
    PlatformSigner::open(&key_name(device_id)).await
}

/// Deletes `device_id`'s key, if there is one (after a wipe, the device's config is
/// gone but its id is still known to the caller).
#[cfg(any(windows, target_os = "macos"))]
pub async fn delete(device_id: &str) -> Result<(), UvError> {
    PlatformSigner::delete(&key_name(device_id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_device_has_its_own_key_name_and_the_check_its_name() {
        assert_ne!(key_name("dev-1"), key_name("dev-2"));
        assert!(key_name("dev-1").ends_with("dev-1"));
        #[cfg(target_os = "linux")]
        assert_eq!(name(), "fingerprint");
    }
}
