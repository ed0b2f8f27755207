//! The folded state of recently pushed streams, so that validating a push costs the same at
//! version 10 as at version 60,000: the stream's history is folded once, then kept.
//!
//! The cache is only a shortcut: every push still reads the stream's head version in its
//! transaction, and an entry behind it (another process appended: an import, a second server on
//! the same PostgreSQL) is brought forward by folding just the missing events. An entry is only
//! stored after its transaction committed.

use lru::LruCache;
use shared::{acceptance::StreamHead, protocol::LogEpoch, StreamId};
use std::{num::NonZeroUsize, sync::Mutex};

/// Streams kept. A member's state is a few hundred bytes, so a club's whole membership fits.
const CAPACITY: usize = 50_000;

pub struct StreamCache {
    kept: Mutex<Kept>,
}

/// Heads, and the log they belong to.
struct Kept {
    epoch: Option<LogEpoch>,
    heads: LruCache<StreamId, StreamHead>,
}

impl Kept {
    /// Every head kept belongs to `epoch`'s log from here on: a log replaced under this process
    /// (restored from a backup, then `faraday new-epoch`, perhaps by another server on the same
    /// PostgreSQL) may hold other events at the same versions, so nothing of the old one is kept.
    fn of(&mut self, epoch: LogEpoch) -> &mut LruCache<StreamId, StreamHead> {
        if self.epoch != Some(epoch) {
            self.heads.clear();
            self.epoch = Some(epoch);
        }
        &mut self.heads
    }
}

impl Default for StreamCache {
    fn default() -> Self {
        let heads = LruCache::new(NonZeroUsize::new(CAPACITY).expect("non-zero"));
        Self { kept: Mutex::new(Kept { epoch: None, heads }) }
    }
}

impl StreamCache {
    /// The cached head of `stream` in `epoch`'s log, if it is not ahead of `version` (the stream's
    /// stored head).
    pub fn get(&self, epoch: LogEpoch, stream: StreamId, version: u64) -> Option<StreamHead> {
        let mut kept = self.kept.lock().expect("not poisoned");
        let heads = kept.of(epoch);
        match heads.get(&stream) {
            Some(head) if head.version <= version => Some(head.clone()),
            // Ahead of the database: the database was replaced under this process. Forget it.
            Some(_) => {
                heads.pop(&stream);
                None
            }
            None => None,
        }
    }

    /// Keeps heads of a transaction committed in `epoch`'s log.
    pub fn put(&self, epoch: LogEpoch, committed: impl IntoIterator<Item = StreamHead>) {
        let mut kept = self.kept.lock().expect("not poisoned");
        let heads = kept.of(epoch);
        for head in committed {
            heads.put(head.stream, head);
        }
    }
}
