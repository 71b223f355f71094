//! How long to wait before sending a kept decision again: growing delays, so a
//! struggling server is not hammered, with jitter, so devices that lost the server
//! at the same moment do not come back in step, and a cap, so a decision is still
//! tried often enough to arrive before its request's deadline.

use std::time::Duration;

use rand::RngExt as _;

/// Doubling delays between `first` and `cap`, each drawn from its upper half.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    tries: u32,
}

impl Default for Backoff {
    /// 1 s, 2 s, 4 s, ... up to 30 s: a request lives at most 10 minutes.
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
    }
}

impl Backoff {
    pub fn new(first: Duration, cap: Duration) -> Self {
        Backoff {
            first,
            cap: cap.max(first),
            tries: 0,
        }
    }

    /// The delay before the next try; at least what the server asked for
    /// (`Retry-After`), but never more than the cap.
    pub fn next_delay(&mut self, asked: Option<Duration>) -> Duration {
        let grown = self
            .first
            .saturating_mul(1 << self.tries.min(20))
            .min(self.cap);
        self.tries = self.tries.saturating_add(1);
        let half = grown / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis().try_into().unwrap_or(u64::MAX));
        let delay = half + Duration::from_millis(jitter);
        delay.max(asked.unwrap_or_default().min(self.cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_jittered_and_are_capped() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let delays: Vec<_> = (0..8).map(|_| backoff.next_delay(None)).collect();
        for (i, delay) in delays.iter().enumerate() {
            let full = Duration::from_secs(1 << i.min(3));
            assert!(
                *delay >= full / 2 && *delay <= full,
                "try {i}: {delay:?} outside {full:?}'s upper half"
            );
        }
        assert!(delays[3] > delays[0]);
    }

    #[test]
    fn the_server_s_retry_after_is_honoured_up_to_the_cap() {
        let mut backoff = Backoff::new(Duration::from_millis(10), Duration::from_secs(5));
        assert!(backoff.next_delay(Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert!(backoff.next_delay(Some(Duration::from_secs(61))) <= Duration::from_secs(5));
    }
}
