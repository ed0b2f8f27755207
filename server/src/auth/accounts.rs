//! Clubs, staff accounts, roles and sessions in the database (migration 0004), behind one small
//! trait with the same SQL for SQLite and PostgreSQL (`accounts_for!`).

use crate::store::StoreError;
use async_trait::async_trait;
use shared::{protocol::StaffMember, ClubId, DeviceId, Role, StaffId};
use std::{str::FromStr, sync::Arc, time::Duration};

/// A staff account as stored.
#[derive(Clone, Debug)]
pub struct Account {
    pub staff: StaffId,
    pub email: String,
    pub name: String,
    /// argon2id, PHC string.
    pub password_hash: String,
    pub disabled: bool,
}

/// A session that is neither expired, revoked nor of a disabled account, with what it allows now
/// (the role is read at each request: a changed role takes effect at once).
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveSession {
    pub token_hash: String,
    pub staff: StaffId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub club: ClubId,
    pub club_name: String,
    pub device: DeviceId,
    /// ms since the epoch.
    pub expires_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with the e-mail address {0} exists already")]
    EmailTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Store(e.into())
    }
}

#[async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Every club, by name.
    async fn clubs(&self) -> Result<Vec<(ClubId, String)>, StoreError>;
    /// The club of that name, made if there is none.
    async fn club(&self, name: &str, now_ms: u64) -> Result<ClubId, StoreError>;
    /// Makes the account `staff` (a fresh UUIDv7 unless a test names one).
    async fn add_staff(
        &self,
        staff: StaffId,
        email: &str,
        name: &str,
        password_hash: &str,
        now_ms: u64,
    ) -> Result<(), AccountError>;
    async fn set_password(&self, staff: StaffId, password_hash: &str) -> Result<(), StoreError>;
    /// Gives `staff` `role` in `club` (replacing the role they had there).
    async fn grant(&self, staff: StaffId, club: ClubId, role: Role) -> Result<(), StoreError>;
    /// The account signing in with `email` (already normalised, see [`normalise_email`]).
    async fn account(&self, email: &str) -> Result<Option<Account>, StoreError>;
    /// The clubs `staff` has a role in, and the roles.
    async fn roles(&self, staff: StaffId) -> Result<Vec<(ClubId, Role)>, StoreError>;
    async fn open_session(
        &self,
        token_hash: &str,
        staff: StaffId,
        club: ClubId,
        device: &DeviceId,
        now_ms: u64,
        expires_ms: u64,
    ) -> Result<(), StoreError>;
    /// The sessions among `token_hashes` that still work at `now_ms`.
    async fn sessions(&self, token_hashes: &[String], now_ms: u64) -> Result<Vec<ActiveSession>, StoreError>;
    async fn revoke(&self, token_hash: &str, now_ms: u64) -> Result<(), StoreError>;
    /// Ends every session of `staff` (a lost phone, a person who left); returns how many.
    async fn revoke_all(&self, staff: StaffId, now_ms: u64) -> Result<u64, StoreError>;
    /// Turns an account off (no sign-in, no session) or back on.
    async fn set_disabled(&self, staff: StaffId, disabled_ms: Option<u64>) -> Result<(), StoreError>;
    /// The club's staff, by name.
    async fn staff_of(&self, club: ClubId) -> Result<Vec<StaffMember>, StoreError>;
    /// How many accounts exist (none: the server tells how to make the owner's).
    async fn staff_count(&self) -> Result<u64, StoreError>;
}

/// An e-mail address as accounts are found by: trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Opens the accounts of the database `url` names (already migrated by `store::connect`).
pub async fn connect(url: &str) -> Result<Arc<dyn Accounts>, StoreError> {
    if url.starts_with("sqlite:") {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        Ok(Arc::new(SqlAccounts { pool }))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(url).await?;
        Ok(Arc::new(SqlAccounts { pool }))
    } else {
        Err(StoreError::UnsupportedUrl(url.chars().take(40).collect()))
    }
}

/// The accounts in a SQLite or PostgreSQL pool.
pub struct SqlAccounts<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { position: -1, reason: format!("{what}: {e}") }
}

fn uuid_of(what: &str, text: &str) -> Result<uuid::Uuid, StoreError> {
    text.parse().map_err(|e| corrupt(what, e))
}

type SessionRow = (String, String, String, String, String, String, String, String, i64);

fn session_of(row: SessionRow) -> Result<ActiveSession, StoreError> {
    let (token_hash, staff, name, email, role, club, club_name, device, expires_ms) = row;
    Ok(ActiveSession {
        token_hash,
        staff: StaffId(uuid_of("session staff", &staff)?),
        name,
        email,
        role: role.parse().map_err(|e| corrupt("role", e))?,
        club: ClubId(uuid_of("session club", &club)?),
        club_name,
        device: DeviceId::new(device).map_err(|e| corrupt("session device", e))?,
        expires_ms: expires_ms as u64,
    })
}

macro_rules! accounts_for {
    ($db:ty) => {
        #[async_trait]
        impl Accounts for SqlAccounts<$db> {
            async fn clubs(&self) -> Result<Vec<(ClubId, String)>, StoreError> {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT id, name FROM clubs ORDER BY name").fetch_all(&self.pool).await?;
                rows.into_iter().map(|(id, name)| Ok((ClubId(uuid_of("club", &id)?), name))).collect()
            }

            async fn club(&self, name: &str, now_ms: u64) -> Result<ClubId, StoreError> {
                let id = uuid::Uuid::now_v7().to_string();
                sqlx::query(
                    "INSERT INTO clubs (id, name, created_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                )
                .bind(&id)
                .bind(name)
                .bind(now_ms as i64)
                .execute(&self.pool)
                .await?;
                let (id,): (String,) =
                    sqlx::query_as("SELECT id FROM clubs WHERE name = $1").bind(name).fetch_one(&self.pool).await?;
                Ok(ClubId(uuid_of("club", &id)?))
            }

            async fn add_staff(
                &self,
                staff: StaffId,
                email: &str,
                name: &str,
                password_hash: &str,
                now_ms: u64,
            ) -> Result<(), AccountError> {
                let done = sqlx::query(
                    "INSERT INTO staff (id, email, name, password_hash, created_ms) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (email) DO NOTHING",
                )
                .bind(staff.to_string())
                .bind(email)
                .bind(name)
                .bind(password_hash)
                .bind(now_ms as i64)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(AccountError::EmailTaken(email.to_owned()));
                }
                Ok(())
            }

            async fn set_password(&self, staff: StaffId, password_hash: &str) -> Result<(), StoreError> {
                sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(staff.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn grant(&self, staff: StaffId, club: ClubId, role: Role) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO staff_roles (staff, club, role) VALUES ($1, $2, $3) \
                     ON CONFLICT (staff, club) DO UPDATE SET role = excluded.role",
                )
                .bind(staff.to_string())
                .bind(club.to_string())
                .bind(role.as_str())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn account(&self, email: &str) -> Result<Option<Account>, StoreError> {
                let row: Option<(String, String, String, String, Option<i64>)> =
                    sqlx::query_as("SELECT id, email, name, password_hash, disabled_ms FROM staff WHERE email = $1")
                        .bind(email)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(|(id, email, name, password_hash, disabled)| {
                    Ok(Account {
                        staff: StaffId(uuid_of("staff", &id)?),
                        email,
                        name,
                        password_hash,
                        disabled: disabled.is_some(),
                    })
                })
                .transpose()
            }

            async fn roles(&self, staff: StaffId) -> Result<Vec<(ClubId, Role)>, StoreError> {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT r.club, r.role FROM staff_roles r JOIN clubs c ON c.id = r.club \
                     WHERE r.staff = $1 ORDER BY c.name",
                )
                .bind(staff.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(club, role)| {
                        Ok((ClubId(uuid_of("club", &club)?), role.parse().map_err(|e| corrupt("role", e))?))
                    })
                    .collect()
            }

            async fn open_session(
                &self,
                token_hash: &str,
                staff: StaffId,
                club: ClubId,
                device: &DeviceId,
                now_ms: u64,
                expires_ms: u64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, staff, club, device, created_ms, expires_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_hash)
                .bind(staff.to_string())
                .bind(club.to_string())
                .bind(device.as_str())
                .bind(now_ms as i64)
                .bind(expires_ms as i64)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn sessions(&self, token_hashes: &[String], now_ms: u64) -> Result<Vec<ActiveSession>, StoreError> {
                if token_hashes.is_empty() {
                    return Ok(vec![]);
                }
                // One query for a cookie's few tokens: it runs for every API request.
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT s.token_hash, s.staff, a.name, a.email, r.role, s.club, c.name, s.device, s.expires_ms \
                     FROM sessions s JOIN staff a ON a.id = s.staff \
                     JOIN staff_roles r ON r.staff = s.staff AND r.club = s.club \
                     JOIN clubs c ON c.id = s.club \
                     WHERE s.revoked_ms IS NULL AND a.disabled_ms IS NULL AND s.expires_ms > ",
                );
                q.push_bind(now_ms as i64).push(" AND s.token_hash IN (");
                let mut hashes = q.separated(", ");
                for hash in token_hashes {
                    hashes.push_bind(hash.clone());
                }
                q.push(")");
                let rows: Vec<SessionRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(session_of).collect()
            }

            async fn revoke(&self, token_hash: &str, now_ms: u64) -> Result<(), StoreError> {
                sqlx::query("UPDATE sessions SET revoked_ms = $1 WHERE token_hash = $2 AND revoked_ms IS NULL")
                    .bind(now_ms as i64)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_all(&self, staff: StaffId, now_ms: u64) -> Result<u64, StoreError> {
                let done = sqlx::query("UPDATE sessions SET revoked_ms = $1 WHERE staff = $2 AND revoked_ms IS NULL")
                    .bind(now_ms as i64)
                    .bind(staff.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn set_disabled(&self, staff: StaffId, disabled_ms: Option<u64>) -> Result<(), StoreError> {
                sqlx::query("UPDATE staff SET disabled_ms = $1 WHERE id = $2")
                    .bind(disabled_ms.map(|ms| ms as i64))
                    .bind(staff.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn staff_of(&self, club: ClubId) -> Result<Vec<StaffMember>, StoreError> {
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT a.id, a.name, r.role FROM staff a JOIN staff_roles r ON r.staff = a.id \
                     WHERE r.club = $1 ORDER BY a.name",
                )
                .bind(club.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, name, role)| {
                        Ok(StaffMember {
                            staff: StaffId(uuid_of("staff", &id)?),
                            name,
                            role: role.parse().map_err(|e| corrupt("role", e))?,
                        })
                    })
                    .collect()
            }

            async fn staff_count(&self) -> Result<u64, StoreError> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM staff").fetch_one(&self.pool).await?;
                Ok(n as u64)
            }
        }
    };
}

accounts_for!(sqlx::Sqlite);
accounts_for!(sqlx::Postgres);
