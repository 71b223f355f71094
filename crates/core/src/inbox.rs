//! The requests this device knows about and where each stands: new, superseded,
//! withdrawn (decided on another device), expired, decided here, failed. Fed by
//! verified push events and polls; judged on server time. The request screen and the
//! notifications follow it.

use godkend_protocol::messages::DecisionKind;
use godkend_protocol::rules;

use crate::connection::PushUpdate;
use crate::push::PushEvent;
use crate::push::VerifiedRequest;
use crate::standing::Standing;

/// A request and its standing.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub request: VerifiedRequest,
    pub standing: Standing,
}

/// What changed, for the app (show a notification, withdraw one, refresh a screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    New(String),
    Closed(String, Standing),
}

/// Known requests, newest last; old closed ones are dropped.
#[derive(Debug, Default)]
pub struct Inbox {
    tracked: Vec<Tracked>,
}

/// Closed requests kept for the request screen's final state (a late click on a
/// stale notification shows what became of it).
const KEEP_CLOSED: usize = 20;

impl Inbox {
    /// The request to show: the newest pending one.
    pub fn current(&self) -> Option<&Tracked> {
        self.tracked
            .iter()
            .rev()
            .find(|t| t.standing == Standing::Pending)
    }

    pub fn get(&self, request_id: &str) -> Option<&Tracked> {
        self.tracked
            .iter()
            .find(|t| t.request.request.request_id == request_id)
    }

    /// Applies one update from the connection.
    pub fn apply(&mut self, update: &PushUpdate, server_now: i64) -> Vec<Change> {
        let mut changes = match update {
            PushUpdate::Event(event) => match &**event {
                PushEvent::Request(request) => self.add(request, server_now),
                PushEvent::Closed(closed) => {
                    self.close(&closed.request_id, Standing::from(closed.reason))
                }
                _ => Vec::new(),
            },
            PushUpdate::Polled(requests) => {
                let mut changes = Vec::new();
                for request in requests {
                    changes.extend(self.add(request, server_now));
                }
                changes
            }
            PushUpdate::State(_) | PushUpdate::SecurityWarning(_) => Vec::new(),
        };
        changes.extend(self.expire(server_now));
        changes
    }

    fn add(&mut self, request: &VerifiedRequest, server_now: i64) -> Vec<Change> {
        let id = &request.request.request_id;
        if self.get(id).is_some() || rules::is_expired(request.request.exp, server_now) {
            return Vec::new();
        }
        // One pending request per user: a newer one replaces the older (the server
        // says so too, but the order of events must not matter).
        let mut changes = Vec::new();
        let newer_pending = self.tracked.iter().any(|t| {
            t.standing == Standing::Pending && t.request.request.iat > request.request.iat
        });
        if newer_pending {
            // Arrived late: already replaced by the one on screen.
            self.tracked.push(Tracked {
                request: request.clone(),
                standing: Standing::Superseded,
            });
            self.prune();
            return changes;
        }
        for tracked in &mut self.tracked {
            if tracked.standing == Standing::Pending
                && tracked.request.request.iat <= request.request.iat
            {
                tracked.standing = Standing::Superseded;
                changes.push(Change::Closed(
                    tracked.request.request.request_id.clone(),
                    Standing::Superseded,
                ));
            }
        }
        self.tracked.push(Tracked {
            request: request.clone(),
            standing: Standing::Pending,
        });
        changes.push(Change::New(id.clone()));
        self.prune();
        changes
    }

    fn close(&mut self, request_id: &str, standing: Standing) -> Vec<Change> {
        match self
            .tracked
            .iter_mut()
            .find(|t| t.request.request.request_id == request_id)
        {
            Some(t) if t.standing == Standing::Pending => {
                t.standing = standing;
                vec![Change::Closed(request_id.into(), standing)]
            }
            _ => Vec::new(),
        }
    }

    /// Records this device's own decision once the server accepted it.
    pub fn decided(&mut self, request_id: &str, kind: DecisionKind) -> Vec<Change> {
        self.close(request_id, Standing::Decided(kind))
    }

    /// Records a request the server reports as no longer pending or failed.
    pub fn closed_by_server(&mut self, request_id: &str, standing: Standing) -> Vec<Change> {
        self.close(request_id, standing)
    }

    /// Expires pending requests whose `exp` passed on server time.
    pub fn expire(&mut self, server_now: i64) -> Vec<Change> {
        let mut changes = Vec::new();
        for tracked in &mut self.tracked {
            if tracked.standing == Standing::Pending
                && rules::is_expired(tracked.request.request.exp, server_now)
            {
                tracked.standing = Standing::Expired;
                changes.push(Change::Closed(
                    tracked.request.request.request_id.clone(),
                    Standing::Expired,
                ));
            }
        }
        changes
    }

    fn prune(&mut self) {
        let closed = self
            .tracked
            .iter()
            .filter(|t| t.standing != Standing::Pending)
            .count();
        let mut excess = closed.saturating_sub(KEEP_CLOSED);
        self.tracked.retain(|t| {
            if excess > 0 && t.standing != Standing::Pending {
                excess -= 1;
                false
            } else {
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use godkend_protocol::messages::{CloseReason, RequestClosed, RequestKind};

    fn request(id: &str, iat: i64) -> VerifiedRequest {
        crate::test_support::signed_request(id, iat, RequestKind::Login, "m")
    }

    fn event(e: PushEvent) -> PushUpdate {
        PushUpdate::Event(Box::new(e))
    }

    fn closed(id: &str, reason: CloseReason) -> PushUpdate {
        event(PushEvent::Closed(RequestClosed {
            iat: 0,
            device_id: "d".into(),
            request_id: id.into(),
            reason,
        }))
    }

    #[test]
    fn new_superseded_withdrawn_expired_and_decided() {
        let mut inbox = Inbox::default();
        assert_eq!(
            inbox.apply(&event(PushEvent::Request(request("a", 100))), 100),
            vec![Change::New("a".into())]
        );
        // A newer request replaces the pending one, whatever order the events come in.
        let changes = inbox.apply(&event(PushEvent::Request(request("b", 110))), 110);
        assert_eq!(
            changes,
            vec![
                Change::Closed("a".into(), Standing::Superseded),
                Change::New("b".into())
            ]
        );
        assert!(
            inbox
                .apply(&closed("a", CloseReason::Superseded), 111)
                .is_empty(),
            "already closed"
        );
        assert_eq!(inbox.current().unwrap().request.request.request_id, "b");
        // Decided on another device.
        assert_eq!(
            inbox.apply(&closed("b", CloseReason::Withdrawn), 112),
            vec![Change::Closed("b".into(), Standing::Withdrawn)]
        );
        assert!(inbox.current().is_none());
        // Expiry on server time, without any event.
        inbox.apply(&PushUpdate::Polled(vec![request("c", 200)]), 200);
        assert_eq!(
            inbox.expire(320),
            vec![Change::Closed("c".into(), Standing::Expired)]
        );
        // Decided here.
        inbox.apply(&event(PushEvent::Request(request("d", 400))), 400);
        assert_eq!(
            inbox.decided("d", DecisionKind::Approve),
            vec![Change::Closed(
                "d".into(),
                Standing::Decided(DecisionKind::Approve)
            )]
        );
        assert_eq!(
            inbox.get("d").unwrap().standing,
            Standing::Decided(DecisionKind::Approve)
        );
    }

    #[test]
    fn duplicates_and_already_expired_requests_are_ignored() {
        let mut inbox = Inbox::default();
        inbox.apply(&event(PushEvent::Request(request("a", 100))), 100);
        assert!(
            inbox
                .apply(&PushUpdate::Polled(vec![request("a", 100)]), 101)
                .is_empty()
        );
        let changes = inbox.apply(&event(PushEvent::Request(request("old", 0))), 500);
        assert!(
            inbox.get("old").is_none(),
            "an expired request is never offered"
        );
        assert_eq!(
            changes,
            vec![Change::Closed("a".into(), Standing::Expired)],
            "while `a` expires on time"
        );
    }

    #[test]
    fn an_older_request_arriving_late_does_not_replace_the_newer() {
        let mut inbox = Inbox::default();
        inbox.apply(&event(PushEvent::Request(request("new", 110))), 110);
        assert!(
            inbox
                .apply(&event(PushEvent::Request(request("old", 100))), 111)
                .is_empty()
        );
        assert_eq!(inbox.current().unwrap().request.request.request_id, "new");
        assert_eq!(inbox.get("old").unwrap().standing, Standing::Superseded);
    }
}
