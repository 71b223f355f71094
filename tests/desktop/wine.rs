//! The Windows build under Wine (Debian's Wine 8 with Xvfb, not real Windows), as
//! installed by its NSIS installer: started, activated through its window against
//! the real server, its keys in Wine's Credential Manager, one request approved there
//! with the code and the PIN, and the website's signed result checked.
//! scripts/test-windows-packages.sh installs it into a fresh prefix, starts Xvfb and
//! runs this test with GODKEND_TEST_WINE=1 (notes: windows-under-wine.md).
//!
//! What Wine 8 lacks is named, and the app's fallback checked instead: toast
//! notifications (no WinRT there: the app warns once and the window shows the
//! request), and tray clicks and the tray menu (`Shell_NotifyIconGetRect` is a stub:
//! only the icon and its tooltip are checked).

use std::path::PathBuf;
use std::process::Command;

use godkend_protocol::messages::RequestState;

use crate::desktop::{App, keys, run, save_screen, type_text, wait_for, window};
use crate::server::Server;
use crate::{PIN, USER, step};

const HOW_TO: &str = "This test runs the installed Windows build under Wine: \
    `GODKEND_TEST_PACKAGES=all scripts/test-packages.sh` or \
    scripts/test-windows-packages.sh run it (they install it first)";

/// Where Wine keeps what programs store through CredWriteW.
const CREDENTIALS: &str = r"HKCU\Software\Wine\Credential Manager";
/// Start at login: the user's Run key, and the machine's, which starts a program for
/// every user.
const USER_RUN: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
const MACHINE_RUN: &str = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run";

/// The prefix the app is installed in, and how to start it there.
struct Wine {
    /// Wine's loader (Debian: /usr/lib/wine/wine64).
    loader: PathBuf,
    /// The installed godkend.exe, as a Windows path.
    exe: String,
    /// The app's logs (its stderr, which Wine passes through).
    logs: tempfile::TempDir,
}

impl Wine {
    fn from_env() -> Wine {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        assert_eq!(var("GODKEND_TEST_WINE"), "1", "{HOW_TO}");
        for name in ["WINEPREFIX", "DISPLAY", "GODKEND_TEST_WINE_EXE"] {
            assert!(!var(name).is_empty(), "{name} is not set. {HOW_TO}");
        }
        Wine {
            loader: PathBuf::from(
                std::env::var("GODKEND_TEST_WINE_LOADER")
                    .unwrap_or_else(|_| "/usr/lib/wine/wine64".into()),
            ),
            exe: var("GODKEND_TEST_WINE_EXE"),
            logs: tempfile::tempdir().expect("a folder for the app's logs"),
        }
    }

    /// The installed app with `args`, in the test's Wine prefix (WINEPREFIX).
    fn start(&self, args: &[&str]) -> App {
        let mut command = Command::new(&self.loader);
        command
            .arg(&self.exe)
            .args(args)
            .env("WINEDEBUG", "-all")
            .env("LANG", "en_US.UTF-8")
            .env_remove("RUST_LOG");
        App::spawn(command, self.logs.path())
    }

    /// What `reg query` prints for `args` (nothing when the key or value is missing).
    fn reg_query(&self, args: &[&str]) -> String {
        let out = Command::new(&self.loader)
            .arg("reg")
            .arg("query")
            .args(args)
            .env("WINEDEBUG", "-all")
            .output()
            .expect("run wine reg query");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Deletes the value `name` of `key`.
    fn reg_delete(&self, key: &str, name: &str) {
        let status = Command::new(&self.loader)
            .args(["reg", "delete", key, "/v", name, "/f"])
            .env("WINEDEBUG", "-all")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run wine reg delete");
        assert!(status.success(), "reg delete {key} /v {name}");
    }

    /// The string value `name` of `key`, if there is one.
    fn reg_value(&self, key: &str, name: &str) -> Option<String> {
        // The value's line reads `    NAME    REG_SZ    DATA`.
        self.reg_query(&[key, "/v", name])
            .lines()
            .find_map(|line| {
                line.trim()
                    .strip_prefix(name)?
                    .trim_start()
                    .strip_prefix("REG_SZ")
            })
            .map(|data| data.trim().to_owned())
    }

    /// The names of the entries in Wine's Credential Manager, never their values.
    fn credential_names(&self) -> Vec<String> {
        // `reg query /s` prints each key's name on a line of its own, then its
        // values indented below it; only the names are kept.
        self.reg_query(&[CREDENTIALS, "/s"])
            .lines()
            .filter_map(|line| {
                line.trim_end()
                    .strip_prefix(r"HKEY_CURRENT_USER\Software\Wine\Credential Manager\")
            })
            .map(str::to_owned)
            .collect()
    }
}

/// The X window Wine shows tray icons in when no XEmbed tray runs on the display.
fn wine_system_tray() -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--name", "^Wine System Tray$"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_owned)
}

/// The X windows on screen.
fn visible_windows() -> Vec<String> {
    run("xdotool", &["search", "--onlyvisible", "--name", ".*"])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Moves Wine's tray window out from under the app's (no window manager places
/// them) and rests the mouse on the icon, the first in it; returns the tooltip's
/// window, the one that then appears.
fn hover_tray_icon(tray: &str) -> String {
    run("xdotool", &["windowmove", tray, "700", "100"]);
    run("xdotool", &["windowraise", tray]);
    let before = visible_windows();
    // Two moves: the tooltip control starts its timer on a mouse move over the icon.
    run("xdotool", &["mousemove", "710", "110"]);
    run("xdotool", &["mousemove", "711", "111"]);
    wait_for("the tray icon's tooltip", 10, || {
        visible_windows().into_iter().find(|w| !before.contains(w))
    })
}

fn screenshot(name: &str) {
    save_screen(&format!("wine-{name}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Windows build installed under Wine: scripts/test-windows-packages.sh"]
async fn the_installed_windows_build_activates_and_approves_under_wine() {
    let wine = Wine::from_env();
    let server = Server::start().await;
    server.admin(&["user", "add", USER]);
    let shop = server.add_rp("demo-shop", "Demo Shop");
    let link = server.activation_link(USER);
    assert!(
        wine.credential_names().is_empty(),
        "a fresh prefix has no credentials"
    );
    // The installer's start at login (/AUTOSTART) goes, so the value checked after
    // activation is the app's own (and the uninstaller must remove that one).
    wine.reg_delete(USER_RUN, "Godkend");

    step("wine: first start: the welcome screen, and the tray icon");
    let mut app = wine.start(&[]);
    app.wait_log(&["not activated yet"], 90);
    app.wait_log(&["window opened"], 60);
    app.wait_seen("tray created", 30);
    let win = window();

    step("wine: a second launch hands the activation link over the named pipe");
    let mut second = wine.start(&[&link]);
    let status = second.wait_exit(60);
    assert!(status.success(), "{status}: {}", second.log());
    assert!(second.log().contains("already running"), "{}", second.log());
    app.wait_log(&["another launch handed over", "link=true"], 20);

    step("wine: a PIN chosen in the window activates it");
    // The link field keeps the focus; the PIN and its repetition follow.
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    screenshot("activation");
    keys(&win, &["Return"]);
    app.wait_log(&["activated"], 90);
    screenshot("activated");
    let devices = server.devices(USER).to_string();
    assert!(
        devices.contains("active"),
        "the server lists the device: {devices}"
    );
    let names = wine.credential_names();
    eprintln!("wine: Credential Manager entries (names only): {names:?}");
    assert!(
        names.iter().any(|n| n.contains("dev.godkend.Godkend")),
        "the keys are in Wine's Credential Manager: {names:?}"
    );
    // Start at login, on by default after activation: the user's own, with the path
    // quoted (an unquoted path with spaces can start another program).
    assert_eq!(
        wine.reg_value(USER_RUN, "Godkend"),
        Some(format!("\"{}\" --tray", wine.exe)),
        "the app's Run value"
    );
    assert_eq!(
        wine.reg_value(MACHINE_RUN, "Godkend"),
        None,
        "no Run value for every user of the machine"
    );
    keys(&win, &["Return"]);
    app.wait_log(&["connection", "Connected"], 60);
    keys(&win, &["Escape"]);

    step("wine: the tray icon and its tooltip (tray clicks: not under Wine 8)");
    let tray = wait_for("Wine's system tray window", 20, wine_system_tray);
    app.wait_seen("tray updated", 20);
    assert!(
        !app.log().contains("could not change the tray"),
        "the icon and tooltip changed: {}",
        app.log()
    );
    let tooltip = hover_tray_icon(&tray);
    screenshot("tray-tooltip");
    run("xdotool", &["mousemove", "1000", "700"]);
    eprintln!(
        "wine: tray icon in Wine System Tray (window {tray}), its tooltip shown (window {tooltip}); \
         Wine 8 lacks tray clicks and the tray menu"
    );

    step("wine: a request shows in the window; the toast fails cleanly");
    let request = server
        .sign_in(&shop, USER, "Sign in from Firefox on Windows")
        .await;
    app.wait_log(&["request shown", &request.request_id], 30);
    app.wait_seen("no desktop notifications", 30);
    eprintln!("wine: Wine 8 lacks toast notifications (WinRT); the app warned and carried on");
    screenshot("request");
    let win = window();
    type_text(&win, &request.code);
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    keys(&win, &["Return"]);
    app.wait_log(&["decision accepted", "Approve"], 60);
    screenshot("approved");

    step("wine: the website's signed result says approved");
    let result = server.result(&shop, &request.request_id).await;
    assert_eq!(result.status, RequestState::Approved);
    assert_eq!(result.user, USER);
    let log = app.log();
    assert!(!log.contains(&request.code), "no code in the log");
    assert!(!log.contains(PIN), "no PIN in the log");
    // Left running: the script ends the prefix (wineserver -k), then uninstalls.
}
