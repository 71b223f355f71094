//! This activated device as a whole: its config, its secrets in the OS keyring, its
//! server client, outbox and activity log. The desktop app builds on this type:
//! activate, load at start, derive the PIN key for one screen, revoke, wipe.
//!
//! Order matters for "nothing half-written": the secrets go into the keyring before
//! the server is asked, and come out again if activation fails; the config is
//! written last, so a config on disk always names secrets that exist.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use godkend_protocol::Envelope;
use rand::RngExt as _;
use zeroize::Zeroizing;

use crate::CoreError;
use crate::activation::ActivationInput;
use crate::activation_exchange;
use crate::client::{DeviceClient, ServerClient};
use crate::config::{Account, ConfigDir, ConfigError, DeviceConfig, PinSalt};
use crate::history::History;
use crate::keys::{DeviceKey, PinKey};
use crate::outbox::Outbox;
use crate::pin::{self, KdfParams};
use crate::profile::Profile;
use crate::vault::{Vault, VaultError};

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config: ConfigDir,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
    /// Whether wiping also removes this user's start-at-login entry: true for the
    /// platform's directories, false for a private root (tests, portable use).
    pub owns_autostart: bool,
}

impl Paths {
    /// The platform's directories (XDG on Linux, AppData on Windows, Library on
    /// macOS) of `profile`. Only the installed app's profile has a start-at-login
    /// entry.
    pub fn platform(profile: &Profile) -> Result<Self, ConfigError> {
        let dirs = profile.dirs().ok_or(ConfigError::NoConfigDir)?;
        Ok(Paths {
            config: ConfigDir::at(dirs.config_dir()),
            data_dir: dirs.data_dir().to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
            owns_autostart: profile.is_default(),
        })
    }

    /// Everything under one root (tests, portable use).
    pub fn under(root: &Path) -> Self {
        Paths {
            config: ConfigDir::at(root.join("config")),
            data_dir: root.join("data"),
            cache_dir: root.join("cache"),
            owns_autostart: false,
        }
    }

    pub fn outbox_file(&self) -> PathBuf {
        self.data_dir.join("outbox.json")
    }

    pub fn history_file(&self) -> PathBuf {
        self.data_dir.join("history.json")
    }

    /// Failed fingerprint scans in a row (`uv::suspension::ScanLimit`).
    pub fn scan_limit_file(&self) -> PathBuf {
        self.data_dir.join("scan-limit.json")
    }
}

/// What went wrong, for the app to show.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("this computer is already activated; revoke it first")]
    AlreadyActivated,
    #[error("cannot remove {path}: {source}")]
    Wipe {
        path: String,
        source: std::io::Error,
    },
}

/// An activated device, ready to talk to its server.
#[derive(Debug)]
pub struct Device {
    pub paths: Paths,
    pub config: DeviceConfig,
    pub client: Arc<DeviceClient>,
    pub outbox: Outbox,
    /// Behind a lock because the device is shared (`Arc`) between the screens and
    /// their background tasks, while the log changes as requests come and go.
    pub history: Mutex<History>,
    vault: Vault,
}

fn random32() -> Zeroizing<[u8; 32]> {
    Zeroizing::new(rand::rng().random())
}

impl Device {
    /// Activates this computer: fresh device key, pepper and outbox key into the
    /// keyring, the PIN key derived from `pin` (checked against the PIN rules by the
    /// caller), the HMAC-proved exchange with the server, then the config.
    pub async fn activate(
        input: &ActivationInput,
        pin: &str,
        vault: Vault,
        paths: Paths,
    ) -> Result<Device, DeviceError> {
        if DeviceConfig::load(&paths.config.config_file())?.is_some() {
            return Err(DeviceError::AlreadyActivated);
        }
        let device_key = DeviceKey::generate();
        let (pepper, outbox_key) = (random32(), random32());
        let salt = PinSalt::generate();
        let kdf = KdfParams::MINIMUM;
        vault.store_new_device(&device_key.seed(), &pepper, &outbox_key)?;
        let result = async {
            let pin_key = derive(pin, &salt, kdf, &pepper).await?;
            let server_key = activation_exchange::discover_server_key(input).await?;
            let activated =
                activation_exchange::activate_with_key(input, &pin_key, server_key, device_key)
                    .await?;
            let account =
                Account::from_activation(input.server_url.clone(), &activated, salt, kdf)?;
            let config = DeviceConfig { account };
            config.save(&paths.config.config_file())?;
            Ok::<_, DeviceError>((config, activated.device_key))
        }
        .await;
        match result {
            Ok((config, device_key)) => Ok(Self::assemble(
                config,
                vault,
                paths,
                device_key,
                &outbox_key,
            )?),
            Err(e) => {
                // Nothing half-written: the keyring holds no device the config lacks.
                if let Err(wipe) = vault.wipe() {
                    tracing::warn!(error = %wipe, "could not remove the keys of a failed activation");
                }
                Err(e)
            }
        }
    }

    /// Loads the activated device, or `None` before activation.
    pub fn load(vault: Vault, paths: Paths) -> Result<Option<Device>, DeviceError> {
        let Some(config) = DeviceConfig::load(&paths.config.config_file())? else {
            return Ok(None);
        };
        let device_key = DeviceKey::from_seed(&*vault.device_seed()?);
        let outbox_key = vault.outbox_key()?;
        Ok(Some(Self::assemble(
            config,
            vault,
            paths,
            device_key,
            &outbox_key,
        )?))
    }

    fn assemble(
        config: DeviceConfig,
        vault: Vault,
        paths: Paths,
        device_key: DeviceKey,
        outbox_key: &[u8; 32],
    ) -> Result<Device, DeviceError> {
        let account = &config.account;
        let server = ServerClient::new(account.server_url.clone(), account.server_key.clone())?;
        server.observe_server_time(crate::pinned_server::local_now() + account.clock_offset.0);
        let client = Arc::new(DeviceClient::new(
            server,
            account.device_id.clone(),
            account.user.clone(),
            device_key,
        ));
        Ok(Device {
            outbox: Outbox::open(&paths.outbox_file(), outbox_key),
            history: Mutex::new(History::open(&paths.history_file())),
            paths,
            config,
            client,
            vault,
        })
    }

    /// The activity log, locked for reading or recording. A panic while it was held
    /// cannot leave it unsafe to use: at worst an entry misses its last outcome.
    pub fn history(&self) -> MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Derives the PIN key for one screen. Slow on purpose (Argon2id).
    pub async fn pin_key(&self, pin: &str) -> Result<PinKey, DeviceError> {
        let pepper = self.vault.pepper()?;
        let account = &self.config.account;
        derive(pin, &account.pin_salt, account.kdf, &pepper).await
    }

    /// Changes the PIN: the server swaps the PIN key, authorised by the old one. The
    /// salt stays, so there is nothing local to update and no window in which a crash
    /// could leave the config and the server disagreeing.
    pub async fn change_pin(&self, old: &str, new: &str) -> Result<(), DeviceError> {
        let old_key = self.pin_key(old).await?;
        let new_key = self.pin_key(new).await?;
        self.client.change_pin(&old_key, &new_key).await?;
        // The server dropped the biometric key with the old PIN, which authorised it.
        // The new PIN is in force whatever happens here, so a failure is only logged.
        if let Err(e) = self.forget_biometrics().await {
            tracing::warn!(error = %e, "could not delete the biometric key after a new PIN");
        }
        Ok(())
    }

    /// Deregisters this device at the server (needs the PIN), then wipes it. Takes
    /// `&self` because the app shares the device (`Arc`) with its screens and push
    /// connection; after `Ok` the device has no keys or config left and must not be
    /// used again.
    pub async fn revoke(&self, pin: &str) -> Result<(), DeviceError> {
        let pin_key = self.pin_key(pin).await?;
        let own = self.client.device_id.clone();
        self.client.revoke(&own, &pin_key).await?;
        drop(pin_key);
        // The keyring's wipe takes the Linux key; a platform's key goes here.
        if let Err(e) = self.forget_biometrics().await {
            tracing::warn!(error = %e, "could not delete the biometric key");
        }
        Self::wipe(&self.vault, &self.paths)
    }

    /// Wipes this device if `status` is a server-signed `device_status` saying that
    /// this very device is revoked or blocked. Anything unsigned, or about another
    /// device, is ignored. Returns whether it wiped.
    pub fn wipe_if_ended(&self, envelope: &Envelope) -> Result<bool, DeviceError> {
        if self.client.signed_end(envelope).is_none() {
            return Ok(false);
        }
        // The keyring's wipe takes the Linux key; Windows Hello's or the Secure
        // Enclave's goes through the OS. The server has already dropped it with the
        // device, so a key left behind could sign nothing it accepts. Called off the
        // UI thread (the agent's wipe runs on the blocking pool).
        #[cfg(any(windows, target_os = "macos"))]
        if let Err(e) = futures::executor::block_on(self.forget_biometrics()) {
            tracing::warn!(error = %e, "could not delete the biometric key");
        }
        Self::wipe(&self.vault, &self.paths)?;
        Ok(true)
    }

    /// Deletes every local trace: keyring entries, config, data, cache and the
    /// start-at-login entry. Safe to run again after a crash halfway (missing things
    /// are fine).
    pub fn wipe(vault: &Vault, paths: &Paths) -> Result<(), DeviceError> {
        vault.wipe()?;
        if paths.owns_autostart
            && let Err(e) = crate::autostart::Autostart::for_this_app().and_then(|a| a.disable())
        {
            // Not worth failing the wipe over: the entry only starts an app that, with
            // no config, shows its welcome screen.
            tracing::warn!(error = %e, "could not remove the start-at-login entry");
        }
        for dir in [
            paths.config.path(),
            paths.data_dir.as_path(),
            paths.cache_dir.as_path(),
        ] {
            match std::fs::remove_dir_all(dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(DeviceError::Wipe {
                        path: dir.display().to_string(),
                        source: e,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}

async fn derive(
    pin: &str,
    salt: &PinSalt,
    kdf: KdfParams,
    pepper: &[u8; 32],
) -> Result<PinKey, DeviceError> {
    let (pin, salt, pepper) = (
        Zeroizing::new(pin.to_owned()),
        salt.as_bytes().to_vec(),
        Zeroizing::new(*pepper),
    );
    let key = tokio::task::spawn_blocking(move || pin::derive_pin_key(&pin, &salt, kdf, &pepper))
        .await
        .map_err(|e| CoreError::Kdf(e.to_string()))??;
    Ok(key)
}

mod biometrics;
#[cfg(any(windows, target_os = "macos"))]
mod platform_biometrics;
mod scan_limit;
