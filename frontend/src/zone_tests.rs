//! The club's zone as the browser answers it (`app::format::ClubZone`, over `Intl`), held to the
//! domain's own DST rules (`shared::calendar::Rules`), in Chromium.

use app::format::{time_in, ClubZone};
use shared::calendar::{day_start_ms, Date, Rules, Zone};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const H: u64 = 3_600_000;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[wasm_bindgen_test]
fn berlin_and_new_york_have_the_offsets_of_their_rules_every_quarter_hour_of_2026() {
    for (name, rules) in [("Europe/Berlin", Rules::CentralEurope), ("America/New_York", Rules::UsEastern)] {
        let zone = ClubZone::named(name);
        assert!(zone.known(), "{name}");
        let start = d("2026-01-01").days_since_epoch() as u64 * 24 * H;
        for quarter in 0..(365 * 24 * 4) {
            let t = start + quarter * 900_000 + 123;
            assert_eq!(zone.offset_ms(t), rules.offset_ms(t), "{name} at {t}");
        }
        for day in ["2026-03-08", "2026-03-29", "2026-10-25", "2026-11-01"] {
            assert_eq!(day_start_ms(&zone, d(day)), day_start_ms(&rules, d(day)), "{name} {day}");
        }
    }
}

#[wasm_bindgen_test]
fn a_zone_the_browser_does_not_know_reads_as_utc_and_says_so() {
    let zone = ClubZone::named("Mars/Olympus_Mons");
    assert!(!zone.known());
    assert_eq!(zone.offset_ms(1_764_000_000_000), 0);
    assert!(ClubZone::named("UTC").known());
}

#[wasm_bindgen_test]
fn times_are_shown_on_the_clubs_wall_clock() {
    let kiritimati = ClubZone::named("Pacific/Kiritimati");
    let t = d("2026-12-01").days_since_epoch() as u64 * 24 * H + 9 * H;
    // UTC+14: 09:00 UTC is 23:00 the same day there.
    assert_eq!(time_in(&kiritimati, t, t), "23:00");
    assert_eq!(time_in(&kiritimati, t + 2 * H, t), "2 Dec 01:00");
}
