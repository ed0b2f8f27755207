//! How far a catch-up with the server's log has come, counted from what the store has actually
//! applied (the replicator's cursor runs ahead of the store by the operations still queued).

use app::client::Progress;
use shared::replication::SyncStatus;

/// Catch-ups smaller than this are over before anyone could read a number.
const SHOWN_FROM: u64 = 100;

pub struct CatchUp {
    /// The cursor of the last apply the store carried out.
    applied: u64,
    /// Where the catch-up under way started.
    from: Option<u64>,
}

impl CatchUp {
    pub fn new(saved_cursor: u64) -> Self {
        Self { applied: saved_cursor, from: None }
    }

    /// The store applied everything up to `cursor`.
    pub fn applied(&mut self, cursor: u64) {
        self.applied = cursor;
    }

    /// The store starts over from position 0 (the server's log was replaced).
    pub fn restart(&mut self) {
        *self = Self::new(0);
    }

    /// The progress to show, if a catch-up worth showing is under way: a new device's bootstrap,
    /// a burst of live events, the resync after a restore.
    pub fn progress(&mut self, status: &SyncStatus) -> Option<Progress> {
        let head = status.server_head;
        if head <= self.applied {
            self.from = None;
            return None;
        }
        let from = *self.from.get_or_insert(self.applied);
        let total = head.saturating_sub(from);
        (total >= SHOWN_FROM || status.resyncing).then(|| Progress { done: self.applied.saturating_sub(from), total })
    }
}
