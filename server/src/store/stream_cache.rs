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

/// Streams kept, all clubs together. A member's state is a few hundred bytes, so several clubs'
/// whole memberships fit.
const CAPACITY: usize = 50_000;

/// Heads, each with the epoch of the log it was folded from. Every club's log has its own epoch,
/// and a stream belongs to one club, so the pair says which log an entry describes.
pub struct StreamCache {
    heads: Mutex<LruCache<StreamId, (LogEpoch, StreamHead)>>,
}

impl Default for StreamCache {
    fn default() -> Self {
        Self { heads: Mutex::new(LruCache::new(NonZeroUsize::new(CAPACITY).expect("non-zero"))) }
    }
}

impl StreamCache {
    /// The cached head of `stream` in `epoch`'s log, if it is not ahead of `version` (the stream's
    /// stored head).
    pub fn get(&self, epoch: LogEpoch, stream: StreamId, version: u64) -> Option<StreamHead> {
        let mut heads = self.heads.lock().expect("not poisoned");
        match heads.get(&stream) {
            Some((of, head)) if *of == epoch && head.version <= version => Some(head.clone()),
            // Of another epoch (the club's log was replaced under this process: restored from a
            // backup, then `faraday new-epoch`, perhaps by another server on the same PostgreSQL,
            // so it may hold other events at the same versions), or ahead of the database (it was
            // put back under this process): forget it.
            Some(_) => {
                heads.pop(&stream);
                None
            }
            None => None,
        }
    }

    /// Keeps heads of a transaction committed in `epoch`'s log.
    pub fn put(&self, epoch: LogEpoch, committed: impl IntoIterator<Item = StreamHead>) {
        let mut heads = self.heads.lock().expect("not poisoned");
        for head in committed {
            heads.put(head.stream, (epoch, head));
        }
    }
}
