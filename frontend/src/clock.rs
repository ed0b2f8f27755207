//! Whether this device's clock may stamp what staff record. A clock off by more than the server
//! tolerates either gets everything refused later (fast) or records wrong times for good (slow), so
//! the device refuses commands while it knows its clock is off (docs/PROTOCOL.md, "Time").
//!
//! What it knows is the replicator's last measurement against the server, carried forward on the
//! monotonic clock: setting the clock right is noticed at once, offline too. The measurement lives
//! as long as the page: after a reload without a network the device knows only the latest time the
//! server's clock was seen to show (kept in localStorage): a clock behind it was set back, and the
//! server's own bound refuses what a fast clock stamped meanwhile.

use crate::browser;
use app::client::ClientState;
use leptos::prelude::*;
use shared::replication::{ClockOff, ClockReading, SyncStatus};
use std::cell::Cell;

pub struct DeviceClock {
    reading: Cell<Option<ClockReading>>,
    state: ClientState,
}

impl DeviceClock {
    pub fn new(state: ClientState) -> Self {
        Self { reading: Cell::new(None), state }
    }

    /// Keeps the replicator's measurement, if it is a new one. The monotonic time is read now, a
    /// little after the answer (the store work in between), which makes the clock look that much
    /// faster: milliseconds against a bound of minutes.
    pub fn measured(&self, status: &SyncStatus) {
        let (Some(skew_ms), Some(wall_ms)) = (status.clock_skew_ms, status.clock_measured_ms) else { return };
        if self.reading.get().is_some_and(|r| (r.skew_ms, r.wall_ms) == (skew_ms, wall_ms)) {
            return;
        }
        self.reading.set(Some(ClockReading { skew_ms, wall_ms, mono_ms: browser::mono_ms() }));
        let _ = self.check();
    }

    /// Err while the clock is known to be off; shows the answer on every page
    /// (`ClientState::clock_off`). Without a measurement in this page (a reload offline), a clock
    /// behind the latest time the server was seen to show was set back since.
    pub fn check(&self) -> Result<(), ClockOff> {
        let now = match self.reading.get() {
            Some(r) => r.check(browser::now_ms(), browser::mono_ms()),
            None => {
                crate::sync::kept::server_seen().map_or(Ok(()), |seen| ClockOff::behind_server(browser::now_ms(), seen))
            }
        };
        let off = now.err();
        if self.state.clock_off.with_untracked(|shown| *shown != off) {
            self.state.clock_off.set(off);
        }
        now
    }
}
