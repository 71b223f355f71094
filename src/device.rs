//! The app's side of the device's life: load it at start, activate it from the
//! welcome screen, change its PIN, list and revoke devices. These touch the keyring
//! and the network, so they run as tasks, off the UI thread, and hand back a message
//! a person can act on.

use std::sync::Arc;

use godkend_core::CoreError;
use godkend_core::activation::ActivationInput;
use godkend_core::config::DeviceConfig;
use godkend_core::device::{Device, DeviceError, Paths};
use godkend_core::profile::Profile;
use godkend_core::vault::Vault;
use godkend_protocol::messages::DeviceSummary;
use godkend_protocol::messages::server::Organisation;
use godkend_protocol::{Envelope, ErrorCode};
use zeroize::Zeroizing;

/// The activated device, or `None` when this computer is not activated yet. The
/// keyring is opened only when a config says there is a device in it.
pub async fn load() -> Result<Option<Arc<Device>>, String> {
    let profile = Profile::current()?;
    let paths = Paths::platform(&profile).map_err(|e| e.to_string())?;
    let config = DeviceConfig::load(&paths.config.config_file()).map_err(|e| e.to_string())?;
    if config.is_none() {
        return Ok(None);
    }
    let vault = open_vault(profile).await?;
    let device = Device::load(vault, paths).map_err(|e| e.to_string())?;
    Ok(device.map(Arc::new))
}

/// Activates this computer: keys into the keyring, the exchange with the server,
/// then the config (see `godkend_core::device::Device::activate`).
pub async fn activate(
    input: ActivationInput,
    pin: Zeroizing<String>,
) -> Result<Arc<Device>, String> {
    let profile = Profile::current()?;
    let paths = Paths::platform(&profile).map_err(|e| e.to_string())?;
    let vault = open_vault(profile).await?;
    let device = Device::activate(&input, &pin, vault, paths)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(device))
}

/// Deletes this computer's Godkend data (keyring entries, files, start at login)
/// at the user's request, when the device cannot be loaded: the way out of a lost
/// keyring. The server still lists the device until it is revoked.
pub async fn forget() -> Result<(), String> {
    let profile = Profile::current()?;
    let paths = Paths::platform(&profile).map_err(|e| e.to_string())?;
    let vault = open_vault(profile).await?;
    tokio::task::spawn_blocking(move || Device::wipe(&vault, &paths))
        .await
        .map_err(|e| format!("the local data could not be removed: {e}"))?
        .map_err(|e| e.to_string())
}

async fn open_vault(profile: Profile) -> Result<Vault, String> {
    // Opening the keyring is a D-Bus round trip and may show an unlock prompt.
    tokio::task::spawn_blocking(move || Vault::open(profile.vault_account()))
        .await
        .map_err(|e| format!("the keyring could not be opened: {e}"))?
        .map_err(|e| e.to_string())
}

/// This computer's host name, to name it in the user's device list.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this computer".into())
}

/// How the server answered a call the PIN authorises (change PIN, revoke), in a
/// form messages can carry.
#[derive(Debug, Clone)]
pub enum PinVerdict {
    Accepted,
    /// Wrong PIN; this many tries are left before the device is blocked.
    WrongPin {
        attempts_left: u32,
    },
    /// Too many wrong PINs, or revoked meanwhile: the signed status, to wipe it.
    Ended(Option<Envelope>),
    /// The server cannot be reached.
    Offline(String),
    Failed(String),
}

impl PinVerdict {
    pub fn of(result: Result<(), DeviceError>) -> Self {
        let error = match result {
            Ok(()) => return PinVerdict::Accepted,
            Err(DeviceError::Core(error)) => error,
            Err(other) => return PinVerdict::Failed(other.to_string()),
        };
        if let CoreError::Offline(reason) = &error {
            return PinVerdict::Offline(reason.clone());
        }
        let Some(problem) = error.problem() else {
            return PinVerdict::Failed(error.to_string());
        };
        match problem.code {
            ErrorCode::WrongPin => PinVerdict::WrongPin {
                attempts_left: problem.attempts_left.unwrap_or(0),
            },
            ErrorCode::DeviceBlocked | ErrorCode::DeviceRevoked => {
                PinVerdict::Ended(problem.device_status.clone())
            }
            _ => PinVerdict::Failed(error.to_string()),
        }
    }
}

/// Changes the PIN: both keys are derived (slow, off the UI thread), then the
/// server swaps them.
pub async fn change_pin(
    device: Arc<Device>,
    old: Zeroizing<String>,
    new: Zeroizing<String>,
) -> PinVerdict {
    PinVerdict::of(device.change_pin(&old, &new).await)
}

/// The user's devices, this one included.
pub async fn devices(device: Arc<Device>) -> Result<Vec<DeviceSummary>, String> {
    device
        .client
        .devices()
        .await
        .map(|list| list.devices)
        .map_err(|e| e.to_string())
}

/// Revokes another of the user's devices; needs the PIN.
pub async fn revoke_other(
    device: Arc<Device>,
    target_device_id: String,
    pin: Zeroizing<String>,
) -> PinVerdict {
    let result = async {
        let pin_key = device.pin_key(&pin).await?;
        device.client.revoke(&target_device_id, &pin_key).await?;
        Ok(())
    }
    .await;
    PinVerdict::of(result)
}

/// Deregisters this computer at the server, then wipes its keys and files.
pub async fn revoke(device: Arc<Device>, pin: Zeroizing<String>) -> PinVerdict {
    PinVerdict::of(device.revoke(&pin).await)
}

/// The organisation behind the server, with its support contacts, as the server
/// signs it now.
pub async fn organisation(device: Arc<Device>) -> Result<Organisation, String> {
    device
        .client
        .server
        .server_info()
        .await
        .map(|info| info.org)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use godkend_protocol::Problem;

    use super::*;

    fn refused(code: ErrorCode, attempts_left: Option<u32>) -> Result<(), DeviceError> {
        let mut problem = Problem::new(code, "refused");
        problem.attempts_left = attempts_left;
        Err(DeviceError::Core(CoreError::Server(Box::new(problem))))
    }

    #[test]
    fn a_wrong_pin_says_how_many_tries_are_left() {
        assert!(matches!(
            PinVerdict::of(refused(ErrorCode::WrongPin, Some(3))),
            PinVerdict::WrongPin { attempts_left: 3 }
        ));
    }

    #[test]
    fn a_blocked_device_ends_and_other_refusals_fail() {
        assert!(matches!(
            PinVerdict::of(refused(ErrorCode::DeviceBlocked, None)),
            PinVerdict::Ended(None)
        ));
        assert!(matches!(
            PinVerdict::of(refused(ErrorCode::RateLimited, None)),
            PinVerdict::Failed(_)
        ));
        assert!(matches!(
            PinVerdict::of(Err(DeviceError::Core(CoreError::Offline("down".into())))),
            PinVerdict::Offline(reason) if reason == "down"
        ));
        assert!(matches!(PinVerdict::of(Ok(())), PinVerdict::Accepted));
    }
}
