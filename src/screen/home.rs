//! Home: the connection state, who this device is, the pending request if any, and
//! recent activity. Requests and what became of them go into the device's activity
//! log as the inbox learns them.

use std::sync::Arc;

use godkend_core::client::VerifiedRequest;
use godkend_core::connection::{ConnectionState, PushUpdate};
use godkend_core::device::Device;
use godkend_core::history::Entry;
use godkend_core::inbox::{Change, Inbox, Standing};
use godkend_core::outbox::Delivery;
use godkend_core::push::PushEvent;
use godkend_core::retry::Backoff;
use godkend_protocol::messages::{DecisionKind, RequestState, VersionVerdict};
use godkend_protocol::{Envelope, ErrorCode};
use iced::{Element, Task};

/// The home screen's state: it follows the push connection of its device.
pub struct Home {
    device: Arc<Device>,
    connection: ConnectionState,
    inbox: Inbox,
    /// Every inbox change since the app last asked, for the notifications.
    changes: Vec<Change>,
    warning: Option<String>,
    /// The newest few entries of the activity log, kept so drawing needs no lock.
    recent: Vec<Entry>,
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
    /// Open the activity screen.
    SeeAll,
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
    /// The user wants to see all activity.
    SeeAll,
}

impl Home {
    pub fn new(device: Arc<Device>) -> Self {
        let recent = latest(&device);
        Home {
            device,
            connection: ConnectionState::Connecting,
            inbox: Inbox::default(),
            changes: Vec::new(),
            warning: None,
            recent,
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
                self.note(changes);
            }
            Message::Wiped(result) => return (Task::none(), self.wiped(result)),
            Message::Flushed(mut sent) => {
                // One event per decision: the first now, the rest as a follow-up
                // message, so none is lost behind another.
                let rest = sent.split_off(sent.len().min(1));
                let more = if rest.is_empty() {
                    Task::none()
                } else {
                    Task::done(Message::Flushed(rest))
                };
                return (more, sent.pop().and_then(|(id, s)| self.flushed(id, s)));
            }
            Message::Review => {
                let current = self.inbox.current().map(|t| t.request.clone());
                return (Task::none(), current.map(Event::Review));
            }
            Message::SeeAll => return (Task::none(), Some(Event::SeeAll)),
        }
        (Task::none(), None)
    }

    /// Records this device's own decision, which the server accepted.
    pub fn decided(&mut self, request_id: &str, kind: DecisionKind) {
        let changes = self.inbox.decided(request_id, kind);
        self.note(changes);
    }

    /// Records inbox changes in the activity log and keeps them for the app. The log
    /// is a convenience (the server keeps the audit trail), so a failed write is
    /// logged, not shown.
    fn note(&mut self, changes: Vec<Change>) {
        let written = self
            .device
            .history()
            .follow(&self.inbox, &changes, self.server_now());
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not update the activity log");
        }
        if !changes.is_empty() {
            self.recent = latest(&self.device);
        }
        self.changes.extend(changes);
    }

    /// The whole activity log, newest first.
    pub fn activity(&self) -> Vec<Entry> {
        self.device.history().entries().to_vec()
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
        self.note(changes);
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
        self.note(changes.clone());
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

    /// Sends the decisions waiting in the outbox until each has a final answer or
    /// its request's deadline passes (after reconnecting, or when one was kept).
    pub fn flush_outbox(&self) -> Task<Message> {
        let device = Arc::clone(&self.device);
        Task::perform(
            async move {
                match device
                    .outbox
                    .settle(&device.client, Backoff::default())
                    .await
                {
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

    fn flushed(&mut self, id: String, standing: Standing) -> Option<Event> {
        tracing::info!(request = %id, ?standing, "a waiting decision was sent");
        let changes = self.inbox.closed_by_server(&id, standing);
        self.note(changes.clone());
        self.event_for(changes)
            .or(Some(Event::Closed(id, standing)))
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

    /// The activity shows only while the app is `unlocked` (design.md §3).
    pub fn view(&self, unlocked: bool) -> Element<'_, Message> {
        let account = &self.device.config.account;
        view::home(&view::Shown {
            serial: &account.serial,
            user: &account.user,
            org: &account.org.name,
            connection: &self.connection,
            pending: self.inbox.current().map(|t| &t.request.request),
            recent: if unlocked { &self.recent } else { &[] },
            locked: !unlocked,
            version: account
                .version_policy
                .as_ref()
                .map_or(VersionVerdict::UpToDate, |policy| {
                    policy.verdict(env!("CARGO_PKG_VERSION"))
                }),
            now: self.server_now(),
            warning: self.warning.as_deref(),
        })
    }
}

/// The newest entries of `device`'s activity log, as many as home shows.
fn latest(device: &Device) -> Vec<Entry> {
    let history = device.history();
    let entries = history.entries();
    entries[..entries.len().min(view::RECENT)].to_vec()
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
        // The request's deadline passed with the server unable to take it.
        Delivery::Lapsed(_) => Some(Standing::Expired),
        Delivery::Kept(_) => None,
    }
}

pub mod view;
