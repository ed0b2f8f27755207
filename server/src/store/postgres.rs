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

sql::log_tx_for!(sqlx::Postgres, events_by_id, streams_table, insert_events, false);

/// One column array per parameter, unnested into rows: eleven parameters whatever the number of
/// events, so the statement is parsed and planned in no time (a multi-row VALUES of 1,000 events
/// has 11,000 parameters to bind and plan). The log's head moves in the same statement.
fn insert_events(events: &[shared::EventEnvelope], now_ms: u64) -> sqlx::QueryBuilder<'static, sqlx::Postgres> {
    let n = events.len();
    let (mut position, mut id, mut stream, mut version) = (vec![], vec![], vec![], vec![]);
    let (mut event_type, mut schema_version, mut data) = (vec![], vec![], vec![]);
    let (mut hlc_ms, mut hlc_c, mut device, mut recorded_ms) = (vec![], vec![], vec![], vec![]);
    let (mut read_tbl, mut read_sort) = (vec![], vec![]);
    for v in [&mut position, &mut version, &mut hlc_ms, &mut hlc_c, &mut recorded_ms] {
        v.reserve(n);
    }
    for r in events.iter().map(|e| sql::Row::of(e, now_ms)) {
        position.push(r.position);
        id.push(r.id);
        stream.push(r.stream);
        version.push(r.version);
        event_type.push(r.event_type);
        schema_version.push(r.schema_version);
        data.push(r.data);
        hlc_ms.push(r.hlc_ms);
        hlc_c.push(r.hlc_c);
        device.push(r.device);
        recorded_ms.push(r.recorded_ms);
        read_tbl.push(r.read_tbl);
        read_sort.push(r.read_sort);
    }
    let last = *position.last().expect("at least one event");
    let mut q = sqlx::QueryBuilder::new("WITH bump AS (UPDATE log_head SET position = ");
    q.push_bind(last)
        .push(format!(" WHERE id = 1) INSERT INTO events ({}) SELECT * FROM unnest(", sql::INSERT_COLUMNS));
    let mut args = q.separated(", ");
    args.push_bind(position)
        .push_bind(id)
        .push_bind(stream)
        .push_bind(version)
        .push_bind(event_type)
        .push_bind(schema_version)
        .push_bind(data)
        .push_bind(hlc_ms)
        .push_bind(hlc_c)
        .push_bind(device)
        .push_bind(recorded_ms)
        .push_bind(read_tbl)
        .push_bind(read_sort);
    q.push(")");
    q
}

/// One index probe per id, whatever the planner believes: for 500 ids, `id = ANY($1)` or a plain
/// join is costed as a hash join over a scan of the whole log (cheaper on paper up to ~100,000
/// events, 10x slower in fact, and growing with the log). `LIMIT 1` keeps each lookup a subquery
/// of its own, which only the unique index answers.
fn events_by_id(ids: Vec<String>) -> sqlx::QueryBuilder<'static, sqlx::Postgres> {
    let mut q = sqlx::QueryBuilder::new("SELECT e.* FROM unnest(");
    q.push_bind(ids).push(format!(
        ") AS i(id) CROSS JOIN LATERAL (SELECT {} FROM events WHERE events.id = i.id LIMIT 1) AS e",
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
        rebuild_read_models(pool.begin().await?, " FOR UPDATE").await?;
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
        let log = locked_head(&mut tx, " FOR UPDATE").await?;
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
