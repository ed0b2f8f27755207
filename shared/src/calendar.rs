//! Club-local dates and the club's time zone (DOMAIN.md "Time").
//!
//! Instants travel as UTC milliseconds since the epoch; dates as ISO `YYYY-MM-DD` in the club's
//! zone. Which offset a zone has at an instant is the one thing the domain cannot know by itself
//! (it holds no time-zone database, so the wasm stays small): it comes in through [`Zone`], which
//! the browser answers with `Intl` and the server with the system's zone database. Everything
//! else ("today", the first instant of a day on a DST night) is computed here, once.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

const DAY_MS: i64 = 86_400_000;

/// A day in the club's calendar (proleptic Gregorian), stored as days since 1970-01-01.
/// Serialized as `"YYYY-MM-DD"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(i32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a date is written YYYY-MM-DD (2026-03-29), got {0:?}")]
pub struct InvalidDate(pub String);

impl Date {
    /// The earliest and latest dates the domain accepts: years 1900 to 2999.
    pub const MIN: Date = Date(-25_567);
    pub const MAX: Date = Date(376_199);

    /// `None` for a day that does not exist (February 30th) or a year outside 1900–2999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let date = Date(days_from_civil(year, month, day));
        (Date::MIN..=Date::MAX).contains(&date).then_some(date)
    }

    /// (year, month 1–12, day 1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// The date `n` days later (earlier for negative `n`), kept within [`Date::MIN`]..=[`Date::MAX`].
    pub fn add_days(self, n: i32) -> Date {
        Date(self.0.saturating_add(n).clamp(Date::MIN.0, Date::MAX.0))
    }

    /// How many days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0 - self.0
    }

    /// The same day `n` months later, or the month's last day when it has no such day
    /// (January 31st + 1 month = February 28th or 29th).
    pub fn add_months(self, n: u32) -> Date {
        let (y, m, d) = self.ymd();
        let months = (y as i64) * 12 + (m as i64 - 1) + n as i64;
        let (year, month) = ((months.div_euclid(12)) as i32, (months.rem_euclid(12) + 1) as u32);
        let day = d.min(days_in_month(year, month));
        Date::from_ymd(year, month, day).unwrap_or(Date::MAX)
    }

    /// Monday 0 … Sunday 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as u32
    }

    /// The UTC calendar date of an instant (what a zone of offset 0 says).
    pub fn utc_of(ms: u64) -> Date {
        Date((ms as i64).div_euclid(DAY_MS) as i32)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Date {
    type Err = InvalidDate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidDate(s.chars().take(40).collect());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(invalid());
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            s.get(r).filter(|p| p.bytes().all(|c| c.is_ascii_digit()))?.parse().ok()
        };
        let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else { return Err(invalid()) };
        Date::from_ymd(y as i32, m, d).ok_or_else(invalid)
    }
}

impl TryFrom<String> for Date {
    type Error = InvalidDate;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Date> for String {
    fn from(value: Date) -> Self {
        value.to_string()
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` (public domain algorithms).
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A time zone's offset from UTC at an instant: the one fact the domain asks of the platform.
pub trait Zone {
    /// Milliseconds to add to a UTC instant (ms since the epoch) to read the zone's wall clock
    /// at that instant (+3,600,000 for Berlin in winter).
    fn offset_ms(&self, utc_ms: u64) -> i64;
}

/// UTC, and any zone that never changes its offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fixed(pub i64);

impl Zone for Fixed {
    fn offset_ms(&self, _utc_ms: u64) -> i64 {
        self.0
    }
}

/// The club-local wall-clock reading of `ms`, as ms since the epoch of the local calendar.
fn local_ms(zone: &dyn Zone, ms: u64) -> i64 {
    ms as i64 + zone.offset_ms(ms)
}

/// The club-local date of an instant (a check-in at 00:30 belongs to the new day).
pub fn date_of(zone: &dyn Zone, ms: u64) -> Date {
    Date(local_ms(zone, ms).div_euclid(DAY_MS) as i32)
}

/// The club-local time of day of an instant, in minutes after midnight (0–1439).
pub fn minute_of_day(zone: &dyn Zone, ms: u64) -> u32 {
    (local_ms(zone, ms).rem_euclid(DAY_MS) / 60_000) as u32
}

/// The first instant (ms since the epoch) whose club-local date is `date`: midnight, or on a
/// night whose clocks skip midnight, the first minute that exists. "Today's check-ins" are those
/// from `day_start_ms(today)` to `day_start_ms(tomorrow)`, which is 23 or 25 hours on DST nights.
pub fn day_start_ms(zone: &dyn Zone, date: Date) -> u64 {
    let local_midnight = date.0 as i64 * DAY_MS;
    // The instant whose wall clock reads local midnight under the offset in force then: try the
    // offsets of the hours around it (offsets change at most a few times a day).
    let mut best: Option<i64> = None;
    for probe_h in [-36i64, -24, -12, 0, 12, 24, 36] {
        let probe = (local_midnight + probe_h * 3_600_000).max(0) as u64;
        let candidate = local_midnight - zone.offset_ms(probe);
        if candidate < 0 {
            continue;
        }
        if date_of(zone, candidate as u64) == date && best.is_none_or(|b| candidate < b) {
            best = Some(candidate);
        }
    }
    // Midnight itself skipped (a zone that springs forward at 00:00): the day starts at the first
    // instant after the previous day's end, found by bisection between the candidates.
    let start = best.unwrap_or_else(|| {
        let mut lo = (local_midnight - 36 * 3_600_000).max(0);
        let mut hi = local_midnight + 36 * 3_600_000;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if date_of(zone, mid as u64) >= date {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    });
    // The day may have begun earlier than that candidate (an offset that fell back shortly
    // after midnight): walk back while the previous minute is still this date.
    let mut start = start;
    while start >= 60_000 && date_of(zone, (start - 60_000) as u64) == date {
        start -= 60_000;
    }
    start.max(0) as u64
}

/// A zone that follows daylight-saving rules of the European Union and North America, for tests
/// and simulations of DST nights without a time-zone database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// Central European: UTC+1, UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday
    /// of October 01:00 UTC (`Europe/Berlin` since 1996).
    CentralEurope,
    /// US Eastern: UTC−5, UTC−4 from the second Sunday of March 02:00 local to the first Sunday
    /// of November 02:00 local (`America/New_York` since 2007).
    UsEastern,
}

impl Zone for Rules {
    fn offset_ms(&self, utc_ms: u64) -> i64 {
        const H: i64 = 3_600_000;
        let year = Date::utc_of(utc_ms).ymd().0;
        let t = utc_ms as i64;
        let sunday_on_or_before = |d: Date| d.add_days(-(((d.weekday() + 1) % 7) as i32));
        match self {
            Rules::CentralEurope => {
                let start = sunday_on_or_before(Date::from_ymd(year, 3, 31).expect("a day")).0 as i64 * 86_400_000 + H;
                let end = sunday_on_or_before(Date::from_ymd(year, 10, 31).expect("a day")).0 as i64 * 86_400_000 + H;
                if (start..end).contains(&t) {
                    2 * H
                } else {
                    H
                }
            }
            Rules::UsEastern => {
                let second_sunday_march = sunday_on_or_before(Date::from_ymd(year, 3, 14).expect("a day"));
                let first_sunday_november = sunday_on_or_before(Date::from_ymd(year, 11, 7).expect("a day"));
                // 02:00 local standard time = 07:00 UTC; 02:00 local daylight time = 06:00 UTC.
                let start = second_sunday_march.0 as i64 * 86_400_000 + 7 * H;
                let end = first_sunday_november.0 as i64 * 86_400_000 + 6 * H;
                if (start..end).contains(&t) {
                    -4 * H
                } else {
                    -5 * H
                }
            }
        }
    }
}

/// Whether `name` is written like an IANA time-zone name (`Europe/Berlin`, `America/Argentina/Salta`,
/// `UTC`). Which names exist is the platform's to say; this keeps junk out of the log.
pub fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("//")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
        && name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn utc(s: &str, hh: i64, mm: i64) -> u64 {
        (d(s).0 as i64 * DAY_MS + hh * 3_600_000 + mm * 60_000) as u64
    }

    #[test]
    fn dates_read_and_write_as_iso_and_refuse_days_that_do_not_exist() {
        assert_eq!(d("2026-03-29").to_string(), "2026-03-29");
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("2024-02-29").ymd(), (2024, 2, 29));
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026-01-32", "3000-01-01", "+026-01-01"] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_value(d("2026-12-01")).unwrap(), serde_json::json!("2026-12-01"));
    }

    #[test]
    fn months_are_added_as_calendars_do_clamping_to_the_months_last_day() {
        assert_eq!(d("2026-01-31").add_months(1), d("2026-02-28"));
        assert_eq!(d("2024-01-31").add_months(1), d("2024-02-29"));
        assert_eq!(d("2026-11-15").add_months(3), d("2027-02-15"));
        assert_eq!(d("2026-03-01").add_months(12), d("2027-03-01"));
        assert_eq!(d("2026-12-01").weekday(), 1, "a Tuesday");
    }

    #[test]
    fn a_check_in_at_half_past_midnight_belongs_to_the_new_day() {
        let berlin = Rules::CentralEurope;
        // 23:30 UTC on 1 December is 00:30 on 2 December in Berlin.
        assert_eq!(date_of(&berlin, utc("2026-12-01", 23, 30)), d("2026-12-02"));
        assert_eq!(minute_of_day(&berlin, utc("2026-12-01", 23, 30)), 30);
        assert_eq!(date_of(&Fixed(0), utc("2026-12-01", 23, 30)), d("2026-12-01"));
    }

    #[test]
    fn the_spring_forward_day_has_23_hours_and_the_fall_back_day_25() {
        for (zone, spring, fall) in
            [(Rules::CentralEurope, "2026-03-29", "2026-10-25"), (Rules::UsEastern, "2026-03-08", "2026-11-01")]
        {
            let len = |day: Date| day_start_ms(&zone, day.add_days(1)) - day_start_ms(&zone, day);
            assert_eq!(len(d(spring)), 23 * 3_600_000, "{zone:?} {spring}");
            assert_eq!(len(d(fall)), 25 * 3_600_000, "{zone:?} {fall}");
            assert_eq!(len(d(spring).add_days(-1)), 24 * 3_600_000);
            for day in [d(spring), d(fall), d(fall).add_days(1)] {
                let start = day_start_ms(&zone, day);
                assert_eq!(date_of(&zone, start), day);
                assert_eq!(minute_of_day(&zone, start), 0);
                assert_eq!(date_of(&zone, start - 1), day.add_days(-1));
            }
        }
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_its_first_minute() {
        // A zone that springs forward at local midnight (as Santiago or Havana did).
        struct MidnightJump;
        impl Zone for MidnightJump {
            fn offset_ms(&self, utc_ms: u64) -> i64 {
                // UTC−4 until 2026-09-06 04:00 UTC (local midnight), then UTC−3.
                if utc_ms < utc("2026-09-06", 4, 0) {
                    -4 * 3_600_000
                } else {
                    -3 * 3_600_000
                }
            }
        }
        let start = day_start_ms(&MidnightJump, d("2026-09-06"));
        assert_eq!(start, utc("2026-09-06", 4, 0));
        assert_eq!(minute_of_day(&MidnightJump, start), 60, "the day begins at 01:00");
    }

    #[test]
    fn zone_names_are_iana_shaped() {
        for good in ["UTC", "Europe/Berlin", "America/Argentina/Salta", "Etc/GMT+5"] {
            assert!(is_zone_name(good), "{good}");
        }
        for bad in ["", "europe/berlin", "Europe//Berlin", "/Europe", "Europe/Berlin\n", "Europe/Bér"] {
            assert!(!is_zone_name(bad), "{bad:?}");
        }
    }
}
