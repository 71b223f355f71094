//! Home: the connection state, who this device is, and the pending request if any.

use std::sync::Arc;

use godkend_core::client::VerifiedRequest;
use godkend_core::connection::{ConnectionState, PushUpdate};
use godkend_core::device::Device;
use godkend_core::inbox::{Change, Inbox, Standing};
use godkend_core::outbox::Delivery;
use godkend_core::push::PushEvent;
use godkend_protocol::messages::{DecisionKind, RequestState};
use godkend_protocol::{Envelope, ErrorCode};
use iced::widget::{column, container, row, text};
use iced::{Element, Length, Task};

use crate::fl;
use crate::widget::button;

/// The home screen's state: it follows the push connection of its device.
pub struct Home {
    device: Arc<Device>,
    connection: ConnectionState,
    inbox: Inbox,
    /// Every inbox change since the app last asked, for the notifications.
    changes: Vec<Change>,
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
    /// Open the pending request.
    Review,
    /// Decisions waiting in the outbox were sent again: where each request stands.
    Flushed(Vec<(String, Standing)>),
}

/// What the home screen tells the app.
pub enum Event {
    /// The server revoked or blocked this device, and its local data is wiped.
    DeviceEnded,
    /// The user wants to see the pending request.
    Review(VerifiedRequest),
    /// A new request arrived.
    Arrived(VerifiedRequest),
    /// A request is no longer pending (decided elsewhere, replaced, expired).
    Closed(String, Standing),
}

impl Home {
    pub fn new(device: Arc<Device>) -> Self {
        Home {
            device,
            connection: ConnectionState::Connecting,
            inbox: Inbox::default(),
            changes: Vec::new(),
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
            Message::Push(update) => return self.push(&update),
            Message::Tick => {
                let changes = self.inbox.expire(self.server_now());
                self.changes.extend(changes);
            }
            Message::Wiped(result) => return (Task::none(), self.wiped(result)),
            Message::Flushed(sent) => return (Task::none(), self.flushed(sent)),
            Message::Review => {
                let current = self.inbox.current().map(|t| t.request.clone());
                return (Task::none(), current.map(Event::Review));
            }
        }
        (Task::none(), None)
    }

    /// Records this device's own decision, which the server accepted.
    pub fn decided(&mut self, request_id: &str, kind: DecisionKind) {
        let changes = self.inbox.decided(request_id, kind);
        self.changes.extend(changes);
    }

    /// The inbox changes (new requests, closed ones) since the last call.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// A request this device knows of, pending or not.
    pub fn tracked(&self, request_id: &str) -> Option<(&VerifiedRequest, Standing)> {
        self.inbox.get(request_id).map(|t| (&t.request, t.standing))
    }

    /// Records what the server said about a request that is no longer pending.
    pub fn closed_by_server(&mut self, request_id: &str, standing: Standing) {
        let changes = self.inbox.closed_by_server(request_id, standing);
        self.changes.extend(changes);
    }

    /// Wipes the device if `envelope` is a server-signed status saying it ended.
    pub fn wipe_if_ended(&self, envelope: Envelope) -> Task<Message> {
        // The wipe checks the server's signature itself.
        let wipe = crate::device::wipe_if_ended(Arc::clone(&self.device), envelope);
        Task::perform(wipe, Message::Wiped)
    }

    /// The time on the server's clock.
    pub fn server_now(&self) -> i64 {
        self.device.client.server.server_now()
    }

    fn push(&mut self, update: &PushUpdate) -> (Task<Message>, Option<Event>) {
        let changes = self.inbox.apply(update, self.server_now());
        self.changes.extend(changes.iter().cloned());
        match update {
            PushUpdate::State(state) => {
                tracing::info!(?state, "connection");
                let was_online = self.is_online();
                self.connection = state.clone();
                if !was_online && self.is_online() {
                    return (self.flush_outbox(), self.event_for(changes));
                }
            }
            PushUpdate::SecurityWarning(detail) => self.warning = Some(detail.clone()),
            PushUpdate::Event(event) => {
                if let PushEvent::Ended(_, envelope) = &**event {
                    return (self.wipe_if_ended(envelope.clone()), None);
                }
            }
            PushUpdate::Polled(_) => {}
        }
        (Task::none(), self.event_for(changes))
    }

    /// The request waiting for a decision, if any.
    pub fn pending(&self) -> Option<&VerifiedRequest> {
        self.inbox.current().map(|t| &t.request)
    }

    /// Connected, by push or by polling.
    pub fn is_online(&self) -> bool {
        matches!(
            self.connection,
            ConnectionState::Connected | ConnectionState::Polling
        )
    }

    /// Sends the decisions that waited in the outbox while offline.
    fn flush_outbox(&self) -> Task<Message> {
        let device = Arc::clone(&self.device);
        Task::perform(
            async move {
                match device.outbox.flush(&device.client).await {
                    Ok(results) => results
                        .into_iter()
                        .filter_map(|(id, delivery)| standing(&delivery).map(|s| (id, s)))
                        .collect(),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the outbox");
                        Vec::new()
                    }
                }
            },
            Message::Flushed,
        )
    }

    fn flushed(&mut self, sent: Vec<(String, Standing)>) -> Option<Event> {
        let mut event = None;
        for (id, standing) in sent {
            tracing::info!(request = %id, ?standing, "a waiting decision was sent");
            let changes = self.inbox.closed_by_server(&id, standing);
            self.changes.extend(changes.iter().cloned());
            event = self
                .event_for(changes)
                .or(Some(Event::Closed(id, standing)));
        }
        event
    }

    /// What the app hears of inbox changes: a new request wins over the one it
    /// replaced (there is only ever one pending).
    fn event_for(&self, changes: Vec<Change>) -> Option<Event> {
        let mut closed = None;
        for change in changes {
            match change {
                Change::New(id) => {
                    if let Some(tracked) = self.inbox.get(&id) {
                        return Some(Event::Arrived(tracked.request.clone()));
                    }
                }
                Change::Closed(id, standing) => closed = Some(Event::Closed(id, standing)),
            }
        }
        closed
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
            button(text(fl!("home-review-button")))
                .padding([8, 24])
                .style(button::primary)
                .on_press(Message::Review),
        ]
        .spacing(6)
        .into()
    }
}

/// Where a request stands after the server answered a decision sent from the outbox;
/// `None` while it still waits.
fn standing(delivery: &Delivery) -> Option<Standing> {
    match delivery {
        Delivery::Accepted(answer) => Some(match answer.status {
            RequestState::Approved => Standing::Decided(DecisionKind::Approve),
            RequestState::Denied => Standing::Decided(DecisionKind::Deny),
            RequestState::NotMe => Standing::Decided(DecisionKind::NotMe),
            RequestState::Expired => Standing::Expired,
            RequestState::Superseded => Standing::Superseded,
            RequestState::Failed => Standing::Failed,
            RequestState::Pending => Standing::Pending,
        }),
        Delivery::Refused(error) => Some(match error.code() {
            Some(ErrorCode::RequestExpired) => Standing::Expired,
            _ => Standing::Withdrawn,
        }),
        Delivery::Kept(_) => None,
    }
}
