//! The benchmark's workload and the databases it runs on.

use server::store::{PostgresStore, SqliteStore};
use shared::{
    calendar::Date,
    club::{Length, PlanTerms, Visits},
    envelope::Stamp,
    member::{EntryRules, Member, MemberCommand, PaymentMethod, Start},
    Aggregate, DeviceId, EventEnvelope, HlcClock, StreamId,
};
use std::time::{Duration, Instant};

pub const EVENTS_PER_MEMBER: usize = 50;
pub const MEMBERS_PER_PUSH: usize = 10;

pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One member's stream of 50 events, one every 11 minutes, as a club's desk makes them: registered,
/// a membership sold and paid in two parts, a freeze planned and taken back, a 10-visit card sold and
/// paid, and check-ins, each decided by the entry rules on the membership the entry decision names.
pub fn member_events(n: usize) -> Vec<EventEnvelope> {
    let (events, _) = member(n as u128 + 1, 1_764_000_000_000, EVENTS_PER_MEMBER, 0);
    events
}

/// A member with `length` events stored, and `later` more check-ins to push one by one.
pub fn one_member(length: usize, later: usize) -> (Vec<EventEnvelope>, Vec<EventEnvelope>) {
    // Far enough in the past that 11-minute steps never reach the server's present (60,000 steps
    // are 458 days: the membership runs three years).
    member(u128::MAX / 3 + length as u128, 1_680_000_000_000, length, later)
}

/// What the workload's members buy.
fn plans() -> (PlanTerms, PlanTerms) {
    let long = PlanTerms {
        name: "Three years".into(),
        length: Length::Months(36),
        visits: Visits::Unlimited,
        price_cents: 99_000,
    };
    let card = PlanTerms {
        name: "10-visit card".into(),
        length: Length::Months(6),
        visits: Visits::Card(10),
        price_cents: 12_000,
    };
    (long, card)
}

/// The command a member's desk gives at step `i` (at `now`, on the UTC day `on`).
fn command_at(i: u64, n: u128, state: &Member, now: u64, on: Date) -> MemberCommand {
    let (long, card) = plans();
    let (membership, card_id) = (uuid::Uuid::from_u128(n ^ (1 << 100)), uuid::Uuid::from_u128(n ^ (2 << 100)));
    let plan = uuid::Uuid::from_u128(0xb1);
    let rules = EntryRules::default();
    match i {
        0 => MemberCommand::RegisterMember {
            name: format!("Member {n}"),
            email: format!("m{n}@example.be"),
            phone: "0470 00 00 00".into(),
        },
        1 => MemberCommand::SellMembership { membership, plan, terms: long, start: Start::On(on), on },
        2 => MemberCommand::RecordPayment { membership, amount_cents: 50_000, method: PaymentMethod::Card, on },
        10 => {
            MemberCommand::RecordPayment { membership, amount_cents: 49_000, method: PaymentMethod::BankTransfer, on }
        }
        20 => MemberCommand::FreezeMembership { membership, from: on.add_days(30), until: on.add_days(40), on },
        25 => MemberCommand::UnfreezeMembership { membership, on },
        30 => MemberCommand::SellMembership {
            membership: card_id,
            plan: uuid::Uuid::from_u128(0xb2),
            terms: card,
            start: Start::FirstVisit,
            on,
        },
        31 => {
            MemberCommand::RecordPayment { membership: card_id, amount_cents: 12_000, method: PaymentMethod::Cash, on }
        }
        _ => {
            let entry = state.entry(now, on, &rules);
            let membership = entry.membership.expect("the member holds a membership that admits them");
            MemberCommand::CheckIn { on, membership, rules }
        }
    }
}

/// Decided with the shared aggregate, as a desk would, but folding as it goes (a `MemoryDevice`
/// refolds the stream for every command, which is quadratic for a 60,000-event stream).
fn member(n: u128, t0: u64, length: usize, later: usize) -> (Vec<EventEnvelope>, Vec<EventEnvelope>) {
    let stream = StreamId::member(uuid::Uuid::from_u128(n));
    let device = DeviceId::new("bench-desk").unwrap();
    let mut clock = HlcClock::default();
    // splitmix64 of the member number: neighbouring members get unrelated ids.
    let mut rng = (n as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    rng = (rng ^ (rng >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    rng = (rng ^ (rng >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    rng = (rng ^ (rng >> 31)) | 1;
    let mut random = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&rng.to_le_bytes());
        bytes
    };
    let mut state = Member::default();
    let mut events = Vec::with_capacity(length + later);
    for i in 0..(length + later) as u64 {
        let now = t0 + i * 11 * 60_000;
        let command = command_at(i, n, &state, now, Date::utc_of(now));
        let decided = state.decide(command, now).unwrap();
        let stamp = Stamp { device: &device, staff: Some(STAFF), now_ms: now, hlc: &mut clock, random: &mut random };
        let wrapped = EventEnvelope::wrap(stream, i, &decided, stamp);
        for (e, envelope) in decided.iter().zip(&wrapped) {
            state.evolve(e, &shared::aggregate::EventMeta::of(envelope));
        }
        events.extend(wrapped);
    }
    let rest = events.split_off(length.min(events.len()));
    (events, rest)
}

pub enum Backend {
    Sqlite(tempfile::TempDir),
    /// The server's URL; each run makes its own databases on it.
    Postgres(String),
}

impl Backend {
    /// SQLite, and PostgreSQL when DATABASE_URL names a server; `BENCH_ONLY=sqlite|postgres` picks one.
    pub async fn available() -> Vec<Backend> {
        let only = std::env::var("BENCH_ONLY").unwrap_or_default();
        let mut backends = vec![];
        if only.is_empty() || only == "sqlite" {
            backends.push(Backend::Sqlite(tempfile::tempdir().unwrap()));
        }
        match std::env::var("DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") && (only.is_empty() || only == "postgres") => {
                backends.push(Backend::Postgres(url))
            }
            _ => println!("(PostgreSQL skipped: set DATABASE_URL=postgres://… to measure it too)"),
        }
        backends
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    /// A new, empty database's URL.
    pub async fn fresh(&self, name: &str) -> String {
        match self {
            Backend::Sqlite(dir) => format!("sqlite://{}", dir.path().join(format!("{name}.db")).display()),
            Backend::Postgres(admin) => {
                use sqlx::Connection;
                let db = format!("faraday_bench_{name}_{}", std::process::id());
                let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).execute(&mut conn).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {db}")).execute(&mut conn).await.unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                format!("{base}/{db}")
            }
        }
    }

    pub async fn drop_database(&self, url: &str) {
        if let Backend::Postgres(admin) = self {
            use sqlx::Connection;
            let (_, db) = url.rsplit_once('/').unwrap();
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).execute(&mut conn).await.unwrap();
        }
    }
}

/// The club whose log the benchmark writes (the raw baseline's rows are that club's too).
/// The staff account every workload event is made by (the bench server makes it).
pub const STAFF: shared::StaffId = shared::StaffId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_be02));
pub const PASSWORD: &str = "bench password";

pub const CLUB: shared::ClubId = shared::ClubId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_be01));

/// The baseline: the same rows into the same table and indexes, one multi-row INSERT and one
/// transaction per 500 rows, no validation, no HTTP. "The same rows" include the read-model row
/// each event is indexed as (`read_tbl`, `read_sort`: migration 0003), as the server stores them.
pub struct RawTable {
    url: String,
    pool: RawPool,
    position: i64,
    /// PostgreSQL only: one INSERT … SELECT FROM unnest(column arrays) instead of a multi-row VALUES.
    unnest: bool,
}

enum RawPool {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl RawTable {
    pub async fn new(backend: &Backend, unnest: bool) -> Self {
        let url = backend.fresh(if unnest { "raw_unnest" } else { "raw" }).await;
        let pool = match backend {
            Backend::Sqlite(_) => RawPool::Sqlite(SqliteStore::connect(&url).await.unwrap()),
            Backend::Postgres(_) => RawPool::Postgres(PostgresStore::connect(&url).await.unwrap()),
        };
        Self { url, pool, position: 0, unnest }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Inserts `events` after the ones before; how long it took.
    pub async fn insert(&mut self, events: &[EventEnvelope]) -> Duration {
        let start = Instant::now();
        for chunk in events.chunks(MEMBERS_PER_PUSH * EVENTS_PER_MEMBER) {
            match &self.pool {
                RawPool::Sqlite(s) => insert_sqlite(s.pool(), chunk, self.position, "BEGIN IMMEDIATE").await,
                RawPool::Postgres(s) if self.unnest => insert_postgres_unnest(s.pool(), chunk, self.position).await,
                RawPool::Postgres(s) => insert_postgres(s.pool(), chunk, self.position, "BEGIN").await,
            }
            self.position += chunk.len() as i64;
        }
        start.elapsed()
    }
}

/// Stamps out `$name(pool, rows, after, begin)` for one backend (sqlx's generic bounds for a query
/// builder over any database are more noise than two copies).
macro_rules! insert_rows {
    ($name:ident, $db:ty) => {
        async fn $name(pool: &sqlx::Pool<$db>, rows: &[EventEnvelope], after: i64, begin: &'static str) {
            let mut tx = pool.begin_with(begin).await.unwrap();
            let mut q = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO events (club, position, id, stream, version, event_type, schema_version, data, hlc_ms, \
                 hlc_c, device, staff, recorded_ms, read_tbl, read_sort) ",
            );
            let mut position = after;
            q.push_values(rows, |mut row, e| {
                position += 1;
                row.push_bind(CLUB.to_string())
                    .push_bind(position)
                    .push_bind(e.id.to_string())
                    .push_bind(e.stream.to_string())
                    .push_bind(e.version as i64)
                    .push_bind(e.event_type.clone())
                    .push_bind(e.schema_version as i32)
                    .push_bind(e.data.to_string())
                    .push_bind(e.hlc.ms as i64)
                    .push_bind(e.hlc.c as i64)
                    .push_bind(e.device.to_string())
                    .push_bind(e.staff.map(|s| s.to_string()))
                    .push_bind(0i64)
                    .push_bind(read_row(e).0)
                    .push_bind(read_row(e).1);
            });
            q.build().execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
}
insert_rows!(insert_sqlite, sqlx::Sqlite);
insert_rows!(insert_postgres, sqlx::Postgres);

async fn insert_postgres_unnest(pool: &sqlx::PgPool, rows: &[EventEnvelope], after: i64) {
    let mut tx = pool.begin().await.unwrap();
    let positions: Vec<i64> = (1..=rows.len() as i64).map(|i| after + i).collect();
    sqlx::query(
        "INSERT INTO events (club, position, id, stream, version, event_type, schema_version, data, hlc_ms, hlc_c, \
         device, staff, recorded_ms, read_tbl, read_sort) \
         SELECT $1, u.* FROM unnest($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) AS u",
    )
    .bind(CLUB.to_string())
    .bind(positions)
    .bind(rows.iter().map(|e| e.id.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.stream.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.version as i64).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.event_type.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.schema_version as i32).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.data.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.hlc.ms as i64).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| i64::from(e.hlc.c)).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.device.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.staff.map(|s| s.to_string())).collect::<Vec<_>>())
    .bind(vec![0i64; rows.len()])
    .bind(rows.iter().map(|e| read_row(e).0).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| read_row(e).1).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The read-model row an event is indexed as: (table, sort), as the server computes it.
fn read_row(e: &EventEnvelope) -> (Option<String>, Option<i64>) {
    match shared::projection::rows_of(e).into_iter().next() {
        Some(row) => (Some(row.table.to_owned()), Some(row.sort as i64)),
        None => (None, None),
    }
}
