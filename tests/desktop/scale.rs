//! The window at 200 %: a 1920 x 1080 screen at scale 2 is 960 x 540 logical, where
//! the 760-unit window would not fit, so the window sizes itself to leave room for
//! panels. On an Xvfb of its own (X11 takes the scale from WINIT_X11_SCALE_FACTOR),
//! and with no session bus, so this app finds neither the story's keyring nor its
//! tray host.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use crate::desktop::check_session;

/// A child process that is killed when the test ends, passed or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn at_200_percent_the_window_fits_a_1080p_screen() {
    check_session();
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1920x1080x24",
            "-nolisten",
            "tcp",
            // Without it the server resets whenever its last client leaves: each
            // xdotool poll below, and an app connecting during such a reset fails
            // to open the display (seen in CI on a loaded machine).
            "-noreset",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let stdout = xvfb.stdout.take().expect("Xvfb's stdout");
    let xvfb = Killed(xvfb);
    let mut number = String::new();
    BufReader::new(stdout)
        .read_line(&mut number)
        .expect("Xvfb names its display");
    let display = format!(":{}", number.trim());
    assert_ne!(display, ":", "Xvfb gave no display number");

    let home = tempfile::tempdir().expect("a home dir for the app");
    let run_dir = home.path().join("run");
    std::fs::create_dir_all(&run_dir).expect("a runtime dir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700))
            .expect("a private runtime dir");
    }
    let log = home.path().join("app.log");
    let app = Command::new(env!("CARGO_BIN_EXE_godkend"))
        .env("DISPLAY", &display)
        .env("WINIT_X11_SCALE_FACTOR", "2")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_RUNTIME_DIR", &run_dir)
        .env("NO_AT_BRIDGE", "1")
        .env_remove("RUST_LOG")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("the app's log file"))
        .spawn()
        .expect("start godkend");
    let app = Killed(app);

    let geometry = || {
        let out = Command::new("xdotool")
            .env("DISPLAY", &display)
            .args(["search", "--onlyvisible", "--name", "^Godkend$"])
            .args(["getwindowgeometry", "--shell"])
            .output()
            .ok()?;
        let shell = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |name: &str| -> Option<u32> {
            shell
                .lines()
                .find_map(|line| line.strip_prefix(name)?.parse().ok())
        };
        Some((field("WIDTH=")?, field("HEIGHT=")?))
    };
    // 880 x 420 logical (540 less 120 for panels; wider, as it is shorter, so the
    // request screen puts the decision beside the request), twice that in pixels.
    let mut last = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let fitted = loop {
        last = geometry().or(last);
        if let Some(size) = last.filter(|size| *size == (1760, 840)) {
            break size;
        }
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after 30 s waiting for the window to fit 960 x 540 logical; \
             last seen {last:?} pixels on {display} ({:?}); the app said:\n{said}",
            Command::new("xdpyinfo")
                .env("DISPLAY", &display)
                .output()
                .map(|o| o.status)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        said.contains("monitor=Size { width: 960.0, height: 540.0 }"),
        "the app measured the monitor at 200 %: {said}"
    );
    eprintln!("at 200 % on 1920 x 1080: the window is {fitted:?} pixels");
    drop(app);
    drop(xvfb);
}
