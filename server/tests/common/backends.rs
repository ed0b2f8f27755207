//! Event stores to test against: SQLite always, PostgreSQL when DATABASE_URL names a server (CI
//! sets it, so both backends are proven there); and the clubs whose logs store-level tests use.

use server::store::{self, EventStore};
use shared::ClubId;
use std::sync::Arc;
use uuid::Uuid;

/// The club store-level tests write to (a log needs no club made by the accounts to exist).
pub const CLUB: ClubId = ClubId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_c1a1));
/// A second club, beside [`CLUB`] on the same database.
pub const OTHER_CLUB: ClubId = ClubId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_c1a2));

pub async fn sqlite() -> (Arc<dyn EventStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (store::connect(&url).await.unwrap(), dir)
}

/// A fresh PostgreSQL database for one test, or None when no server is configured (never in CI).
pub async fn postgres(test: &str) -> Option<String> {
    let admin = match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => {
            assert!(std::env::var("CI").is_err(), "CI must set DATABASE_URL to a PostgreSQL server");
            eprintln!("DATABASE_URL is not a PostgreSQL URL: skipping the PostgreSQL half of {test}");
            return None;
        }
    };
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL reachable");
    let name = format!("faraday_{test}_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let (base, _) = admin.rsplit_once('/').expect("URL with a database");
    Some(format!("{base}/{name}"))
}

pub async fn drop_database(url: &str) {
    use sqlx::Connection;
    let (base, name) = url.rsplit_once('/').unwrap();
    let mut conn = sqlx::PgConnection::connect(&format!("{base}/postgres")).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
}

/// Runs `check` on a store and a second one on the same database (another process: an import, a
/// second server), on SQLite, then on PostgreSQL if there is one.
pub async fn each_backend(test: &str, check: impl AsyncFn(Arc<dyn EventStore>, Option<Arc<dyn EventStore>>)) {
    let (s, dir) = sqlite().await;
    // A second store on the same file: another process (an import, say) writing beside the server.
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    check(s, Some(store::connect(&url).await.unwrap())).await;
    if let Some(url) = postgres(test).await {
        // Two store instances on one database: two server processes.
        let first = store::connect(&url).await.unwrap();
        let second = store::connect(&url).await.unwrap();
        check(first, Some(second)).await;
        drop_database(&url).await;
    }
}

/// Runs `sql` on the database at `url` (SQLite or PostgreSQL), outside the store.
pub async fn execute_sql(url: &str, sql: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}
