//! The local event store over IndexedDB, with the semantics of
//! `shared::replication::memory::MemoryDevice` (the reference): an event log, the repository that
//! appends to it, the replicator's store operations, and the projections kept in step with the log.
//!
//! Every write is one read-write transaction over the stores it touches: reads first, then writes,
//! then counts, then `commit()`; nothing but IndexedDB requests is awaited inside, because any other
//! await lets the browser auto-commit the transaction half-way.

mod apply;
mod describe;
mod execute;
mod fold;
mod inbox;
mod open;
mod rebuild;
mod records;
mod resync;
mod schema;
#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
mod wipe;
mod writes;

pub use app::client::Counts;
use describe::{about, describe, describe_corrected, describe_for, Story};
pub use describe::{Names, NoNames};
pub use execute::ExecuteError;
pub use open::{OpenError, OpenHooks};
pub use records::{RowRecord, StreamRecord};
#[cfg(test)]
pub use schema::db_version;
pub use schema::DB_NAME;
pub use wipe::delete_database;

use crate::browser;
use app::client::TimelineRow;
use indexed_db_futures::{
    database::Database,
    future::{GetAllSerdeRequest, VoidRequest},
    index::Index,
    iter::ArrayMapIter,
    object_store::ObjectStore,
    prelude::*,
    transaction::{Transaction, TransactionMode},
    DeserialiseFromJs, KeyRange,
};
use records::*;
use serde::{de::DeserializeOwned, Serialize};
use shared::{access::StaffId, protocol::LogEpoch, replication::Saved, DeviceId, EventEnvelope, StreamId};
use std::{cell::Cell, fmt::Display, rc::Rc};
use wasm_bindgen::JsValue;

pub struct Store {
    db: Database,
    device: DeviceId,
    /// Set when this page let go of the database for another tab's upgrade: nothing can be read
    /// or written any more, and every operation says why instead of failing obscurely.
    closed: Rc<Cell<bool>>,
    /// Keeps the `versionchange` listener alive as long as the store.
    _on_version_change: open::VersionChangeListener,
    /// How the timeline and the inbox name members and classes of other streams.
    names: std::cell::RefCell<Rc<dyn Names>>,
}

/// What a store operation changed, so the runtime updates its signals without reloading every
/// stream: read-model rows of any table, as written.
#[derive(Debug, Default)]
pub struct Changes {
    /// Stream-table rows that are new or changed (an unlisted one is gone from lists).
    pub streams: Vec<StreamRecord>,
    /// Event-table rows that are new or changed (e.g. no longer pending).
    pub rows: Vec<RowRecord>,
    /// (table, key) of event-table rows that no longer hold (their event was rejected, or stored
    /// by the server as something that derives no row).
    pub removed_rows: Vec<(&'static str, String)>,
    /// The store's totals after the operation, counted in the same transaction.
    pub counts: Counts,
    /// For a re-offer: how many events the server's replaced log no longer had.
    pub reoffered: Option<u32>,
}

/// [`Changes`] as one tab tells the device's other tabs (tables by name).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ChangesWire {
    streams: Vec<StreamRecord>,
    rows: Vec<(String, RowRecord)>,
    removed_rows: Vec<(String, String)>,
    counts: Counts,
}

impl Changes {
    pub fn to_wire(&self) -> ChangesWire {
        ChangesWire {
            streams: self.streams.clone(),
            rows: self.rows.iter().map(|r| (r.table.to_owned(), r.clone())).collect(),
            removed_rows: self.removed_rows.iter().map(|(t, k)| ((*t).to_owned(), k.clone())).collect(),
            counts: self.counts,
        }
    }

    /// The changes another tab made; rows of tables this build does not know are left out (a tab
    /// of another version, about to reload).
    pub fn from_wire(wire: ChangesWire) -> Self {
        let tables = schema::read_model_stores();
        let known = |name: &str| tables.iter().copied().find(|t| *t == name);
        Changes {
            streams: wire.streams,
            rows: wire.rows.into_iter().filter_map(|(t, r)| known(&t).map(|table| RowRecord { table, ..r })).collect(),
            removed_rows: wire.removed_rows.into_iter().filter_map(|(t, k)| known(&t).map(|t| (t, k))).collect(),
            counts: wire.counts,
            reoffered: None,
        }
    }
}

/// Store errors are shown to staff as they are: say what failed, then the browser's reason.
pub(crate) fn db_error(e: impl Display) -> String {
    format!("The local database on this device failed: {e}")
}

impl Store {
    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    /// Names members and classes in the timeline and the inbox from now on.
    pub fn set_names(&self, names: Rc<dyn Names>) {
        *self.names.borrow_mut() = names;
    }

    fn names(&self) -> Rc<dyn Names> {
        self.names.borrow().clone()
    }

    fn transaction(&self, stores: &[&str], mode: TransactionMode) -> Result<Transaction<'_>, String> {
        if self.closed.get() {
            return Err("Faraday was updated in another tab, so this page closed its database: reload it".into());
        }
        self.db.transaction(stores).with_mode(mode).build().map_err(db_error)
    }

    /// The oldest pending events, in append order (the `by_pending` index), for the next push.
    pub async fn pending(&self, limit: usize) -> Result<Vec<EventEnvelope>, String> {
        let tx = self.transaction(&[EVENTS], TransactionMode::Readonly)?;
        let events = tx.object_store(EVENTS).map_err(db_error)?;
        let index = events.index(BY_PENDING).map_err(db_error)?;
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let records =
            index.get_all::<EventRecord>().with_limit(limit).serde().map_err(db_error)?.await.map_err(db_error)?;
        Ok(decoded(records)
            .into_iter()
            .filter_map(|r| r.envelope().inspect_err(|e| log::error!("a pending event cannot be pushed: {e}")).ok())
            // Positions are the server's to give; a pending event never carries one.
            .map(|envelope| EventEnvelope { position: None, ..envelope })
            .collect())
    }

    /// How many pending events `staff` made: what signing them out leaves waiting for them.
    pub async fn pending_by(&self, staff: StaffId) -> Result<u32, String> {
        let pending = self.pending(usize::MAX).await?;
        Ok(pending.iter().filter(|e| e.staff == Some(staff)).count() as u32)
    }

    /// A stream's events, newest first, pending and rejected ones included.
    pub async fn timeline(&self, stream: StreamId) -> Result<Vec<TimelineRow>, String> {
        let tx = self.transaction(&[EVENTS, META], TransactionMode::Readonly)?;
        let events = tx.object_store(EVENTS).map_err(db_error)?;
        let meta = tx.object_store(META).map_err(db_error)?;
        let records =
            read_stream(&events.index(BY_STREAM).map_err(db_error)?, &stream.to_string()).map_err(db_error)?;
        let generation = get_meta::<u32>(&meta, META_GENERATION).map_err(db_error)?;
        let records = records.await.map_err(db_error)?;
        let generation = generation.await.map_err(db_error)?.unwrap_or(0);
        let records = decoded(records);
        // Each event told with what came before and after it (a freeze's new end, a void).
        let counted: Vec<EventEnvelope> =
            fold::effective(&records).into_iter().filter_map(|r| r.envelope().ok()).collect();
        let names = self.names();
        let story = Story::of(&counted, &*names);
        let mut rows: Vec<TimelineRow> = records
            .into_iter()
            .filter_map(|record| match record.envelope() {
                Ok(envelope) => Some(TimelineRow {
                    event_id: envelope.id,
                    version: envelope.version,
                    event_type: envelope.event_type.clone(),
                    // This desk's own changes that did not stand are told from its side (until
                    // staff saw the correction); another desk's merge is told from this side only
                    // in the inbox, where it concerns this desk.
                    summary: match story.told(envelope.id) {
                        _ if record.corrected.is_some() && envelope.stream.kind == shared::StreamKind::Class => {
                            describe_corrected(&envelope, &self.device, &*names)
                        }
                        Some(told) => told.clone(),
                        None if envelope.device == self.device => describe_for(&envelope, &self.device, &*names),
                        None => describe(&envelope, &*names),
                    },
                    about: about(&envelope),
                    stream: envelope.stream,
                    voided: story.voided(envelope.id),
                    at_ms: fold::happened_at(&envelope),
                    device: envelope.device.to_string(),
                    this_device: envelope.device == self.device,
                    staff: envelope.staff,
                    state: record.event_state(generation),
                }),
                Err(e) => {
                    log::warn!("timeline: {e}");
                    None
                }
            })
            .collect();
        // A rejected event can share its version with the server's: the later stamp goes first.
        rows.sort_by_key(|r| std::cmp::Reverse((r.version, r.at_ms)));
        Ok(rows)
    }

    /// Every row of a stream table (`Projected::STREAMS`), listed or not.
    pub async fn streams(&self, table: &'static str) -> Result<Vec<StreamRecord>, String> {
        let tx = self.transaction(&[table], TransactionMode::Readonly)?;
        let store = tx.object_store(table).map_err(db_error)?;
        let records = store.get_all::<StreamRecord>().serde().map_err(db_error)?.await.map_err(db_error)?;
        Ok(decoded(records))
    }

    /// The rows of an event table whose `index` (one the table declares) is at or above `from`,
    /// in the index's order.
    pub async fn rows_from(&self, table: &'static str, index: &str, from: u64) -> Result<Vec<RowRecord>, String> {
        let tx = self.transaction(&[table], TransactionMode::Readonly)?;
        let store = tx.object_store(table).map_err(db_error)?;
        let index = store.index(index).map_err(db_error)?;
        let records = index
            .get_all::<RowRecord>()
            .with_query::<u64, _>(KeyRange::LowerBound(from, false))
            .serde()
            .map_err(db_error)?
            .await
            .map_err(db_error)?;
        let mut rows = decoded(records);
        for row in &mut rows {
            row.table = table;
        }
        Ok(rows)
    }

    /// How many events on this device wait for the server, and for staff.
    pub async fn counts(&self) -> Result<Counts, String> {
        let tx = self.transaction(&[EVENTS], TransactionMode::Readonly)?;
        let events = tx.object_store(EVENTS).map_err(db_error)?;
        counts(&events).await.map_err(db_error)
    }

    /// What replication saved of its last run (the last sync time and the server's head are kept
    /// outside IndexedDB, by the sync adapter).
    pub async fn saved(&self) -> Result<Saved, String> {
        let tx = self.transaction(&[META], TransactionMode::Readonly)?;
        let meta = tx.object_store(META).map_err(db_error)?;
        let cursor = get_meta::<u64>(&meta, META_CURSOR).map_err(db_error)?;
        let epoch = get_meta::<LogEpoch>(&meta, META_EPOCH).map_err(db_error)?;
        let resyncing = get_meta::<bool>(&meta, META_RESYNCING).map_err(db_error)?;
        Ok(Saved {
            cursor: cursor.await.map_err(db_error)?.unwrap_or(0),
            epoch: epoch.await.map_err(db_error)?,
            resyncing: resyncing.await.map_err(db_error)?.unwrap_or(false),
            last_sync_ms: None,
            server_head: 0,
        })
    }
}

/// This browser profile's device id: made once, kept in `meta`.
async fn device_id(db: &Database) -> Result<DeviceId, String> {
    let tx = db.transaction(META).with_mode(TransactionMode::Readwrite).build().map_err(db_error)?;
    let meta = tx.object_store(META).map_err(db_error)?;
    let stored = get_meta::<String>(&meta, META_DEVICE).map_err(db_error)?.await.map_err(db_error)?;
    if let Some(device) =
        stored.and_then(|s| DeviceId::new(s).inspect_err(|e| log::error!("{e}; making a new one")).ok())
    {
        return Ok(device);
    }
    let id = uuid::Builder::from_random_bytes(browser::random_bytes()).into_uuid().to_string();
    let device = DeviceId::new(id).map_err(|e| e.to_string())?;
    put(&meta, &Meta::new(META_DEVICE, device.as_str())).map_err(db_error)?.await.map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(device)
}

/// The records that decode; a damaged one is logged and skipped rather than failing the whole read.
fn decoded<T>(records: ArrayMapIter<T>) -> Vec<T> {
    records
        .filter_map(|r| r.inspect_err(|e| log::error!("skipping a stored record that cannot be read: {e}")).ok())
        .collect()
}

/// Every event of a stream, via `by_stream` (["stream", "version"]).
fn read_stream(index: &Index<'_>, stream: &str) -> indexed_db_futures::Result<GetAllSerdeRequest<EventRecord>> {
    let range = KeyRange::Bound((stream.to_owned(), 0.0), false, (stream.to_owned(), f64::INFINITY), false);
    index.get_all::<EventRecord>().with_query(range).serde()
}

/// A `meta` value; a damaged one reads as absent (and is logged) so that it gets rewritten.
fn get_meta<T: DeserializeOwned>(
    meta: &ObjectStore<'_>,
    key: &str,
) -> indexed_db_futures::Result<impl std::future::Future<Output = indexed_db_futures::Result<Option<T>>>> {
    let request = meta.get::<JsValue, _, _>(key.to_owned()).primitive()?;
    let key = key.to_owned();
    Ok(async move {
        let Some(js) = request.await? else { return Ok(None) };
        Ok(Meta::<T>::deserialise_from_js(js)
            .inspect_err(|e| log::error!("meta {key} cannot be read, starting it afresh: {e}"))
            .ok()
            .map(|m| m.value))
    })
}

fn put<T: Serialize>(store: &ObjectStore<'_>, value: &T) -> indexed_db_futures::Result<VoidRequest> {
    store.put(value).serde()
}

async fn counts(events: &ObjectStore<'_>) -> indexed_db_futures::Result<Counts> {
    let pending = events.index(BY_PENDING)?.count().primitive()?;
    let rejected = events.index(BY_REJECTED)?.count().primitive()?;
    let corrected = events.index(BY_CORRECTED)?.count().primitive()?;
    Ok(Counts { pending: pending.await?, rejected: rejected.await?, corrected: corrected.await? })
}
