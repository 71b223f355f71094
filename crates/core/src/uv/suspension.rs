//! The limit on failed scans (NIST SP 800-63B §5.2.3): 5 non-matching scans in a
//! row suspend biometrics until the PIN unlocks the app. A cancelled or timed-out
//! check, or one the platform could not run, says nothing about who is at the
//! keyboard and does not count. Kept with the app's state so a restart does not
//! lift a suspension.

use serde::{Deserialize, Serialize};

use super::UvError;

/// Failed scans in a row that suspend biometrics.
pub const MAX_FAILED_SCANS: u32 = 5;

/// Consecutive failed scans, and whether they have suspended biometrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanLimit {
    failed_in_a_row: u32,
}

impl ScanLimit {
    /// A suspended count (only the PIN lifts it).
    pub fn suspended() -> Self {
        ScanLimit {
            failed_in_a_row: MAX_FAILED_SCANS,
        }
    }

    /// Whether biometrics are suspended: only the PIN is offered.
    pub fn is_suspended(self) -> bool {
        self.failed_in_a_row >= MAX_FAILED_SCANS
    }

    /// Scans left before the suspension (0 once suspended).
    pub fn scans_left(self) -> u32 {
        MAX_FAILED_SCANS.saturating_sub(self.failed_in_a_row)
    }

    /// Records a check that ended without a signature. Only `NoMatch` counts.
    pub fn record_failure(&mut self, error: &UvError) {
        if *error == UvError::NoMatch {
            self.failed_in_a_row = self.failed_in_a_row.saturating_add(1);
        }
    }

    /// Records a matching scan: the count starts again, unless biometrics are
    /// already suspended (then only the PIN lifts it).
    pub fn record_match(&mut self) {
        if !self.is_suspended() {
            self.failed_in_a_row = 0;
        }
    }

    /// The PIN unlocked the app (the server judged it right): biometrics are back.
    pub fn record_pin_unlock(&mut self) {
        self.failed_in_a_row = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failed_scans_in_a_row_suspend_until_a_pin_unlock() {
        let mut limit = ScanLimit::default();
        for left in (1..=MAX_FAILED_SCANS).rev() {
            assert!(!limit.is_suspended());
            assert_eq!(limit.scans_left(), left);
            limit.record_failure(&UvError::NoMatch);
        }
        assert!(limit.is_suspended());
        assert_eq!(limit.scans_left(), 0);
        // A match cannot lift it (biometrics are not offered, but whatever calls).
        limit.record_match();
        assert!(limit.is_suspended());
        limit.record_pin_unlock();
        assert!(!limit.is_suspended());
        assert_eq!(limit.scans_left(), MAX_FAILED_SCANS);
    }

    #[test]
    fn cancel_timeout_and_unavailable_do_not_count() {
        let mut limit = ScanLimit::default();
        for _ in 0..10 {
            for error in [
                UvError::Cancelled,
                UvError::TimedOut,
                UvError::Unavailable("no reader".into()),
                UvError::Failed("reader error".into()),
            ] {
                limit.record_failure(&error);
            }
        }
        assert_eq!(limit, ScanLimit::default());
    }

    #[test]
    fn a_match_starts_the_count_again() {
        let mut limit = ScanLimit::default();
        for _ in 0..MAX_FAILED_SCANS - 1 {
            limit.record_failure(&UvError::NoMatch);
        }
        limit.record_match();
        for _ in 0..MAX_FAILED_SCANS - 1 {
            limit.record_failure(&UvError::NoMatch);
        }
        assert!(!limit.is_suspended());
        limit.record_failure(&UvError::Cancelled);
        assert!(!limit.is_suspended());
        limit.record_failure(&UvError::NoMatch);
        assert!(limit.is_suspended());
    }

    #[test]
    fn the_count_survives_being_stored() {
        let mut limit = ScanLimit::default();
        for _ in 0..MAX_FAILED_SCANS {
            limit.record_failure(&UvError::NoMatch);
        }
        let stored = serde_json::to_string(&limit).unwrap();
        let read: ScanLimit = serde_json::from_str(&stored).unwrap();
        assert!(read.is_suspended());
    }
}
