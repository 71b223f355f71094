//! The binding book: which origin each pending request was handed off from, and the
//! hand-offs that came before their request. Pure logic on an injected clock; the
//! listener and the app share one book.
//!
//! Rules (issue 15):
//! - a hand-off from one of the request's allowed origins verifies it; from any other
//!   origin it marks it as a mismatch, and a mismatch is sticky: the request never
//!   turns verified, even when the genuine page hands off afterwards;
//! - a hand-off that comes before its request is held for [`Limits::hold_for`],
//!   bounded per origin and in all, and applied when the request opens;
//! - the mark belongs to one request id: a request that supersedes another opens
//!   under its own id and starts unconfirmed.
//! - a request without allowed origins (its relying party registered none) cannot be
//!   bound: hand-offs leave it unconfirmed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use super::limits::Limits;
use super::origin::WebOrigin;

/// What the browser vouched for, for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingState {
    /// A hand-off came from one of the request's allowed origins, and none from
    /// anywhere else.
    Verified(WebOrigin),
    /// A hand-off came from an origin the request does not allow (the first such
    /// origin). Final for this request.
    Mismatch(WebOrigin),
    /// No hand-off (yet): the typed code stays required.
    Unconfirmed,
}

/// What one hand-off did; the listener answers from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffOutcome {
    /// The request is pending and now verified by this origin (or already was).
    Verified,
    /// The origin is not one of the request's: the request is marked a mismatch.
    Mismatch,
    /// The origin is one of the request's, but the request was already marked a
    /// mismatch, which stays.
    AlreadyMismatched,
    /// The request allows no origin: nothing to bind, it stays unconfirmed.
    Unbound,
    /// The request is not here yet: the hand-off is held until it comes.
    Held,
    /// The request is not here yet and the hold for this origin (or in all) is full.
    HeldFull,
    /// The request was closed (decided, expired or superseded).
    NotPending,
}

impl HandoffOutcome {
    /// Whether this hand-off changed or confirmed the state of a pending request (the
    /// app hears of those).
    pub fn reached_request(&self) -> bool {
        matches!(
            self,
            HandoffOutcome::Verified | HandoffOutcome::Mismatch | HandoffOutcome::AlreadyMismatched
        )
    }
}

#[derive(Debug)]
struct PendingRequest {
    allowed: Vec<WebOrigin>,
    state: BindingState,
}

#[derive(Debug)]
struct HeldHandoff {
    request_id: String,
    origin: WebOrigin,
    at: Instant,
}

/// The book itself.
#[derive(Debug)]
pub struct BindingBook {
    limits: Limits,
    pending: HashMap<String, PendingRequest>,
    /// In arrival order, so they apply in the order the browser sent them.
    held: VecDeque<HeldHandoff>,
    closed: VecDeque<String>,
    closed_set: HashSet<String>,
}

impl BindingBook {
    /// An empty book with these bounds.
    pub fn new(limits: Limits) -> BindingBook {
        BindingBook {
            limits,
            pending: HashMap::new(),
            held: VecDeque::new(),
            closed: VecDeque::new(),
            closed_set: HashSet::new(),
        }
    }

    /// The app has a verified request `request_id` whose relying party allows
    /// `allowed_origins` (the signed list, ASCII-serialised). Held hand-offs for it
    /// apply now. Opening a request that is already open keeps its state (a mismatch
    /// stays a mismatch); opening a closed one starts it anew.
    pub fn open(
        &mut self,
        request_id: &str,
        allowed_origins: &[String],
        now: Instant,
    ) -> BindingState {
        self.forget_expired(now);
        if self.closed_set.remove(request_id) {
            self.closed.retain(|id| id != request_id);
        }
        self.pending
            .entry(request_id.to_owned())
            .or_insert_with(|| PendingRequest {
                allowed: WebOrigin::allowed(allowed_origins),
                state: BindingState::Unconfirmed,
            });
        let (early, rest): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.request_id == request_id);
        self.held = rest;
        if let Some(request) = self.pending.get_mut(request_id) {
            for handoff in early {
                apply(request, handoff.origin);
            }
            return request.state.clone();
        }
        BindingState::Unconfirmed
    }

    /// A hand-off of `request_id` from `origin` (already checked: the user's own
    /// browser, a well-formed id).
    pub fn hand_off(
        &mut self,
        request_id: &str,
        origin: WebOrigin,
        now: Instant,
    ) -> HandoffOutcome {
        self.forget_expired(now);
        if let Some(request) = self.pending.get_mut(request_id) {
            return apply(request, origin);
        }
        if self.closed_set.contains(request_id) {
            return HandoffOutcome::NotPending;
        }
        if let Some(again) = self
            .held
            .iter_mut()
            .find(|h| h.request_id == request_id && h.origin == origin)
        {
            // The page tried again: it is held from now, so the retry is not lost
            // with the first try's hold.
            again.at = now;
            return HandoffOutcome::Held;
        }
        let of_origin = self.held.iter().filter(|h| h.origin == origin).count();
        if of_origin >= self.limits.held_per_origin || self.held.len() >= self.limits.held_total {
            return HandoffOutcome::HeldFull;
        }
        self.held.push_back(HeldHandoff {
            request_id: request_id.to_owned(),
            origin,
            at: now,
        });
        HandoffOutcome::Held
    }

    /// The request was decided, expired or superseded: its mark goes with it, and a
    /// later hand-off for it is answered "not pending".
    pub fn close(&mut self, request_id: &str) {
        self.pending.remove(request_id);
        self.held.retain(|h| h.request_id != request_id);
        if self.closed_set.insert(request_id.to_owned()) {
            self.closed.push_back(request_id.to_owned());
        }
        while self.closed.len() > self.limits.closed_remembered {
            if let Some(oldest) = self.closed.pop_front() {
                self.closed_set.remove(&oldest);
            }
        }
    }

    /// The state of a pending request; `None` when it is not open.
    pub fn state(&self, request_id: &str) -> Option<BindingState> {
        self.pending.get(request_id).map(|r| r.state.clone())
    }

    /// What became of a held hand-off of `request_id` from `origin`: `None` while it
    /// is still held (the request has not opened), else the outcome it had when the
    /// request opened (applied in arrival order with any other early hand-off) or
    /// `NotPending` once the request was closed. The listener answers from this, so
    /// the page can read an answer that came a moment after its hand-off.
    pub fn settled(&self, request_id: &str, origin: &WebOrigin) -> Option<HandoffOutcome> {
        let Some(request) = self.pending.get(request_id) else {
            return self
                .closed_set
                .contains(request_id)
                .then_some(HandoffOutcome::NotPending);
        };
        if request.allowed.is_empty() {
            return Some(HandoffOutcome::Unbound);
        }
        let genuine = request.allowed.contains(origin);
        match &request.state {
            BindingState::Verified(_) if genuine => Some(HandoffOutcome::Verified),
            BindingState::Mismatch(_) if genuine => Some(HandoffOutcome::AlreadyMismatched),
            BindingState::Mismatch(_) => Some(HandoffOutcome::Mismatch),
            // The hold ran out before the request opened: nothing was applied.
            BindingState::Verified(_) | BindingState::Unconfirmed => None,
        }
    }

    /// Whether `origin` is one of the allowed origins of pending request `request_id`
    /// (the listener's `Access-Control-Allow-Origin` rule).
    pub fn allows(&self, request_id: &str, origin: &WebOrigin) -> bool {
        self.pending
            .get(request_id)
            .is_some_and(|r| r.allowed.contains(origin))
    }

    /// How many early hand-offs are held now.
    pub fn held(&self, now: Instant) -> usize {
        self.held
            .iter()
            .filter(|h| now.saturating_duration_since(h.at) < self.limits.hold_for)
            .count()
    }

    fn forget_expired(&mut self, now: Instant) {
        let hold_for = self.limits.hold_for;
        self.held
            .retain(|h| now.saturating_duration_since(h.at) < hold_for);
    }
}

fn apply(request: &mut PendingRequest, origin: WebOrigin) -> HandoffOutcome {
    if request.allowed.is_empty() {
        return HandoffOutcome::Unbound;
    }
    let genuine = request.allowed.contains(&origin);
    match (&request.state, genuine) {
        (BindingState::Mismatch(_), true) => HandoffOutcome::AlreadyMismatched,
        (BindingState::Mismatch(_), false) => HandoffOutcome::Mismatch,
        (_, false) => {
            request.state = BindingState::Mismatch(origin);
            HandoffOutcome::Mismatch
        }
        (BindingState::Unconfirmed, true) => {
            request.state = BindingState::Verified(origin);
            HandoffOutcome::Verified
        }
        (BindingState::Verified(_), true) => HandoffOutcome::Verified,
    }
}

#[cfg(test)]
#[path = "binding_tests.rs"]
mod tests;
