//! The organisation's policy for this computer: what an administrator set for every
//! user, with precedence over the user's own settings (installers/README.md,
//! "Managed deployment").
//!
//! Where it is read:
//! - Linux and other Unix: `/etc/godkend/policy.toml`;
//! - macOS: `/Library/Application Support/Godkend/policy.toml`;
//! - Windows: the registry values under `HKLM\SOFTWARE\Policies\Godkend`, then
//!   `HKCU\SOFTWARE\Policies\Godkend` for what the machine key leaves unset (the
//!   MSI's and the NSIS installer's properties write these).
//!
//! A policy only ever narrows what the app does on this computer. It is not a
//! security boundary against the user (who can run another build); the server's own
//! policy is what enforces, for example, which biometric keys approve.

use std::path::Path;

use serde::Deserialize;

/// The file's name inside its machine-wide folder.
pub const POLICY_FILE: &str = "policy.toml";

/// What the administrator set. `None` leaves the choice to the user (or the app).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Start at login forced on or off; the settings switch shows it and is locked.
    pub start_at_login: Option<bool>,
    /// `Some(false)` turns biometric unlock and approval off; `Some(true)` is the same
    /// as unset (a policy cannot enrol a fingerprint for the user).
    pub biometrics: Option<bool>,
    /// The browser hand-off on loopback: `Some(true)` turns it on even where the app
    /// cannot tell one OS user's browser from another's; `Some(false)` turns it off.
    pub loopback_handoff: Option<bool>,
    /// The policy was there but could not be read: it is then taken as the strictest
    /// one (no biometrics, no hand-off), and settings says so.
    pub problem: Option<String>,
}

/// The policy file's fields, as an administrator writes them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    start_at_login: Option<bool>,
    biometrics: Option<bool>,
    loopback_handoff: Option<bool>,
}

impl Policy {
    /// The policy of this computer (none when nothing is set).
    pub fn platform() -> Policy {
        platform::read()
    }

    /// The policy in `path`: none when the file is missing, the strictest when it
    /// cannot be read or parsed. A misspelt key is an error, not ignored: an
    /// administrator who wrote `biometric = false` must learn that it did nothing.
    pub fn from_file(path: &Path) -> Policy {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_toml(&text).unwrap_or_else(|e| {
                Self::unreadable(format!("{}: {}", path.display(), e.message()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Policy::default(),
            Err(e) => Self::unreadable(format!("{}: {e}", path.display())),
        }
    }

    fn from_toml(text: &str) -> Result<Policy, toml::de::Error> {
        let file: PolicyFile = toml::from_str(text)?;
        Ok(Policy {
            start_at_login: file.start_at_login,
            biometrics: file.biometrics,
            loopback_handoff: file.loopback_handoff,
            problem: None,
        })
    }

    fn unreadable(problem: String) -> Policy {
        tracing::error!(%problem, "the organisation's policy could not be read; applying the strictest");
        Policy {
            start_at_login: None,
            biometrics: Some(false),
            loopback_handoff: Some(false),
            problem: Some(problem),
        }
    }

    /// Whether biometrics may be offered and turned on.
    pub fn allows_biometrics(&self) -> bool {
        self.biometrics != Some(false)
    }

    /// Whether any setting is the organisation's rather than the user's.
    pub fn is_managed(&self) -> bool {
        self.start_at_login.is_some()
            || self.biometrics.is_some()
            || self.loopback_handoff.is_some()
            || self.problem.is_some()
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use super::{POLICY_FILE, Policy};

    pub(super) fn read() -> Policy {
        Policy::from_file(&std::path::Path::new("/etc/godkend").join(POLICY_FILE))
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::{POLICY_FILE, Policy};

    pub(super) fn read() -> Policy {
        Policy::from_file(
            &std::path::Path::new("/Library/Application Support/Godkend").join(POLICY_FILE),
        )
    }
}

/// A policy value as the Windows registry holds it: a DWORD as Group Policy writes
/// it, or a string as the MSI's properties do (`BIOMETRICS=0`; an empty string is a
/// property left unset).
#[cfg_attr(
    not(windows),
    allow(dead_code, reason = "read on Windows; tested everywhere")
)]
#[derive(Debug)]
enum RegistryFlag {
    Dword(u32),
    Text(String),
    Other,
}

#[cfg_attr(
    not(windows),
    allow(dead_code, reason = "read on Windows; tested everywhere")
)]
impl RegistryFlag {
    /// On, off, unset, or why the value is not one of those.
    fn parse(self) -> Result<Option<bool>, String> {
        match self {
            RegistryFlag::Dword(0) => Ok(Some(false)),
            RegistryFlag::Dword(1) => Ok(Some(true)),
            RegistryFlag::Text(text) => match text.trim() {
                "" => Ok(None),
                "0" => Ok(Some(false)),
                "1" => Ok(Some(true)),
                other => Err(format!("{other:?} is not 0 or 1")),
            },
            RegistryFlag::Dword(n) => Err(format!("{n} is not 0 or 1")),
            RegistryFlag::Other => Err("not a DWORD or a string".into()),
        }
    }
}

#[cfg(windows)]
mod platform {
    use windows_registry::{CURRENT_USER, Key, LOCAL_MACHINE, Type};

    use super::{Policy, RegistryFlag};

    const KEY: &str = r"SOFTWARE\Policies\Godkend";

    /// The machine's values win; the user's key fills in what it leaves unset. A value
    /// that is not 0 or 1 is a problem, as a bad file is on Unix.
    pub(super) fn read() -> Policy {
        let machine = LOCAL_MACHINE.open(KEY).ok();
        let user = CURRENT_USER.open(KEY).ok();
        let keys: Vec<&Key> = machine.iter().chain(user.iter()).collect();
        let mut problem = None;
        let mut flag = |name: &str| -> Option<bool> {
            for key in &keys {
                let value = match key.get_type(name) {
                    Err(_) => continue,
                    Ok(Type::U32) => key
                        .get_u32(name)
                        .map_or(RegistryFlag::Other, RegistryFlag::Dword),
                    Ok(Type::String) => key
                        .get_string(name)
                        .map_or(RegistryFlag::Other, RegistryFlag::Text),
                    Ok(_) => RegistryFlag::Other,
                };
                match value.parse() {
                    Ok(None) => {}
                    Ok(set) => return set,
                    Err(e) => problem = Some(format!(r"{KEY}\{name}: {e}")),
                }
            }
            None
        };
        let policy = Policy {
            start_at_login: flag("StartAtLogin"),
            biometrics: flag("Biometrics"),
            loopback_handoff: flag("LoopbackHandoff"),
            problem: None,
        };
        match problem {
            Some(problem) => Policy::unreadable(problem),
            None => policy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join(POLICY_FILE);
        std::fs::write(&path, text).expect("written");
        (dir, path)
    }

    #[test]
    fn no_file_is_no_policy() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let policy = Policy::from_file(&dir.path().join(POLICY_FILE));
        assert_eq!(policy, Policy::default());
        assert!(!policy.is_managed());
        assert!(policy.allows_biometrics());
    }

    #[test]
    fn each_setting_is_read() {
        let (_dir, path) =
            write("start_at_login = true\nbiometrics = false\nloopback_handoff = false\n");
        let policy = Policy::from_file(&path);
        assert_eq!(policy.start_at_login, Some(true));
        assert!(!policy.allows_biometrics());
        assert_eq!(policy.loopback_handoff, Some(false));
        assert_eq!(policy.problem, None);
        assert!(policy.is_managed());
    }

    #[test]
    fn biometrics_true_only_allows() {
        let (_dir, path) = write("biometrics = true\n");
        let policy = Policy::from_file(&path);
        assert!(policy.allows_biometrics());
        assert_eq!(policy.start_at_login, None);
    }

    #[test]
    fn a_misspelt_key_is_the_strictest_policy_and_says_why() {
        let (_dir, path) = write("biometric = false\n");
        let policy = Policy::from_file(&path);
        assert!(!policy.allows_biometrics());
        assert_eq!(policy.loopback_handoff, Some(false));
        assert_eq!(policy.start_at_login, None, "start at login is left alone");
        let problem = policy.problem.expect("a problem");
        assert!(problem.contains("biometric"), "{problem}");
        assert!(problem.contains(POLICY_FILE), "{problem}");
    }

    #[test]
    fn a_wrong_type_is_the_strictest_policy() {
        let (_dir, path) = write("start_at_login = \"yes\"\n");
        let policy = Policy::from_file(&path);
        assert!(policy.problem.is_some());
        assert!(!policy.allows_biometrics());
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_file_is_the_strictest_policy() {
        // A directory where the file should be: read_to_string fails with other than
        // NotFound, even as root (who can read any file).
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join(POLICY_FILE);
        std::fs::create_dir(&path).expect("a directory");
        let policy = Policy::from_file(&path);
        assert!(policy.problem.is_some());
        assert_eq!(policy.loopback_handoff, Some(false));
    }

    #[test]
    fn registry_values_as_group_policy_and_the_msi_write_them() {
        assert_eq!(RegistryFlag::Dword(0).parse(), Ok(Some(false)));
        assert_eq!(RegistryFlag::Dword(1).parse(), Ok(Some(true)));
        assert_eq!(
            RegistryFlag::Text(String::new()).parse(),
            Ok(None),
            "an unset MSI property"
        );
        assert_eq!(RegistryFlag::Text("0".into()).parse(), Ok(Some(false)));
        assert_eq!(RegistryFlag::Text(" 1 ".into()).parse(), Ok(Some(true)));
        assert!(RegistryFlag::Dword(2).parse().is_err());
        assert!(RegistryFlag::Text("off".into()).parse().is_err());
        assert!(RegistryFlag::Other.parse().is_err());
    }
}
