//! The unlocked session: unlocking is a signed round trip with the server (only the
//! server can tell a right PIN), and the app stays unlocked for at most five minutes
//! without activity, or until its window closes when "lock when the app closes" is
//! on. The session holds no PIN key: it only remembers when it was last used.

use std::time::{Duration, Instant};

use crate::settings::AUTO_LOCK_SECONDS;

/// Inactivity after which the app locks itself; always on.
pub const AUTO_LOCK: Duration = Duration::from_secs(AUTO_LOCK_SECONDS);

/// Locked or unlocked, and since when.
#[derive(Debug, Clone, Copy, Default)]
pub struct Session {
    last_activity: Option<Instant>,
    /// How many times it locked: a proof of the PIN that started before the last
    /// lock (an approval still on its way) must not unlock again.
    locks: u64,
}

impl Session {
    /// A locked session (the state at start-up).
    pub fn locked() -> Self {
        Session::default()
    }

    /// The server accepted the PIN: an unlock round trip
    /// ([`DeviceClient::unlock`](crate::client::DeviceClient::unlock), whose errors
    /// say wrong PIN with attempts left, blocked, or offline) or an approval. The app
    /// runs the round trip as a task of its own, then calls this.
    pub fn proved(&mut self, now: Instant) {
        self.last_activity = Some(now);
    }

    /// Is the app unlocked at `now`? Pure: asking never locks (the app locks in one
    /// explicit step, [`Session::expire`], so it can close what needed the PIN).
    pub fn is_unlocked(&self, now: Instant) -> bool {
        self.last_activity
            .is_some_and(|at| now.saturating_duration_since(at) < AUTO_LOCK)
    }

    /// The auto-lock: locks once `AUTO_LOCK` has passed without activity. `true` if
    /// this call locked it, so the caller closes the panels that needed the PIN.
    pub fn expire(&mut self, now: Instant) -> bool {
        if self.last_activity.is_some() && !self.is_unlocked(now) {
            self.lock();
            return true;
        }
        false
    }

    /// The user did something in the window: restart the auto-lock timer, if still
    /// unlocked (activity after the time is up does not unlock again).
    pub fn touch(&mut self, now: Instant) {
        if self.is_unlocked(now) {
            self.last_activity = Some(now);
        }
    }

    /// Lock now (tray menu, settings, revoke).
    pub fn lock(&mut self) {
        self.last_activity = None;
        self.locks += 1;
    }

    /// How many times the session has locked so far (see [`Session::proved_since`]).
    pub fn locks(&self) -> u64 {
        self.locks
    }

    /// A proof that began when [`Session::locks`] read `locks_then`: it unlocks only
    /// if the session has not locked since.
    pub fn proved_since(&mut self, locks_then: u64, now: Instant) {
        if self.locks == locks_then {
            self.proved(now);
        }
    }

    /// The window closed: lock if the user chose "lock when the app closes".
    pub fn window_closed(&mut self, lock_on_close: bool) {
        if lock_on_close {
            self.lock();
        }
    }

    /// When the session will lock by itself, if unlocked (for the app's timer).
    pub fn locks_at(&self) -> Option<Instant> {
        self.last_activity.map(|at| at + AUTO_LOCK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_five_minutes_without_activity_and_activity_extends_it() {
        let t0 = Instant::now();
        let mut s = Session::locked();
        assert!(!s.is_unlocked(t0));
        s.proved(t0);
        assert!(s.is_unlocked(t0 + Duration::from_secs(299)));
        s.touch(t0 + Duration::from_secs(200));
        assert!(s.is_unlocked(t0 + Duration::from_secs(499)));
        assert!(!s.is_unlocked(t0 + Duration::from_secs(500)));
        // Activity after the lock does not unlock again.
        s.touch(t0 + Duration::from_secs(501));
        assert!(!s.is_unlocked(t0 + Duration::from_secs(502)));
    }

    #[test]
    fn asking_never_locks_and_expire_locks_once() {
        let t0 = Instant::now();
        let mut s = Session::locked();
        assert!(!s.expire(t0), "a locked session does not lock again");
        s.proved(t0);
        let late = t0 + AUTO_LOCK;
        assert!(!s.is_unlocked(late));
        // Asking did not lock: the app still learns it from `expire`.
        assert_eq!(s.locks_at(), Some(late));
        assert!(!s.expire(t0 + Duration::from_secs(299)));
        assert!(s.expire(late), "expire reports the lock");
        assert!(!s.expire(late), "and only once");
        assert_eq!(s.locks_at(), None);
    }

    #[test]
    fn a_proof_begun_before_a_lock_does_not_unlock() {
        let t0 = Instant::now();
        let mut s = Session::locked();
        s.proved(t0);
        let begun = s.locks();
        s.lock();
        s.proved_since(begun, t0);
        assert!(!s.is_unlocked(t0), "the lock came after the proof began");
        let begun = s.locks();
        s.proved_since(begun, t0);
        assert!(s.is_unlocked(t0));
    }

    #[test]
    fn lock_now_and_lock_on_close() {
        let t0 = Instant::now();
        let mut s = Session::locked();
        s.proved(t0);
        s.window_closed(false);
        assert!(s.is_unlocked(t0), "stays unlocked when the setting is off");
        s.window_closed(true);
        assert!(!s.is_unlocked(t0));
        s.proved(t0);
        assert_eq!(s.locks_at(), Some(t0 + AUTO_LOCK));
        s.lock();
        assert!(!s.is_unlocked(t0));
        assert_eq!(s.locks_at(), None);
    }
}
