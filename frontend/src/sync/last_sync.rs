//! When the server last answered, kept across reloads in localStorage: small and synchronous, so
//! the first render after a reload already says "synced 14:02" instead of "never synced".

use gloo_storage::{LocalStorage, Storage};

const KEY: &str = "faraday.last_sync_ms";
/// Writes at most this often: the time moves at every live event, staff read it to the minute.
const WRITE_EVERY_MS: u64 = 5_000;

pub fn load() -> Option<u64> {
    LocalStorage::get(KEY).ok()
}

/// Remembers `ms` (the replicator's `last_sync_ms`) unless `written` is recent enough.
pub fn save(ms: u64, written: &mut Option<u64>) {
    if written.is_some_and(|w| ms < w + WRITE_EVERY_MS) {
        return;
    }
    // Unavailable storage (private mode, quota) only costs the time after a reload.
    if let Err(e) = LocalStorage::set(KEY, ms) {
        log::warn!("the last sync time cannot be kept: {e}");
    }
    *written = Some(ms);
}
