//! Home: the connection state, who this device is, and the pending request if any.

use std::sync::Arc;

use godkend_core::connection::{ConnectionState, PushUpdate};
use godkend_core::device::Device;
use godkend_core::inbox::Inbox;
use godkend_core::push::PushEvent;
use iced::widget::{column, container, row, text};
use iced::{Element, Length, Task};

use crate::fl;

/// The home screen's state: it follows the push connection of its device.
pub struct Home {
    device: Arc<Device>,
    connection: ConnectionState,
    inbox: Inbox,
    warning: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    /// From the push connection.
    Push(PushUpdate),
    /// Once a second while a request is pending: countdown and expiry.
    Tick,
    /// The local wipe after a signed "revoked"/"blocked": whether it wiped.
    Wiped(Result<bool, String>),
}

/// What the home screen tells the app.
pub enum Event {
    /// The server revoked or blocked this device, and its local data is wiped.
    DeviceEnded,
}

impl Home {
    pub fn new(device: Arc<Device>) -> Self {
        Home {
            device,
            connection: ConnectionState::Connecting,
            inbox: Inbox::default(),
            warning: None,
        }
    }

    /// The device this screen shows; its client drives the push connection.
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    /// Whether a request is waiting (the app then ticks once a second).
    pub fn has_pending(&self) -> bool {
        self.inbox.current().is_some()
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::Push(update) => return (self.push(&update), None),
            Message::Tick => {
                self.inbox.expire(self.server_now());
            }
            Message::Wiped(result) => return (Task::none(), self.wiped(result)),
        }
        (Task::none(), None)
    }

    fn server_now(&self) -> i64 {
        self.device.client.server.server_now()
    }

    fn push(&mut self, update: &PushUpdate) -> Task<Message> {
        self.inbox.apply(update, self.server_now());
        match update {
            PushUpdate::State(state) => self.connection = state.clone(),
            PushUpdate::SecurityWarning(detail) => self.warning = Some(detail.clone()),
            PushUpdate::Event(event) => {
                if let PushEvent::Ended(_, envelope) = &**event {
                    // The wipe checks the server's signature itself.
                    let wipe =
                        crate::device::wipe_if_ended(Arc::clone(&self.device), envelope.clone());
                    return Task::perform(wipe, Message::Wiped);
                }
            }
            PushUpdate::Polled(_) => {}
        }
        Task::none()
    }

    fn wiped(&mut self, result: Result<bool, String>) -> Option<Event> {
        match result {
            Ok(true) => Some(Event::DeviceEnded),
            // Not signed by our server, or not about this device: ignored.
            Ok(false) => None,
            Err(reason) => {
                self.warning = Some(reason);
                None
            }
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let account = &self.device.config.account;
        let (state, style): (String, fn(&iced::Theme) -> text::Style) = match &self.connection {
            ConnectionState::Connecting => (fl!("home-connecting"), text::secondary),
            ConnectionState::Connected => (fl!("home-connected"), text::success),
            ConnectionState::Polling => (fl!("home-polling"), text::success),
            ConnectionState::Offline { reason, .. } => {
                (fl!("home-offline", reason = reason.clone()), text::danger)
            }
        };
        let identity = column![
            row![
                text(format!("{}:", fl!("home-serial"))).style(text::secondary),
                text(account.serial.to_string()),
            ]
            .spacing(8),
            row![
                text(format!("{}:", fl!("home-user"))).style(text::secondary),
                text(account.user.clone()),
            ]
            .spacing(8),
            row![
                text(format!("{}:", fl!("activated-org"))).style(text::secondary),
                text(account.org.name.clone()),
            ]
            .spacing(8),
        ]
        .spacing(6);

        let mut content = column![
            text(state).size(20).style(style),
            identity,
            container(self.request())
                .padding(16)
                .width(Length::Fill)
                .style(container::bordered_box),
        ]
        .spacing(20);
        if let Some(detail) = &self.warning {
            content = content.push(
                text(fl!("home-security-warning", detail = detail.clone()))
                    .size(13)
                    .style(text::danger),
            );
        }
        crate::widget::body(content)
    }

    /// The pending request's summary, or "no pending request".
    fn request(&self) -> Element<'_, Message> {
        let Some(tracked) = self.inbox.current() else {
            return text(fl!("home-no-request")).style(text::secondary).into();
        };
        let request = &tracked.request.request;
        let left = u64::try_from(request.exp - self.server_now()).unwrap_or(0);
        column![
            text(fl!("home-pending-heading"))
                .size(14)
                .style(text::secondary),
            text(request.title.clone()).size(18),
            text(fl!("home-pending-from", rp = request.rp_name.clone())),
            text(fl!(
                "home-pending-expires",
                time = format!("{}:{:02}", left / 60, left % 60)
            ))
            .style(text::secondary),
        ]
        .spacing(6)
        .into()
    }
}
