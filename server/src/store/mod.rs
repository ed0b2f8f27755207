//! The server's event store: one trait, with SQLite (embedded, the default) and PostgreSQL
//! implementations that share the push algorithm in `push.rs` and the SQL in `sql.rs`.

mod postgres;
mod push;
pub mod read_models;
mod sql;
mod sqlite;
mod stream_cache;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use shared::{
    acceptance::Refusal,
    protocol::{BatchResult, LogEpoch, PushRequest},
    EventEnvelope, StreamId,
};
use std::sync::Arc;

pub use push::first_refusal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    EachPush,
    AllOrNothing,
}

/// The answer to one push of a group: its batches' results, or why it was refused (then nothing of it is stored).
pub type PushOutcome = Result<Vec<BatchResult>, Refusal>;

/// What a group of pushes did.
#[derive(Debug)]
pub struct GroupOutcome {
    /// One per push, in order.
    pub outcomes: Vec<PushOutcome>,
    /// The log they were stored in.
    pub epoch: LogEpoch,
    /// The log's head before the group: accepted events above it are the ones it stored. None when
    /// the group was rolled back.
    pub stored_after: Option<u64>,
}

impl GroupOutcome {
    /// Every event the group stored, in position order (the answers hold them; nothing is copied).
    pub fn appended(&self) -> Vec<&EventEnvelope> {
        let Some(after) = self.stored_after else { return vec![] };
        let mut events: Vec<&EventEnvelope> = self
            .outcomes
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .flatten()
            .flat_map(|result| &result.events)
            .filter(|e| e.position.is_some_and(|p| p > after))
            .collect();
        events.sort_by_key(|e| e.position);
        // A retry within the same group answers with copies of what an earlier push stored.
        events.dedup_by_key(|e| e.position);
        events
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the stored event at position {position} cannot be read: {reason}")]
    Corrupt { position: i64, reason: String },
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
}

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Applies shape-checked pushes in one transaction (one commit for the group). With
    /// `Commit::EachPush`, each push is all or nothing: a refused one stores nothing and does not
    /// disturb the others. With `Commit::AllOrNothing` (import), any refusal or conflict rolls the
    /// whole group back.
    async fn push_group(&self, pushes: &[PushRequest], now_ms: u64, commit: Commit)
        -> Result<GroupOutcome, StoreError>;

    /// Events with a position above `after`, in position order, at most `limit`.
    async fn pull(&self, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError>;

    /// The last position given out (0 for an empty log) and the log's identity.
    async fn head(&self) -> Result<LogHead, StoreError>;

    /// The `table`'s stream rows (`members`), in stream order after `after`, at most `limit`.
    async fn read_streams(
        &self,
        table: &str,
        after: Option<StreamId>,
        limit: u32,
    ) -> Result<Vec<read_models::StreamRow>, StoreError>;

    /// One stream's row, if the stream has events.
    async fn read_stream(&self, stream: StreamId) -> Result<Option<read_models::StreamRow>, StoreError>;

    /// The `table`'s event rows (`check_ins`) with `from <= sort < to`, in (sort, id) order, at
    /// most `limit`; with `after`, only those after (`from`, `after`).
    async fn read_rows(
        &self,
        table: &str,
        from: u64,
        after: Option<uuid::Uuid>,
        to: u64,
        limit: u32,
    ) -> Result<Vec<read_models::EventRow>, StoreError>;

    /// Gives the log a new identity (after a file-level backup was restored under a running
    /// club): every device then syncs again from position 0 and offers back what it holds.
    async fn new_epoch(&self) -> Result<LogEpoch, StoreError>;
}

/// Where the log stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogHead {
    /// The last position given out (0 for an empty log).
    pub position: u64,
    pub epoch: LogEpoch,
}

/// A fresh epoch id (UUIDv7: epochs sort by when they began).
pub fn fresh_epoch() -> LogEpoch {
    LogEpoch(uuid::Uuid::now_v7())
}

/// Opens the store a URL names and brings its schema up to date.
pub async fn connect(url: &str) -> Result<Arc<dyn EventStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.chars().take(40).collect()))
    }
}
