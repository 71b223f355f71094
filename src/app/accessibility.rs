//! The window's screen-reader side (godkend-a11y): while the window is open, the
//! screen it shows is described in words and kept in step with the view and the
//! keyboard focus after every message; what a screen reader asks for (focus, press,
//! type) comes back as the app's own messages, as if the user had done it.
//!
//! Every screen and panel describes itself in its own module (`accessible.rs`
//! beside its view); here they are put under the header, and a screen reader's
//! press or typing is handed to the screen shown now.

use godkend_a11y::{Accessibility, Item, Request as Asked, Requests, Screen as Described};
use iced::advanced::widget::{Id, operate, operation::focusable::find_focused};
use iced::futures::StreamExt as _;

use super::App;
use super::{
    Arc, Hash, Hasher, Message, Mutex, Panel, PoisonError, Request, Screen, Stream, Subscription,
    Task, Unlock, Welcome, home, window,
};
use crate::fl;
use crate::screen::activity::Activity;
use crate::screen::change_pin::ChangePin;
use crate::screen::devices::Devices;
use crate::screen::help::Help;
use crate::screen::problem::Problem;
use crate::screen::removed::Removed;
use crate::screen::revoke::Revoke;
use crate::screen::settings::Settings;
use crate::widget::header;

/// The open window's accessibility.
pub(super) struct Accessible {
    accessibility: Accessibility,
    /// What a screen reader asks, until its subscription takes it.
    requests: Arc<Mutex<Option<Requests>>>,
    /// Which window's requests these are: a new window, a new subscription.
    window: window::Id,
    /// The widget with the keyboard focus, as last found.
    focused: Option<Id>,
}

impl App {
    /// The window opened: it goes on the OS's accessibility API (on Linux at once;
    /// on Windows and macOS once the window is subclassed on its own thread).
    pub(super) fn start_accessibility(&mut self, id: window::Id) -> Task<Message> {
        let (mut accessibility, requests) = Accessibility::open();
        tracing::info!("accessibility started");
        let attacher = accessibility.attacher();
        // A window opened for the user has the focus (the OS says when it moves).
        accessibility.window_focused(true);
        self.accessible = Some(Accessible {
            accessibility,
            requests: Arc::new(Mutex::new(Some(requests))),
            window: id,
            focused: None,
        });
        self.sync_accessibility();
        if !cfg!(any(windows, target_os = "macos")) {
            return Task::none();
        }
        let attach = window::run(id, move |window| {
            if let Err(e) = attacher.attach(window) {
                tracing::warn!(error = %e, "no screen reader support in this window");
            }
        });
        // Windows: the window opened hidden, so that it could be subclassed first.
        if cfg!(windows) {
            attach.then(move |()| window::set_mode(id, window::Mode::Windowed))
        } else {
            attach.discard()
        }
    }

    /// The window closed: its accessibility goes with it.
    pub(super) fn stop_accessibility(&mut self) {
        self.accessible = None;
    }

    /// After a message: the tree follows the screen (nothing is sent when nothing
    /// changed), and the keyboard focus is looked up again when it may have moved.
    pub(super) fn after_message(&mut self, moved_focus: bool) -> Task<Message> {
        self.sync_accessibility();
        if moved_focus && self.accessible.is_some() {
            operate(find_focused())
                .collect()
                .map(|found| Message::Focused(found.into_iter().next()))
        } else {
            Task::none()
        }
    }

    /// The window gained or lost the keyboard focus.
    pub(super) fn window_focus(&mut self, focused: bool) -> Task<Message> {
        if let Some(accessible) = &mut self.accessible {
            accessible.accessibility.window_focused(focused);
        }
        Task::none()
    }

    /// The widget with the keyboard focus now.
    pub(super) fn focused(&mut self, id: Option<Id>) -> Task<Message> {
        if let Some(accessible) = &mut self.accessible {
            accessible.focused = id;
        }
        Task::none()
    }

    fn sync_accessibility(&mut self) {
        let Some(accessible) = &self.accessible else {
            return;
        };
        let items = self.describe();
        let focus = accessible.focused.as_ref().and_then(|focused| {
            items
                .iter()
                .map(Item::key)
                .find(|key| Id::from((*key).to_owned()) == *focused)
                .map(str::to_owned)
        });
        let screen = Described {
            window: fl!("app-name"),
            items,
            focus,
        };
        if let Some(accessible) = &mut self.accessible {
            accessible.accessibility.show(&screen);
        }
    }

    /// The window's contents in words: the header, then what `view` shows.
    pub(super) fn describe(&self) -> Vec<Item> {
        let mut items = header_items();
        items.extend(match &self.panel {
            Some(Panel::Unlock(screen, _)) => screen.describe(),
            Some(Panel::Activated(screen)) => screen.describe(),
            Some(Panel::Guide(screen)) => screen.describe(),
            Some(Panel::Settings(screen)) => {
                screen.describe(self.user_settings.current(), self.user_settings.policy())
            }
            Some(Panel::Help(screen)) => screen.describe(),
            Some(Panel::Removed(screen)) => screen.describe(),
            Some(Panel::Activity(screen)) => screen.describe(),
            Some(Panel::Devices(screen)) => screen.describe(),
            Some(Panel::ChangePin(screen)) => screen.describe(),
            Some(Panel::Revoke(screen)) => screen.describe(),
            None => match &self.screen {
                Screen::Home => match (&self.request, &self.agent) {
                    (Some(request), _) => request.describe(),
                    (None, Some(agent)) => home::describe(agent, self.is_unlocked()),
                    (None, None) => Vec::new(),
                },
                Screen::Starting => vec![
                    title_only(fl!("app-name")),
                    Item::live("starting", fl!("starting")),
                ],
                Screen::Problem(screen) => screen.describe(),
                Screen::Welcome(screen) => screen.describe(),
            },
        });
        items
    }

    /// What a screen reader asked for, as the message the user's own action would
    /// have sent; refused where the control could not be used now.
    pub(super) fn asked(&mut self, asked: &Asked) -> Task<Message> {
        let screen = Described {
            window: String::new(),
            items: self.describe(),
            focus: None,
        };
        if !screen.accepts(asked) {
            tracing::info!(
                ?asked,
                "a screen reader asked for what the screen cannot do now"
            );
            return Task::none();
        }
        let message = match asked {
            Asked::Focus(key) => {
                return iced::widget::operation::focus(key.clone());
            }
            Asked::Press(key) => self.pressed(key),
            Asked::SetValue(key, value) => self.typed(key, value),
        };
        message.map_or_else(Task::none, |message| self.dispatch(message))
    }

    fn pressed(&self, key: &str) -> Option<Message> {
        match key {
            header::SETTINGS => return Some(Message::OpenSettings),
            header::HELP => return Some(Message::OpenHelp),
            _ => {}
        }
        match (&self.panel, &self.screen, &self.request) {
            (Some(Panel::Unlock(..)), ..) => Unlock::pressed(key).map(Message::Unlock),
            (Some(Panel::Activated(_)), ..) | (None, Screen::Welcome(_), _) => {
                Welcome::pressed(key).map(Message::Welcome)
            }
            (Some(Panel::Guide(screen)), ..) => screen.pressed(key).map(Message::Guide),
            (Some(Panel::Settings(screen)), ..) => screen
                .pressed(key, self.user_settings.current())
                .map(Message::Settings),
            (Some(Panel::Help(_)), ..) => Help::pressed(key).map(Message::Help),
            (Some(Panel::Removed(_)), ..) => Removed::pressed(key).map(Message::Removed),
            (Some(Panel::Activity(_)), ..) => Activity::pressed(key).map(Message::Activity),
            (Some(Panel::Devices(_)), ..) => Devices::pressed(key).map(Message::Devices),
            (Some(Panel::ChangePin(_)), ..) => ChangePin::pressed(key).map(Message::ChangePin),
            (Some(Panel::Revoke(_)), ..) => Revoke::pressed(key).map(Message::Revoke),
            (None, Screen::Problem(_), _) => Problem::pressed(key).map(Message::Problem),
            (None, Screen::Home, Some(_)) => Request::pressed(key).map(Message::Request),
            (None, Screen::Home, None) => home::pressed(key).map(Message::Home),
            _ => None,
        }
    }

    fn typed(&self, key: &str, value: &godkend_a11y::TypedValue) -> Option<Message> {
        match (&self.panel, &self.screen, &self.request) {
            (Some(Panel::Unlock(..)), ..) => Unlock::entered(key, value).map(Message::Unlock),
            (Some(Panel::Settings(_)), ..) => Settings::entered(key, value).map(Message::Settings),
            (Some(Panel::Devices(_)), ..) => Devices::entered(key, value).map(Message::Devices),
            (Some(Panel::ChangePin(_)), ..) => {
                ChangePin::entered(key, value).map(Message::ChangePin)
            }
            (Some(Panel::Revoke(_)), ..) => Revoke::entered(key, value).map(Message::Revoke),
            (None, Screen::Welcome(_), _) => Welcome::entered(key, value).map(Message::Welcome),
            (None, Screen::Home, Some(_)) => Request::entered(key, value).map(Message::Request),
            _ => None,
        }
    }

    /// What a screen reader asks, while the window is open.
    pub(super) fn accessibility_requests(&self) -> Option<Subscription<Message>> {
        let accessible = self.accessible.as_ref()?;
        let requests = AskedBy(accessible.window, Arc::clone(&accessible.requests));
        Some(Subscription::run_with(requests, AskedBy::requests).map(Message::Asked))
    }
}

/// The header over every screen: settings and help.
pub(super) fn header_items() -> Vec<Item> {
    vec![
        Item::button(header::SETTINGS, fl!("settings-button"), true),
        Item::button(header::HELP, fl!("help-button"), true),
    ]
}

/// A screen's title, as its first heading.
fn title_only(title: String) -> Item {
    Item::heading("title", 1, title)
}

/// The requests of one window's accessibility, as a subscription.
struct AskedBy(window::Id, Arc<Mutex<Option<Requests>>>);

impl Hash for AskedBy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "accessibility".hash(state);
        self.0.hash(state);
    }
}

impl AskedBy {
    fn requests(&self) -> impl Stream<Item = Asked> + use<> {
        let requests = self.1.lock().unwrap_or_else(PoisonError::into_inner).take();
        iced::futures::stream::iter(requests).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Guarded;
    use super::*;
    use crate::screen::fixtures::{IAT, payment_request};
    use crate::screen::{request, unlock};

    fn keys(items: &[Item]) -> Vec<&str> {
        items.iter().map(Item::key).collect()
    }

    #[test]
    fn the_window_reads_the_header_then_the_screen_under_it() {
        let mut app = App::for_tests(Screen::Welcome(crate::screen::welcome::Welcome::new(None)));
        let items = app.describe();
        assert_eq!(
            keys(&items)[..3],
            [header::SETTINGS, header::HELP, "welcome-title"],
            "{items:?}"
        );
        assert!(keys(&items).contains(&crate::screen::welcome::LINK_FIELD));

        app.screen = Screen::Home;
        app.request = Some(Request::new(payment_request(), IAT + 20));
        let items = app.describe();
        assert_eq!(
            keys(&items)[..3],
            [header::SETTINGS, header::HELP, "request-rp"]
        );

        app.panel = Some(Panel::Unlock(Unlock::new(), Guarded::Settings));
        let items = app.describe();
        assert_eq!(keys(&items)[2], "unlock-title");
        assert!(keys(&items).contains(&unlock::PIN_FIELD));
    }

    #[test]
    fn a_screen_reader_is_refused_what_the_screen_cannot_do_now() {
        let mut app = App::for_tests(Screen::Home);
        app.request = Some(Request::new(payment_request(), IAT + 20));
        // Approve is disabled until the code and PIN are typed; "Unlock" is not here.
        for asked in [
            Asked::Press(request::APPROVE.into()),
            Asked::Press(unlock::UNLOCK.into()),
            Asked::SetValue(
                unlock::PIN_FIELD.into(),
                godkend_a11y::TypedValue::new("403917"),
            ),
        ] {
            let _ = app.asked(&asked);
        }
        let items = app.describe();
        let pin = items
            .iter()
            .find(|item| item.key() == request::PIN_FIELD)
            .expect("the PIN field");
        assert_eq!(
            *pin,
            Item::field(
                request::PIN_FIELD,
                fl!("request-pin-label"),
                godkend_a11y::FieldValue::Secret { length: 0 },
                true
            )
        );
        assert!(matches!(
            app.pressed(header::SETTINGS),
            Some(Message::OpenSettings)
        ));
        assert!(matches!(
            app.pressed(request::BACK),
            Some(Message::Request(request::Message::Close))
        ));
    }
}
