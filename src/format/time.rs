//! Times in the computer's time zone, with the zone shown, in the UI language's
//! format: `Nov 27, 2026, 1:00 PM CET` in English, `27.11.2026 kl. 13.00 CET` in
//! Danish. jiff reads the system's time zone database (TZ first, then the system
//! setting; a bundled copy on Windows), so daylight saving follows the rules of the
//! date shown. The pattern is the translation's (`format-date-time`, `format-date`),
//! so each language writes dates its own way.

use jiff::Timestamp;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;

use crate::fl;

/// What a broken translation pattern gives way to: ISO 8601 with the zone.
const FALLBACK: &str = "%Y-%m-%d %H:%M %Z";

/// `seconds` since the epoch as a date and time in the computer's zone.
pub fn date_time(seconds: i64) -> String {
    in_zone(seconds, &TimeZone::system(), &fl!("format-date-time"))
}

/// The calendar date of `seconds` since the epoch in the computer's zone.
pub fn date(seconds: i64) -> String {
    in_zone(seconds, &TimeZone::system(), &fl!("format-date"))
}

/// `seconds` since the epoch in `zone`, written by the strftime `pattern`.
pub fn in_zone(seconds: i64, zone: &TimeZone, pattern: &str) -> String {
    // Past year 9999 (a server's bad clock): the number is all there is to show.
    let Ok(instant) = Timestamp::from_second(seconds) else {
        return seconds.to_string();
    };
    let zoned = instant.to_zoned(zone.clone());
    strtime::format(pattern, &zoned)
        .or_else(|_| strtime::format(FALLBACK, &zoned))
        .unwrap_or_else(|_| zoned.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::loader_for;

    const NOW: i64 = 1_795_780_800; // 2026-11-27 12:00 UTC
    /// 2026-03-29 01:00 UTC: Europe's clocks go from 02:00 CET to 03:00 CEST.
    const EU_SPRING: i64 = 1_774_746_000;
    /// 2026-11-01 06:00 UTC: New York's go from 02:00 EDT back to 01:00 EST.
    const US_AUTUMN: i64 = 1_793_512_800;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap_or_else(|e| panic!("{name} in the tz database: {e}"))
    }

    fn pattern(lang: &str, id: &str) -> String {
        let loader = loader_for(&[lang.parse().expect("a language code")]);
        loader.get(id)
    }

    fn en(seconds: i64, name: &str) -> String {
        in_zone(seconds, &zone(name), &pattern("en", "format-date-time"))
    }

    fn da(seconds: i64, name: &str) -> String {
        in_zone(seconds, &zone(name), &pattern("da", "format-date-time"))
    }

    #[test]
    fn the_same_moment_in_several_zones_with_the_zone_shown() {
        assert_eq!(en(NOW, "UTC"), "Nov 27, 2026, 12:00 PM UTC");
        assert_eq!(en(NOW, "Europe/Copenhagen"), "Nov 27, 2026, 1:00 PM CET");
        assert_eq!(en(NOW, "America/New_York"), "Nov 27, 2026, 7:00 AM EST");
        assert_eq!(da(NOW, "UTC"), "27.11.2026 kl. 12.00 UTC");
        assert_eq!(da(NOW, "Europe/Copenhagen"), "27.11.2026 kl. 13.00 CET");
        assert_eq!(da(NOW, "America/New_York"), "27.11.2026 kl. 07.00 EST");
    }

    #[test]
    fn daylight_saving_changes_the_offset_and_the_zone_name() {
        assert_eq!(
            da(EU_SPRING - 1, "Europe/Copenhagen"),
            "29.03.2026 kl. 01.59 CET"
        );
        assert_eq!(
            da(EU_SPRING, "Europe/Copenhagen"),
            "29.03.2026 kl. 03.00 CEST"
        );
        assert_eq!(
            en(US_AUTUMN - 1, "America/New_York"),
            "Nov 1, 2026, 1:59 AM EDT"
        );
        assert_eq!(
            en(US_AUTUMN, "America/New_York"),
            "Nov 1, 2026, 1:00 AM EST"
        );
        // Summer in New York, for the same date in Copenhagen.
        assert_eq!(
            en(EU_SPRING, "America/New_York"),
            "Mar 28, 2026, 9:00 PM EDT"
        );
    }

    #[test]
    fn the_date_is_the_zones_date() {
        let late = NOW + 11 * 3600 + 30 * 60; // 23:30 UTC
        let date =
            |lang: &str, name: &str| in_zone(late, &zone(name), &pattern(lang, "format-date"));
        assert_eq!(date("en", "UTC"), "Nov 27, 2026");
        assert_eq!(date("en", "Europe/Copenhagen"), "Nov 28, 2026");
        assert_eq!(date("da", "Europe/Copenhagen"), "28.11.2026");
        assert_eq!(date("da", "America/New_York"), "27.11.2026");
    }

    #[test]
    fn a_broken_pattern_or_an_impossible_moment_still_shows_something_true() {
        assert_eq!(
            in_zone(NOW, &zone("UTC"), "%d.%m %"),
            "2026-11-27 12:00 UTC"
        );
        assert_eq!(
            in_zone(i64::MAX, &zone("UTC"), FALLBACK),
            i64::MAX.to_string()
        );
    }

    #[test]
    fn the_computers_zone_is_the_one_shown() {
        // TZ is what jiff reads first; this process's zone is whatever the test
        // command set, so compare with it rather than with a fixed zone.
        let system = TimeZone::system();
        let expected = in_zone(NOW, &system, &fl!("format-date-time"));
        assert_eq!(date_time(NOW), expected);
        let abbreviation = system.to_offset_info(Timestamp::from_second(NOW).unwrap());
        assert!(
            expected.ends_with(abbreviation.abbreviation()),
            "{expected}"
        );
    }
}
