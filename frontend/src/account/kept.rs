//! What the device keeps about its staff, in localStorage (small, synchronous: the first render
//! after a reload already knows who is signed in, offline too). Never a password: only what the
//! server answered at sign-in.

use app::account::{DeviceClub, Sessions};
use gloo_storage::{LocalStorage, Storage};
use serde::{de::DeserializeOwned, Serialize};
use shared::{access::StaffId, protocol::StaffMember};

pub const SESSIONS: &str = "faraday.sessions";
pub const CLUB: &str = "faraday.club";
/// The club's staff with their roles (who made an event, who may coach a class).
const STAFF: &str = "faraday.staff";
/// Names only, as versions before classes kept them: dropped when the list is next saved.
const STAFF_NAMES: &str = "faraday.staff_names";
/// Sign-outs the server has not heard of yet (made offline): sent when it answers again. Kept
/// through a wipe, which is exactly when they matter.
const SIGN_OUTS_OWED: &str = "faraday.sign_outs_owed";

pub fn sessions() -> Sessions {
    get(SESSIONS).unwrap_or_default()
}

pub fn save_sessions(sessions: &Sessions) {
    set(SESSIONS, sessions);
}

pub fn club() -> Option<DeviceClub> {
    get(CLUB)
}

pub fn save_club(club: &DeviceClub) {
    set(CLUB, club);
}

pub fn staff() -> Vec<StaffMember> {
    get(STAFF).unwrap_or_default()
}

pub fn save_staff(staff: &[StaffMember]) {
    LocalStorage::delete(STAFF_NAMES);
    set(STAFF, &staff);
}

pub fn sign_outs_owed() -> Vec<StaffId> {
    get(SIGN_OUTS_OWED).unwrap_or_default()
}

pub fn save_sign_outs_owed(owed: &[StaffId]) {
    if owed.is_empty() {
        LocalStorage::delete(SIGN_OUTS_OWED);
    } else {
        set(SIGN_OUTS_OWED, &owed);
    }
}

/// Forgets who worked here and for which club (the device's data is being deleted).
pub fn forget() {
    for key in [SESSIONS, CLUB, STAFF, STAFF_NAMES] {
        LocalStorage::delete(key);
    }
}

fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    LocalStorage::get(key).inspect_err(|e| log::debug!("{key}: {e}")).ok()
}

fn set<T: Serialize + ?Sized>(key: &str, value: &T) {
    // Unavailable storage (private mode, quota): the session lasts as long as the page.
    if let Err(e) = LocalStorage::set(key, value) {
        log::warn!("{key} cannot be kept: {e}");
    }
}
