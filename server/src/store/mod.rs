//! The server's event store: one trait, with SQLite (embedded, the default) and PostgreSQL
//! implementations that share the push algorithm in `push.rs` and the SQL in `sql.rs`.
//!
//! Every club has a log of its own: its positions (dense from 1), its head, its epoch, its read
//! models. A stream and an event id belong to one club; nothing of one club's log is visible
//! through another's.

mod backend;
mod postgres;
mod push;
pub mod read_models;
mod recheck;
mod sql;
mod sqlite;
mod stream_cache;
mod zone;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use shared::{
    acceptance::Refusal,
    protocol::{BatchResult, LogEpoch, PushRequest},
    ClubId, EventEnvelope, StreamId,
};
use std::sync::Arc;

pub use push::first_refusal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    EachPush,
    AllOrNothing,
}

/// The answer to one push of a group: its batches' results, or why it was refused (then nothing of it is stored).
pub type PushOutcome = Result<Vec<BatchResult>, PushRefusal>;

/// Why a push was refused whole; nothing of it is stored.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PushRefusal {
    /// It breaks the protocol's or the domain's rules (`shared::acceptance`).
    #[error(transparent)]
    Rules(#[from] Refusal),
    /// It names what another club's log holds.
    #[error(transparent)]
    Club(#[from] ClubRefusal),
}

impl PushRefusal {
    /// The API's error code for it (`rule_broken`, `other_club`, …).
    pub fn code(&self) -> &'static str {
        match self {
            PushRefusal::Rules(r) => r.code(),
            PushRefusal::Club(_) => "other_club",
        }
    }
}

/// A push into a stream, or with an event id, that another club's log holds: a device bound to
/// one club can neither change nor take over another's (the API answers 403 `other_club`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClubRefusal {
    /// `event` is None when the stream itself is another club's; otherwise the stream is new or
    /// this club's, and the event id is stored in another club's log.
    #[error("{}", other_club_message(stream, event))]
    OtherClub { stream: StreamId, event: Option<uuid::Uuid> },
}

fn other_club_message(stream: &StreamId, event: &Option<uuid::Uuid>) -> String {
    match event {
        None => format!("{stream} belongs to another club: this device's club cannot change it"),
        Some(id) => format!("event {id} of {stream} is already stored in another club: an event id is one club's"),
    }
}

/// What a group of pushes did.
#[derive(Debug)]
pub struct GroupOutcome {
    /// One per push, in order.
    pub outcomes: Vec<PushOutcome>,
    /// The club's log they were stored in.
    pub epoch: LogEpoch,
    /// The club's head before the group: accepted events above it are the ones it stored. None when
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

/// Clubs as their logs are committed to (see [`EventStore::listen_commits`]); an error means some
/// announcements may have been missed (the connection dropped and was made again).
pub type CommitStream = futures::stream::BoxStream<'static, Result<ClubId, StoreError>>;

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
    #[error("club {0} already has events: the log kept before clubs existed can only become a new club's")]
    ClubNotEmpty(ClubId),
}

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Applies shape-checked pushes to `club`'s log in one transaction (one commit for the group).
    /// With `Commit::EachPush`, each push is all or nothing: a refused one stores nothing and does
    /// not disturb the others. With `Commit::AllOrNothing` (import), any refusal or conflict rolls
    /// the whole group back. A push naming a stream or an event id of another club is refused
    /// ([`ClubRefusal`]).
    async fn push_group(
        &self,
        club: ClubId,
        pushes: &[PushRequest],
        now_ms: u64,
        commit: Commit,
    ) -> Result<GroupOutcome, StoreError>;

    /// `club`'s events with a position above `after`, in position order, at most `limit`.
    async fn pull(&self, club: ClubId, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError>;

    /// The last position of `club`'s log (0 for an empty log) and its identity. A club whose log
    /// was never used gets one here: empty, with a fresh epoch.
    async fn head(&self, club: ClubId) -> Result<LogHead, StoreError>;

    /// Every club's head, in one query (clubs whose log was never used are absent): for the watch
    /// that finds other processes' commits.
    async fn heads(&self) -> Result<Vec<(ClubId, LogHead)>, StoreError>;

    /// `club`'s rows of the stream `table` (`members`), in stream order after `after`, at most `limit`.
    async fn read_streams(
        &self,
        club: ClubId,
        table: &str,
        after: Option<StreamId>,
        limit: u32,
    ) -> Result<Vec<read_models::StreamRow>, StoreError>;

    /// One stream's row, if the stream has events in `club`'s log (None when it is another club's).
    async fn read_stream(&self, club: ClubId, stream: StreamId) -> Result<Option<read_models::StreamRow>, StoreError>;

    /// `club`'s rows of the event `table` (`check_ins`) with `from <= sort < to`, in (sort, id)
    /// order, at most `limit`; with `after`, only those after (`from`, `after`).
    async fn read_rows(
        &self,
        club: ClubId,
        table: &str,
        from: u64,
        after: Option<uuid::Uuid>,
        to: u64,
        limit: u32,
    ) -> Result<Vec<read_models::EventRow>, StoreError>;

    /// Gives `club`'s log a new identity (after a file-level backup was restored under a running
    /// club): every device of the club then syncs again from position 0 and offers back what it holds.
    async fn new_epoch(&self, club: ClubId) -> Result<LogEpoch, StoreError>;

    /// The clubs whose logs any process (this one included) commits to, as they commit: PostgreSQL
    /// announces each commit with NOTIFY. None when the backend cannot tell (SQLite): then other
    /// processes' commits are found by reading the heads now and then (`live::watch_head`).
    async fn listen_commits(&self) -> Result<Option<CommitStream>, StoreError> {
        Ok(None)
    }

    /// Gives the log kept before clubs existed (its events, read models, head and epoch) to `club`,
    /// in one transaction; its devices go on where they were. Run when the first club is made.
    /// None when there is no such log; refused when `club` already has events of its own.
    async fn adopt_unowned_log(&self, club: ClubId) -> Result<Option<LogHead>, StoreError>;
}

/// Where a club's log stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogHead {
    /// The last position given out in the club's log (0 for an empty log).
    pub position: u64,
    pub epoch: LogEpoch,
}

/// The key of the log kept before clubs existed, in the `club` columns.
pub(crate) const UNOWNED: &str = "";

/// A club's key in the `club` columns: its UUID, lower-case and hyphenated.
pub(crate) fn club_key(club: ClubId) -> String {
    club.to_string()
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
