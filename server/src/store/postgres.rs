use super::{backend::store_for, sql, stream_cache::StreamCache, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::{str::FromStr, time::Duration};

sql::log_tx_for!(sqlx::Postgres, events_by_id, streams_table, insert_events, false);
store_for!(sqlx::Postgres, PostgresStore);

/// A club's appends serialise on its `club_logs` row; other clubs' do not wait for them.
const LOCK: &str = " FOR UPDATE";
/// Conflicts with the row locks appends take (and with the inserts that make a club's row).
const LOCK_ALL: Option<&str> = Some("LOCK TABLE club_logs IN EXCLUSIVE MODE");
/// Every server on the database hears at once which club's log moved (see [`COMMITS_CHANNEL`]).
const NOTIFY: Option<&str> = Some("SELECT pg_notify('faraday_log', $1)");
/// The channel commits are announced on; the payload is the club's id.
pub const COMMITS_CHANNEL: &str = "faraday_log";

/// The commits announced on [`COMMITS_CHANNEL`], on a connection of its own. sqlx makes the
/// connection again when it drops; the error it yields then says announcements may be lost.
async fn listen(pool: &PgPool) -> Result<Option<super::CommitStream>, StoreError> {
    use futures::StreamExt;
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(COMMITS_CHANNEL).await?;
    let commits = listener.into_stream().map(|n| {
        let n = n?;
        n.payload().parse().map(shared::ClubId).map_err(|e| StoreError::Corrupt {
            position: -1,
            reason: format!("a commit announced for {:?}: {e}", n.payload()),
        })
    });
    Ok(Some(commits.boxed()))
}

async fn write_tx(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin().await
}

/// One column array per parameter, unnested into rows: sixteen parameters whatever the number of
/// events, so the statement is parsed and planned in no time (a multi-row VALUES of 1,000 events
/// has 15,000 parameters to bind and plan). The club's head moves in the same statement.
fn insert_events(
    club: &str,
    events: &[shared::EventEnvelope],
    now_ms: u64,
) -> sqlx::QueryBuilder<'static, sqlx::Postgres> {
    let n = events.len();
    let (mut position, mut id, mut stream, mut version) = (vec![], vec![], vec![], vec![]);
    let (mut event_type, mut schema_version, mut data) = (vec![], vec![], vec![]);
    let (mut hlc_ms, mut hlc_c, mut device, mut staff, mut recorded_ms) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut read_tbl, mut read_sort) = (vec![], vec![]);
    for v in [&mut position, &mut version, &mut hlc_ms, &mut hlc_c, &mut recorded_ms] {
        v.reserve(n);
    }
    for r in events.iter().map(|e| sql::Row::of(e, club, now_ms)) {
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
        staff.push(r.staff);
        recorded_ms.push(r.recorded_ms);
        read_tbl.push(r.read_tbl);
        read_sort.push(r.read_sort);
    }
    let last = *position.last().expect("at least one event");
    let mut q = sqlx::QueryBuilder::new("WITH bump AS (UPDATE club_logs SET position = ");
    q.push_bind(last)
        .push(" WHERE club = ")
        .push_bind(club.to_owned())
        .push(format!(") INSERT INTO events ({}) SELECT ", sql::INSERT_COLUMNS))
        .push_bind(club.to_owned())
        .push(", u.* FROM unnest(");
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
        .push_bind(staff)
        .push_bind(recorded_ms)
        .push_bind(read_tbl)
        .push_bind(read_sort);
    q.push(") AS u");
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
        sql::CLUB_COLUMNS
    ));
    q
}

fn streams_table(q: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, values: Vec<String>) {
    q.push("unnest(").push_bind(values).push(") AS s(stream)");
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// For several server processes in front of one database. A club's appends serialise on its
/// `club_logs` row lock, so its positions still become visible in order.
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
        give_missing_epochs(&pool).await?;
        rebuild_read_models(&pool).await?;
        Ok(Self { pool, cache: Default::default() })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
