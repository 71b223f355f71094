//! Times as people read them: "5 min ago" for the recent past, a calendar date
//! beyond that. All inputs are server time (seconds since the epoch), so a wrong
//! PC clock does not make a fresh request look old.

use crate::fl;

/// A week: past this, "n days ago" is harder to place than a date.
const RELATIVE_DAYS: i64 = 7;

/// How long before `now` the moment `then` was: "just now", "5 min ago", "3 hours
/// ago", "2 days ago", and a UTC date (`2026-11-27`) from a week on. A `then` in the
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
        let (year, month, day) = civil_date(then);
        format!("{year}-{month:02}-{day:02}")
    }
}

/// `seconds` since the epoch as a UTC date and time, `2026-11-27 12:05 UTC`.
pub fn utc_time(seconds: i64) -> String {
    let (year, month, day) = civil_date(seconds);
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60
    )
}

/// The UTC calendar date (year, month, day) of `seconds` since the epoch.
fn civil_date(seconds: i64) -> (i64, i64, i64) {
    let days = seconds.div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_780_800; // 2026-11-27 12:00 UTC

    #[test]
    fn utc_time_is_the_calendar_date() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(NOW), "2026-11-27 12:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn recent_moments_read_relative_and_older_ones_as_a_date() {
        assert_eq!(ago(NOW - 20, NOW), fl!("time-just-now"));
        assert_eq!(ago(NOW - 300, NOW), fl!("time-minutes-ago", minutes = 5));
        assert_eq!(ago(NOW - 3 * 3600, NOW), fl!("time-hours-ago", hours = 3));
        assert_eq!(ago(NOW - 2 * 86_400, NOW), fl!("time-days-ago", days = 2));
        assert_eq!(ago(NOW - 30 * 86_400, NOW), "2026-10-28");
    }

    #[test]
    fn a_moment_in_the_future_reads_as_just_now() {
        assert_eq!(ago(NOW + 90, NOW), fl!("time-just-now"));
        assert_eq!(ago(i64::MAX, i64::MIN), fl!("time-just-now"));
    }
}
