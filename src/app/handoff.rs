//! The app's side of the browser hand-off (issue 15): the loopback listener runs
//! while a device is activated, unless the organisation's policy turns it off, and
//! its events reach the request screen, which shows what the browser vouched for.

use std::fmt;
use std::hash::{Hash, Hasher};

use futures::Stream;
use godkend_core::handoff::{BindingState, HandoffConfig, HandoffEvent, HandoffListener};
use tokio::sync::broadcast::error::RecvError;

use super::{App, Arc, Message, Task};

/// A started listener, as a message carries it.
#[derive(Clone)]
pub struct Started(Arc<HandoffListener>);

impl fmt::Debug for Started {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Started(port {})", self.0.port())
    }
}

impl App {
    /// Starts the listener for the device just loaded or activated. Off by the
    /// organisation's policy; on where the app cannot tell OS users apart only when
    /// the policy says so. It not starting leaves the typed code required.
    pub(super) fn start_handoff(&self) -> Task<Message> {
        let Some(agent) = &self.agent else {
            return Task::none();
        };
        let policy = self.user_settings.policy().loopback_handoff;
        if policy == Some(false) {
            tracing::info!("the browser hand-off is off by the organisation's policy");
            return Task::none();
        }
        let config = HandoffConfig {
            allow_unchecked: policy == Some(true),
            ..HandoffConfig::default()
        };
        let device = agent.client().device_id.clone();
        Task::perform(
            async move {
                HandoffListener::start(config)
                    .await
                    .map(|listener| Started(Arc::new(listener)))
                    .map_err(|e| e.to_string())
            },
            move |result| Message::HandoffStarted(device.clone(), result),
        )
    }

    pub(super) fn handoff_started(
        &mut self,
        device: &str,
        result: Result<Started, String>,
    ) -> Task<Message> {
        let listener = match result {
            Ok(Started(listener)) => listener,
            Err(reason) => {
                tracing::warn!(%reason, "the browser hand-off is not available; codes are typed");
                return Task::none();
            }
        };
        // A listener for a device that is gone (revoked meanwhile) just drops.
        let Some(agent) = self
            .agent
            .as_mut()
            .filter(|agent| agent.client().device_id == device)
        else {
            return Task::none();
        };
        agent.attach_handoff(listener);
        if let Some(request) = &mut self.request {
            request.set_binding(agent.binding(request.request_id()));
        }
        Task::none()
    }

    /// What the browser vouched for on `request_id` (unconfirmed without a device).
    pub(super) fn binding(&self, request_id: &str) -> BindingState {
        self.agent
            .as_ref()
            .map_or(BindingState::Unconfirmed, |agent| agent.binding(request_id))
    }

    /// A hand-off reached a pending request: the screen showing it follows.
    pub(super) fn handed_off(&mut self, event: &HandoffEvent) -> Task<Message> {
        tracing::info!(request = %event.request_id, state = ?event.state, "browser hand-off");
        if let Some(request) = &mut self.request
            && request.request_id() == event.request_id
        {
            let before = request.first_field();
            request.set_binding(event.state.clone());
            // The code field went away under the user's fingers: the PIN is next.
            if let Some(field) = request
                .first_field()
                .filter(|_| before != request.first_field())
            {
                return iced::widget::operation::focus(field);
            }
        }
        Task::none()
    }
}

/// The listener's events, as a subscription (one per running listener).
pub(super) struct Events(pub Arc<HandoffListener>);

impl Hash for Events {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "handoff".hash(state);
        self.0.port().hash(state);
        // One listener at a time; a new one (another device) is a new subscription.
        Arc::as_ptr(&self.0).hash(state);
    }
}

impl Events {
    pub(super) fn stream(&self) -> impl Stream<Item = HandoffEvent> + use<> {
        let receiver = self.0.subscribe();
        futures::stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    // Missed events: the screen reads the state afresh on the next.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }
}
