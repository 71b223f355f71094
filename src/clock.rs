//! Times as people read them: "5 min ago" for the recent past, a calendar date
//! beyond that. All inputs are server time (seconds since the epoch), so a wrong
//! PC clock does not make a fresh request look old.

use crate::fl;

/// A week: past this, "n days ago" is harder to place than a date.
const RELATIVE_DAYS: i64 = 7;

/// How long before `now` the moment `then` was: "just now", "5 min ago", "3 hours
/// ago", "2 days ago", and a date in the computer's zone from a week on. A `then` in the
/// future (clock skew between servers) reads as "just now".
pub fn ago(then: i64, now: i64) -> String {
    let seconds = now.saturating_sub(then).max(0);
    let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86_400);
    if minutes < 1 {
        fl!("time-just-now")
    } else if hours < 1 {
        fl!("time-minutes-ago", minutes = minutes)
    } else if days < 1 {
        fl!("time-hours-ago", hours = hours)
    } else if days < RELATIVE_DAYS {
        fl!("time-days-ago", days = days)
    } else {
        crate::format::time::date(then)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_780_800; // 2026-11-27 12:00 UTC

    #[test]
    fn recent_moments_read_relative_and_older_ones_as_a_date() {
        assert_eq!(ago(NOW - 20, NOW), fl!("time-just-now"));
        assert_eq!(ago(NOW - 300, NOW), fl!("time-minutes-ago", minutes = 5));
        assert_eq!(ago(NOW - 3 * 3600, NOW), fl!("time-hours-ago", hours = 3));
        assert_eq!(ago(NOW - 2 * 86_400, NOW), fl!("time-days-ago", days = 2));
        assert_eq!(
            ago(NOW - 30 * 86_400, NOW),
            crate::format::time::date(NOW - 30 * 86_400)
        );
    }

    #[test]
    fn a_moment_in_the_future_reads_as_just_now() {
        assert_eq!(ago(NOW + 90, NOW), fl!("time-just-now"));
        assert_eq!(ago(i64::MAX, i64::MIN), fl!("time-just-now"));
    }
}
