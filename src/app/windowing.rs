//! The window: opening and closing it, the field it starts with, and what it shows.

use std::time::Instant;

use iced::widget::{center, column, text};
use iced::{Element, Size, Task, window};

use super::{App, Message, Panel, Screen, WINDOW_SIZE};
use crate::screen::{home, request, unlock, welcome};
use crate::widget::header::header;
use crate::{fl, tray};

impl App {
    /// Opens the window, or brings it to the front when it is open.
    pub(super) fn open_window(&mut self) -> Task<Message> {
        if let Some(id) = self.window {
            return window::gain_focus(id);
        }
        let (rgba, size) = tray::icon_rgba(64);
        let (id, opened) = window::open(window::Settings {
            size: WINDOW_SIZE,
            min_size: Some(Size::new(420.0, 480.0)),
            icon: window::icon::from_rgba(rgba, size, size).ok(),
            // Windows: shown once the screen reader's adapter has subclassed it
            // (AccessKit's subclassing adapter must come before the first show).
            visible: !cfg!(windows),
            ..window::Settings::default()
        });
        self.window = Some(id);
        opened.map(Message::WindowOpened)
    }

    pub(super) fn window_opened(&mut self, id: window::Id) -> Task<Message> {
        tracing::info!(?id, "window opened");
        let accessible = self.start_accessibility(id);
        Task::batch([accessible, self.initial_focus()])
    }

    /// Focuses the field the shown screen starts with, so typing can begin at once.
    pub(super) fn initial_focus(&self) -> Task<Message> {
        let field = match (&self.panel, &self.request, &self.screen) {
            (Some(Panel::Unlock(..)), _, _) => Some(unlock::PIN_FIELD),
            (None, Some(_), _) => Some(request::CODE_FIELD),
            (None, None, Screen::Welcome(_)) => Some(welcome::LINK_FIELD),
            _ => None,
        };
        field.map_or_else(Task::none, iced::widget::operation::focus)
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
                .view(self.user_settings.current())
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
            Screen::Starting => center(text(fl!("starting")).style(text::secondary)).into(),
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
