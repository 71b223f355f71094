//! The OS keyring: the only place the device's secrets are kept (design §3).
//!
//! Built on `keyring-core` with one store per OS, chosen at compile time: the Secret
//! Service over D-Bus on Linux (pure Rust, zbus; gnome-keyring, KeePassXC, KWallet),
//! the Credential Manager on Windows and the login Keychain on macOS. There is no
//! fallback: not the in-memory mock store, not kernel keyutils (lost on reboot), not
//! a file. If no keyring is reachable, [`Vault::open`] says what to install or start.
//!
//! Each secret is one entry: service [`SERVICE`], user `<account>/<entry>` (see
//! [`Secret::entry_name`]), value the 32 bytes in unpadded base64url (ASCII, so
//! stores that only keep text, like KWallet, hold it too). Values are handed out as
//! [`Zeroizing`] buffers and appear in no `Debug`/`Display` output, error or log line.
//!
//! All calls block (on Linux a D-Bus round trip to the keyring daemon; a locked
//! keyring may show the desktop's unlock prompt). From async code prefer
//! `tokio::task::spawn_blocking`; calling them on a runtime thread is safe, though.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use zeroize::Zeroizing;

/// The keyring service name all entries are filed under.
pub const SERVICE: &str = "dev.godkend.Godkend";

/// What to do when there is no Secret Service (Linux).
const LINUX_HINT: &str = "no Secret Service on the D-Bus session bus: install and unlock \
    gnome-keyring (Debian/Ubuntu package: gnome-keyring), or turn on the Secret Service \
    integration of KeePassXC, and run Godkend inside your desktop session";

/// Longest account name accepted.
const MAX_ACCOUNT_LENGTH: usize = 128;

/// The secrets the vault keeps, each 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Secret {
    /// The seed of the ed25519 device key (possession factor).
    DeviceSeed,
    /// The pepper that goes into the PIN key derivation.
    Pepper,
    /// The key that encrypts decisions waiting in the outbox.
    OutboxKey,
    /// The seed of the user-verification key released after a fingerprint match
    /// (Linux fprintd; opt-in, so usually absent).
    BiometricSeed,
}

impl Secret {
    /// Every secret, in the order [`Vault::wipe`] removes them.
    pub const ALL: [Secret; 4] = [
        Secret::DeviceSeed,
        Secret::Pepper,
        Secret::OutboxKey,
        Secret::BiometricSeed,
    ];

    /// The entry's name after `<account>/` in the keyring's user field.
    pub fn entry_name(self) -> &'static str {
        match self {
            Secret::DeviceSeed => "device-key",
            Secret::Pepper => "pepper",
            Secret::OutboxKey => "outbox-key",
            Secret::BiometricSeed => "biometric-key",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Secret::DeviceSeed => "device key",
            Secret::Pepper => "pepper",
            Secret::OutboxKey => "outbox key",
            Secret::BiometricSeed => "biometric key",
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What went wrong with the keyring. No variant carries secret bytes.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No keyring to talk to; the message says what to install or start.
    #[error("{0}")]
    Unavailable(String),
    /// The keyring is there but refused access: locked, or the unlock prompt was
    /// dismissed or could not be shown.
    #[error("the keyring refused access to the {secret} (is it locked?): {detail}")]
    Locked { secret: Secret, detail: String },
    /// The entry does not exist.
    #[error("the {0} is not in the keyring")]
    Missing(Secret),
    /// The entry exists but does not hold 32 bytes in base64url.
    #[error("the {0} in the keyring is malformed")]
    Malformed(Secret),
    /// More than one entry matches (another program wrote one with the same name).
    #[error("the keyring holds more than one entry for the {0}")]
    Ambiguous(Secret),
    /// Anything else the keyring reported.
    #[error("the keyring failed on the {secret}: {detail}")]
    Store { secret: Secret, detail: String },
    /// The account name cannot be used in an entry name.
    #[error("invalid keyring account name {0:?}: use 1 to 128 of A-Z a-z 0-9 . _ - @ : +")]
    InvalidAccount(String),
}

impl VaultError {
    /// Maps a keyring error for one secret. Never formats the error's payload bytes.
    fn from_keyring(secret: Secret, error: KeyringError) -> Self {
        match error {
            KeyringError::NoEntry => VaultError::Missing(secret),
            KeyringError::Ambiguous(_) => VaultError::Ambiguous(secret),
            KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
                VaultError::Malformed(secret)
            }
            KeyringError::NoStorageAccess(e) => VaultError::Locked {
                secret,
                detail: e.to_string(),
            },
            KeyringError::NoDefaultStore => {
                VaultError::Unavailable(unavailable_message("no keyring store is configured"))
            }
            other => VaultError::Store {
                secret,
                detail: other.to_string(),
            },
        }
    }
}

/// The device's secrets in the OS keyring, for one account (one activation).
pub struct Vault {
    /// `None` only while dropping (see [`Drop`]).
    store: Option<Arc<CredentialStore>>,
    account: String,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("account", &self.account)
            .field("store", &self.store.as_ref().map(|s| s.vendor()))
            .finish()
    }
}

impl Drop for Vault {
    /// Closing the Linux store's D-Bus proxies blocks too, so it happens off the
    /// runtime like every other call.
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            off_runtime(move || drop(store));
        }
    }
}

impl Vault {
    /// Connects to this OS's keyring. On Linux this reaches the Secret Service on the
    /// session bus and opens a session with it, so a missing service fails here with
    /// [`VaultError::Unavailable`] saying what to install, not at the first write.
    pub fn open(account: &str) -> Result<Vault, VaultError> {
        check_account(account)?;
        // On failure the half-built store is dropped inside, off the runtime too.
        let store = off_runtime(platform_store)?;
        Ok(Vault {
            store: Some(store),
            account: account.to_owned(),
        })
    }

    /// The account this vault's entries are filed under.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Writes one secret, replacing what was there.
    pub fn store(&self, secret: Secret, value: &[u8; 32]) -> Result<(), VaultError> {
        let encoded = Zeroizing::new(URL_SAFE_NO_PAD.encode(value));
        off_runtime(|| {
            self.entry(secret)?
                .set_secret(encoded.as_bytes())
                .map_err(|e| VaultError::from_keyring(secret, e))
        })
    }

    /// Reads one secret; [`VaultError::Missing`] if it is not there.
    pub fn get(&self, secret: Secret) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        let stored = off_runtime(|| {
            self.entry(secret)?
                .get_secret()
                .map(Zeroizing::new)
                .map_err(|e| VaultError::from_keyring(secret, e))
        })?;
        decode(&stored).ok_or(VaultError::Malformed(secret))
    }

    /// Reads one secret; `None` if it is not there.
    pub fn find(&self, secret: Secret) -> Result<Option<Zeroizing<[u8; 32]>>, VaultError> {
        match self.get(secret) {
            Ok(value) => Ok(Some(value)),
            Err(VaultError::Missing(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes one secret. `Ok(false)` if it was not there. If several entries match
    /// (see [`VaultError::Ambiguous`]) all of them are deleted. An entry someone else
    /// deletes meanwhile counts as deleted (see [`delete_entry`]).
    pub fn delete(&self, secret: Secret) -> Result<bool, VaultError> {
        off_runtime(|| {
            let mapped = |e| VaultError::from_keyring(secret, e);
            let entry = self.entry(secret)?;
            match delete_entry(&entry) {
                Ok(deleted) => Ok(deleted),
                Err(KeyringError::Ambiguous(entries)) => {
                    for entry in entries {
                        delete_entry(&entry).map_err(mapped)?;
                    }
                    Ok(true)
                }
                Err(e) => Err(mapped(e)),
            }
        })
    }

    /// Deletes every secret of this account. Missing entries are fine, so it can run
    /// any number of times. It tries all entries even when one fails, and then
    /// returns the first error.
    pub fn wipe(&self) -> Result<(), VaultError> {
        let mut first_error = None;
        for secret in Secret::ALL {
            if let Err(e) = self.delete(secret) {
                tracing::warn!(%secret, error = %e, "could not delete a keyring entry");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Stores a freshly activated device's secrets, all or nothing: writes the device
    /// seed, the pepper and the outbox key, reads each back, and if anything fails
    /// deletes all three again before returning the error (an older value a write
    /// replaced is gone too: the keyring then holds no device rather than half of
    /// one). A biometric key of an earlier activation is deleted first, since it
    /// belongs to the old device.
    pub fn store_new_device(
        &self,
        device_seed: &[u8; 32],
        pepper: &[u8; 32],
        outbox_key: &[u8; 32],
    ) -> Result<(), VaultError> {
        self.delete(Secret::BiometricSeed)?;
        let writes = [
            (Secret::DeviceSeed, device_seed),
            (Secret::Pepper, pepper),
            (Secret::OutboxKey, outbox_key),
        ];
        let written = writes.iter().try_for_each(|&(secret, value)| {
            self.store(secret, value)?;
            if *self.get(secret)? == *value {
                Ok(())
            } else {
                Err(VaultError::Store {
                    secret,
                    detail: "the keyring returned a different value than was written".into(),
                })
            }
        });
        if let Err(error) = written {
            for (secret, _) in writes {
                if let Err(e) = self.delete(secret) {
                    tracing::warn!(
                        %secret,
                        error = %e,
                        "could not remove a partly stored device secret from the keyring"
                    );
                }
            }
            return Err(error);
        }
        Ok(())
    }

    /// The device key's seed.
    pub fn device_seed(&self) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        self.get(Secret::DeviceSeed)
    }

    /// The pepper for the PIN key derivation.
    pub fn pepper(&self) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        self.get(Secret::Pepper)
    }

    /// The outbox encryption key.
    pub fn outbox_key(&self) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        self.get(Secret::OutboxKey)
    }

    /// The biometric key's seed, if biometric unlock is set up.
    pub fn biometric_seed(&self) -> Result<Option<Zeroizing<[u8; 32]>>, VaultError> {
        self.find(Secret::BiometricSeed)
    }

    /// The user field of a secret's entry: `<account>/<entry name>`.
    pub fn entry_user(&self, secret: Secret) -> String {
        format!("{}/{}", self.account, secret.entry_name())
    }

    fn entry(&self, secret: Secret) -> Result<Entry, VaultError> {
        let store = self.store.as_ref().ok_or_else(|| VaultError::Store {
            secret,
            detail: "the vault is closed".into(),
        })?;
        let user = self.entry_user(secret);
        Entry::new_in_store_with_modifiers(store, SERVICE, &user, &entry_modifiers(secret))
            .map_err(|e| VaultError::from_keyring(secret, e))
    }
}

/// Deletes one keyring entry: `Ok(false)` if it was not there. A revocation wipes
/// twice at once (the revoke call's answer and the server's signed "revoked" on the
/// push stream), so the Secret Service can find an item that the other wipe deletes
/// before this one's delete arrives, and then fails with a platform error ("Object
/// does not exist at path …"). An entry that is gone when we look again (at its
/// attributes: the secret is not read) was deleted, whoever did it; any other
/// failure stands.
fn delete_entry(entry: &Entry) -> Result<bool, KeyringError> {
    match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(KeyringError::NoEntry) => Ok(false),
        Err(e @ KeyringError::Ambiguous(_)) => Err(e),
        Err(e) => match entry.get_attributes() {
            Err(KeyringError::NoEntry) => Ok(true),
            _ => Err(e),
        },
    }
}

fn check_account(account: &str) -> Result<(), VaultError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-@:+".contains(c);
    if account.is_empty() || account.len() > MAX_ACCOUNT_LENGTH || !account.chars().all(allowed) {
        return Err(VaultError::InvalidAccount(account.to_owned()));
    }
    Ok(())
}

/// 32 bytes from unpadded base64url, or `None`.
fn decode(stored: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    // The decoder wants room for its estimate (33 bytes for 43 characters).
    let mut buffer = Zeroizing::new([0u8; 33]);
    let n = URL_SAFE_NO_PAD.decode_slice(stored, &mut buffer[..]).ok()?;
    if n != 32 {
        return None;
    }
    let mut value = Zeroizing::new([0u8; 32]);
    value.copy_from_slice(&buffer[..32]);
    Some(value)
}

fn unavailable_message(detail: &str) -> String {
    if cfg!(target_os = "linux") {
        format!("{LINUX_HINT} ({detail})")
    } else {
        format!("the OS keyring cannot be used: {detail}")
    }
}

/// Runs a keyring call where it may block. The Linux store drives D-Bus through
/// zbus's own tokio runtime, which panics when entered from inside another runtime,
/// so on a runtime thread the call moves to a short-lived plain thread.
#[cfg(target_os = "linux")]
fn off_runtime<T: Send>(call: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return call();
    }
    std::thread::scope(|scope| {
        scope
            .spawn(call)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(not(target_os = "linux"))]
fn off_runtime<T>(call: impl FnOnce() -> T) -> T {
    call()
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()
        .map_err(|e| VaultError::Unavailable(unavailable_message(&e.to_string())))?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()
        .map_err(|e| VaultError::Unavailable(unavailable_message(&e.to_string())))?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()
        .map_err(|e| VaultError::Unavailable(unavailable_message(&e.to_string())))?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    Err(VaultError::Unavailable(
        "Godkend supports the OS keyring only on Linux (Secret Service), Windows and macOS".into(),
    ))
}

/// Per-entry options. Linux: a label the keyring's UI shows. Windows: `Local`
/// persistence, so the device's secrets do not roam to other machines with the
/// user's profile (the store's default is `Enterprise`).
fn entry_modifiers(secret: Secret) -> std::collections::HashMap<&'static str, &'static str> {
    let mut modifiers = std::collections::HashMap::new();
    if cfg!(target_os = "linux") {
        modifiers.insert(
            "label",
            match secret {
                Secret::DeviceSeed => "Godkend device key",
                Secret::Pepper => "Godkend PIN pepper",
                Secret::OutboxKey => "Godkend outbox key",
                Secret::BiometricSeed => "Godkend biometric key",
            },
        );
    }
    if cfg!(target_os = "windows") {
        modifiers.insert("persistence", "Local");
    }
    modifiers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_distinct_and_slash_free() {
        let names: std::collections::HashSet<_> =
            Secret::ALL.iter().map(|s| s.entry_name()).collect();
        assert_eq!(names.len(), Secret::ALL.len());
        assert!(names.iter().all(|n| !n.contains('/')));
    }

    #[test]
    fn account_names_are_checked() {
        for good in [
            "default",
            "a",
            "dev-1.example_x@host:443+2",
            &"x".repeat(128),
        ] {
            assert!(check_account(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "a b", "ä", "a\n", &"x".repeat(129)] {
            assert!(
                matches!(check_account(bad), Err(VaultError::InvalidAccount(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn values_are_unpadded_base64url_of_exactly_32_bytes() {
        let value = [0xfbu8; 32];
        let encoded = URL_SAFE_NO_PAD.encode(value);
        assert_eq!(encoded.len(), 43);
        assert!(!encoded.contains(['+', '/', '=']));
        assert_eq!(*decode(encoded.as_bytes()).unwrap(), value);
        assert!(decode(URL_SAFE_NO_PAD.encode([1u8; 31]).as_bytes()).is_none());
        assert!(decode(URL_SAFE_NO_PAD.encode([1u8; 33]).as_bytes()).is_none());
        assert!(decode(format!("{encoded}=").as_bytes()).is_none());
        assert!(decode(b"not base64!").is_none());
        assert!(decode(b"").is_none());
    }

    #[test]
    fn errors_never_show_the_stored_bytes() {
        let bytes = b"S3CR3T-VALUE".to_vec();
        for error in [
            KeyringError::BadEncoding(bytes.clone()),
            KeyringError::BadDataFormat(bytes.clone(), "x".into()),
        ] {
            let mapped = VaultError::from_keyring(Secret::Pepper, error);
            assert!(matches!(mapped, VaultError::Malformed(Secret::Pepper)));
            for text in [mapped.to_string(), format!("{mapped:?}")] {
                assert!(!text.contains("S3CR3T"), "{text}");
                assert!(!text.contains("83, 51"), "{text}");
            }
        }
    }
}
