//! What the device can truthfully say about its sync: whether the server answered recently (not
//! whether the browser has a network), how far behind it is, how wrong its clock is.

use crate::{protocol::MAX_CLOCK_AHEAD_MS, text};

/// The connection as staff should read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Connection {
    /// The browser has no network.
    Offline,
    /// A network, but no answer from the server yet in this run.
    #[default]
    Connecting,
    /// The server answered, and nothing failed since (a silent live stream counts as failing).
    Online,
    /// A network, but the server does not answer (down, unreachable, or the live stream went silent).
    Unreachable,
}

/// What the sync badge shows (the pending count comes from the store). Serialisable: the tab that
/// replicates tells the device's other tabs.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SyncStatus {
    pub connection: Connection,
    /// The position of the last remote event applied.
    pub cursor: u64,
    /// The highest position the server is known to have: `server_head - cursor` events are still
    /// to come (see [`SyncStatus::behind`]).
    pub server_head: u64,
    pub live: bool,
    pub syncing: bool,
    /// Syncing again from position 0 after the server's log was found replaced.
    pub resyncing: bool,
    /// The last time the server answered (ms since the epoch), kept across reloads.
    pub last_sync_ms: Option<u64>,
    /// Why the server is not reachable, while it is not.
    pub last_error: Option<String>,
    pub retry_at_ms: Option<u64>,
    /// This device's clock minus the server's, measured at the last answer (ms).
    pub clock_skew_ms: Option<i64>,
    /// When (by this device's clock, ms since the epoch) `clock_skew_ms` was measured.
    pub clock_measured_ms: Option<u64>,
    /// When this device found the server's log replaced (restored from a backup) and started over.
    pub log_replaced_ms: Option<u64>,
}

impl SyncStatus {
    /// Remote events the device knows exist and has not applied yet.
    pub fn behind(&self) -> u64 {
        self.server_head.saturating_sub(self.cursor)
    }
}

/// A device clock off by more than [`MAX_CLOCK_AHEAD_MS`] from the server's. Fast, the server refuses
/// what the device records; slow, the device records wrong times (a back-dated check-in, a duplicate
/// window that does not hold). Either way a device that knows it records nothing until its clock is
/// set right, and says why (docs/PROTOCOL.md, "Time").
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this device's clock is {} {}", text::duration(*by_ms), if *fast { "fast" } else { "slow" })]
pub struct ClockOff {
    pub fast: bool,
    /// How far off, in ms.
    pub by_ms: u64,
}

impl ClockOff {
    /// `skew_ms` is the device's clock minus the server's.
    pub fn check(skew_ms: i64) -> Result<(), ClockOff> {
        if skew_ms.unsigned_abs() <= MAX_CLOCK_AHEAD_MS {
            Ok(())
        } else {
            Err(ClockOff { fast: skew_ms > 0, by_ms: skew_ms.unsigned_abs() })
        }
    }
}

impl ClockOff {
    /// Whether `now_ms` (this device's clock) is behind a time the server's clock already showed
    /// (`server_seen_ms`, the latest server time this device heard, kept across reloads) by more
    /// than the bound: the clock was set back since (by hand, or a flat battery), and what it would
    /// stamp now could book a class that has started or escape a late cancel. Known offline too,
    /// after a reload, before any new measurement.
    pub fn behind_server(now_ms: u64, server_seen_ms: u64) -> Result<(), ClockOff> {
        let behind = server_seen_ms.saturating_sub(now_ms);
        if behind <= MAX_CLOCK_AHEAD_MS {
            Ok(())
        } else {
            Err(ClockOff { fast: false, by_ms: behind })
        }
    }
}

/// A measurement of this device's clock against the server's, carried forward on a monotonic
/// clock (the browser's `performance.now()`, which the date and time settings do not move): when
/// staff set the clock right after the measurement, offline too, the device notices at once
/// instead of refusing work until the server answers again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockReading {
    /// The device's clock minus the server's when measured (ms).
    pub skew_ms: i64,
    /// The device's clock when measured (ms since the epoch).
    pub wall_ms: u64,
    /// The monotonic clock when measured (ms, any origin).
    pub mono_ms: u64,
}

impl ClockReading {
    /// The device's clock minus the server's at `wall_now_ms`/`mono_now_ms`: the server's clock
    /// has moved on by as much as the monotonic one since the measurement.
    pub fn skew_now(&self, wall_now_ms: u64, mono_now_ms: u64) -> i64 {
        let server_then = self.wall_ms as i64 - self.skew_ms;
        let server_now = server_then + mono_now_ms.saturating_sub(self.mono_ms) as i64;
        wall_now_ms as i64 - server_now
    }

    /// Whether the device's clock is still within the bound now (see [`ClockOff`]).
    pub fn check(&self, wall_now_ms: u64, mono_now_ms: u64) -> Result<(), ClockOff> {
        ClockOff::check(self.skew_now(wall_now_ms, mono_now_ms))
    }
}

/// The replicator's record of its exchanges with the server.
#[derive(Debug, Default)]
pub(super) struct Contact {
    pub last_sync_ms: Option<u64>,
    answered_this_run: bool,
    pub last_error: Option<String>,
    pub clock_skew_ms: Option<i64>,
    pub clock_measured_ms: Option<u64>,
}

impl Contact {
    pub fn new(last_sync_ms: Option<u64>) -> Self {
        Self { last_sync_ms, ..Self::default() }
    }

    /// The server answered at `now_ms`; `server_ms` is its clock when it did, if it said.
    pub fn answered(&mut self, now_ms: u64, server_ms: Option<u64>) {
        self.last_sync_ms = Some(now_ms);
        self.answered_this_run = true;
        self.last_error = None;
        if let Some(server_ms) = server_ms {
            self.clock_skew_ms = Some(now_ms as i64 - server_ms as i64);
            self.clock_measured_ms = Some(now_ms);
        }
    }

    /// The server answered, with a refusal: reachable, and the refused events say why.
    pub fn refused(&mut self, now_ms: u64) {
        self.answered(now_ms, None);
    }

    pub fn failed(&mut self, reason: String) {
        self.last_error = Some(reason);
    }

    pub fn connection(&self, online: bool) -> Connection {
        if !online {
            Connection::Offline
        } else if self.last_error.is_some() {
            Connection::Unreachable
        } else if self.answered_this_run {
            Connection::Online
        } else {
            Connection::Connecting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_set_back_behind_a_time_the_server_already_showed_is_slow_offline_too() {
        let seen = 1_780_000_000_000;
        assert_eq!(ClockOff::behind_server(seen, seen), Ok(()));
        assert_eq!(ClockOff::behind_server(seen + 3_600_000, seen), Ok(()), "time moved on");
        assert_eq!(ClockOff::behind_server(seen - MAX_CLOCK_AHEAD_MS, seen), Ok(()), "within the bound");
        assert_eq!(
            ClockOff::behind_server(seen - 2 * 3_600_000, seen),
            Err(ClockOff { fast: false, by_ms: 2 * 3_600_000 })
        );
        assert_eq!(
            ClockOff::behind_server(seen - 2 * 3_600_000, seen).unwrap_err().to_string(),
            "this device's clock is 2 h slow"
        );
    }

    #[test]
    fn a_clock_off_by_more_than_the_bound_is_named() {
        let warning = |skew| ClockOff::check(skew).err().map(|off| off.to_string());
        assert_eq!(warning(2 * 3_600_000).as_deref(), Some("this device's clock is 2 h fast"));
        assert_eq!(warning(-3 * 86_400_000).as_deref(), Some("this device's clock is 3 days slow"));
        assert_eq!(warning(30_000), None);
    }

    const HOUR: u64 = 3_600_000;

    #[test]
    fn a_clock_set_right_after_it_was_measured_is_trusted_at_once() {
        // Measured 2 h fast at 12:00 (device time 14:00); one minute later staff set it right.
        let reading = ClockReading { skew_ms: 2 * HOUR as i64, wall_ms: 14 * HOUR, mono_ms: 5_000 };
        assert!(reading.check(14 * HOUR + 30_000, 35_000).is_err(), "still wrong half a minute later");
        assert_eq!(reading.skew_now(12 * HOUR + 60_000, 65_000), 0);
        assert_eq!(reading.check(12 * HOUR + 60_000, 65_000), Ok(()));
    }

    #[test]
    fn a_clock_set_wrong_after_it_was_measured_is_noticed_without_the_server() {
        let reading = ClockReading { skew_ms: 0, wall_ms: 12 * HOUR, mono_ms: 0 };
        let off = reading.check(12 * HOUR + 60_000 - 3 * HOUR, 60_000).unwrap_err();
        assert_eq!(off, ClockOff { fast: false, by_ms: 3 * HOUR });
        assert_eq!(off.to_string(), "this device's clock is 3 h slow");
    }
}
