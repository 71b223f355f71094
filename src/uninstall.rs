//! Removing the app itself after this computer is revoked: what the platform offers.
//! Windows has an uninstaller (or Apps & features), macOS moves the app to the Bin;
//! on Linux a package manager needs root, so the app says which command to run.

use std::path::PathBuf;

/// How Godkend can be removed from this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// A button can do it: [`run`].
    #[cfg_attr(
        all(unix, not(target_os = "macos")),
        expect(
            dead_code,
            reason = "on Linux a package manager needs root: instructions only"
        )
    )]
    Action,
    /// The user does it; the text says how.
    #[cfg_attr(
        not(all(unix, not(target_os = "macos"))),
        expect(dead_code, reason = "Windows and macOS have a removal action")
    )]
    Instructions(String),
}

/// How this installation can be removed.
pub fn removal() -> Removal {
    platform::removal()
}

/// Starts the platform's removal (only for [`Removal::Action`]).
pub fn run() -> Result<(), String> {
    platform::run()
}

/// The running executable, if the OS tells.
fn executable() -> Option<PathBuf> {
    std::env::current_exe().ok()
}

/// Linux: the package the executable came from, or the AppImage to delete.
#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use std::path::Path;

    use super::{Removal, executable};
    use crate::fl;

    pub fn removal() -> Removal {
        Removal::Instructions(linux_instructions(
            std::env::var_os("APPIMAGE").as_deref().map(Path::new),
            Path::new("/var/lib/dpkg/info/godkend.list").exists(),
            executable().as_deref(),
        ))
    }

    pub fn run() -> Result<(), String> {
        Err(removal_text())
    }

    fn removal_text() -> String {
        match removal() {
            Removal::Instructions(text) => text,
            Removal::Action => String::new(),
        }
    }

    /// The instructions for an AppImage, a Debian package, an RPM (installed under
    /// /usr but not by dpkg) or anything else.
    pub(super) fn linux_instructions(
        appimage: Option<&Path>,
        from_deb: bool,
        executable: Option<&Path>,
    ) -> String {
        if let Some(appimage) = appimage {
            return fl!("uninstall-appimage", path = appimage.display().to_string());
        }
        if from_deb {
            return fl!("uninstall-package", command = "sudo apt remove godkend");
        }
        if executable.is_some_and(|e| e.starts_with("/usr")) {
            return fl!("uninstall-package", command = "sudo dnf remove godkend");
        }
        fl!("uninstall-other")
    }
}

/// Windows: the installer's uninstaller, else Settings → Apps & features.
#[cfg(windows)]
mod platform {
    use std::process::Command;

    use super::{Removal, executable};

    pub fn removal() -> Removal {
        Removal::Action
    }

    pub fn run() -> Result<(), String> {
        let uninstaller = executable()
            .and_then(|exe| exe.parent().map(|dir| dir.join("uninstall.exe")))
            .filter(|path| path.exists());
        let started = match uninstaller {
            Some(path) => Command::new(path).spawn(),
            // `start` opens the settings page through its URI scheme.
            None => Command::new("cmd")
                .args(["/C", "start", "", "ms-settings:appsfeatures"])
                .spawn(),
        };
        started.map(drop).map_err(|e| e.to_string())
    }
}

/// macOS: the app bundle goes to the Bin (through the Finder, so it can be put back).
#[cfg(target_os = "macos")]
mod platform {
    use std::path::PathBuf;
    use std::process::Command;

    use super::{Removal, executable};
    use crate::fl;

    /// The `.app` bundle the executable is in.
    fn bundle() -> Option<PathBuf> {
        executable()?
            .ancestors()
            .find(|p| p.extension().is_some_and(|e| e == "app"))
            .map(PathBuf::from)
    }

    pub fn removal() -> Removal {
        if bundle().is_some() {
            Removal::Action
        } else {
            Removal::Instructions(fl!("uninstall-other"))
        }
    }

    pub fn run() -> Result<(), String> {
        let bundle = bundle().ok_or_else(|| fl!("uninstall-other"))?;
        let script = format!(
            "tell application \"Finder\" to delete POSIX file \"{}\"",
            bundle.display().to_string().replace('"', "\\\"")
        );
        Command::new("osascript")
            .args(["-e", &script])
            .spawn()
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

#[cfg(all(test, unix, not(target_os = "macos")))]
mod tests {
    use std::path::Path;

    use super::platform::linux_instructions;
    use crate::fl;

    #[test]
    fn linux_says_how_it_was_installed_is_how_to_remove_it() {
        let appimage = linux_instructions(Some(Path::new("/home/a/Godkend.AppImage")), true, None);
        assert!(appimage.contains("/home/a/Godkend.AppImage"), "{appimage}");
        let deb = linux_instructions(None, true, Some(Path::new("/usr/bin/godkend")));
        assert!(deb.contains("sudo apt remove godkend"), "{deb}");
        let rpm = linux_instructions(None, false, Some(Path::new("/usr/bin/godkend")));
        assert!(rpm.contains("sudo dnf remove godkend"), "{rpm}");
        let other = linux_instructions(None, false, Some(Path::new("/home/a/bin/godkend")));
        assert_eq!(other, fl!("uninstall-other"));
    }
}
