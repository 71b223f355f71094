//! The tray icon and its menu: Open Godkend, the pending request, Lock now, Settings,
//! Quit. On Linux it speaks StatusNotifierItem over D-Bus through tray-icon's `ksni`
//! backend: no GTK. The icon lives on its own thread (tray-icon's handles are not
//! `Send`); the app sends it what to show, and menu clicks come back to iced as a
//! subscription.

mod host;
pub mod icon;
#[cfg(any(windows, test))]
mod win32;

use std::sync::mpsc;

use iced::futures::channel::mpsc as async_mpsc;
use iced::futures::{SinkExt as _, Stream, StreamExt as _};
use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, MouseButton, TrayIcon, TrayIconBuilder, TrayIconEvent};

pub use self::icon::{Look, Mark};
use crate::fl;

const OPEN_ID: &str = "open";
const REVIEW_ID: &str = "review";
const LOCK_ID: &str = "lock";
const SETTINGS_ID: &str = "settings";
const QUIT_ID: &str = "quit";

/// The size of the tray's picture; hosts scale it to the panel.
const ICON_SIZE: u32 = 32;

/// What the user asked for from the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Open,
    /// Open the pending request.
    Review,
    Lock,
    Settings,
    Quit,
    /// Nothing on this desktop shows tray icons: the user is told how to reach the
    /// app instead.
    NoHost,
}

/// What the tray shows: the icon, and the menu items that depend on the app's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub look: Look,
    /// The display name of the relying party whose request waits.
    pub pending_from: Option<String>,
    /// Whether "Lock now" does anything (the app is unlocked).
    pub can_lock: bool,
    /// Whether there is a device (Settings and Lock need one).
    pub activated: bool,
}

impl Status {
    fn tooltip(&self) -> String {
        match &self.pending_from {
            _ if !self.activated => fl!("tray-tooltip-not-activated"),
            Some(rp) => fl!("tray-tooltip-pending", rp = rp.clone()),
            None if !self.look.online => fl!("tray-tooltip-offline"),
            None if self.look.mark == Mark::Padlock => fl!("tray-tooltip-locked"),
            None => fl!("tray-tooltip"),
        }
    }
}

/// The app's handle on the tray thread.
pub struct Tray {
    sender: Option<mpsc::Sender<Status>>,
    shown: Option<Status>,
}

impl Tray {
    /// Puts the icon in the tray, on a thread that keeps it alive while the app runs.
    /// Without a tray host the app still works: the window and notifications.
    pub fn spawn() -> Self {
        let (sender, updates) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("tray".into())
            .spawn(move || run(updates));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the tray thread");
        }
        Tray {
            sender: Some(sender),
            shown: None,
        }
    }

    /// A tray that shows nothing (tests).
    #[cfg(test)]
    pub fn none() -> Self {
        Tray {
            sender: None,
            shown: None,
        }
    }

    /// Shows `status`, if it differs from what the tray shows.
    pub fn show(&mut self, status: Status) {
        if self.shown.as_ref() == Some(&status) {
            return;
        }
        if let Some(sender) = &self.sender
            && sender.send(status.clone()).is_err()
        {
            self.sender = None;
        }
        self.shown = Some(status);
    }
}

/// The menu items whose text or state follows the app.
struct Items {
    review: MenuItem,
    lock: MenuItem,
    settings: MenuItem,
}

#[cfg(all(target_os = "linux", feature = "gtk-tray", feature = "ksni-tray"))]
compile_error!(
    "the `gtk-tray` and `ksni-tray` features exclude each other: build the GTK tray with \
     `--no-default-features --features gtk-tray`"
);
#[cfg(all(
    target_os = "linux",
    not(feature = "gtk-tray"),
    not(feature = "ksni-tray")
))]
compile_error!(
    "a Linux build needs a tray backend: the `ksni-tray` (default) or `gtk-tray` feature"
);

/// The icon and the menu items that follow the app, or why there are none.
fn create() -> Option<(TrayIcon, Items)> {
    let items = Items {
        review: MenuItem::with_id(REVIEW_ID, fl!("tray-no-request"), false, None),
        lock: MenuItem::with_id(LOCK_ID, fl!("tray-lock"), false, None),
        settings: MenuItem::with_id(SETTINGS_ID, fl!("tray-settings"), true, None),
    };
    match build(&items) {
        Ok(tray) => {
            tracing::info!("tray created");
            Some((tray, items))
        }
        Err(e) => {
            tracing::warn!(error = %e, "no tray icon; the window is the way in");
            None
        }
    }
}

/// The tray thread: builds the icon, then applies each status until the app ends.
/// The D-Bus backend (ksni) needs nothing more on this thread.
#[cfg(not(any(windows, all(target_os = "linux", feature = "gtk-tray"))))]
fn run(updates: mpsc::Receiver<Status>) {
    let Some((mut tray, items)) = create() else {
        return;
    };
    for status in updates {
        apply(&mut tray, &items, &status);
    }
}

/// The Windows tray thread: it must dispatch the Win32 messages of the icon's window.
#[cfg(windows)]
#[expect(
    clippy::needless_pass_by_value,
    reason = "the same signature as on the other platforms"
)]
fn run(updates: mpsc::Receiver<Status>) {
    win32::run(&updates);
}

/// The GTK tray thread: GTK's main loop runs here, and looks for new statuses
/// five times a second (GTK objects live on this thread only).
#[cfg(all(target_os = "linux", feature = "gtk-tray"))]
fn run(updates: mpsc::Receiver<Status>) {
    use gtk::glib::{self, ControlFlow};

    if let Err(e) = gtk::init() {
        tracing::warn!(error = %e, "GTK cannot start; no tray icon");
        return;
    }
    let Some((mut tray, items)) = create() else {
        return;
    };
    glib::timeout_add_local(std::time::Duration::from_millis(200), move || {
        loop {
            match updates.try_recv() {
                Ok(status) => apply(&mut tray, &items, &status),
                Err(mpsc::TryRecvError::Empty) => return ControlFlow::Continue,
                Err(mpsc::TryRecvError::Disconnected) => {
                    gtk::main_quit();
                    return ControlFlow::Break;
                }
            }
        }
    });
    gtk::main();
}

fn build(items: &Items) -> Result<TrayIcon, String> {
    let menu = Menu::new();
    menu.append_items(&[
        &MenuItem::with_id(OPEN_ID, fl!("tray-open"), true, None),
        &items.review,
        &PredefinedMenuItem::separator(),
        &items.lock,
        &items.settings,
        &PredefinedMenuItem::separator(),
        &MenuItem::with_id(QUIT_ID, fl!("tray-quit"), true, None),
    ])
    .map_err(|e| e.to_string())?;
    TrayIconBuilder::new()
        .with_id("godkend")
        .with_title(fl!("app-name"))
        .with_tooltip(fl!("tray-tooltip"))
        .with_menu(Box::new(menu))
        .with_icon(picture(Look::default())?)
        .build()
        .map_err(|e| e.to_string())
}

fn apply(tray: &mut TrayIcon, items: &Items, status: &Status) {
    match picture(status.look) {
        Ok(icon) => {
            if let Err(e) = tray.set_icon(Some(icon)) {
                tracing::warn!(error = %e, "could not change the tray icon");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not draw the tray icon"),
    }
    if let Err(e) = tray.set_tooltip(Some(status.tooltip())) {
        tracing::warn!(error = %e, "could not change the tray tooltip");
    }
    match &status.pending_from {
        Some(rp) => items.review.set_text(fl!("tray-review", rp = rp.clone())),
        None => items.review.set_text(fl!("tray-no-request")),
    }
    items.review.set_enabled(status.pending_from.is_some());
    items.lock.set_enabled(status.can_lock);
    items.settings.set_enabled(status.activated);
    tracing::info!(
        look = ?status.look,
        pending = status.pending_from.is_some(),
        can_lock = status.can_lock,
        "tray updated"
    );
}

fn picture(look: Look) -> Result<Icon, String> {
    Icon::from_rgba(look.rgba(ICON_SIZE), ICON_SIZE, ICON_SIZE).map_err(|e| e.to_string())
}

/// The tray's menu clicks and left clicks on the icon, as app actions.
pub fn events() -> impl Stream<Item = Action> {
    iced::stream::channel(16, async |mut output: async_mpsc::Sender<Action>| {
        let (tx, mut rx) = async_mpsc::unbounded::<Action>();
        host::on_missing({
            let tx = tx.clone();
            move || {
                let _ = tx.unbounded_send(Action::NoHost);
            }
        });
        let menu_tx = tx.clone();
        // tray-icon's receivers are blocking crossbeam channels: one thread each.
        let menu = std::thread::Builder::new()
            .name("tray-menu".into())
            .spawn(move || {
                while let Ok(event) = MenuEvent::receiver().recv() {
                    let Some(action) = action_for(event.id.0.as_str()) else {
                        continue;
                    };
                    tracing::info!(?action, "tray menu");
                    if menu_tx.unbounded_send(action).is_err() {
                        break;
                    }
                }
            });
        let clicks = std::thread::Builder::new()
            .name("tray-clicks".into())
            .spawn(move || {
                while let Ok(event) = TrayIconEvent::receiver().recv() {
                    if let TrayIconEvent::Click {
                        button: MouseButton::Left,
                        ..
                    } = event
                        && tx.unbounded_send(Action::Open).is_err()
                    {
                        break;
                    }
                }
            });
        if menu.is_err() || clicks.is_err() {
            tracing::warn!("could not listen to the tray menu");
        }
        while let Some(action) = rx.next().await {
            if output.send(action).await.is_err() {
                break;
            }
        }
        // Keep the subscription alive even if the tray threads ended.
        std::future::pending::<()>().await;
    })
}

fn action_for(id: &str) -> Option<Action> {
    Some(match id {
        OPEN_ID => Action::Open,
        REVIEW_ID => Action::Review,
        LOCK_ID => Action::Lock,
        SETTINGS_ID => Action::Settings,
        QUIT_ID => Action::Quit,
        _ => return None,
    })
}

/// The Godkend mark, `size`×`size` RGBA: the window's icon.
pub fn icon_rgba(size: u32) -> (Vec<u8>, u32) {
    (Look::default().rgba(size), size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Status {
        Status {
            look: Look::default(),
            pending_from: None,
            can_lock: false,
            activated: true,
        }
    }

    #[test]
    fn every_menu_id_maps_to_its_action() {
        for (id, action) in [
            (OPEN_ID, Action::Open),
            (REVIEW_ID, Action::Review),
            (LOCK_ID, Action::Lock),
            (SETTINGS_ID, Action::Settings),
            (QUIT_ID, Action::Quit),
        ] {
            assert_eq!(action_for(id), Some(action));
        }
        assert_eq!(action_for("something else"), None);
    }

    #[test]
    fn the_tooltip_says_what_waits_and_never_more() {
        let pending = Status {
            pending_from: Some("Demo Shop".into()),
            ..status()
        };
        assert!(pending.tooltip().contains("Demo Shop"));
        let offline = Status {
            look: Look {
                online: false,
                ..Look::default()
            },
            ..status()
        };
        assert_ne!(offline.tooltip(), status().tooltip());
    }

    #[test]
    fn the_tray_is_told_only_about_changes() {
        let (sender, updates) = mpsc::channel();
        let mut tray = Tray {
            sender: Some(sender),
            shown: None,
        };
        tray.show(status());
        tray.show(status());
        tray.show(Status {
            can_lock: true,
            ..status()
        });
        assert_eq!(updates.try_iter().count(), 2);
    }
}
