//! The club's settings on this device (`ClientState::settings`): read from the club's stream row
//! (the generic `clubs` stream table, `ClubSettings::STREAMS`) at start and after every store
//! change; the defaults until the club's stream arrives.

use crate::store::{Store, StreamRecord};
use app::client::ClientState;
use leptos::prelude::*;
use shared::{access::ClubId, club::ClubSettings, projection::Projected, StreamKind};

/// The settings in `records` of the device's club (of any club while the device does not know
/// its club yet: it only ever holds one club's data).
fn of_club<'a>(records: impl IntoIterator<Item = &'a StreamRecord>, club: Option<ClubId>) -> Option<ClubSettings> {
    records
        .into_iter()
        .filter(|r| r.stream().is_some_and(|s| s.kind == StreamKind::Club && club.is_none_or(|c| s.id == c.0)))
        .find_map(|r| r.state::<ClubSettings>().inspect_err(|e| log::error!("{e}")).ok())
}

fn club(state: &ClientState) -> Option<ClubId> {
    state.club.with_untracked(|c| c.as_ref().map(|c| c.club))
}

/// The club's settings as stored on this device; none if it holds none yet.
pub async fn load(store: &Store, state: &ClientState) -> Result<Option<ClubSettings>, String> {
    let records = store.streams(ClubSettings::STREAMS).await?;
    Ok(of_club(&records, club(state)))
}

/// Shows the club's `settings` (times in the club's zone from now on); whether the zone changed.
pub fn set(state: &ClientState, settings: ClubSettings) -> bool {
    if !state.settings_found.get_untracked() {
        state.settings_found.set(true);
    }
    app::format::show_times_in(&settings);
    let zone_changed = state.settings.with_untracked(|s| s.time_zone != settings.time_zone);
    if state.settings.with_untracked(|s| *s != settings) {
        state.settings.set(settings);
    }
    zone_changed
}

/// Brings the settings in step with one committed store transaction; whether the club's zone changed.
pub fn show(state: &ClientState, streams: &[StreamRecord]) -> bool {
    match of_club(streams, club(state)) {
        Some(settings) => set(state, settings),
        None => false,
    }
}
