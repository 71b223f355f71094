//! The user's settings as the app holds them: loaded at start (before activation
//! too), changed from the settings screen, saved on every change.
//!
//! Saving is a synchronous write on the UI thread: the file is a few hundred bytes,
//! written atomically (`write_private`), and only when the user flips a switch, so a
//! task would add a race between two quick changes and nothing a person could notice.
//!
//! The organisation's policy (`godkend_core::policy`) comes first: a setting it
//! fixes is shown, locked, and never written to the user's file, so the user's own
//! choice returns if the policy is lifted.

use std::path::PathBuf;

use godkend_core::autostart::Autostart;
use godkend_core::device::Paths;
use godkend_core::policy::Policy;
use godkend_core::profile::Profile;
use godkend_core::settings::{Language, Settings, Theme};
use iced::theme::Mode;

/// One change the user made on the settings screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    LockOnClose(bool),
    Notifications(bool),
    StartAtLogin(bool),
    Language(Language),
    Theme(Theme),
}

/// Why a change did not fully apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    /// The start-at-login entry could not be changed; the setting stays as it was.
    Autostart(String),
    /// The change applies until the app quits but could not be saved.
    Save(String),
    /// The organisation's policy fixes this setting.
    Managed,
}

/// Turns the start-at-login entry on or off; a seam so tests touch no real entry.
pub type ApplyAutostart = fn(bool) -> Result<(), String>;

/// The settings in force, and where they are saved.
pub struct UserSettings {
    /// `None` when the platform has no config directory: changes then last until
    /// the app quits.
    path: Option<PathBuf>,
    current: Settings,
    autostart: ApplyAutostart,
    policy: Policy,
}

impl UserSettings {
    /// The settings from the platform's config directory (defaults when the file is
    /// missing or bad), applied to the real start-at-login entry.
    pub fn platform() -> Self {
        let profile = Profile::current().unwrap_or_default();
        let path = match Paths::platform(&profile) {
            Ok(paths) => Some(paths.config.settings_file()),
            Err(e) => {
                tracing::warn!(error = %e, "no config directory; settings are not saved");
                None
            }
        };
        // A profile (the demo) never starts at login: the entry would start the
        // installed app's device, not the profile's.
        let autostart: ApplyAutostart = if profile.is_default() {
            apply_autostart
        } else {
            |_| Ok(())
        };
        Self::load(path, autostart).with_policy(Policy::platform())
    }

    /// The settings in `path`, with `autostart` to apply "start at login".
    pub fn load(path: Option<PathBuf>, autostart: ApplyAutostart) -> Self {
        let current = path.as_deref().map(Settings::load).unwrap_or_default();
        UserSettings {
            path,
            current,
            autostart,
            policy: Policy::default(),
        }
    }

    /// The same settings under the organisation's `policy`.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The user's own settings, as saved (see [`Self::start_at_login`] for the one
    /// the policy can fix).
    pub fn current(&self) -> &Settings {
        &self.current
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Start at login as it applies: the policy's, else the user's.
    pub fn start_at_login(&self) -> bool {
        self.policy
            .start_at_login
            .unwrap_or(self.current.start_at_login)
    }

    /// Applies and saves `change`. Start at login changes only if the OS entry
    /// could be changed; everything else applies even when saving fails (for this
    /// run).
    pub fn apply(&mut self, change: Change) -> Result<(), ChangeError> {
        let settings = &mut self.current;
        match change {
            Change::LockOnClose(on) => settings.lock_on_close = on,
            Change::Notifications(on) => settings.notifications = on,
            Change::StartAtLogin(_) if self.policy.start_at_login.is_some() => {
                return Err(ChangeError::Managed);
            }
            Change::StartAtLogin(on) => {
                (self.autostart)(on).map_err(ChangeError::Autostart)?;
                settings.start_at_login = on;
            }
            Change::Language(language) => settings.language = language,
            Change::Theme(theme) => settings.theme = theme,
        }
        self.save()
    }

    /// The first-run guide was read or skipped: it does not show again by itself.
    pub fn guide_seen(&mut self) {
        self.current.guide_shown = true;
        let _ = self.save();
    }

    /// This computer was just activated: start at login as the setting says (on by
    /// default, design.md §2), since requests arrive only while the app runs.
    pub fn activated(&mut self) {
        self.apply_start_at_login();
    }

    /// An activated device was loaded: a start at login the policy fixes is put
    /// right (an administrator may have set it since the last start).
    pub fn loaded_device(&mut self) {
        if self.policy.start_at_login.is_some() {
            self.apply_start_at_login();
        }
    }

    fn apply_start_at_login(&self) {
        if let Err(e) = (self.autostart)(self.start_at_login()) {
            tracing::warn!(error = %e, "could not set up start at login");
        }
    }

    /// Back to the defaults, without saving: the file went with the device's data.
    pub fn reset(&mut self) {
        self.current = Settings::default();
    }

    fn save(&self) -> Result<(), ChangeError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        self.current.save(path).map_err(|e| {
            tracing::warn!(error = %e, "could not save the settings");
            ChangeError::Save(e.to_string())
        })
    }

    /// The app's theme (`crate::theme`): the chosen one, or the one for the OS's
    /// light or dark mode `system`.
    pub fn theme(&self, system: Mode) -> iced::Theme {
        crate::theme::for_mode(match self.current.theme {
            Theme::System => system,
            Theme::Light => Mode::Light,
            Theme::Dark => Mode::Dark,
        })
    }
}

fn apply_autostart(on: bool) -> Result<(), String> {
    Autostart::for_this_app()
        .and_then(|entry| entry.apply(on))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refuse(_: bool) -> Result<(), String> {
        Err("no autostart directory".into())
    }

    #[test]
    fn a_change_is_saved_and_read_back() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("settings.toml");
        let mut settings = UserSettings::load(Some(path.clone()), |_| Ok(()));
        assert!(settings.current().notifications, "on by default");
        settings.apply(Change::Notifications(false)).expect("saved");
        settings.apply(Change::Theme(Theme::Dark)).expect("saved");
        let again = UserSettings::load(Some(path), |_| Ok(()));
        assert!(!again.current().notifications);
        assert_eq!(again.current().theme, Theme::Dark);
        assert_eq!(again.theme(Mode::Light), crate::theme::for_mode(Mode::Dark));
    }

    #[test]
    fn start_at_login_stays_as_it_was_when_the_entry_cannot_change() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("settings.toml");
        let mut settings = UserSettings::load(Some(path.clone()), refuse);
        let error = settings
            .apply(Change::StartAtLogin(false))
            .expect_err("the entry could not change");
        assert_eq!(
            error,
            ChangeError::Autostart("no autostart directory".into())
        );
        assert!(settings.current().start_at_login);
        assert!(!path.exists(), "nothing changed, nothing saved");
    }

    #[test]
    fn a_start_at_login_the_policy_fixes_is_applied_locked_and_never_saved() {
        use std::sync::atomic::{AtomicU8, Ordering};
        // What the entry was last set to: 0 untouched, 1 off, 2 on.
        static ENTRY: AtomicU8 = AtomicU8::new(0);
        let record: ApplyAutostart = |on| {
            ENTRY.store(if on { 2 } else { 1 }, Ordering::SeqCst);
            Ok(())
        };
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("settings.toml");
        let policy = Policy {
            start_at_login: Some(false),
            ..Policy::default()
        };
        let mut settings = UserSettings::load(Some(path.clone()), record).with_policy(policy);
        assert!(settings.current().start_at_login, "the user's own choice");
        assert!(!settings.start_at_login(), "the policy's");

        settings.loaded_device();
        assert_eq!(ENTRY.load(Ordering::SeqCst), 1, "the entry is removed");
        assert_eq!(
            settings.apply(Change::StartAtLogin(true)),
            Err(ChangeError::Managed)
        );
        assert_eq!(ENTRY.load(Ordering::SeqCst), 1, "still off");
        assert!(!path.exists(), "nothing saved");

        settings.activated();
        assert_eq!(
            ENTRY.load(Ordering::SeqCst),
            1,
            "activation follows the policy"
        );
        // Another change saves the user's own start-at-login, not the policy's.
        settings.apply(Change::Notifications(false)).expect("saved");
        let again = UserSettings::load(Some(path), record);
        assert!(again.current().start_at_login);
    }

    #[test]
    fn without_a_policy_start_at_login_is_left_alone_when_loaded() {
        fn refuse_to_be_called(_: bool) -> Result<(), String> {
            panic!("the entry is the user's: loading must not touch it")
        }
        let mut settings = UserSettings::load(None, refuse_to_be_called);
        settings.loaded_device();
    }

    #[test]
    fn system_theme_follows_the_os() {
        let settings = UserSettings::load(None, |_| Ok(()));
        assert_eq!(settings.current().theme, Theme::System);
        assert_eq!(
            settings.theme(Mode::Dark),
            crate::theme::for_mode(Mode::Dark)
        );
        assert_eq!(
            settings.theme(Mode::Light),
            crate::theme::for_mode(Mode::Light)
        );
    }
}
