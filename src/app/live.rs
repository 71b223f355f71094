//! The app around its approval agent: feeding it, acting on its notices
//! (notifications, the request and activity screens, locking, the device's end),
//! and running its work and the request screen's work as tasks.

use super::{
    Agent, App, Arc, Choice, Effects, Message, Notice, Panel, Screen, Standing, Task,
    VerifiedRequest, Welcome, Work, request,
};

impl App {
    /// Gives one input to the agent and acts on what it led to.
    pub(super) fn feed(&mut self, input: impl FnOnce(&mut Agent) -> Effects) -> Task<Message> {
        match &mut self.agent {
            Some(agent) => {
                let effects = input(agent);
                self.apply(effects)
            }
            None => Task::none(),
        }
    }

    /// Gives one input to the agent of the device `device_id`, if that is still
    /// the app's device.
    pub(super) fn feed_device(
        &mut self,
        device_id: &str,
        input: impl FnOnce(&mut Agent) -> Effects,
    ) -> Task<Message> {
        match &self.agent {
            Some(agent) if agent.client().device_id == device_id => self.feed(input),
            _ => Task::none(),
        }
    }

    /// Acts on what the agent says: notifications shown and withdrawn, the request
    /// screen and the activity screen kept current, panels closed on lock, the
    /// welcome screen after the device ended; and runs the agent's work.
    pub(super) fn apply(&mut self, effects: Effects) -> Task<Message> {
        let mut tasks = Vec::new();
        let mut log_changed = false;
        for notice in effects.notices {
            match notice {
                Notice::Arrived(request) => {
                    log_changed = true;
                    tasks.push(self.arrived(*request));
                }
                Notice::Closed(id, standing) => {
                    log_changed = true;
                    self.closed(&id, standing);
                }
                Notice::Answered(id, answer) => {
                    if let Some(standing) = answer.standing() {
                        self.closed(&id, standing);
                    }
                    if let Some(screen) = self.request.as_mut().filter(|r| r.request_id() == id) {
                        screen.answered_later(answer);
                    }
                }
                Notice::Queued(id, reason) => {
                    tracing::info!(request = %id, %reason, "a decision waits in the outbox");
                }
                Notice::Locked => {
                    self.close_guarded();
                    if let Some(screen) = &mut self.request {
                        screen.forget_secrets();
                    }
                }
                Notice::DeviceEnded => tasks.push(self.device_ended_here()),
            }
        }
        if log_changed {
            self.refresh_activity();
        }
        if let Some(agent) = &self.agent {
            for work in effects.work {
                tasks.push(match work {
                    Work::Flush => flush(agent),
                    Work::Wipe(status) => wipe(agent, status),
                });
            }
        }
        Task::batch(tasks)
    }

    /// A new request: a notification, and the request screen at once when the
    /// window is open (otherwise home lists it).
    fn arrived(&mut self, request: VerifiedRequest) -> Task<Message> {
        let notify = if self.user_settings.current().notifications {
            self.notifier.show(&request).map(Message::Notification)
        } else {
            Task::none()
        };
        let open = match (&self.agent, self.window.is_some()) {
            (Some(agent), true) => {
                let now = agent.server_now();
                self.open_request(request, now)
            }
            _ => Task::none(),
        };
        Task::batch([notify, open])
    }

    /// A request is no longer pending: its notification goes, and its screen says
    /// what became of it.
    fn closed(&mut self, id: &str, standing: Standing) {
        self.notifier.withdraw(id);
        if let Some(request) = self.request.as_mut().filter(|r| r.request_id() == id) {
            request.closed(standing);
        }
    }

    /// The server ended this device and it is wiped: back to the welcome screen
    /// (or, after the user's own revocation, to the uninstall screen).
    fn device_ended_here(&mut self) -> Task<Message> {
        // The user's own revocation: the server's signed "revoked" can come down the
        // push stream before the answer to the revoke call itself.
        if matches!(&self.panel, Some(Panel::Revoke(revoke)) if revoke.is_working()) {
            return self.revoked();
        }
        self.agent = None;
        self.notifier.withdraw_all();
        self.request = None;
        self.panel = None;
        let mut welcome = Welcome::after_device_ended();
        // A link given at start for a device that turned out to be gone.
        if let Some(link) = self.link.take() {
            welcome.use_link(link);
        }
        self.screen = Screen::Welcome(welcome);
        Task::none()
    }
}

/// Derives the PIN key for the request screen of `request_id`, off the UI thread.
pub(super) fn derive_pin_key(
    agent: &Agent,
    request_id: &str,
    pin: godkend_core::secret::SecretText,
) -> Task<Message> {
    let device = Arc::clone(agent.device());
    let id = request_id.to_owned();
    Task::perform(
        async move {
            device
                .pin_key(pin.as_str())
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string())
        },
        move |result| Message::Request(request::Message::Derived(id.clone(), result)),
    )
}

/// Signs and sends `choice` on `request` through the agent; the answer comes back
/// as the request screen's `Sent`, which the agent hears too.
pub(super) fn decide(
    agent: &mut Agent,
    request: &VerifiedRequest,
    choice: Choice,
) -> Task<Message> {
    let id = request.request.request_id.clone();
    let kind = choice.kind();
    Task::perform(agent.decide(request, choice), move |answer| {
        Message::Request(request::Message::Sent(id.clone(), kind, answer))
    })
}

/// Sends an approval the biometric key signed through the agent; the answer comes
/// back as the request screen's `Sent`. Not abortable: once signed, it goes out.
pub(super) fn send(
    agent: &mut Agent,
    signed: godkend_core::decision::SignedDecision,
) -> Task<Message> {
    let id = signed.request_id.clone();
    let kind = signed.kind;
    Task::perform(agent.send(signed), move |answer| {
        Message::Request(request::Message::Sent(id.clone(), kind, answer))
    })
}

/// Sends what waits in the agent's outbox; the answers come back for its device.
fn flush(agent: &Agent) -> Task<Message> {
    let device = agent.client().device_id.clone();
    Task::perform(agent.flush(), move |answers| {
        Message::Flushed(device.clone(), answers)
    })
}

/// Wipes the agent's device if the signed `status` ends it.
pub(super) fn wipe(agent: &Agent, status: godkend_protocol::Envelope) -> Task<Message> {
    let device = agent.client().device_id.clone();
    Task::perform(agent.wipe(status), move |result| {
        Message::Wiped(device.clone(), result)
    })
}
