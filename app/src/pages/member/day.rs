//! The club's day: "today", and the instant a club-local date and time mean, in the club's time
//! zone (DOMAIN.md "Time"), for the entry decision and every membership command.

use crate::format;
use leptos::prelude::*;
use shared::{
    calendar::{self, Date, Zone},
    club::ClubSettings,
};
use std::time::Duration;

fn zone(settings: &ClubSettings) -> impl Zone {
    format::club_zone(settings)
}

/// The club-local date of an instant.
pub fn date_of(settings: &ClubSettings, ms: u64) -> Date {
    calendar::date_of(&zone(settings), ms)
}

/// The club-local date now.
pub fn today(settings: &ClubSettings) -> Date {
    date_of(settings, format::now_ms())
}

/// The instant (ms since the epoch) at which the club's clocks read `minute` (minutes after
/// midnight) on `date`; on a night the clocks change, the reading under the offset then in force.
pub fn instant(settings: &ClubSettings, date: Date, minute: u32) -> u64 {
    let zone = zone(settings);
    let start = calendar::day_start_ms(&zone, date);
    let guess = start + u64::from(minute) * 60_000;
    let shift = zone.offset_ms(guess) - zone.offset_ms(start);
    guess.saturating_add_signed(-shift)
}

/// A clock for the page: "now" read again every 20 s, so that a decision that depends on the time
/// (the duplicate window running out, midnight) follows without a reload.
pub fn ticking_now() -> RwSignal<u64> {
    let now = RwSignal::new(format::now_ms());
    if let Ok(handle) = set_interval_with_handle(move || now.set(format::now_ms()), Duration::from_secs(20)) {
        on_cleanup(move || handle.clear());
    }
    now
}
