//! Start at login on Linux: the real XDG autostart entry, written under a throw-away
//! HOME in a child process (this process's environment is never changed).
#![cfg(target_os = "linux")]

use std::process::Command;

use godkend_core::autostart::Autostart;

const CHILD: &str = "GODKEND_AUTOSTART_TEST_CHILD";

/// Runs in the child: enable, check, disable twice, check.
#[test]
#[ignore = "run in a child process with its own HOME by the test below"]
fn child_steps() {
    assert!(std::env::var(CHILD).is_ok(), "only for the child process");
    let autostart = Autostart::for_executable("/usr/bin/godkend").unwrap();
    autostart.apply(true).unwrap();
    assert!(autostart.is_enabled().unwrap());
    println!("ENABLED");
    autostart.apply(false).unwrap();
    autostart.disable().unwrap();
    assert!(!autostart.is_enabled().unwrap());
    println!("DISABLED");
}

#[test]
fn start_at_login_writes_and_removes_the_xdg_autostart_entry() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_steps",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("ENABLED") && stdout.contains("DISABLED"),
        "{stdout}"
    );
    let entry = home.path().join(".config/autostart/Godkend.desktop");
    assert!(!entry.exists(), "the entry is removed again");

    // Enabled in a child, the entry names the app in tray mode.
    let enable = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "enable_only",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(
        enable.status.success(),
        "{}",
        String::from_utf8_lossy(&enable.stderr)
    );
    let text = std::fs::read_to_string(&entry).expect("the autostart entry exists");
    assert!(
        text.contains("/usr/bin/godkend") && text.contains("--tray"),
        "{text}"
    );
}

#[test]
#[ignore = "run in a child process with its own HOME by the test above"]
fn enable_only() {
    assert!(std::env::var(CHILD).is_ok(), "only for the child process");
    Autostart::for_executable("/usr/bin/godkend")
        .unwrap()
        .enable()
        .unwrap();
}
