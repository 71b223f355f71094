//! The hand-off listener's bounds, and the rate of hand-offs it takes, so that a flood
//! from any local process or page can make hand-offs fail but never slow the app.

use std::time::{Duration, Instant};

/// Every bound of the listener and the binding book in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// A connection is closed this long after it was accepted, whatever it does.
    pub connection_time: Duration,
    /// The request's headers must have arrived within this.
    pub header_time: Duration,
    /// The largest body, in bytes (a request id is at most 64).
    pub max_body: usize,
    /// Hand-offs taken per second, after the burst.
    pub per_second: u32,
    /// Hand-offs taken at once before the rate applies.
    pub burst: u32,
    /// How long a hand-off that came before its request is held.
    pub hold_for: Duration,
    /// How long the answer to such a hand-off waits for its request to open, so the
    /// page can still read the outcome when the push reaches the app a moment after
    /// the page handed off (within godkend.js's 5 s and [`Self::connection_time`]).
    pub held_answer_within: Duration,
    /// Answers that may wait so at once; more are answered `held` at once, so that
    /// waiting answers never take most of [`Self::max_connections`].
    pub held_waiting: usize,
    /// Early hand-offs held per origin.
    pub held_per_origin: usize,
    /// Early hand-offs held in all.
    pub held_total: usize,
    /// Closed request ids remembered, so a late hand-off for one is told "not
    /// pending" instead of being held.
    pub closed_remembered: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 16,
            connection_time: Duration::from_secs(5),
            header_time: Duration::from_secs(2),
            max_body: 128,
            per_second: 10,
            burst: 20,
            hold_for: Duration::from_secs(30),
            held_answer_within: Duration::from_secs(4),
            held_waiting: 4,
            held_per_origin: 8,
            held_total: 64,
            closed_remembered: 256,
        }
    }
}

/// A token bucket: `burst` hand-offs at once, then `per_second`. Ten lines of
/// arithmetic on an injected clock, which a rate-limiting crate would not make
/// shorter or easier to test.
#[derive(Debug)]
pub struct HandoffRate {
    tokens: f64,
    per_second: f64,
    burst: f64,
    last: Instant,
}

impl HandoffRate {
    /// A full bucket at `now`.
    pub fn new(limits: &Limits, now: Instant) -> HandoffRate {
        let burst = f64::from(limits.burst.max(1));
        HandoffRate {
            tokens: burst,
            per_second: f64::from(limits.per_second),
            burst,
            last: now,
        }
    }

    /// Whether one more hand-off may be taken at `now` (and counts it if so).
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{HandoffRate, Limits};

    fn limits(per_second: u32, burst: u32) -> Limits {
        Limits {
            per_second,
            burst,
            ..Limits::default()
        }
    }

    #[test]
    fn a_burst_is_taken_then_the_rate_applies() {
        let start = Instant::now();
        let mut rate = HandoffRate::new(&limits(10, 20), start);
        assert_eq!((0..25).filter(|_| rate.take(start)).count(), 20);
        // A tenth of a second later: one more.
        let later = start + Duration::from_millis(100);
        assert!(rate.take(later));
        assert!(!rate.take(later));
    }

    #[test]
    fn the_bucket_refills_only_up_to_the_burst() {
        let start = Instant::now();
        let mut rate = HandoffRate::new(&limits(10, 3), start);
        assert_eq!((0..5).filter(|_| rate.take(start)).count(), 3);
        let much_later = start + Duration::from_hours(1);
        assert_eq!((0..10).filter(|_| rate.take(much_later)).count(), 3);
    }

    #[test]
    fn a_clock_going_back_gives_nothing_extra() {
        let earlier = Instant::now();
        let start = earlier + Duration::from_secs(5);
        let mut rate = HandoffRate::new(&limits(10, 1), start);
        assert!(rate.take(start));
        assert!(!rate.take(earlier));
        assert!(!rate.take(start + Duration::from_millis(50)));
        assert!(rate.take(start + Duration::from_millis(100)));
    }

    #[test]
    fn a_zero_rate_takes_only_the_burst() {
        let start = Instant::now();
        let mut rate = HandoffRate::new(&limits(0, 2), start);
        assert!(rate.take(start));
        assert!(rate.take(start));
        assert!(!rate.take(start + Duration::from_mins(1)));
    }
}
