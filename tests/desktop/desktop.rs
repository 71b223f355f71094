//! The graphical session around the app, driven as a person would: keys typed into
//! the window with xdotool, notification buttons pressed through dunst, tray menu
//! items clicked over D-Bus as a tray host does, and screenshots of the screen.
//! scripts/test.sh starts Xvfb, dunst, the tray host and gnome-keyring on a private
//! bus (scripts/lib.sh, start_desktop_services).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const HOW_TO: &str = "The desktop end-to-end test needs Xvfb, dunst, an SNI tray host and \
    gnome-keyring on a private D-Bus bus, and fprintd with a virtual reader for its \
    fingerprint steps (or GODKEND_TEST_FPRINTD_SKIP set to why not): scripts/test.sh starts \
    them. To run only this test, as root: `. scripts/lib.sh && start_desktop_services && \
    start_fprintd_services && cargo build -p godkend-server && cargo test -p godkend \
    --test desktop; stop_fprintd_services; stop_desktop_services`";

/// Checks that the test session is there, and that the bus is the private test bus
/// (the app writes to the keyring of whatever bus it is given).
pub fn check_session() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    assert_eq!(var("GODKEND_TEST_DESKTOP"), "1", "{HOW_TO}");
    assert!(!var("DISPLAY").is_empty(), "no DISPLAY. {HOW_TO}");
    assert_eq!(
        var("DBUS_SESSION_BUS_ADDRESS"),
        var("GODKEND_TEST_SECRET_SERVICE_BUS"),
        "the session bus is not the test bus. {HOW_TO}"
    );
}

/// Runs `program`; what it printed. Panics when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}. {HOW_TO}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `check` every 100 ms until it gives a value; panics with `what` after `secs`.
pub fn wait_for<T>(what: &str, secs: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// libfprint's virtual reader on fprintd's private bus, when scripts/test.sh started
/// them; `None`, after a loud message, when it could not (GODKEND_TEST_FPRINTD_SKIP).
pub async fn fingerprint_reader() -> Option<(zbus::Connection, PathBuf)> {
    if let Ok(why) = std::env::var("GODKEND_TEST_FPRINTD_SKIP") {
        eprintln!("!!!!! NOT TESTED: the fingerprint steps of the desktop test: {why}");
        return None;
    }
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set. {HOW_TO}"));
    let bus = zbus::connection::Builder::address(var("GODKEND_TEST_FPRINTD_BUS").as_str())
        .build()
        .await
        .expect("fprintd's bus");
    Some((bus, PathBuf::from(var("GODKEND_TEST_FPRINTD_READER"))))
}

/// The app, running in a private home (config, data, cache, autostart entry).
pub struct App {
    child: Child,
    log: PathBuf,
    /// How far the log has been read by [`App::wait_log`].
    seen: usize,
}

impl App {
    pub fn start(home: &Path, args: &[&str]) -> App {
        let run_dir = home.join("run");
        std::fs::create_dir_all(&run_dir).expect("a runtime dir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700))
                .expect("a private runtime dir");
        }
        // GODKEND_APP_BINARY: another build of the app (the benchmark's "before").
        let binary = std::env::var_os("GODKEND_APP_BINARY")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_godkend").into());
        let mut command = Command::new(binary);
        command
            .args(args)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_RUNTIME_DIR", &run_dir)
            .env("LANG", "en_US.UTF-8")
            // GTK (the gtk-tray build) would look for the accessibility bus.
            .env("NO_AT_BRIDGE", "1")
            .env_remove("LANGUAGE")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("RUST_LOG")
            .env_remove("WAYLAND_DISPLAY")
            // fprintd's private system bus, when scripts/test.sh started it: the app
            // finds the virtual fingerprint reader there (and no logind, which it
            // does without).
            .envs(
                std::env::var("GODKEND_TEST_FPRINTD_BUS")
                    .ok()
                    .filter(|_| std::env::var_os("GODKEND_TEST_FPRINTD_SKIP").is_none())
                    .map(|bus| ("DBUS_SYSTEM_BUS_ADDRESS", bus)),
            );
        App::spawn(command, home)
    }

    /// Runs `command` (the app, however it is started), its log in `log_dir`.
    pub fn spawn(mut command: Command, log_dir: &Path) -> App {
        // One log per launch: a second launch must not write over the first's.
        static LAUNCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let launch = LAUNCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = log_dir.join(format!("app-{launch}.log"));
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("the app's log file"))
            .spawn()
            .expect("start godkend");
        App {
            child,
            log,
            seen: 0,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The app's process id (the benchmark reads its memory and CPU time).
    #[allow(dead_code, reason = "used by the idle benchmark, not by every test")]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a log line containing every one of `needles`, after the last one
    /// found; returns that line.
    pub fn wait_log(&mut self, needles: &[&str], secs: u64) -> String {
        let what = format!("the app to log {needles:?}");
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let log = self.log();
            let mut offset = self.seen;
            for line in log
                .get(self.seen..)
                .unwrap_or_default()
                .split_inclusive('\n')
            {
                offset += line.len();
                if line.ends_with('\n') && needles.iter().all(|n| line.contains(n)) {
                    self.seen = offset;
                    return line.trim_end().to_owned();
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the app exited ({status}) while waiting for {what}; its log:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the app's log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for a log line containing `needle` anywhere in the log, for things
    /// whose order against the rest is not fixed (the tray has its own thread).
    pub fn wait_seen(&self, needle: &str, secs: u64) {
        wait_for(&format!("the app to log {needle:?}"), secs, || {
            self.log().contains(needle).then_some(())
        });
    }

    /// Waits for the app to exit by itself.
    pub fn wait_exit(&mut self, secs: u64) -> ExitStatus {
        wait_for("the app to exit", secs, || {
            self.child.try_wait().ok().flatten()
        })
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The app's window (iced names it "Godkend"), focused for typing (there is no
/// window manager to do it).
pub fn window() -> String {
    let id = wait_for("the Godkend window", 20, || {
        let out = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "^Godkend$"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .map(str::to_owned)
    });
    run("xdotool", &["windowfocus", "--sync", &id]);
    id
}

/// The window's width and height in pixels, as the X server has them.
pub fn window_size(window: &str) -> (u32, u32) {
    let shell = run("xdotool", &["getwindowgeometry", "--shell", window]);
    let field = |name: &str| {
        shell
            .lines()
            .find_map(|line| line.strip_prefix(name)?.parse().ok())
            .unwrap_or(0)
    };
    (field("WIDTH="), field("HEIGHT="))
}

/// Types `text` into the focused control of the window.
pub fn type_text(window: &str, text: &str) {
    run("xdotool", &["windowfocus", "--sync", window]);
    run("xdotool", &["type", "--delay", "20", text]);
}

/// Presses keys (xdotool names: Tab, Return, Escape, shift+Tab).
pub fn keys(window: &str, keys: &[&str]) {
    run("xdotool", &["windowfocus", "--sync", window]);
    for key in keys {
        run("xdotool", &["key", "--delay", "50", key]);
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// Saves the whole screen as target/screenshots/e2e-`name`.png, after a moment for
/// the window to draw.
pub fn screenshot(name: &str) {
    save_screen(&format!("e2e-{name}"));
}

/// Saves the whole screen as target/screenshots/`file_stem`.png, after a moment for
/// the window to draw.
pub fn save_screen(file_stem: &str) {
    std::thread::sleep(Duration::from_millis(600));
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_godkend"))
        .parent()
        .and_then(Path::parent)
        .map(|target| target.join("screenshots"))
        .expect("the target dir");
    std::fs::create_dir_all(&dir).expect("the screenshot dir");
    let path = dir.join(format!("{file_stem}.png"));
    run("import", &["-window", "root", &path.to_string_lossy()]);
}

/// Presses the notification button labelled `label` through dunst's context menu,
/// whose "dmenu" is a script that answers with the line holding this label.
pub fn notification_button(label: &str) {
    let pick = std::env::var("GODKEND_TEST_DUNST_PICK").expect(HOW_TO);
    std::fs::write(&pick, label).expect("write the pick file");
    run("dunstctl", &["context"]);
}

pub fn notifications_displayed() -> u32 {
    run("dunstctl", &["count", "displayed"])
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Closes every notification on screen, as a user would, and waits until dunst
/// shows none.
pub fn close_notifications() {
    run("dunstctl", &["close-all"]);
    wait_for("dunst to close its notifications", 10, || {
        (notifications_displayed() == 0).then_some(())
    });
}

/// Every notification dunst has shown: app name, summary and body, a line each
/// (recorded by a dunst rule's script).
pub fn notifications_shown() -> String {
    let shown = std::env::var("GODKEND_TEST_DUNST_SHOWN").expect(HOW_TO);
    std::fs::read_to_string(shown).unwrap_or_default()
}

/// The app's entries in the keyring (secret-tool's listing; empty when none).
pub fn keyring_entries() -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "dev.godkend.Godkend"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run secret-tool: {e}. {HOW_TO}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The app's tray menu, reached over D-Bus as the tray host reaches it.
pub struct TrayMenu {
    service: String,
    path: String,
}

/// One menu item: its dbusmenu id, label and whether it can be clicked.
#[derive(Debug)]
pub struct Item {
    id: u32,
    pub label: String,
    pub enabled: bool,
}

impl TrayMenu {
    pub fn find() -> TrayMenu {
        let registered = wait_for("the app's tray icon to register", 20, || {
            let out = gdbus_get(
                "org.kde.StatusNotifierWatcher",
                "/StatusNotifierWatcher",
                "org.kde.StatusNotifierWatcher",
                "RegisteredStatusNotifierItems",
            );
            quoted(&out).into_iter().next()
        });
        // ksni registers "name/path"; libayatana (the GTK tray) only its bus name,
        // and its item is at /org/ayatana/NotificationItem/<id>.
        // ksni registers "name/path"; libayatana (the GTK tray) only its bus name.
        let (service, item_path) = if let Some((service, path)) = registered.split_once('/') {
            (service.to_owned(), format!("/{path}"))
        } else {
            let path = item_path(&registered);
            (registered, path)
        };
        let menu = gdbus_get(&service, &item_path, "org.kde.StatusNotifierItem", "Menu");
        let path = menu
            .split(['\'', ' ', '<', '>', '(', ')', ','])
            .find(|part| part.starts_with('/'))
            .expect("the item's menu path")
            .to_owned();
        TrayMenu { service, path }
    }

    pub fn items(&self) -> Vec<Item> {
        let layout = self.call("GetLayout", &["0", "-1", "['label', 'enabled']"]);
        let mut items = Vec::new();
        // Each item reads `(ID, {'label': <'TEXT'>, 'enabled': <false>}, ...`.
        for part in layout.split("<(").skip(1) {
            let Some((id, props)) = part.split_once(", {") else {
                continue;
            };
            let props = props.split('}').next().unwrap_or_default();
            let Some(label) = props
                .split("'label': <'")
                .nth(1)
                .and_then(|rest| rest.split("'>").next())
            else {
                continue;
            };
            items.push(Item {
                id: id.trim().parse().expect("a menu item id"),
                label: label.to_owned(),
                enabled: !props.contains("'enabled': <false>"),
            });
        }
        items
    }

    pub fn item(&self, label: &str) -> Item {
        self.items()
            .into_iter()
            .find(|item| item.label.starts_with(label))
            .unwrap_or_else(|| panic!("no tray menu item {label:?} in {:?}", self.items()))
    }

    /// Waits until the item whose label starts with `label` is enabled or not (the
    /// menu follows the app's state a moment later).
    pub fn expect(&self, label: &str, enabled: bool) {
        let what = format!(
            "the tray item {label:?} to be {}",
            if enabled { "enabled" } else { "disabled" }
        );
        wait_for(&what, 10, || {
            self.items()
                .iter()
                .any(|item| item.label.starts_with(label) && item.enabled == enabled)
                .then_some(())
        });
    }

    /// Clicks the item whose label starts with `label`, as a tray host does.
    pub fn click(&self, label: &str) {
        let item = self.item(label);
        assert!(item.enabled, "the tray item {label:?} is disabled");
        self.call(
            "Event",
            &[&item.id.to_string(), "clicked", "<int32 0>", "0"],
        );
    }

    /// Calls a `com.canonical.dbusmenu` method on the menu; its printed answer.
    fn call(&self, method: &str, args: &[&str]) -> String {
        let method = format!("com.canonical.dbusmenu.{method}");
        let mut all = vec![
            "call",
            "--session",
            "--dest",
            &self.service,
            "--object-path",
            &self.path,
            "--method",
            &method,
            "--",
        ];
        all.extend_from_slice(args);
        run("gdbus", &all)
    }
}

/// Where a service that registered only its bus name keeps its item: libayatana's
/// is at /org/ayatana/NotificationItem/<id>.
fn item_path(service: &str) -> String {
    let tree = run(
        "gdbus",
        &[
            "introspect",
            "--session",
            "--dest",
            service,
            "--object-path",
            "/",
            "--recurse",
        ],
    );
    tree.split_whitespace()
        .find(|word| {
            *word == "/StatusNotifierItem" || word.starts_with("/org/ayatana/NotificationItem/")
        })
        .unwrap_or("/StatusNotifierItem")
        .to_owned()
}

fn gdbus_get(service: &str, path: &str, interface: &str, property: &str) -> String {
    let out = Command::new("gdbus")
        .args([
            "call",
            "--session",
            "--dest",
            service,
            "--object-path",
            path,
            "--method",
            "org.freedesktop.DBus.Properties.Get",
            interface,
            property,
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run gdbus: {e}. {HOW_TO}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The single-quoted strings in gdbus output.
fn quoted(text: &str) -> Vec<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}
