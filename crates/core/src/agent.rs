//! The approval agent: the one owner of an activated device at run time. It holds
//! the device (keys, outbox, activity log), the push connection's state, the inbox
//! of verified requests, the unlock session and the server's clock, and it is the
//! only thing that changes them. Front ends (the desktop app, the terminal
//! stand-in) feed it what happened (push updates, ticks, the answers to decisions,
//! the user's activity) and get back plain [`Notice`]s to show and [`Work`] to run;
//! the work is a `'static` future that borrows nothing, so a GUI runs it as a task
//! and hands the result back.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use godkend_protocol::Envelope;
use godkend_protocol::messages::DecisionKind;

use crate::answer::Answer;
use crate::client::DeviceClient;
use crate::connection::{ConnectionState, PushUpdate};
use crate::decision::SignedDecision;
use crate::history::Entry;
use crate::inbox::{Change, Inbox};
use crate::keys::PinKey;
use crate::push::PushEvent;
use crate::push::VerifiedRequest;
use crate::retry::Backoff;
use crate::secret::SecretText;
use crate::session::Session;
use crate::standing::Standing;

pub use parts::{DeviceParts, MemoryDevice};

/// How many of the newest activity entries the agent keeps at hand for drawing.
pub const RECENT: usize = 5;

/// What changed, for the front end to show.
#[derive(Debug, Clone)]
pub enum Notice {
    /// A verified request arrived and waits for a decision (boxed: a request with
    /// its envelope is large).
    Arrived(Box<VerifiedRequest>),
    /// A request is no longer pending, and how it stands now.
    Closed(String, Standing),
    /// A decision that waited in the outbox got an answer (or none in time).
    Answered(String, Answer),
    /// A decision could not be delivered yet and waits in the outbox; why.
    Queued(String, String),
    /// The app locked itself (auto-lock, OS session lock, sleep).
    Locked,
    /// The server ended this device (a signed revoked/blocked status) and its local
    /// data is wiped.
    DeviceEnded,
}

/// Work for the front end to run; its result goes back to the agent.
#[derive(Debug, Clone)]
pub enum Work {
    /// Send the decisions waiting in the outbox ([`Agent::flush`] → [`Agent::flushed`]).
    Flush,
    /// Wipe the device if this signed status ends it ([`Agent::wipe`] → [`Agent::wiped`]).
    Wipe(Envelope),
}

/// What one input to the agent led to.
#[derive(Debug, Default)]
#[must_use]
pub struct Effects {
    pub notices: Vec<Notice>,
    pub work: Vec<Work>,
}

impl Effects {
    fn notice(notice: Notice) -> Self {
        Effects {
            notices: vec![notice],
            work: Vec::new(),
        }
    }

    /// Both, in order.
    pub fn and(mut self, other: Effects) -> Self {
        self.notices.extend(other.notices);
        self.work.extend(other.work);
        self
    }
}

/// A decision the user made.
#[derive(Clone)]
pub enum Choice {
    /// Approve with the code from the login screen and the PIN's key.
    Approve {
        /// Kept out of `Debug` prints.
        code: SecretText,
        pin_key: Arc<PinKey>,
    },
    Deny,
    NotMe,
}

impl std::fmt::Debug for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code and the keys stay out: the kind is what a log needs.
        match self {
            Choice::Approve { .. } => f.write_str("Approve(PIN)"),
            Choice::Deny => f.write_str("Deny"),
            Choice::NotMe => f.write_str("NotMe"),
        }
    }
}

impl Choice {
    pub fn kind(&self) -> DecisionKind {
        match self {
            Choice::Approve { .. } => DecisionKind::Approve,
            Choice::Deny => DecisionKind::Deny,
            Choice::NotMe => DecisionKind::NotMe,
        }
    }
}

/// The live state of one activated device.
pub struct Agent<D: DeviceParts = crate::device::Device> {
    device: Arc<D>,
    connection: ConnectionState,
    inbox: Inbox,
    session: Session,
    /// Something arrived that failed verification, or the device could not be wiped.
    warning: Option<String>,
    /// The newest entries of the activity log, so drawing needs no lock.
    recent: Vec<Entry>,
    /// Approvals on their way, by request id, with the session's lock count when
    /// they were made: an accepted one unlocks only if no lock came since.
    approving: HashMap<String, u64>,
    /// A flush of the outbox is running; one more is due when it ends.
    flushing: bool,
    flush_again: bool,
    /// The browser hand-off listener, while it runs (see [`Agent::attach_handoff`]).
    handoff: Option<Arc<crate::handoff::HandoffListener>>,
}

impl<D: DeviceParts> Agent<D> {
    /// The agent of `device`, locked and connecting.
    pub fn new(device: Arc<D>) -> Self {
        let recent = newest(&*device);
        Agent {
            device,
            connection: ConnectionState::Connecting,
            inbox: Inbox::default(),
            session: Session::locked(),
            warning: None,
            recent,
            approving: HashMap::new(),
            flushing: false,
            flush_again: false,
            handoff: None,
        }
    }

    pub fn device(&self) -> &Arc<D> {
        &self.device
    }

    pub fn client(&self) -> &Arc<DeviceClient> {
        self.device.client()
    }

    /// The time on the server's clock (the offset is learnt from signed objects).
    pub fn server_now(&self) -> i64 {
        self.client().server.server_now()
    }

    pub fn connection(&self) -> &ConnectionState {
        &self.connection
    }

    /// Connected, by push or by polling.
    pub fn is_online(&self) -> bool {
        matches!(
            self.connection,
            ConnectionState::Connected | ConnectionState::Polling
        )
    }

    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// The request waiting for a decision, if any (at most one per user).
    pub fn pending(&self) -> Option<&VerifiedRequest> {
        self.inbox.current().map(|t| &t.request)
    }

    /// A request this device knows of, pending or not, and how it stands.
    pub fn tracked(&self, request_id: &str) -> Option<(&VerifiedRequest, Standing)> {
        self.inbox.get(request_id).map(|t| (&t.request, t.standing))
    }

    /// The newest few entries of the activity log.
    pub fn recent(&self) -> &[Entry] {
        &self.recent
    }

    /// The whole activity log, newest first.
    pub fn activity(&self) -> Vec<Entry> {
        self.device.history().entries().to_vec()
    }

    /// One update from the push connection.
    pub fn push(&mut self, update: &PushUpdate) -> Effects {
        let now = self.server_now();
        let changes = self.inbox.apply(update, now);
        let mut effects = self.note(changes);
        match update {
            PushUpdate::State(state) => {
                tracing::info!(?state, "connection");
                let was_online = self.is_online();
                self.connection = state.clone();
                if !was_online && self.is_online() {
                    // Decisions made while offline go out at once.
                    self.flush_into(&mut effects);
                }
            }
            PushUpdate::SecurityWarning(detail) => self.warning = Some(detail.clone()),
            PushUpdate::Event(event) => {
                if let PushEvent::Ended(_, envelope) = &**event {
                    effects.work.push(Work::Wipe(envelope.clone()));
                }
            }
            PushUpdate::Polled(_) => {}
        }
        effects
    }

    /// The clock moved on: requests past their time expire (on server time).
    pub fn tick(&mut self) -> Effects {
        let changes = self.inbox.expire(self.server_now());
        self.note(changes)
    }

    /// Signs `choice` on `request` and sends it through the outbox. The answer goes
    /// to the screen that asked and, through [`Agent::answered`], to the agent.
    pub fn decide(
        &mut self,
        request: &VerifiedRequest,
        choice: Choice,
    ) -> impl Future<Output = Answer> + Send + 'static {
        let client = self.device.client();
        let request = &self.bound(request);
        let signed = match choice {
            Choice::Approve { code, pin_key } => client.approve(request, code.as_str(), &pin_key),
            Choice::Deny => client.refuse(request, false),
            Choice::NotMe => client.refuse(request, true),
        };
        let sending = signed.map(|signed| self.send(signed));
        async move {
            match sending {
                Ok(sending) => sending.await,
                Err(e) => Answer::NotSent(e.to_string()),
            }
        }
    }

    /// Sends a decision signed elsewhere (an approval whose user-verification key
    /// signed after the platform's check) through the outbox. Once here it is no
    /// longer the scan's to cancel: it goes out, or waits in the outbox, like any
    /// other decision.
    pub fn send(
        &mut self,
        signed: SignedDecision,
    ) -> impl Future<Output = Answer> + Send + 'static {
        if signed.kind == DecisionKind::Approve {
            self.approving
                .insert(signed.request_id.clone(), self.session.locks());
        }
        let device = Arc::clone(&self.device);
        async move {
            match device.outbox().send(device.client(), &signed).await {
                Ok(delivery) => Answer::from(delivery),
                Err(e) => Answer::NotSent(e.to_string()),
            }
        }
    }

    /// What the server answered to this device's `kind` decision on `request_id`, at
    /// `now`. An accepted approval proves the PIN, so it unlocks the app too.
    pub fn answered(
        &mut self,
        request_id: &str,
        kind: DecisionKind,
        answer: &Answer,
        now: Instant,
    ) -> Effects {
        let mut effects = match answer.standing() {
            Some(standing) => {
                let changes = self.inbox.closed_by_server(request_id, standing);
                self.note(changes)
            }
            None => Effects::default(),
        };
        let begun = if kind == DecisionKind::Approve {
            self.approving.remove(request_id)
        } else {
            None
        };
        match answer {
            Answer::Accepted(Standing::Decided(DecisionKind::Approve)) => {
                if let Some(begun) = begun {
                    self.session.proved_since(begun, now);
                }
            }
            Answer::Kept(reason) => {
                effects
                    .notices
                    .push(Notice::Queued(request_id.to_owned(), reason.clone()));
                self.flush_into(&mut effects);
            }
            Answer::Refused(refusal) => {
                if let Some(status) = &refusal.device_status {
                    effects.work.push(Work::Wipe(status.clone()));
                }
            }
            _ => {}
        }
        effects
    }

    /// Sends what waits in the outbox until each decision has a final answer or
    /// its request's deadline passes; every decision that left it, with its answer.
    pub fn flush(&self) -> impl Future<Output = Vec<(String, Answer)>> + Send + 'static {
        let device = Arc::clone(&self.device);
        async move {
            match device
                .outbox()
                .settle(device.client(), Backoff::default())
                .await
            {
                Ok(results) => results
                    .into_iter()
                    .map(|(id, delivery)| (id, Answer::from(delivery)))
                    .collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the outbox");
                    Vec::new()
                }
            }
        }
    }

    /// The answers to the decisions that waited in the outbox: each one is
    /// reported, and the requests they closed close.
    pub fn flushed(&mut self, answers: Vec<(String, Answer)>) -> Effects {
        let mut effects = Effects::default();
        self.flushing = false;
        if std::mem::take(&mut self.flush_again) {
            self.flush_into(&mut effects);
        }
        for (id, answer) in answers {
            tracing::info!(request = %id, ?answer, "a waiting decision was sent");
            if let Some(standing) = answer.standing() {
                let changes = self.inbox.closed_by_server(&id, standing);
                effects = effects.and(self.note(changes));
            }
            if let Answer::Refused(refusal) = &answer
                && let Some(status) = &refusal.device_status
            {
                effects.work.push(Work::Wipe(status.clone()));
            }
            effects.notices.push(Notice::Answered(id, answer));
        }
        effects
    }

    /// Wipes the device if `envelope` is a server-signed status that ends it
    /// (checked by signature; anything else is ignored).
    pub fn wipe(
        &self,
        envelope: Envelope,
    ) -> impl Future<Output = Result<bool, String>> + Send + 'static {
        let device = Arc::clone(&self.device);
        async move {
            // The keyring calls block.
            tokio::task::spawn_blocking(move || device.wipe_if_ended(&envelope))
                .await
                .map_err(|e| format!("the local data could not be removed: {e}"))?
        }
    }

    /// The wipe's result: the device ended, or a warning why it could not be wiped.
    pub fn wiped(&mut self, result: Result<bool, String>) -> Effects {
        match result {
            Ok(true) => {
                self.session.lock();
                Effects::notice(Notice::DeviceEnded)
            }
            // Not signed by our server, or not about this device: ignored.
            Ok(false) => Effects::default(),
            Err(reason) => {
                self.warning = Some(reason);
                Effects::default()
            }
        }
    }

    /// Asks for a flush of the outbox, unless one is running: then one more runs
    /// when it ends. One at a time, so no decision is sent by two loops at once.
    fn flush_into(&mut self, effects: &mut Effects) {
        if self.flushing {
            self.flush_again = true;
        } else {
            self.flushing = true;
            effects.work.push(Work::Flush);
        }
    }

    /// Records inbox changes in the activity log and turns them into notices. The
    /// log is a convenience (the server keeps the audit trail), so a failed write is
    /// logged, not shown.
    fn note(&mut self, changes: Vec<Change>) -> Effects {
        if changes.is_empty() {
            return Effects::default();
        }
        let written = self
            .device
            .history()
            .follow(&self.inbox, &changes, self.server_now());
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not update the activity log");
        }
        self.recent = newest(&*self.device);
        self.follow_handoffs(&changes);
        let notices = changes
            .into_iter()
            .filter_map(|change| match change {
                Change::New(id) => self
                    .inbox
                    .get(&id)
                    .map(|t| Notice::Arrived(Box::new(t.request.clone()))),
                Change::Closed(id, standing) => Some(Notice::Closed(id, standing)),
            })
            .collect();
        Effects {
            notices,
            work: Vec::new(),
        }
    }
}

/// The unlock session (design.md §3): the agent owns it so that every front end
/// locks alike.
impl<D: DeviceParts> Agent<D> {
    /// Is the app unlocked at `now`? Pure: asking never locks.
    pub fn is_unlocked(&self, now: Instant) -> bool {
        self.session.is_unlocked(now)
    }

    /// The server accepted the PIN (an unlock, an activation) at `now`.
    pub fn proved(&mut self, now: Instant) {
        self.session.proved(now);
    }

    /// The user did something at `now`: the auto-lock starts counting again.
    pub fn touch(&mut self, now: Instant) {
        self.session.touch(now);
    }

    /// The auto-lock, as one explicit step: `Locked` if the time without activity
    /// ran out by `now`.
    pub fn expire(&mut self, now: Instant) -> Effects {
        if self.session.expire(now) {
            tracing::info!("locked after five minutes without activity");
            return Effects::notice(Notice::Locked);
        }
        Effects::default()
    }

    /// Lock now (the user, the OS session, sleep): `Locked` if it was unlocked.
    pub fn lock(&mut self, now: Instant) -> Effects {
        let was_unlocked = self.session.is_unlocked(now);
        self.session.lock();
        if was_unlocked {
            return Effects::notice(Notice::Locked);
        }
        Effects::default()
    }

    /// The window closed: lock if the user chose "lock when the app closes".
    pub fn window_closed(&mut self, lock_on_close: bool) {
        self.session.window_closed(lock_on_close);
    }

    /// When the session locks by itself, if unlocked (for the app's timer).
    pub fn locks_at(&self) -> Option<Instant> {
        self.session.locks_at()
    }
}

fn newest(device: &impl DeviceParts) -> Vec<Entry> {
    let history = device.history();
    let entries = history.entries();
    entries[..entries.len().min(RECENT)].to_vec()
}

mod binding;
mod parts;

#[cfg(test)]
mod tests;
