//! The benchmark's side of the test desktop: closing the window as a window manager
//! would, timing the tray icon's registration, seeing when dunst shows a
//! notification, and keeping the browser hand-off's ports taken.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt as _, EventMask};

/// Asks the window to close, as a window manager's close button does
/// (`WM_DELETE_WINDOW`): the app gets iced's close request. The test display has
/// no window manager, and `xdotool windowclose` would destroy the window under it.
pub fn close_window(window: &str) {
    let (x, _) = x11rb::connect(None).expect("the X display");
    let id: u32 = window.trim().parse().expect("an X window id");
    let atom = |name: &[u8]| {
        x.intern_atom(false, name)
            .expect("intern an atom")
            .reply()
            .expect("an atom")
            .atom
    };
    let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
    // The last-but-three field is the time stamp: 0 is CurrentTime.
    let event = ClientMessageEvent::new(32, id, protocols, [delete, 0, 0, 0, 0]);
    // Checked: waits until the X server has taken it.
    x.send_event(false, id, EventMask::NO_EVENT, event)
        .expect("send the close request")
        .check()
        .expect("the X server takes the close request");
}

/// The StatusNotifierItems the tray host's watcher has now.
async fn tray_items(bus: &zbus::Connection) -> Vec<String> {
    let reply = bus
        .call_method(
            Some("org.kde.StatusNotifierWatcher"),
            "/StatusNotifierWatcher",
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &(
                "org.kde.StatusNotifierWatcher",
                "RegisteredStatusNotifierItems",
            ),
        )
        .await
        .expect("the StatusNotifierWatcher's items");
    let value: zbus::OwnedVariant = reply.body().deserialize().expect("a variant");
    Vec::<String>::try_from(value).expect("a list of items")
}

/// Starts the app with `start` and times it until its tray icon is registered with
/// the tray host (a new entry in the watcher's list; polled every 2 ms).
pub async fn time_to_tray<T>(start: impl FnOnce() -> T) -> (T, Duration) {
    let bus = zbus::Connection::session().await.expect("the session bus");
    let before = tray_items(&bus).await;
    let started = Instant::now();
    let app = start();
    loop {
        if tray_items(&bus)
            .await
            .iter()
            .any(|item| !before.contains(item))
        {
            return (app, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the tray icon did not register in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The notifications dunst has shown, as its rule's script records them (one line
/// each; scripts/lib.sh, start_gui_services).
pub struct DunstShown {
    path: String,
}

impl DunstShown {
    pub fn new() -> DunstShown {
        DunstShown {
            path: std::env::var("GODKEND_TEST_DUNST_SHOWN").expect("dunst's record file"),
        }
    }

    pub fn lines(&self) -> usize {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// Waits until dunst has shown more than `seen` notifications; when it saw the
    /// new one (polled every millisecond: dunst runs the script as it shows it).
    pub async fn wait_beyond(&self, seen: usize) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.lines() > seen {
                return Instant::now();
            }
            assert!(
                Instant::now() < deadline,
                "dunst showed nothing new in 10 s; it has shown:\n{}",
                std::fs::read_to_string(&self.path).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Takes every port the browser hand-off tries, so the app runs without its
/// listener (the listener's own cost is the difference); released when dropped.
/// A port already in use is left as it is: the ports lie in Linux's ephemeral
/// range, so another connection's source port can hold one, and it is closed to the
/// app either way. The caller checks the app's log that it has no listener.
pub fn take_handoff_ports(ports: &[u16]) -> Vec<TcpListener> {
    ports
        .iter()
        .filter_map(|port| match TcpListener::bind(("127.0.0.1", *port)) {
            Ok(listener) => Some(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                eprintln!("note: the hand-off port {port} is already in use: {e}");
                None
            }
            Err(e) => panic!("take the hand-off port {port}: {e}"),
        })
        .collect()
}

/// Waits until a window named "Godkend" is on screen with its first frame drawn:
/// its top rows hold more than one colour (before the app's first frame the X
/// server shows the root's plain black there). Returns when that was seen (polled
/// every 2 ms, each poll a few X round trips).
pub fn wait_first_frame(within: Duration) -> Instant {
    let (x, screen) = x11rb::connect(None).expect("the X display");
    let root = x.setup().roots[screen].root;
    let deadline = Instant::now() + within;
    loop {
        if drawn_godkend_window(&x, root) {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "no Godkend window drew a frame in {within:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Whether a viewable top-level window named "Godkend" has drawn its top rows.
fn drawn_godkend_window(x: &impl x11rb::connection::Connection, root: u32) -> bool {
    use x11rb::protocol::xproto::{AtomEnum, ImageFormat, MapState};
    let Some(tree) = x.query_tree(root).ok().and_then(|c| c.reply().ok()) else {
        return false;
    };
    for child in tree.children {
        let viewable = x
            .get_window_attributes(child)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        let named = x
            .get_property(false, child, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 16)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|p| p.value == b"Godkend");
        if !(viewable && named) {
            continue;
        }
        let Some(geometry) = x.get_geometry(child).ok().and_then(|c| c.reply().ok()) else {
            continue;
        };
        let rows = geometry.height.min(64);
        let Some(image) = x
            .get_image(ImageFormat::Z_PIXMAP, child, 0, 0, geometry.width, rows, !0)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            continue;
        };
        let mut pixels = image.data.chunks_exact(4);
        if let Some(first) = pixels.next()
            && pixels.any(|pixel| pixel != first)
        {
            return true;
        }
    }
    false
}
