//! The user's settings as the app holds them: loaded at start (before activation
//! too), changed from the settings screen, saved on every change.
//!
//! Saving is a synchronous write on the UI thread: the file is a few hundred bytes,
//! written atomically (`write_private`), and only when the user flips a switch, so a
//! task would add a race between two quick changes and nothing a person could notice.

use std::path::PathBuf;

use godkend_core::autostart::Autostart;
use godkend_core::device::Paths;
use godkend_core::profile::Profile;
use godkend_core::settings::{Language, Settings, Theme};

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
        Self::load(path, autostart)
    }

    /// The settings in `path`, with `autostart` to apply "start at login".
    pub fn load(path: Option<PathBuf>, autostart: ApplyAutostart) -> Self {
        let current = path.as_deref().map(Settings::load).unwrap_or_default();
        UserSettings {
            path,
            current,
            autostart,
        }
    }

    pub fn current(&self) -> &Settings {
        &self.current
    }

    /// Applies and saves `change`. Start at login changes only if the OS entry
    /// could be changed; everything else applies even when saving fails (for this
    /// run).
    pub fn apply(&mut self, change: Change) -> Result<(), ChangeError> {
        let settings = &mut self.current;
        match change {
            Change::LockOnClose(on) => settings.lock_on_close = on,
            Change::Notifications(on) => settings.notifications = on,
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
        if let Err(e) = (self.autostart)(self.current.start_at_login) {
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

    /// The iced theme: `None` follows the system's light or dark mode.
    pub fn theme(&self) -> Option<iced::Theme> {
        match self.current.theme {
            Theme::System => None,
            Theme::Light => Some(iced::Theme::Light),
            Theme::Dark => Some(iced::Theme::Dark),
        }
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
        assert_eq!(again.theme(), Some(iced::Theme::Dark));
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
    fn system_theme_follows_the_os() {
        let settings = UserSettings::load(None, |_| Ok(()));
        assert_eq!(settings.current().theme, Theme::System);
        assert_eq!(settings.theme(), None);
    }
}
