//! The folded state of recently pushed streams, so that validating a push costs the same at
//! version 10 as at version 60,000: the stream's history is folded once, then kept.
//!
//! The cache is only a shortcut: every push still reads the stream's head version in its
//! transaction, and an entry behind it (another process appended: an import, a second server on
//! the same PostgreSQL) is brought forward by folding just the missing events. An entry is only
//! stored after its transaction committed.

use lru::LruCache;
use shared::{acceptance::StreamHead, StreamId};
use std::{num::NonZeroUsize, sync::Mutex};

/// Streams kept. A member's state is a few hundred bytes, so a club's whole membership fits.
const CAPACITY: usize = 50_000;

pub struct StreamCache {
    heads: Mutex<LruCache<StreamId, StreamHead>>,
}

impl Default for StreamCache {
    fn default() -> Self {
        Self { heads: Mutex::new(LruCache::new(NonZeroUsize::new(CAPACITY).expect("non-zero"))) }
    }
}

impl StreamCache {
    /// The cached head of `stream`, if it is not ahead of `version` (the stream's stored head).
    pub fn get(&self, stream: StreamId, version: u64) -> Option<StreamHead> {
        let mut heads = self.heads.lock().expect("not poisoned");
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

    /// Keeps heads of a committed transaction.
    pub fn put(&self, committed: impl IntoIterator<Item = StreamHead>) {
        let mut heads = self.heads.lock().expect("not poisoned");
        for head in committed {
            heads.put(head.stream, head);
        }
    }
}
