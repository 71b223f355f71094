//! The user's settings (design.md §2), in `settings.toml` beside the config. All
//! cosmetic: each field falls back to its default on its own, so one bad value in a
//! hand-edited file never wipes the rest, and nothing here weakens security.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Table;

use crate::config::{ConfigError, write_file};

/// The settings format this app writes. Read leniently: a newer file's known fields
/// still apply and the rest are ignored.
pub const SETTINGS_VERSION: u32 = 1;

/// The app locks after this long without activity. Always on, not a setting (design
/// §3): an unlocked authenticator left alone must not stay open.
pub const AUTO_LOCK_SECONDS: u64 = 300;

/// The settings panel's switches and choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent on/off switches, as the settings panel shows them"
)]
pub struct Settings {
    /// Closing the window is when people walk away; the app lives on in the tray, so
    /// staying unlocked would leave activity and settings open to the next person at
    /// the keyboard. The cost is one PIN entry. On by default.
    pub lock_on_close: bool,
    /// A request expires within minutes; unseen, the user cannot approve in time or
    /// notice one that is "not me". Notifications never show a request's own text
    /// (design §2). On by default.
    pub notifications: bool,
    /// Requests arrive only while the app runs (design §2: on by default after
    /// activation; the app applies it only once the device is activated).
    pub start_at_login: bool,
    pub language: Language,
    pub theme: Theme,
    /// The first-run guide was shown; false shows it at the next start.
    pub guide_shown: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lock_on_close: true,
            notifications: true,
            start_at_login: true,
            language: Language::System,
            theme: Theme::System,
            guide_shown: false,
        }
    }
}

/// The app's language. Stored as a language code so adding one is a new variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    /// Follow the operating system, falling back to English.
    #[default]
    #[serde(rename = "system")]
    System,
    #[serde(rename = "en")]
    English,
    #[serde(rename = "da")]
    Danish,
}

impl Language {
    /// The language code, or `None` for "follow the system".
    pub fn code(self) -> Option<&'static str> {
        match self {
            Language::System => None,
            Language::English => Some("en"),
            Language::Danish => Some("da"),
        }
    }
}

/// Light, dark, or whatever the system uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Serialize)]
struct SettingsFile<'a> {
    version: u32,
    #[serde(flatten)]
    settings: &'a Settings,
}

impl Settings {
    /// Reads the settings; never fails. A missing file gives the defaults; an unreadable
    /// one, or a bad field, is logged and that part falls back to its default.
    pub fn load(path: &Path) -> Settings {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let (settings, reset) = Settings::from_toml(&text);
                for field in reset {
                    tracing::warn!(file = %path.display(), %field, "setting was invalid and is reset to its default");
                }
                settings
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read the settings; using defaults");
                Settings::default()
            }
        }
    }

    /// Parses settings text field by field. Returns the settings and the names of the
    /// fields that were present but invalid and so are back at their defaults. Unknown
    /// fields (from a newer app, or typos) are ignored.
    pub fn from_toml(text: &str) -> (Settings, Vec<String>) {
        let defaults = Settings::default();
        let Ok(mut merged) = Table::try_from(&defaults) else {
            return (defaults, Vec::new());
        };
        let file: Table = match text.parse() {
            Ok(file) => file,
            Err(e) => {
                tracing::warn!(error = %e, "the settings file is not valid TOML");
                return (defaults, merged.keys().cloned().collect());
            }
        };
        // Take the file's fields one at a time onto the defaults, keeping each only if
        // the whole still reads: this checks every field with its own type, without a
        // hand-written reader per field.
        let mut reset = Vec::new();
        for (key, value) in file {
            let Some(default) = merged.get(&key).cloned() else {
                continue;
            };
            merged.insert(key.clone(), value);
            if merged.clone().try_into::<Settings>().is_err() {
                merged.insert(key.clone(), default);
                reset.push(key);
            }
        }
        (merged.try_into().unwrap_or(defaults), reset)
    }

    /// The file's text.
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        let file = SettingsFile {
            version: SETTINGS_VERSION,
            settings: self,
        };
        toml::to_string_pretty(&file).map_err(|e| ConfigError::Invalid {
            field: "settings",
            problem: format!("cannot be written as TOML: {e}"),
        })
    }

    /// Saves atomically, like the config.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        write_file(path, &self.to_toml()?)
    }
}
