//! The device config file, `config.toml`: which server this device trusts and who it is
//! there. Versioned, and fails closed (design.md §3): a missing or malformed field
//! with security meaning stops the app with a message naming it, never a default.
//! It holds no secret: device key and pepper live only in the OS keyring, and nothing
//! here lets anyone test PIN guesses offline.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use godkend_protocol::messages::{Organisation, VersionPolicy};
use godkend_protocol::rules::{ClockOffset, check_transport};
use godkend_protocol::{Algorithm, PublicKey, Serial, b64};
use rand::RngExt as _;
use serde::Serialize;
use toml::{Table, Value};

use crate::activation::Activated;
use crate::pin::KdfParams;

/// The config format this app writes; it reads this and every older one.
pub const CONFIG_VERSION: u32 = 1;
/// Shortest PIN salt accepted (RFC 9106 recommends 16 bytes).
pub const MIN_SALT_BYTES: usize = 16;
/// Argon2id parameters above these would exhaust a desktop's memory or patience: a
/// typo there would hang the app on every PIN entry, so it is refused instead.
const MAX_KDF: KdfParams = KdfParams {
    m_kib: 4 * 1024 * 1024,
    t: 64,
    p: 16,
};

/// Why the config could not be read or written. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot find this user's config folder (is the home directory set?)")]
    NoConfigDir,
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot save {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("{} is not valid TOML: {message}; restore it from a backup, or delete it and activate this device again", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("{}: `{field}` {problem}; Godkend will not guess this value: restore the file from a backup, or delete it and activate this device again", path.display())]
    Field {
        path: PathBuf,
        field: String,
        problem: String,
    },
    #[error("{} was written by a newer Godkend (config version {found}; this one reads up to {supported}): install the newer Godkend again", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: u32,
    },
    #[error("{} can be changed by other users (mode {mode:o}), so the server key it pins cannot be trusted: run `chmod 600` on it", path.display())]
    Unprotected { path: PathBuf, mode: u32 },
    #[error("refusing to save the config: `{field}` {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

/// The folder holding `config.toml` and `settings.toml`: the platform's config folder
/// (e.g. ~/.config/godkend), or one given, for tests and portable use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDir(PathBuf);

impl ConfigDir {
    /// A folder of the caller's choosing.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        ConfigDir(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The device config file.
    pub fn config_file(&self) -> PathBuf {
        self.0.join("config.toml")
    }

    /// The user's settings file (cosmetic; see `settings`).
    pub fn settings_file(&self) -> PathBuf {
        self.0.join("settings.toml")
    }
}

/// The salt for the PIN's Argon2id. Not a secret (the pepper in the keyring is), but
/// fixed per device: it is stored so the same PIN derives the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinSalt(Vec<u8>);

impl PinSalt {
    /// A fresh random salt, for activation and PIN change.
    pub fn generate() -> Self {
        let bytes: [u8; MIN_SALT_BYTES] = rand::rng().random();
        PinSalt(bytes.to_vec())
    }

    /// A salt of at least `MIN_SALT_BYTES`.
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() < MIN_SALT_BYTES {
            return Err(format!(
                "is {} bytes; at least {MIN_SALT_BYTES} are needed",
                bytes.len()
            ));
        }
        Ok(PinSalt(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// One activated account: a server, its pinned key, and this device's identity there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub server_url: url::Url,
    /// The server's ed25519 key, pinned at activation; rotations signed by it update it.
    pub server_key: PublicKey,
    pub user: String,
    pub device_id: String,
    /// Shown for support; the server cannot tell it again, so it is required too.
    pub serial: Serial,
    pub pin_salt: PinSalt,
    pub kdf: KdfParams,
    /// Cosmetic from here on: refreshed from the signed server info on each connection.
    pub org: Organisation,
    pub version_policy: Option<VersionPolicy>,
    /// Learnt again from the next signed server object; saved so that a wrong PC clock
    /// works from the first request after a restart.
    pub clock_offset: ClockOffset,
}

impl Account {
    /// The account a successful activation created, with the PIN's salt and parameters.
    pub fn from_activation(
        server_url: url::Url,
        activated: &Activated,
        pin_salt: PinSalt,
        kdf: KdfParams,
    ) -> Result<Self, ConfigError> {
        let a = &activated.activation;
        let serial = Serial::parse(&a.serial).map_err(|e| ConfigError::Invalid {
            field: "serial",
            problem: format!("from the server is not a serial number ({e})"),
        })?;
        let account = Account {
            server_url,
            server_key: activated.server_key.clone(),
            user: a.user.clone(),
            device_id: a.device_id.clone(),
            serial,
            pin_salt,
            kdf,
            org: a.org.clone(),
            version_policy: Some(a.version_policy.clone()),
            clock_offset: ClockOffset::default(),
        };
        account.check()?;
        Ok(account)
    }

    /// The rules `load` enforces, checked before saving: never write what would be refused.
    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field, problem: String| Err(ConfigError::Invalid { field, problem });
        if let Err(why) = check_transport(&self.server_url) {
            return invalid("server_url", why);
        }
        if self.server_key.alg() != Algorithm::Ed25519 {
            return invalid("server_key", "must be an ed25519 key".into());
        }
        if self.user.trim().is_empty() {
            return invalid("user", "is empty".into());
        }
        if self.device_id.trim().is_empty() {
            return invalid("device_id", "is empty".into());
        }
        if let Err(why) = kdf_problem(self.kdf) {
            return invalid("pin.argon2", why);
        }
        Ok(())
    }
}

/// Everything in `config.toml`. The file holds a list of accounts so several can come
/// later; this version of the app works with exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    pub account: Account,
}

impl DeviceConfig {
    /// Reads the config. `Ok(None)` when there is none yet: the device is not
    /// activated, and the app shows its welcome screen.
    pub fn load(path: &Path) -> Result<Option<Self>, ConfigError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.into(),
                    source,
                });
            }
        };
        check_not_writable_by_others(path)?;
        Self::from_toml(&text, path).map(Some)
    }

    /// Parses config text; `path` only names the file in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                path: path.into(),
                message: e.to_string(),
            })?;
        let root = Fields {
            table: &table,
            prefix: String::new(),
            path,
        };
        let version = root.integer("version")?;
        if version > i64::from(CONFIG_VERSION) {
            return Err(ConfigError::TooNew {
                path: path.into(),
                found: version,
                supported: CONFIG_VERSION,
            });
        }
        let version = u32::try_from(version)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| root.error("version", "must be 1 or more"))?;
        let table = migrate(table, version);
        let root = Fields {
            table: &table,
            prefix: String::new(),
            path,
        };
        let Value::Array(accounts) = root.value("accounts")? else {
            return Err(root.error("accounts", "must be a list of [[accounts]] tables"));
        };
        match accounts.as_slice() {
            [Value::Table(account)] => Ok(DeviceConfig {
                account: read_account(&root.nested(account, "accounts[0]"))?,
            }),
            [_] => Err(root.error("accounts", "must hold an [[accounts]] table")),
            [] => Err(root.error("accounts", "holds no account")),
            more => Err(root.error(
                "accounts",
                &format!(
                    "holds {} accounts; this version of Godkend supports one",
                    more.len()
                ),
            )),
        }
    }

    /// The file's text. Fails only if the account breaks a rule `load` enforces.
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        let a = &self.account;
        a.check()?;
        let file = FileForm {
            version: CONFIG_VERSION,
            accounts: [AccountForm {
                server_url: a.server_url.as_str(),
                server_key: a.server_key.to_b64(),
                server_kid: a.server_key.kid(),
                user: &a.user,
                device_id: &a.device_id,
                serial: a.serial.as_str(),
                clock_offset_seconds: a.clock_offset.0,
                pin: PinForm {
                    salt: b64::encode(a.pin_salt.as_bytes()),
                    argon2: a.kdf,
                },
                org: &a.org,
                version_policy: a.version_policy.as_ref(),
            }],
        };
        toml::to_string_pretty(&file).map_err(|e| ConfigError::Invalid {
            field: "config",
            problem: format!("cannot be written as TOML: {e}"),
        })
    }

    /// Saves atomically with owner-only access: a crash leaves the old file or the new.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        write_file(path, &self.to_toml()?)
    }
}

/// Brings an older file up to `CONFIG_VERSION`. There is no older format yet; a format
/// change bumps `CONFIG_VERSION` and adds its step here (`if found < 2 { ... }`), so
/// old files upgrade in order and are written back in the new form on the next save.
fn migrate(table: Table, found: u32) -> Table {
    if found < CONFIG_VERSION {
        tracing::info!(found, to = CONFIG_VERSION, "upgrading the device config");
    }
    table
}

fn read_account(f: &Fields<'_>) -> Result<Account, ConfigError> {
    let url_text = f.string("server_url")?;
    let server_url = url::Url::parse(url_text)
        .map_err(|e| f.error("server_url", &format!("is not a URL ({e})")))?;
    check_transport(&server_url)
        .map_err(|why| f.error("server_url", &format!("is not allowed: {why}")))?;

    let server_key = PublicKey::ed25519_b64(f.string("server_key")?)
        .map_err(|e| f.error("server_key", &format!("is not an ed25519 public key ({e})")))?;
    // The kid is derived from the key; a mismatch means the file was edited or damaged.
    if f.string("server_kid")? != server_key.kid() {
        return Err(f.error("server_kid", "does not match server_key"));
    }

    let serial = Serial::parse(f.string("serial")?)
        .map_err(|e| f.error("serial", &format!("is not a serial number ({e})")))?;

    let pin = f.table("pin")?;
    let salt = b64::decode(pin.string("salt")?)
        .map_err(|e| pin.error("salt", &format!("is not base64url ({e})")))?;
    let pin_salt = PinSalt::new(salt).map_err(|why| pin.error("salt", &why))?;
    let argon2 = pin.table("argon2")?;
    let kdf = KdfParams {
        m_kib: argon2.u32("m_kib")?,
        t: argon2.u32("t")?,
        p: argon2.u32("p")?,
    };
    kdf_problem(kdf).map_err(|why| pin.error("argon2", &why))?;

    Ok(Account {
        server_url,
        server_key,
        user: f.string("user")?.to_owned(),
        device_id: f.string("device_id")?.to_owned(),
        serial,
        pin_salt,
        kdf,
        org: f.cosmetic("org").unwrap_or_default(),
        version_policy: f.cosmetic("version_policy"),
        clock_offset: ClockOffset(f.cosmetic("clock_offset_seconds").unwrap_or(0)),
    })
}

fn kdf_problem(kdf: KdfParams) -> Result<(), String> {
    let KdfParams { m_kib, t, p } = KdfParams::MINIMUM;
    if !kdf.strong_enough() {
        return Err(format!(
            "is weaker than allowed (at least m_kib = {m_kib}, t = {t}, p = {p})"
        ));
    }
    if kdf.m_kib > MAX_KDF.m_kib || kdf.t > MAX_KDF.t || kdf.p > MAX_KDF.p {
        return Err(format!(
            "is unreasonably large (at most m_kib = {}, t = {}, p = {})",
            MAX_KDF.m_kib, MAX_KDF.t, MAX_KDF.p
        ));
    }
    Ok(())
}

/// Reads one table's fields, naming each by its full path in errors.
struct Fields<'a> {
    table: &'a Table,
    prefix: String,
    path: &'a Path,
}

impl<'a> Fields<'a> {
    fn nested(&self, table: &'a Table, name: &str) -> Fields<'a> {
        Fields {
            table,
            prefix: format!("{}{name}.", self.prefix),
            path: self.path,
        }
    }

    fn error(&self, key: &str, problem: &str) -> ConfigError {
        ConfigError::Field {
            path: self.path.into(),
            field: format!("{}{key}", self.prefix),
            problem: problem.into(),
        }
    }

    fn value(&self, key: &str) -> Result<&'a Value, ConfigError> {
        self.table
            .get(key)
            .ok_or_else(|| self.error(key, "is missing"))
    }

    /// A non-empty string.
    fn string(&self, key: &str) -> Result<&'a str, ConfigError> {
        match self.value(key)? {
            Value::String(s) if s.trim().is_empty() => Err(self.error(key, "is empty")),
            Value::String(s) => Ok(s),
            _ => Err(self.error(key, "must be text in quotes")),
        }
    }

    fn integer(&self, key: &str) -> Result<i64, ConfigError> {
        match self.value(key)? {
            Value::Integer(n) => Ok(*n),
            _ => Err(self.error(key, "must be a whole number")),
        }
    }

    fn u32(&self, key: &str) -> Result<u32, ConfigError> {
        u32::try_from(self.integer(key)?)
            .map_err(|_| self.error(key, "must be a whole number from 0 to 4294967295"))
    }

    fn table(&self, key: &str) -> Result<Fields<'a>, ConfigError> {
        match self.value(key)? {
            Value::Table(t) => Ok(self.nested(t, key)),
            _ => Err(self.error(key, "must be a table")),
        }
    }

    /// A field without security meaning: a bad one is logged and left to its default.
    fn cosmetic<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let value = self.table.get(key)?.clone();
        value
            .try_into()
            .inspect_err(|e| {
                let field = format!("{}{key}", self.prefix);
                tracing::warn!(%field, error = %e, "ignoring a malformed config field");
            })
            .ok()
    }
}

#[derive(Serialize)]
struct FileForm<'a> {
    version: u32,
    accounts: [AccountForm<'a>; 1],
}

// Plain values first, tables last: TOML cannot put a plain value after a table.
#[derive(Serialize)]
struct AccountForm<'a> {
    server_url: &'a str,
    server_key: String,
    server_kid: String,
    user: &'a str,
    device_id: &'a str,
    serial: &'a str,
    clock_offset_seconds: i64,
    pin: PinForm,
    org: &'a Organisation,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_policy: Option<&'a VersionPolicy>,
}

#[derive(Serialize)]
struct PinForm {
    salt: String,
    argon2: KdfParams,
}

/// Refuses a config others may write: whoever can edit it can swap the pinned server key.
// Elsewhere than Unix there is no mode to check (yet), so it cannot fail there.
#[cfg_attr(not(unix), allow(clippy::unnecessary_wraps))]
fn check_not_writable_by_others(path: &Path) -> Result<(), ConfigError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(path)
            .map_err(|source| ConfigError::Read {
                path: path.into(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(ConfigError::Unprotected {
                path: path.into(),
                mode: mode & 0o777,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes one of the app's files atomically with owner-only access (`files`).
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), ConfigError> {
    crate::files::write_private(path, text.as_bytes()).map_err(|source| ConfigError::Write {
        path: path.into(),
        source,
    })
}
