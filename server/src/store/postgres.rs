use super::{
    fresh_epoch, push::push_all, sql, stream_cache::StreamCache, Commit, EventStore, GroupOutcome, LogHead, StoreError,
};
use async_trait::async_trait;
use shared::{
    protocol::{LogEpoch, PushRequest},
    EventEnvelope,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::{str::FromStr, time::Duration};

sql::log_tx_for!(sqlx::Postgres, events_by_id, streams_table);

/// One index lookup per id, whatever the planner believes of the table: `id = ANY($1)` with 500 ids
/// is estimated to match everything on a table not analysed yet, and becomes a scan of the whole log.
fn events_by_id(ids: Vec<String>) -> sqlx::QueryBuilder<'static, sqlx::Postgres> {
    let mut q = sqlx::QueryBuilder::new(format!("SELECT e.* FROM unnest("));
    q.push_bind(ids).push(format!(
        ") AS i(id) CROSS JOIN LATERAL (SELECT {} FROM events WHERE events.id = i.id) AS e",
        sql::COLUMNS
    ));
    q
}

fn streams_table(q: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, values: Vec<String>) {
    q.push("unnest(").push_bind(values).push(") AS s(stream)");
}
sql::reads_for!(sqlx::Postgres);

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// For several server processes in front of one database. Appends serialise on the `log_head`
/// row lock, so positions still become visible in order.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    cache: std::sync::Arc<StreamCache>,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        // A prepared statement's generic plan is made once, from the statistics of the moment: on a
        // new, empty log every lookup by stream or id became a sequential scan, kept as the log
        // grew (pushes slowed from 7,000 to 1,100 events/s). Plan each execution for its values.
        let options = PgConnectOptions::from_str(url)?.options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        set_epoch(&pool, fresh_epoch(), true).await?;
        Ok(Self { pool, cache: Default::default() })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn push_group(
        &self,
        pushes: &[PushRequest],
        now_ms: u64,
        commit: Commit,
    ) -> Result<GroupOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Take the head row lock first: concurrent writers (other server processes) then plan
        // against a stream state that cannot change under them before they commit.
        sqlx::query("SELECT position FROM log_head WHERE id = 1 FOR UPDATE").execute(&mut *tx).await?;
        push_all(&mut tx, &self.cache, pushes, now_ms).await?.finish(tx, commit, &self.cache).await
    }

    async fn pull(&self, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError> {
        pull(&self.pool, after, limit).await
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        head(&self.pool).await
    }

    async fn new_epoch(&self) -> Result<LogEpoch, StoreError> {
        let epoch = fresh_epoch();
        set_epoch(&self.pool, epoch, false).await?;
        Ok(epoch)
    }
}
