//! The app's side of the device's life: load it at start, activate it from the
//! welcome screen, change its PIN, list and revoke devices. These touch the keyring
//! and the network, so they run as tasks, off the UI thread, and hand back a message
//! a person can act on.

use std::sync::Arc;

use godkend_core::activation::ActivationInput;
use godkend_core::config::DeviceConfig;
use godkend_core::device::{Device, Paths, VAULT_ACCOUNT};
use godkend_core::vault::Vault;
use godkend_protocol::Envelope;
use godkend_protocol::messages::server::Organisation;
use zeroize::Zeroizing;

/// The activated device, or `None` when this computer is not activated yet. The
/// keyring is opened only when a config says there is a device in it.
pub async fn load() -> Result<Option<Arc<Device>>, String> {
    let paths = Paths::platform().map_err(|e| e.to_string())?;
    let config = DeviceConfig::load(&paths.config.config_file()).map_err(|e| e.to_string())?;
    if config.is_none() {
        return Ok(None);
    }
    let vault = open_vault().await?;
    let device = Device::load(vault, paths).map_err(|e| e.to_string())?;
    Ok(device.map(Arc::new))
}

/// Activates this computer: keys into the keyring, the exchange with the server,
/// then the config (see `godkend_core::device::Device::activate`).
pub async fn activate(
    input: ActivationInput,
    pin: Zeroizing<String>,
) -> Result<Arc<Device>, String> {
    let paths = Paths::platform().map_err(|e| e.to_string())?;
    let vault = open_vault().await?;
    let device = Device::activate(&input, &pin, vault, paths)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(device))
}

/// Wipes the device if `envelope` is a server-signed status saying it is revoked or
/// blocked. Returns whether it wiped.
pub async fn wipe_if_ended(device: Arc<Device>, envelope: Envelope) -> Result<bool, String> {
    // The keyring calls block.
    tokio::task::spawn_blocking(move || device.wipe_if_ended(&envelope))
        .await
        .map_err(|e| format!("the local data could not be removed: {e}"))?
        .map_err(|e| e.to_string())
}

async fn open_vault() -> Result<Vault, String> {
    // Opening the keyring is a D-Bus round trip and may show an unlock prompt.
    tokio::task::spawn_blocking(|| Vault::open(VAULT_ACCOUNT))
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
