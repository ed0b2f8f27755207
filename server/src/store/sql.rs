//! SQL shared by the SQLite and PostgreSQL stores. Both speak `$N` placeholders and RETURNING;
//! the one implementation is stamped out for each backend's types by `log_tx_for!` (the push's
//! transaction) and `store_for!` (in `backend.rs`: everything else).

use super::StoreError;
use shared::{EventEnvelope, Hlc};

/// The columns of [`EventRow`], for a `format!`.
macro_rules! event_columns {
    () => {
        "position, id, stream, version, event_type, schema_version, data, hlc_ms, hlc_c, device, staff"
    };
}

/// Columns in the order of [`EventRow`].
pub(super) const COLUMNS: &str = event_columns!();
/// The event's club, then [`COLUMNS`]: a [`ClubEventRow`].
pub(super) const CLUB_COLUMNS: &str = concat!("club, ", event_columns!());

/// Rows per INSERT: 1,000 × 15 values stays under both backends' parameter limits (SQLite's
/// 32,766, PostgreSQL's 65,535).
pub(super) const INSERT_CHUNK: usize = 1_000;

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    position: i64,
    id: String,
    stream: String,
    version: i64,
    event_type: String,
    schema_version: i32,
    data: String,
    hlc_ms: i64,
    hlc_c: i64,
    device: String,
    staff: Option<String>,
}

/// An event and the key of the club whose log holds it.
#[derive(sqlx::FromRow)]
pub(super) struct ClubEventRow {
    club: String,
    #[sqlx(flatten)]
    event: EventRow,
}

impl TryFrom<EventRow> for EventEnvelope {
    type Error = StoreError;
    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt { position: row.position, reason };
        Ok(EventEnvelope {
            id: row.id.parse().map_err(|e| corrupt(format!("id: {e}")))?,
            stream: row.stream.parse().map_err(|e| corrupt(format!("{e}")))?,
            version: row.version as u64,
            event_type: row.event_type.clone(),
            schema_version: row.schema_version as u32,
            data: serde_json::from_str(&row.data).map_err(|e| corrupt(format!("data: {e}")))?,
            hlc: Hlc { ms: row.hlc_ms as u64, c: row.hlc_c as u32 },
            device: shared::DeviceId::new(row.device.clone()).map_err(|e| corrupt(e.to_string()))?,
            staff: row.staff.as_deref().map(str::parse).transpose().map_err(|e| corrupt(format!("staff: {e}")))?,
            position: Some(row.position as u64),
        })
    }
}

pub(super) fn rows_to_events(rows: Vec<EventRow>) -> Result<Vec<EventEnvelope>, StoreError> {
    rows.into_iter().map(EventEnvelope::try_from).collect()
}

/// Events with the keys of their clubs.
pub(super) fn club_rows_to_events(rows: Vec<ClubEventRow>) -> Result<Vec<(String, EventEnvelope)>, StoreError> {
    rows.into_iter().map(|row| Ok((row.club, EventEnvelope::try_from(row.event)?))).collect()
}

/// Implements `LogTx` for `sqlx::Transaction<'_, $db>`.
/// The backend's own forms: `$events_by_id(ids)` is the query for the rows with those ids (as
/// [`ClubEventRow`]s); `$streams_table(&mut query, values)` appends a table `s(stream)` of
/// `values`; `$insert_events(club, events, now_ms)` is the statement that stores positioned events
/// in `club`'s log; it also moves the club's head to the last of them unless `$bump_separately`,
/// when a second statement does.
macro_rules! log_tx_for {
    ($db:ty, $events_by_id:path, $streams_table:path, $insert_events:path, $bump_separately:expr) => {
        #[async_trait::async_trait]
        impl super::push::LogTx for sqlx::Transaction<'static, $db> {
            async fn events_by_id(
                &mut self,
                ids: &[uuid::Uuid],
            ) -> Result<Vec<(String, shared::EventEnvelope)>, super::StoreError> {
                let mut found = Vec::new();
                for chunk in ids.chunks(super::sql::INSERT_CHUNK) {
                    let mut q = $events_by_id(chunk.iter().map(|id| id.to_string()).collect());
                    let rows: Vec<super::sql::ClubEventRow> = q.build_query_as().fetch_all(&mut **self).await?;
                    found.extend(super::sql::club_rows_to_events(rows)?);
                }
                Ok(found)
            }

            async fn stream_versions(
                &mut self,
                streams: &[shared::StreamId],
            ) -> Result<std::collections::HashMap<shared::StreamId, (String, u64)>, super::StoreError> {
                let mut versions = std::collections::HashMap::with_capacity(streams.len());
                for chunk in streams.chunks(super::sql::INSERT_CHUNK) {
                    // Index lookups per stream (an aggregate over GROUP BY would read every
                    // version of a long stream); every event of a stream is in one club's log.
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT s.stream, \
                         (SELECT MAX(e.version) FROM events e WHERE e.stream = s.stream), \
                         (SELECT e.club FROM events e WHERE e.stream = s.stream LIMIT 1) FROM ",
                    );
                    $streams_table(&mut q, chunk.iter().map(|s| s.to_string()).collect());
                    let rows: Vec<(String, Option<i64>, Option<String>)> =
                        q.build_query_as().fetch_all(&mut **self).await?;
                    for (stream, version, club) in rows {
                        let (Some(version), Some(club)) = (version, club) else { continue };
                        let stream = stream
                            .parse()
                            .map_err(|e| super::StoreError::Corrupt { position: -1, reason: format!("{e}") })?;
                        versions.insert(stream, (club, version as u64));
                    }
                }
                Ok(versions)
            }

            async fn stream_events(
                &mut self,
                stream: shared::StreamId,
                after: u64,
                limit: u32,
            ) -> Result<Vec<shared::EventEnvelope>, super::StoreError> {
                let sql = format!(
                    "SELECT {} FROM events WHERE stream = $1 AND version > $2 ORDER BY version LIMIT $3",
                    super::sql::COLUMNS
                );
                let rows: Vec<super::sql::EventRow> = sqlx::query_as(&sql)
                    .bind(stream.to_string())
                    .bind(after as i64)
                    .bind(i64::from(limit))
                    .fetch_all(&mut **self)
                    .await?;
                super::sql::rows_to_events(rows)
            }

            async fn write_read_models(
                &mut self,
                club: &str,
                writes: &super::read_models::ReadWrites,
            ) -> Result<(), super::StoreError> {
                let streams: Vec<_> = writes.streams.values().collect();
                for chunk in streams.chunks(super::sql::INSERT_CHUNK) {
                    let mut q =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO read_streams (club, stream, tbl, version, state) ");
                    q.push_values(chunk, |mut row, (table, r)| {
                        row.push_bind(club.to_owned())
                            .push_bind(r.stream.to_string())
                            .push_bind(table.to_string())
                            .push_bind(r.version as i64)
                            .push_bind(r.state.to_string());
                    });
                    q.push(
                        " ON CONFLICT (club, tbl, stream) DO UPDATE SET version = excluded.version, \
                         state = excluded.state",
                    );
                    q.build().execute(&mut **self).await?;
                }
                Ok(())
            }

            async fn events_after(
                &mut self,
                (club, position): (&str, u64),
                limit: u32,
            ) -> Result<Vec<(String, shared::EventEnvelope)>, super::StoreError> {
                // Keyset over the primary key (club, position).
                let sql = format!(
                    "SELECT {} FROM events WHERE club > $1 OR (club = $1 AND position > $2) \
                     ORDER BY club, position LIMIT $3",
                    super::sql::CLUB_COLUMNS
                );
                let rows: Vec<super::sql::ClubEventRow> = sqlx::query_as(&sql)
                    .bind(club.to_owned())
                    .bind(position as i64)
                    .bind(i64::from(limit))
                    .fetch_all(&mut **self)
                    .await?;
                super::sql::club_rows_to_events(rows)
            }

            async fn read_models_signature(&mut self) -> Result<String, super::StoreError> {
                let (signature,): (String,) =
                    sqlx::query_as("SELECT read_models FROM log_head WHERE id = 1").fetch_one(&mut **self).await?;
                Ok(signature)
            }

            async fn set_read_models_signature(&mut self, signature: &str) -> Result<(), super::StoreError> {
                sqlx::query("UPDATE log_head SET read_models = $1 WHERE id = 1")
                    .bind(signature.to_owned())
                    .execute(&mut **self)
                    .await?;
                Ok(())
            }

            async fn clear_read_models(&mut self) -> Result<(), super::StoreError> {
                sqlx::query("DELETE FROM read_streams").execute(&mut **self).await?;
                sqlx::query("UPDATE events SET read_tbl = NULL, read_sort = NULL WHERE read_tbl IS NOT NULL")
                    .execute(&mut **self)
                    .await?;
                Ok(())
            }

            async fn index_event_rows(&mut self, events: &[shared::EventEnvelope]) -> Result<(), super::StoreError> {
                for e in events {
                    let row = super::sql::Row::of(e, "", 0);
                    if row.read_tbl.is_some() {
                        // By id: unique across clubs.
                        sqlx::query("UPDATE events SET read_tbl = $1, read_sort = $2 WHERE id = $3")
                            .bind(row.read_tbl)
                            .bind(row.read_sort)
                            .bind(row.id)
                            .execute(&mut **self)
                            .await?;
                    }
                }
                Ok(())
            }

            async fn append(
                &mut self,
                club: &str,
                events: &[shared::EventEnvelope],
                now_ms: u64,
            ) -> Result<(), super::StoreError> {
                for chunk in events.chunks(super::sql::INSERT_CHUNK) {
                    $insert_events(club, chunk, now_ms).build().execute(&mut **self).await?;
                }
                if $bump_separately {
                    let last = events.last().and_then(|e| e.position).expect("positioned before insert");
                    sqlx::query("UPDATE club_logs SET position = $1 WHERE club = $2")
                        .bind(last as i64)
                        .bind(club.to_owned())
                        .execute(&mut **self)
                        .await?;
                }
                Ok(())
            }
        }
    };
}
pub(super) use log_tx_for;

/// The columns an append writes: the club, [`COLUMNS`], when it was recorded, and the read-model
/// row the event derives (`read_tbl`, `read_sort`; see migration 0003).
pub(super) const INSERT_COLUMNS: &str = "club, position, id, stream, version, event_type, schema_version, data, \
     hlc_ms, hlc_c, device, staff, recorded_ms, read_tbl, read_sort";

/// One event as a row of `events`, in [`INSERT_COLUMNS`] order.
pub(super) struct Row {
    pub club: String,
    pub position: i64,
    pub id: String,
    pub stream: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i32,
    pub data: String,
    pub hlc_ms: i64,
    pub hlc_c: i64,
    pub device: String,
    pub staff: Option<String>,
    pub recorded_ms: i64,
    pub read_tbl: Option<String>,
    pub read_sort: Option<i64>,
}

impl Row {
    /// `e` as a row of the log of the club keyed `club`.
    pub fn of(e: &shared::EventEnvelope, club: &str, now_ms: u64) -> Self {
        Row {
            club: club.to_owned(),
            position: e.position.expect("positioned before insert") as i64,
            id: e.id.to_string(),
            stream: e.stream.to_string(),
            version: e.version as i64,
            event_type: e.event_type.clone(),
            schema_version: e.schema_version as i32,
            data: e.data.to_string(),
            hlc_ms: e.hlc.ms as i64,
            hlc_c: i64::from(e.hlc.c),
            device: e.device.to_string(),
            staff: e.staff.map(|s| s.to_string()),
            recorded_ms: now_ms as i64,
            read_tbl: None,
            read_sort: None,
        }
        .with_read_row(e)
    }

    /// The read-model row `e` derives, by the shared projection code.
    fn with_read_row(mut self, e: &shared::EventEnvelope) -> Self {
        if let Some(row) = shared::projection::rows_of(e).into_iter().next() {
            self.read_tbl = Some(row.table.to_owned());
            self.read_sort = Some(row.sort.min(i64::MAX as u64) as i64);
        }
        self
    }
}

pub(super) fn stream_row(
    (stream, version, state): (String, i64, String),
) -> Result<super::read_models::StreamRow, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt { position: -1, reason };
    Ok(super::read_models::StreamRow {
        stream: stream.parse().map_err(|e| corrupt(format!("read model of {stream}: {e}")))?,
        version: version as u64,
        state: serde_json::from_str(&state).map_err(|e| corrupt(format!("read model of {stream}: {e}")))?,
    })
}

/// The `table` row of a stored event, recomputed by the shared projection code.
pub(super) fn event_row(table: &str, e: &shared::EventEnvelope) -> Option<super::read_models::EventRow> {
    let row = shared::projection::rows_of(e).into_iter().find(|r| r.table == table)?;
    Some(super::read_models::EventRow { id: row.key, stream: e.stream, sort: row.sort, value: row.value })
}

pub(super) fn parse_epoch(epoch: &str) -> Result<shared::protocol::LogEpoch, StoreError> {
    epoch
        .parse()
        .map(shared::protocol::LogEpoch)
        .map_err(|e| StoreError::Corrupt { position: -1, reason: format!("log epoch {epoch:?}: {e}") })
}
