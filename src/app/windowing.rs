//! The window: opening and closing it, the field it starts with, and what it shows.

use std::time::{Duration, Instant};

use iced::widget::{center, column, text};
use iced::{Element, Size, Task, window};

use super::{App, Message, Panel, Screen, WINDOW_SIZE};
use crate::screen::{home, unlock, welcome};
use crate::widget::header::header;
use crate::widget::tone;
use crate::{fl, tray};

/// The smallest the window may be made when the monitor has room for more.
const MIN_SIZE: Size = Size::new(420.0, 480.0);

/// Room the window leaves on its monitor for the desktop's panels and docks and its
/// own title bar (logical pixels): GNOME's top bar and a dock, a Windows taskbar, the
/// macOS menu bar and Dock all fit in it.
const PANEL_ROOM: Size = Size::new(48.0, 120.0);

/// How wide the window gets when the monitor is too short for its preferred height
/// (a laptop, or 1080p at 150 % or 200 %): wide enough for the request screen to put
/// the decision beside the request, so the code and PIN show without scrolling.
const SHORT_MONITOR_WIDTH: f32 = 880.0;

/// The window's size on a monitor of `monitor` logical pixels (physical pixels over
/// the scale factor): `preferred`, or less where the monitor leaves less room; wider
/// where it leaves less height but room beside.
pub(super) fn fitted(preferred: Size, monitor: Size) -> Size {
    let room = |monitor: f32, panels: f32| (monitor - panels).max(1.0);
    let height = preferred
        .height
        .min(room(monitor.height, PANEL_ROOM.height));
    let width = if height < preferred.height {
        preferred.width.max(SHORT_MONITOR_WIDTH)
    } else {
        preferred.width
    };
    Size::new(width.min(room(monitor.width, PANEL_ROOM.width)), height)
}

/// How long after the window closes its memory is handed back: the window's
/// renderer goes with it at once, the screen reader's adapter on its own thread a
/// moment later.
const RELEASE_AFTER_CLOSE: Duration = Duration::from_secs(2);

/// Hands the memory the closed window used (pixel buffers, renderer caches, decoded
/// icons, the accessibility tree) back to the OS, once it is all freed
/// (src/memory.rs). The app may then wait in the tray for hours.
fn release_window_memory() -> Task<Message> {
    Task::future(async {
        tokio::time::sleep(RELEASE_AFTER_CLOSE).await;
        crate::memory::release_free_memory();
        tracing::info!("memory of the closed window released");
    })
    .discard()
}

/// How long the app waits in the tray, after start-up or after its window closed,
/// before it unmaps the code that ran (src/memory/code_pages.rs): start-up's work
/// (the device, the keyring, the push connection) is long done by then, and a
/// window closed a moment ago may well open again.
const RELEASE_CODE_AFTER: Duration = Duration::from_secs(30);

impl App {
    /// Plans the release of the code pages for when the app has been quiet in the
    /// tray for [`RELEASE_CODE_AFTER`].
    pub(super) fn release_code_when_quiet(&self) -> Task<Message> {
        let opened = self.windows_opened;
        // The timer is made when the task runs, on the runtime (not here: `update`
        // may run outside it, as in the tests).
        Task::perform(
            async { tokio::time::sleep(RELEASE_CODE_AFTER).await },
            move |()| Message::QuietInTray(opened),
        )
    }

    /// Releases the code pages, unless a window opened since the release was
    /// planned (it runs that code now; its close plans the next release).
    pub(super) fn quiet_in_tray(&self, opened: u64) -> Task<Message> {
        if self.window.is_some() || opened != self.windows_opened {
            return Task::none();
        }
        Task::future(async {
            let started = Instant::now();
            let released = crate::memory::release_code_pages();
            tracing::info!(
                mappings = released.mappings,
                resident_kb = released.resident_kb,
                refused = released.refused,
                took_us = started.elapsed().as_micros(),
                "code pages released"
            );
        })
        .discard()
    }

    /// Opens the window, or brings it to the front when it is open.
    pub(super) fn open_window(&mut self) -> Task<Message> {
        if let Some(id) = self.window {
            return window::gain_focus(id);
        }
        let (rgba, size) = tray::icon_rgba(64);
        let (id, opened) = window::open(window::Settings {
            size: WINDOW_SIZE,
            min_size: Some(MIN_SIZE),
            icon: window::icon::from_rgba(rgba, size, size).ok(),
            // Windows: shown once the screen reader's adapter has subclassed it
            // (AccessKit's subclassing adapter must come before the first show).
            visible: !cfg!(windows),
            ..window::Settings::default()
        });
        self.window = Some(id);
        self.windows_opened += 1;
        opened.map(Message::WindowOpened)
    }

    pub(super) fn window_opened(&mut self, id: window::Id) -> Task<Message> {
        tracing::info!(?id, "window opened");
        let accessible = self.start_accessibility(id);
        Task::batch([
            accessible,
            self.initial_focus(),
            window::monitor_size(id).map(move |monitor| Message::MonitorMeasured(id, monitor)),
        ])
    }

    /// Shrinks the window to fit a monitor that leaves less room than it wants (a
    /// laptop screen, or any screen at 200 %), so no part of it is out of reach.
    pub(super) fn fit_window(id: window::Id, monitor: Option<Size>) -> Task<Message> {
        let Some(monitor) = monitor else {
            return Task::none();
        };
        let size = fitted(WINDOW_SIZE, monitor);
        tracing::info!(?monitor, ?size, "window sized to the monitor");
        if size == WINDOW_SIZE {
            return Task::none();
        }
        let least = Size::new(
            MIN_SIZE.width.min(size.width),
            MIN_SIZE.height.min(size.height),
        );
        window::set_min_size::<Message>(id, Some(least)).chain(window::resize(id, size))
    }

    /// Focuses the field the shown screen starts with, so typing can begin at once.
    pub(super) fn initial_focus(&self) -> Task<Message> {
        self.initial_field()
            .map_or_else(Task::none, iced::widget::operation::focus)
    }

    /// The field the shown screen starts with, if it has one.
    fn initial_field(&self) -> Option<&'static str> {
        match (&self.panel, &self.request, &self.screen) {
            (Some(Panel::Unlock(..)), _, _) => Some(unlock::PIN_FIELD),
            (None, Some(request), _) => request.first_field(),
            (None, None, Screen::Welcome(_)) => Some(welcome::LINK_FIELD),
            _ => None,
        }
    }

    /// The window changed size. Where the new layout lost the keyboard focus (from
    /// 760 px the request screen turns to two columns, whose fields are new widgets,
    /// as when the window is fitted to a short monitor right after it opens), the
    /// shown screen's first field takes it again; a focus the user placed stays.
    pub(super) fn window_resized(&self, id: window::Id) -> Task<Message> {
        if self.window != Some(id) {
            return Task::none();
        }
        let Some(field) = self.initial_field() else {
            return Task::none();
        };
        iced::advanced::widget::operate(iced::advanced::widget::operation::focusable::find_focused())
            .collect()
            .then(move |found| {
                if found.is_empty() {
                    iced::widget::operation::focus(field)
                } else {
                    Task::none()
                }
            })
    }

    /// The window is gone; the app stays in the tray. Panels close with it.
    pub(super) fn window_closed(&mut self, id: window::Id) -> Task<Message> {
        if self.window == Some(id) {
            tracing::info!(?id, "window closed; still running in the tray");
            self.window = None;
            self.stop_accessibility();
            self.panel = None;
            // The request screen takes its PIN and PIN key with it.
            self.request = None;
            let lock_on_close = self.lock_on_close();
            if let Some(agent) = &mut self.agent {
                agent.window_closed(lock_on_close);
            }
            // A half-typed PIN does not outlive the window it was typed in.
            if let Screen::Welcome(welcome) = &mut self.screen {
                welcome.forget_pin();
            }
            return Task::batch([release_window_memory(), self.release_code_when_quiet()]);
        }
        Task::none()
    }

    /// Whether the app is unlocked now.
    pub(super) fn is_unlocked(&self) -> bool {
        self.agent
            .as_ref()
            .is_some_and(|agent| agent.is_unlocked(Instant::now()))
    }

    /// "Lock when the app closes" (on by default).
    pub(super) fn lock_on_close(&self) -> bool {
        self.user_settings.current().lock_on_close
    }

    pub(super) fn view(&self, _window: window::Id) -> Element<'_, Message> {
        let body = match &self.panel {
            Some(Panel::Activated(welcome)) => welcome.view().map(Message::Welcome),
            Some(Panel::Settings(settings)) => settings
                .view(self.user_settings.current(), self.user_settings.policy())
                .map(Message::Settings),
            Some(Panel::Help(help)) => help.view().map(Message::Help),
            Some(Panel::Unlock(screen, _)) => screen.view().map(Message::Unlock),
            Some(Panel::Activity(activity)) => activity.view().map(Message::Activity),
            Some(Panel::Guide(guide)) => guide.view().map(Message::Guide),
            Some(Panel::ChangePin(screen)) => screen.view().map(Message::ChangePin),
            Some(Panel::Devices(screen)) => screen.view().map(Message::Devices),
            Some(Panel::Revoke(screen)) => screen.view().map(Message::Revoke),
            Some(Panel::Removed(screen)) => screen.view().map(Message::Removed),
            None => self.screen_view(),
        };
        column![header(Message::OpenSettings, Message::OpenHelp), body].into()
    }

    pub(super) fn screen_view(&self) -> Element<'_, Message> {
        match &self.screen {
            Screen::Starting => center(text(fl!("starting")).style(tone::muted)).into(),
            Screen::Problem(problem) => problem.view().map(Message::Problem),
            Screen::Welcome(welcome) => welcome.view().map(Message::Welcome),
            Screen::Home if self.request.is_some() => self
                .request
                .as_ref()
                .map_or_else(|| text("").into(), |r| r.view().map(Message::Request)),
            Screen::Home => match &self.agent {
                Some(agent) => home::view(agent, self.is_unlocked()).map(Message::Home),
                None => iced::widget::space().into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A monitor of `width` x `height` pixels at `scale`, in logical pixels.
    fn monitor(width: f32, height: f32, scale: f32) -> Size {
        Size::new(width / scale, height / scale)
    }

    #[test]
    fn a_monitor_with_room_gets_the_whole_window() {
        assert_eq!(
            fitted(WINDOW_SIZE, monitor(1920.0, 1080.0, 1.0)),
            WINDOW_SIZE
        );
        assert_eq!(
            fitted(WINDOW_SIZE, monitor(3840.0, 2160.0, 2.0)),
            WINDOW_SIZE
        );
        assert_eq!(
            fitted(WINDOW_SIZE, monitor(2560.0, 1600.0, 1.5)),
            WINDOW_SIZE
        );
    }

    #[test]
    fn a_short_monitor_or_a_large_scale_shrinks_the_window_to_fit_beside_the_panels() {
        // 1080p at 200 %: 960 x 540 logical.
        let at_200 = fitted(WINDOW_SIZE, monitor(1920.0, 1080.0, 2.0));
        assert_eq!(at_200, Size::new(880.0, 420.0), "wider, as it is shorter");
        // 1080p at 150 %: 1280 x 720 logical.
        assert_eq!(
            fitted(WINDOW_SIZE, monitor(1920.0, 1080.0, 1.5)),
            Size::new(880.0, 600.0)
        );
        // A 1366 x 768 laptop at 100 %.
        assert_eq!(
            fitted(WINDOW_SIZE, monitor(1366.0, 768.0, 1.0)),
            Size::new(880.0, 648.0)
        );
        // 1280 x 800 at 250 %: narrow as well as short.
        assert_eq!(
            fitted(WINDOW_SIZE, monitor(1280.0, 800.0, 2.5)),
            Size::new(464.0, 200.0)
        );
    }

    #[test]
    fn a_monitor_smaller_than_its_panels_still_gives_a_window() {
        let tiny = fitted(WINDOW_SIZE, Size::new(40.0, 100.0));
        assert_eq!(tiny, Size::new(1.0, 1.0));
    }
}
