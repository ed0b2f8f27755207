//! How far a catch-up with the server's log has come, counted from what the store has actually
//! applied (the replicator's cursor runs ahead of the store by the operations still queued).

use app::client::Progress;
use shared::replication::SyncStatus;

/// Catch-ups smaller than this are over before anyone could read a number.
const SHOWN_FROM: u64 = 100;
/// A catch-up that resumes within this long of catching up is the same one: a burst of live events
/// arrives in batches, and counting each from zero would read "0 of 1,000" again and again.
const SAME_CATCH_UP_MS: u64 = 1_500;

pub struct CatchUp {
    /// The cursor of the last apply the store carried out.
    applied: u64,
    /// Where the catch-up under way started.
    from: Option<u64>,
    /// When the store last caught up with the head (ms since the epoch), while `from` is kept.
    caught_up_at: Option<u64>,
}

impl CatchUp {
    pub fn new(saved_cursor: u64) -> Self {
        Self { applied: saved_cursor, from: None, caught_up_at: None }
    }

    /// The store applied everything up to `cursor`.
    pub fn applied(&mut self, cursor: u64) {
        self.applied = cursor;
    }

    /// The store starts over from position 0 (the server's log was replaced).
    pub fn restart(&mut self) {
        *self = Self::new(0);
    }

    /// The progress to show at `now_ms`, if a catch-up worth showing is under way: a new device's
    /// bootstrap, a burst of live events, the resync after a restore.
    pub fn progress(&mut self, status: &SyncStatus, now_ms: u64) -> Option<Progress> {
        let head = status.server_head;
        if head <= self.applied {
            if self.from.is_some() {
                let at = *self.caught_up_at.get_or_insert(now_ms);
                if now_ms >= at + SAME_CATCH_UP_MS {
                    self.from = None;
                    self.caught_up_at = None;
                }
            }
            return None;
        }
        if self.caught_up_at.take().is_some_and(|at| now_ms >= at + SAME_CATCH_UP_MS) {
            self.from = None;
        }
        let from = *self.from.get_or_insert(self.applied);
        let total = head.saturating_sub(from);
        (total >= SHOWN_FROM || status.resyncing).then(|| Progress { done: self.applied.saturating_sub(from), total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    fn head(server_head: u64) -> SyncStatus {
        SyncStatus { server_head, ..SyncStatus::default() }
    }

    #[wasm_bindgen_test]
    fn a_burst_applied_in_batches_counts_on_from_where_it_started() {
        let mut catch_up = CatchUp::new(0);
        assert_eq!(catch_up.progress(&head(1_000), 0), Some(Progress { done: 0, total: 1_000 }));
        catch_up.applied(1_000);
        // Caught up for a moment, then the next batch of the same burst arrives.
        assert_eq!(catch_up.progress(&head(1_000), 100), None);
        assert_eq!(catch_up.progress(&head(2_000), 300), Some(Progress { done: 1_000, total: 2_000 }));
        catch_up.applied(2_000);
        assert_eq!(catch_up.progress(&head(2_000), 400), None);
    }

    #[wasm_bindgen_test]
    fn a_catch_up_after_a_pause_is_a_new_one() {
        let mut catch_up = CatchUp::new(0);
        assert!(catch_up.progress(&head(1_000), 0).is_some());
        catch_up.applied(1_000);
        assert_eq!(catch_up.progress(&head(1_000), 100), None);
        assert_eq!(catch_up.progress(&head(1_500), 60_000), Some(Progress { done: 0, total: 500 }));
    }

    #[wasm_bindgen_test]
    fn small_catch_ups_are_not_shown_unless_resyncing() {
        let mut catch_up = CatchUp::new(10);
        assert_eq!(catch_up.progress(&head(50), 0), None);
        let resyncing = SyncStatus { server_head: 50, resyncing: true, ..SyncStatus::default() };
        assert_eq!(catch_up.progress(&resyncing, 0), Some(Progress { done: 0, total: 40 }));
    }
}
