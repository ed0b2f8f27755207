use super::{
    fresh_epoch, push::push_all, sql, stream_cache::StreamCache, Commit, EventStore, GroupOutcome, LogHead, StoreError,
};
use async_trait::async_trait;
use shared::{
    protocol::{LogEpoch, PushRequest},
    EventEnvelope,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::{str::FromStr, time::Duration};

sql::log_tx_for!(sqlx::Sqlite, events_by_id, streams_table, insert_events, true);

/// One multi-row INSERT (measured 2.7x faster than a prepared statement per row here).
fn insert_events(events: &[shared::EventEnvelope], now_ms: u64) -> sqlx::QueryBuilder<'static, sqlx::Sqlite> {
    let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO events ({}) ", sql::INSERT_COLUMNS));
    q.push_values(events.iter().map(|e| sql::Row::of(e, now_ms)), |mut row, r| {
        row.push_bind(r.position)
            .push_bind(r.id)
            .push_bind(r.stream)
            .push_bind(r.version)
            .push_bind(r.event_type)
            .push_bind(r.schema_version)
            .push_bind(r.data)
            .push_bind(r.hlc_ms)
            .push_bind(r.hlc_c)
            .push_bind(r.device)
            .push_bind(r.recorded_ms)
            .push_bind(r.read_tbl)
            .push_bind(r.read_sort);
    });
    q
}

/// `IN (?, ?, …)`: SQLite has no arrays, and looks each one up in the index.
fn events_by_id(ids: Vec<String>) -> sqlx::QueryBuilder<'static, sqlx::Sqlite> {
    let mut q = sqlx::QueryBuilder::new(format!("SELECT {} FROM events WHERE id IN (", sql::COLUMNS));
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id);
    }
    q.push(")");
    q
}

fn streams_table(q: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>, values: Vec<String>) {
    q.push("(SELECT column1 AS stream FROM (VALUES ");
    let mut rows = q.separated(", ");
    for value in values {
        rows.push("(").push_bind_unseparated(value).push_unseparated(")");
    }
    q.push(")) AS s");
}
sql::reads_for!(sqlx::Sqlite);

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The embedded default: one file, WAL (readers never wait for the writer), `synchronous=NORMAL`
/// (durable across application crashes; a power cut may lose the last commits, never corrupt).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    cache: std::sync::Arc<StreamCache>,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        set_epoch(&pool, fresh_epoch(), true).await?;
        rebuild_read_models(pool.begin_with("BEGIN IMMEDIATE").await?, "").await?;
        Ok(Self { pool, cache: Default::default() })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn push_group(
        &self,
        pushes: &[PushRequest],
        now_ms: u64,
        commit: Commit,
    ) -> Result<GroupOutcome, StoreError> {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first could
        // fail with SQLITE_BUSY when it upgrades to write.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let log = locked_head(&mut tx, "").await?;
        push_all(&mut tx, &self.cache, pushes, now_ms, log).await?.finish(tx, commit, &self.cache).await
    }

    async fn pull(&self, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError> {
        pull(&self.pool, after, limit).await
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        head(&self.pool).await
    }

    async fn read_streams(
        &self,
        table: &str,
        after: Option<shared::StreamId>,
        limit: u32,
    ) -> Result<Vec<super::read_models::StreamRow>, StoreError> {
        read_streams(&self.pool, table, after, limit).await
    }

    async fn read_stream(&self, stream: shared::StreamId) -> Result<Option<super::read_models::StreamRow>, StoreError> {
        read_stream(&self.pool, stream).await
    }

    async fn read_rows(
        &self,
        table: &str,
        from: u64,
        after: Option<uuid::Uuid>,
        to: u64,
        limit: u32,
    ) -> Result<Vec<super::read_models::EventRow>, StoreError> {
        read_rows(&self.pool, table, from, after, to, limit).await
    }

    async fn new_epoch(&self) -> Result<LogEpoch, StoreError> {
        let epoch = fresh_epoch();
        set_epoch(&self.pool, epoch, false).await?;
        Ok(epoch)
    }
}
