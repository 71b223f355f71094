//! Relying parties waiting on one request each (`/wait`): a request that reaches a
//! final state wakes only the calls waiting on it, at once. On one node the service
//! calls `finished` after the committing transaction; with several nodes on
//! PostgreSQL the finishing transaction's NOTIFY reaches every node's event pump,
//! which calls it too. A wake-up only makes the waiter read the request again, so a
//! spurious one costs one read and a missed one is caught by the waiter's slow
//! fallback check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// Per request id: how many waits are open on this node, and what wakes them.
type Waits = Arc<Mutex<HashMap<String, (usize, Arc<Notify>)>>>;

/// The open waits per request id on this node.
#[derive(Debug, Default)]
pub struct RequestWaiters {
    inner: Waits,
}

impl RequestWaiters {
    /// Registers a wait on `request`; keep the guard while waiting.
    pub fn watch(&self, request: &str) -> RequestWatch {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = inner
            .entry(request.to_owned())
            .or_insert_with(|| (0, Arc::new(Notify::new())));
        entry.0 += 1;
        RequestWatch {
            waiters: self.inner.clone(),
            request: request.to_owned(),
            notify: entry.1.clone(),
        }
    }

    /// Wakes the waits on `request` (it reached a final state, or may have).
    pub fn finished(&self, request: &str) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, notify)) = inner.get(request) {
            notify.notify_waiters();
        }
    }

    /// Wakes every wait (something may have ended requests this node cannot name).
    pub fn all_may_have_finished(&self) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, notify) in inner.values() {
            notify.notify_waiters();
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
    notify: Arc<Notify>,
}

impl RequestWatch {
    /// The next wake-up. Create it before reading the request: a wake-up that comes
    /// between the read and the await is then not lost.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

impl Drop for RequestWatch {
    fn drop(&mut self) {
        let mut inner = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = inner.get_mut(&self.request) {
            entry.0 -= 1;
            if entry.0 == 0 {
                inner.remove(&self.request);
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
    }
}
