//! Start at login, through the `auto-launch` crate: an XDG autostart entry on Linux,
//! the Run key on Windows, a launch agent on macOS. On by default after activation,
//! switchable in settings, removed when the device is wiped.

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

/// The name of the autostart entry.
const APP_NAME: &str = "Godkend";

/// Why the autostart entry could not be changed.
#[derive(Debug, thiserror::Error)]
#[error("cannot change start at login: {0}")]
pub struct AutostartError(String);

/// The autostart entry of this installation.
pub struct Autostart(AutoLaunch);

impl std::fmt::Debug for Autostart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Autostart").finish_non_exhaustive()
    }
}

impl Autostart {
    /// The entry that starts the running executable in the tray (`--tray`).
    pub fn for_this_app() -> Result<Self, AutostartError> {
        let exe = std::env::current_exe().map_err(|e| AutostartError(e.to_string()))?;
        Self::for_executable(&exe.to_string_lossy())
    }

    /// The entry that starts `executable` in the tray.
    pub fn for_executable(executable: &str) -> Result<Self, AutostartError> {
        let mut builder = AutoLaunchBuilder::new();
        builder.set_app_name(APP_NAME).set_args(&["--tray"]);
        // Windows: auto-launch writes the Run value as `path args`; an unquoted path
        // with a space ("C:\Program Files\...") would start "C:\Program.exe". And its
        // default mode tries the machine's Run key first, which an elevated process
        // (or Wine) can write: the app would start for every user of the computer.
        // Seen under Wine (tests/desktop/wine.rs); the installers write the same
        // quoted value to the user's key.
        #[cfg(windows)]
        builder
            .set_app_path(&format!("\"{executable}\""))
            .set_windows_enable_mode(auto_launch::WindowsEnableMode::CurrentUser);
        #[cfg(not(windows))]
        builder.set_app_path(executable);
        builder
            .build()
            .map(Autostart)
            .map_err(|e| AutostartError(e.to_string()))
    }

    pub fn enable(&self) -> Result<(), AutostartError> {
        self.0.enable().map_err(|e| AutostartError(e.to_string()))
    }

    /// Removes the entry; removing a missing entry is fine.
    pub fn disable(&self) -> Result<(), AutostartError> {
        if self.is_enabled()? {
            self.0
                .disable()
                .map_err(|e| AutostartError(e.to_string()))?;
        }
        Ok(())
    }

    pub fn is_enabled(&self) -> Result<bool, AutostartError> {
        self.0
            .is_enabled()
            .map_err(|e| AutostartError(e.to_string()))
    }

    /// Turns the entry on or off to match the setting.
    pub fn apply(&self, start_at_login: bool) -> Result<(), AutostartError> {
        if start_at_login {
            self.enable()
        } else {
            self.disable()
        }
    }
}
