//! Relying parties waiting on one request each (`/wait`): a request that reaches a
//! final state wakes only the calls waiting on it, at once. On one node the service
//! calls `finished_as` after the committing transaction, handing the waits the state
//! it committed, so they answer without reading the request again (on PostgreSQL that
//! read queued behind the database's other work: the tail of decision → answer); with
//! several nodes on PostgreSQL the finishing transaction's NOTIFY reaches every node's
//! event pump, which calls `finished`. A bare wake-up only makes the waiter read the
//! request again, so a spurious one costs one read and a missed one is caught by the
//! waiter's slow fallback check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use godkend_protocol::messages::RequestState;
use tokio::sync::Notify;

/// A request's final state as the transaction that finished it committed it.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalState {
    pub state: RequestState,
    pub exp: i64,
    /// The stored result envelope (JSON), as `requests.result` holds it.
    pub result: String,
}

/// What the waits on one request share: the wake-up, and the final state once the
/// finishing transaction on this node has committed it.
#[derive(Debug, Default)]
struct Slot {
    wake: Notify,
    committed: OnceLock<FinalState>,
}

/// Per request id: how many waits are open on this node, and their slot.
type Waits = Arc<Mutex<HashMap<String, (usize, Arc<Slot>)>>>;

/// The open waits per request id on this node.
#[derive(Debug, Default)]
pub struct RequestWaiters {
    inner: Waits,
}

impl RequestWaiters {
    /// Registers a wait on `request`; keep the guard while waiting.
    pub fn watch(&self, request: &str) -> RequestWatch {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = inner.entry(request.to_owned()).or_default();
        entry.0 += 1;
        let slot = entry.1.clone();
        crate::metrics::waited_on(inner.len());
        RequestWatch {
            waiters: self.inner.clone(),
            request: request.to_owned(),
            slot,
        }
    }

    /// Wakes the waits on `request` (it reached a final state, or may have); they
    /// read it again.
    pub fn finished(&self, request: &str) {
        if let Some(slot) = self.slot(request) {
            slot.wake.notify_waiters();
        }
    }

    /// Wakes the waits on `request` with the final state just committed.
    pub fn finished_as(&self, request: &str, committed: FinalState) {
        if let Some(slot) = self.slot(request) {
            // A request is finished once; a second call can only repeat the first.
            let _ = slot.committed.set(committed);
            slot.wake.notify_waiters();
        }
    }

    fn slot(&self, request: &str) -> Option<Arc<Slot>> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.get(request).map(|(_, slot)| slot.clone())
    }

    /// Wakes every wait (something may have ended requests this node cannot name).
    pub fn all_may_have_finished(&self) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, slot) in inner.values() {
            slot.wake.notify_waiters();
        }
    }

    /// Requests with at least one wait on this node.
    pub fn waited_on(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// One wait on one request; dropping it ends the wait's registration.
#[derive(Debug)]
pub struct RequestWatch {
    waiters: Waits,
    request: String,
    slot: Arc<Slot>,
}

impl RequestWatch {
    /// The next wake-up. Create it before reading the request: a wake-up that comes
    /// between the read and the await is then not lost.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.slot.wake.notified()
    }

    /// The final state committed on this node since the wait began, if any. It says
    /// nothing of who may see it: the caller checks that with a read first.
    pub fn committed(&self) -> Option<&FinalState> {
        self.slot.committed.get()
    }
}

impl Drop for RequestWatch {
    fn drop(&mut self) {
        let mut inner = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = inner.get_mut(&self.request) {
            entry.0 -= 1;
            if entry.0 == 0 {
                inner.remove(&self.request);
                crate::metrics::waited_on(inner.len());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_finished_request_wakes_only_its_own_waits() {
        let waiters = RequestWaiters::default();
        let mine = waiters.watch("req_a");
        let other = waiters.watch("req_b");
        let (woken, not_woken) = (mine.notified(), other.notified());
        waiters.finished("req_a");
        tokio::time::timeout(Duration::from_secs(1), woken)
            .await
            .expect("the wait on the finished request wakes");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), not_woken)
                .await
                .is_err(),
            "another request's wait sleeps on"
        );
        let again = other.notified();
        waiters.all_may_have_finished();
        tokio::time::timeout(Duration::from_secs(1), again)
            .await
            .expect("a wake-all reaches every wait");
    }

    #[test]
    fn dropped_waits_are_forgotten() {
        let waiters = RequestWaiters::default();
        let first = waiters.watch("req_a");
        let second = waiters.watch("req_a");
        assert_eq!(waiters.waited_on(), 1);
        drop(first);
        assert_eq!(waiters.waited_on(), 1, "one wait is still open");
        drop(second);
        assert_eq!(waiters.waited_on(), 0);
        // Finishing a request nobody waits on is a no-op.
        waiters.finished("req_a");
        waiters.finished_as("req_a", approved());
        assert_eq!(waiters.waited_on(), 0);
    }

    fn approved() -> FinalState {
        FinalState {
            state: RequestState::Approved,
            exp: 1_700_000_000,
            result: "{\"payload\":{}}".into(),
        }
    }

    #[tokio::test]
    async fn a_committed_state_reaches_the_waits_on_that_request_only() {
        let waiters = RequestWaiters::default();
        let mine = waiters.watch("req_a");
        let other = waiters.watch("req_b");
        assert_eq!(mine.committed(), None);
        let woken = mine.notified();
        waiters.finished_as("req_a", approved());
        tokio::time::timeout(Duration::from_secs(1), woken)
            .await
            .expect("the wait on the finished request wakes");
        assert_eq!(mine.committed(), Some(&approved()));
        assert_eq!(
            other.committed(),
            None,
            "another request's wait has nothing"
        );
        // A second wait that joins while the first is open shares what it was told.
        let joined = waiters.watch("req_a");
        assert_eq!(joined.committed(), Some(&approved()));
        // Once every wait has ended, a new one starts afresh and reads.
        drop((mine, joined));
        assert_eq!(waiters.watch("req_a").committed(), None);
    }
}
