//! The replicator's decisions, as a sans-IO state machine (the quinn-proto / str0m pattern).
//!
//! The browser's IndexedDB + fetch + EventSource adapter and the server's tests both drive this
//! same core: feed one input with `handle_input(now, input)` (or `handle_timeout(now)` when
//! `poll_timeout()` is due), then drain `poll_output()` until it returns `None`, carrying out each
//! output in order before feeding the next input.

mod backoff;
pub mod memory;
mod replicator;
mod status;
#[cfg(test)]
mod tests;

pub use backoff::Backoff;
pub use replicator::{
    Failure, Input, Output, Replicator, Saved, StoreOp, MAX_APPLY_EVENTS, PULL_PAGE, PUSH_MAX_EVENTS,
};
pub use status::{ClockOff, ClockReading, Connection, SyncStatus};
