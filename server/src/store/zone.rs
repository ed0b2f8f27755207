//! The clubs' time zones on the server (`shared::calendar::Zone` over jiff's built-in zone
//! database): what a device's club-local dates are held to at append.

use jiff::{tz::TimeZone, Timestamp};

/// A club's zone; UTC when its name is not a zone (a club that never set one is on UTC).
pub struct ClubZone(TimeZone);

impl ClubZone {
    pub fn named(name: &str) -> Self {
        Self(TimeZone::get(name).unwrap_or(TimeZone::UTC))
    }
}

impl shared::calendar::Zone for ClubZone {
    fn offset_ms(&self, utc_ms: u64) -> i64 {
        let at = Timestamp::from_millisecond(utc_ms.min(i64::MAX as u64) as i64).unwrap_or(Timestamp::MAX);
        i64::from(self.0.to_offset(at).seconds()) * 1000
    }
}

/// Whether `name` is a zone of the IANA database this server holds.
pub fn exists(name: &str) -> bool {
    TimeZone::get(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::calendar::{Rules, Zone};

    #[test]
    fn berlin_and_new_york_follow_their_rules_through_2026() {
        let (berlin, new_york) = (ClubZone::named("Europe/Berlin"), ClubZone::named("America/New_York"));
        let start = 1_767_225_600_000u64; // 2026-01-01T00:00Z
        for quarter_hour in (0..365 * 96).step_by(7) {
            let t = start + quarter_hour * 900_000;
            assert_eq!(berlin.offset_ms(t), Rules::CentralEurope.offset_ms(t), "{t}");
            assert_eq!(new_york.offset_ms(t), Rules::UsEastern.offset_ms(t), "{t}");
        }
        assert!(exists("Europe/Berlin") && !exists("Mars/Olympus"));
    }
}
