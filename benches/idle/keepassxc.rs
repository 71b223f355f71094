//! The reference: KeePassXC (Debian package `keepassxc`, a Qt password manager with a
//! tray icon) in the same display and session, idle with its window open and
//! minimised to its tray icon. scripts/bench-app.sh installs it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::desktop::wait_for;
use crate::process::{Idle, idle};

/// KeePassXC's two idle figures: window open, and minimised to the tray.
pub struct Reference {
    pub window: Idle,
    pub minimised: Idle,
}

/// Measures KeePassXC; `None` (after a loud message) when it is not installed.
pub async fn measure(period: Duration) -> Option<Reference> {
    if Command::new("keepassxc")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        eprintln!(
            "!!!!! NOT MEASURED: KeePassXC, the reference: `keepassxc` is not installed \
             (Debian package keepassxc; scripts/bench-app.sh installs it)"
        );
        return None;
    }
    let window = run(period, false).await;
    let minimised = run(period, true).await;
    Some(Reference { window, minimised })
}

/// One KeePassXC in a fresh home: its first-start window (no database open), or
/// with "minimise on startup" to its tray icon.
async fn run(period: Duration, minimised: bool) -> Idle {
    let home = tempfile::tempdir().expect("a home for KeePassXC");
    configure(home.path(), minimised);
    let mut child = start(home.path());
    let pid = child.id();
    // Started when its tray icon is up (both runs show one; Qt names its item
    // org.kde.StatusNotifierItem-PID-N).
    let item = format!("StatusNotifierItem-{pid}-");
    wait_for("KeePassXC's tray icon", 30, || {
        crate::desktop::run("gdbus", &tray_items_call())
            .contains(&item)
            .then_some(())
    });
    let measured = idle(pid, period).await;
    let _ = child.kill();
    let _ = child.wait();
    measured
}

/// The arguments of a gdbus call listing the tray's items.
fn tray_items_call() -> Vec<&'static str> {
    vec![
        "call",
        "--session",
        "--dest",
        "org.kde.StatusNotifierWatcher",
        "--object-path",
        "/StatusNotifierWatcher",
        "--method",
        "org.freedesktop.DBus.Properties.Get",
        "org.kde.StatusNotifierWatcher",
        "RegisteredStatusNotifierItems",
    ]
}

/// KeePassXC's settings: its tray icon on (as Godkend always has one), no update
/// check (no network in the measurement), and minimised at start when asked.
fn configure(home: &Path, minimised: bool) {
    let dir = home.join("config/keepassxc");
    std::fs::create_dir_all(&dir).expect("KeePassXC's config dir");
    let settings = format!(
        "[General]\nConfigVersion=2\nUpdateCheckMessageShown=true\n\n\
         [GUI]\nShowTrayIcon=true\nMinimizeToTray=true\nMinimizeOnStartup={minimised}\n\
         CheckForUpdates=false\n"
    );
    std::fs::write(dir.join("keepassxc.ini"), settings).expect("KeePassXC's settings");
}

fn start(home: &Path) -> Child {
    let run_dir = home.join("run");
    std::fs::create_dir_all(&run_dir).expect("a runtime dir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700))
            .expect("a private runtime dir");
    }
    Command::new("keepassxc")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_RUNTIME_DIR", &run_dir)
        .env("LANG", "en_US.UTF-8")
        .env("NO_AT_BRIDGE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start keepassxc")
}
