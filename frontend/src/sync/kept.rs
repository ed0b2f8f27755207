//! What sync knew, kept across reloads in localStorage (small and synchronous): the first render
//! after a reload already says "synced 14:02" rather than "never synced", and still knows how much
//! of the server's log this device has not received (a first sync cut short by a reload, say).

use gloo_storage::{LocalStorage, Storage};

const LAST_SYNC: &str = "faraday.last_sync_ms";
const SERVER_HEAD: &str = "faraday.server_head";
const SERVER_SEEN: &str = "faraday.server_seen_ms";
/// Writes the time at most this often: it moves at every live event, staff read it to the minute.
const WRITE_EVERY_MS: u64 = 5_000;

/// When the server last answered (ms since the epoch).
pub fn last_sync() -> Option<u64> {
    LocalStorage::get(LAST_SYNC).ok()
}

/// The highest position the server was known to have.
pub fn server_head() -> u64 {
    LocalStorage::get(SERVER_HEAD).unwrap_or(0)
}

/// The latest time the server's clock was seen to show (ms since the epoch): a device clock behind
/// it was set back since (`ClockOff::behind_server`), known after a reload without a network too.
pub fn server_seen() -> Option<u64> {
    LocalStorage::get(SERVER_SEEN).ok()
}

/// What was written last, to skip writes that would change nothing.
#[derive(Default)]
pub struct Written {
    last_sync: Option<u64>,
    server_head: Option<u64>,
    server_seen: Option<u64>,
}

impl Written {
    /// Remembers the replicator's `last_sync_ms` (unless written recently) and `server_head`
    /// (whenever it changed: a head remembered too low would let the badge say "synced" after a
    /// reload while events are still to come).
    pub fn save(&mut self, last_sync_ms: Option<u64>, server_head: u64) {
        if let Some(ms) = last_sync_ms {
            if self.last_sync.is_none_or(|w| ms >= w + WRITE_EVERY_MS) {
                set(LAST_SYNC, ms);
                self.last_sync = Some(ms);
            }
        }
        if self.server_head != Some(server_head) {
            set(SERVER_HEAD, server_head);
            self.server_head = Some(server_head);
        }
    }

    /// Remembers `server_ms`, the server's clock at an answer, when it is later than what is kept
    /// (never earlier: a clock set back must not lower the mark it is held to).
    pub fn save_server_time(&mut self, server_ms: u64) {
        let kept = self.server_seen.or_else(server_seen);
        if kept.is_none_or(|k| server_ms >= k + WRITE_EVERY_MS) {
            set(SERVER_SEEN, server_ms);
            self.server_seen = Some(server_ms);
        } else if self.server_seen.is_none() {
            self.server_seen = kept;
        }
    }
}

/// Forgets where sync stood (the device's data is being deleted).
pub fn forget() {
    LocalStorage::delete(LAST_SYNC);
    LocalStorage::delete(SERVER_HEAD);
    LocalStorage::delete(SERVER_SEEN);
}

fn set(key: &str, value: u64) {
    // Unavailable storage (private mode, quota) only costs what a reload shows before sync answers.
    if let Err(e) = LocalStorage::set(key, value) {
        log::warn!("{key} cannot be kept: {e}");
    }
}
