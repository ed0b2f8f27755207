//! The server's current-state read models (`shared::projection`), kept in SQL per club: one row
//! per stream (its folded state) in `read_streams`, and the rows single events derive as the
//! events themselves (`events.read_tbl`, `read_sort`).
//! Written in the append transaction, so what `GET /api/read/…` serves is the log up to its head;
//! rebuilt from the log at start when the app's projections changed.

use super::{push::LogTx, StoreError};
use shared::{acceptance::StreamHead, projection, EventEnvelope, StreamId, StreamState};
use std::collections::HashMap;

pub use shared::protocol::{EventRow, StreamRow};

/// What one transaction writes to the stream tables. (The rows single events derive are written
/// with the events themselves: see migration 0003.)
#[derive(Default)]
pub struct ReadWrites {
    /// (table, row), one per stream, the latest state.
    pub streams: HashMap<StreamId, (&'static str, StreamRow)>,
}

impl ReadWrites {
    /// A stream's state after the transaction.
    pub fn set_stream(&mut self, head: &StreamHead) {
        let mut state = head.state.clone();
        self.set_state(head.stream, head.version, &mut state);
    }

    fn set_state(&mut self, stream: StreamId, version: u64, state: &mut StreamState) {
        let (table, value) = projection::stream_row(state);
        self.streams.insert(stream, (table, StreamRow { stream, version, state: value }));
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}

/// Events read per page while rebuilding.
const REBUILD_PAGE: u32 = 2_000;

/// Rebuilds every read model of every club from the logs when they were built with other
/// projections than this app's, in `tx` (which holds every log's write lock: appends wait, then
/// see them complete). Each row keeps the club of the events it is folded from.
pub(super) async fn rebuild_if_changed(tx: &mut dyn LogTx) -> Result<bool, StoreError> {
    let signature = projection::signature();
    if tx.read_models_signature().await? == signature {
        return Ok(false);
    }
    tracing::info!("building the read models from the log (projections: {signature})");
    tx.clear_read_models().await?;
    // Per club's key, its streams' versions and states.
    let mut clubs: HashMap<String, HashMap<StreamId, (u64, StreamState)>> = HashMap::new();
    let (mut after, mut done) = ((String::new(), 0), 0u64);
    loop {
        let page = tx.events_after((&after.0, after.1), REBUILD_PAGE).await?;
        let (owners, events): (Vec<String>, Vec<EventEnvelope>) = page.into_iter().unzip();
        let (Some(club), Some(last)) = (owners.last(), events.last().and_then(|e| e.position)) else { break };
        after = (club.clone(), last);
        tx.index_event_rows(&events).await?;
        for (club, e) in owners.into_iter().zip(&events) {
            let streams = clubs.entry(club).or_default();
            let (version, state) = streams.entry(e.stream).or_insert_with(|| (0, StreamState::new(e.stream.kind)));
            state.evolve(e).map_err(|err| StoreError::Corrupt {
                position: e.position.map_or(-1, |p| p as i64),
                reason: err.to_string(),
            })?;
            *version = e.version;
        }
        done += events.len() as u64;
        if done % 100_000 < u64::from(REBUILD_PAGE) {
            tracing::info!("read models: {done} events folded");
        }
    }
    for (club, streams) in clubs {
        let mut writes = ReadWrites::default();
        for (stream, (version, mut state)) in streams {
            writes.set_state(stream, version, &mut state);
        }
        tx.write_read_models(&club, &writes).await?;
    }
    tx.set_read_models_signature(&signature).await?;
    tracing::info!("read models built from {done} events");
    Ok(true)
}
