//! Profiles: a second device on the same computer account, kept apart from the
//! installed app's (design.md §2 has one device per installation). The demo uses
//! one, so that trying Godkend never touches a real device's files or keyring
//! entries. A profile has its own config, data and cache dirs, its own keyring
//! account, its own running instance, and no start-at-login entry.

use directories::ProjectDirs;

/// The environment variable that names the profile (unset: the installed app's).
pub const ENV: &str = "GODKEND_PROFILE";

/// Which device this process is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile(Option<String>);

impl Profile {
    /// The profile named by [`ENV`]; an error names what is wrong with it.
    pub fn current() -> Result<Self, String> {
        match std::env::var(ENV) {
            Ok(name) if !name.is_empty() => Self::named(&name),
            _ => Ok(Profile(None)),
        }
    }

    /// A named profile: 1–32 lowercase letters, digits and dashes (it becomes part
    /// of folder names and of the keyring account).
    pub fn named(name: &str) -> Result<Self, String> {
        let fits = (1..=32).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && name != "default";
        if fits {
            Ok(Profile(Some(name.to_owned())))
        } else {
            Err(format!(
                "{ENV}={name:?}: a profile name is 1 to 32 lowercase letters, digits or dashes, and not \"default\""
            ))
        }
    }

    /// The installed app's own profile.
    pub fn is_default(&self) -> bool {
        self.0.is_none()
    }

    /// The platform's folders for this profile.
    pub fn dirs(&self) -> Option<ProjectDirs> {
        match &self.0 {
            None => ProjectDirs::from("dev", "Godkend", "Godkend"),
            Some(name) => ProjectDirs::from("dev", "Godkend", &format!("Godkend-{name}")),
        }
    }

    /// The keyring account this profile's secrets are filed under.
    pub fn vault_account(&self) -> &str {
        self.0.as_deref().unwrap_or("default")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_has_its_own_folders_and_keyring_account() {
        let default = Profile::default();
        let demo = Profile::named("demo").expect("a good name");
        assert_eq!(default.vault_account(), "default");
        assert_eq!(demo.vault_account(), "demo");
        let (a, b) = (default.dirs().expect("dirs"), demo.dirs().expect("dirs"));
        assert_ne!(a.config_dir(), b.config_dir());
        assert_ne!(a.data_dir(), b.data_dir());
        assert!(default.is_default() && !demo.is_default());
    }

    #[test]
    fn names_that_could_escape_a_folder_or_clash_are_refused() {
        for bad in ["", "../x", "Demo", "a b", "default", &"x".repeat(33)] {
            assert!(Profile::named(bad).is_err(), "{bad:?}");
        }
    }
}
