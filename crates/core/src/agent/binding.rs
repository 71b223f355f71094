//! The agent's side of the browser hand-off (issue 15, [`crate::handoff`]): it opens
//! each arriving request in the listener with the origins the server signed into
//! it, closes it when it is no longer pending, and signs the origin the browser
//! gave into the decision.

use std::sync::Arc;

use godkend_protocol::origin::OriginBinding;

use super::{Agent, DeviceParts};
use crate::handoff::{BindingState, HandoffListener};
use crate::inbox::Change;
use crate::push::VerifiedRequest;

impl<D: DeviceParts> Agent<D> {
    /// The listener started: the request pending now (if any) is opened in it, so a
    /// hand-off that came first is applied.
    pub fn attach_handoff(&mut self, listener: Arc<HandoffListener>) {
        if let Some(request) = self.inbox.current().map(|t| t.request.clone()) {
            open(&listener, &request);
        }
        self.handoff = Some(listener);
    }

    /// The running listener, for the front end to follow its events.
    pub fn handoff(&self) -> Option<&Arc<HandoffListener>> {
        self.handoff.as_ref()
    }

    /// What the browser vouched for on `request_id`: unconfirmed without a listener,
    /// or for a request that binds nothing.
    pub fn binding(&self, request_id: &str) -> BindingState {
        self.handoff
            .as_ref()
            .and_then(|listener| listener.state(request_id))
            .unwrap_or(BindingState::Unconfirmed)
    }

    /// `request` with the origin its hand-off came from, to be signed into a
    /// decision: a verified one and a mismatched one alike (the server refuses to
    /// approve on a mismatch and records suspected phishing).
    pub fn bound(&self, request: &VerifiedRequest) -> VerifiedRequest {
        let mut bound = request.clone();
        bound.handed_off = match self.binding(&request.request.request_id) {
            BindingState::Verified(origin) | BindingState::Mismatch(origin) => {
                Some(origin.as_str().to_owned())
            }
            BindingState::Unconfirmed => None,
        };
        bound
    }

    /// New requests are opened in the listener, closed ones closed: a mark never
    /// outlives its request, nor passes to one that supersedes it.
    pub(super) fn follow_handoffs(&self, changes: &[Change]) {
        let Some(listener) = &self.handoff else {
            return;
        };
        for change in changes {
            match change {
                Change::New(id) => {
                    if let Some(tracked) = self.inbox.get(id) {
                        open(listener, &tracked.request);
                    }
                }
                Change::Closed(id, _) => listener.close_request(id),
            }
        }
    }
}

/// Opens `request` in the listener with its signed origins; under `off` with none,
/// so no hand-off binds it.
fn open(listener: &HandoffListener, request: &VerifiedRequest) {
    let origins: &[String] = match request.request.origin_binding {
        OriginBinding::Off => &[],
        OriginBinding::Required | OriginBinding::Preferred => &request.request.rp_origins,
    };
    let state = listener.open_request(&request.request.request_id, origins);
    tracing::info!(request = %request.request.request_id, ?state, "request opened for the browser hand-off");
}
