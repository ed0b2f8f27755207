//! The replicator's store operations (reference: `MemoryDevice::apply`), each in one transaction.
//!
//! Exactly-once rests on the event id being the key of `events`: an id the store already holds is
//! overwritten by the server's copy (now confirmed, with its position), never stored twice, and a
//! projection is only advanced incrementally when the event is provably the stream's next one.
//!
//! A page of 1,000 pulled events is one transaction with two rounds of reads, grouped by stream:
//! the projections of the touched streams, then the full streams of only those that need a rebuild.
//! The operations about the server's log itself (adopt an epoch, reset, re-offer) are in `resync.rs`.

use super::{
    db_error, decoded,
    fold::{fold, fold_onto},
    get_meta, read_stream,
    records::*,
    schema::{all_stores, stream_table},
    writes::Writes,
    Changes, Store,
};
use indexed_db_futures::{object_store::ObjectStore, prelude::*, transaction::TransactionMode, DeserialiseFromJs};
use shared::{protocol::LogEpoch, replication::StoreOp, DeviceId, EventEnvelope, HlcClock, StreamId};
use std::collections::{BTreeMap, HashMap, HashSet};
use wasm_bindgen::JsValue;

/// A store operation, normalised.
struct Plan {
    /// Server copies of events, per stream, in version order, each id once.
    incoming: BTreeMap<StreamId, Vec<EventEnvelope>>,
    /// Every still-pending event of this stream becomes rejected, with this reason.
    reject: Option<(StreamId, String)>,
    cursor: Option<u64>,
}

impl Plan {
    /// The plan of an operation on events; the others are not about events (`Err` gives them back).
    fn new(op: StoreOp) -> Result<Self, StoreOp> {
        // Every operation on events inserts the server's copies this device does not hold (they
        // stand whatever it held) and moves the clock past their stamps.
        let (events, reject, cursor) = match op {
            StoreOp::Confirm { mut stored, server_events } => {
                // The other side first: the batch's own copies come after it in version order anyway.
                let mut events = server_events;
                events.append(&mut stored);
                (events, None, None)
            }
            StoreOp::Reject { stream, server_events, reason } => (server_events, Some((stream, reason)), None),
            StoreOp::Apply { events, cursor } => (events, None, Some(cursor)),
            other => return Err(other),
        };
        let mut seen = HashSet::new();
        let mut incoming: BTreeMap<StreamId, Vec<EventEnvelope>> = BTreeMap::new();
        for event in events {
            if seen.insert(event.id) {
                incoming.entry(event.stream).or_default().push(event);
            }
        }
        for events in incoming.values_mut() {
            events.sort_by_key(|e| e.version);
        }
        if let Some((stream, _)) = &reject {
            incoming.entry(*stream).or_default();
        }
        Ok(Self { incoming, reject, cursor })
    }

    /// Whether `events` can simply be folded onto the stored projection: new remote events, next in
    /// line, on a stream with nothing pending or rejected locally (so nothing is reordered or hidden).
    fn appends<'p>(
        &self,
        stream: StreamId,
        projection: &'p Projection,
        events: &[EventEnvelope],
    ) -> Option<Option<&'p StreamRecord>> {
        if self.reject.as_ref().is_some_and(|(s, _)| *s == stream) || events.is_empty() {
            return None;
        }
        let base = match projection {
            Projection::Absent => None,
            Projection::Found(p) if p.pending == 0 && p.rejected == 0 => Some(&**p),
            _ => return None,
        };
        let head = base.map_or(0, |b| b.version);
        let in_line = events.iter().enumerate().all(|(i, e)| e.version == head + 1 + i as u64);
        in_line.then_some(base)
    }
}

/// A stored stream-table row, as read.
enum Projection {
    Absent,
    Found(Box<StreamRecord>),
    /// Present but unreadable: rebuilt from the stream.
    Broken,
}

fn read_projection(
    table: &ObjectStore<'_>,
    stream: StreamId,
) -> indexed_db_futures::Result<impl std::future::Future<Output = indexed_db_futures::Result<Projection>>> {
    let request = table.get::<JsValue, _, _>(stream.to_string()).primitive()?;
    Ok(async move {
        Ok(match request.await? {
            None => Projection::Absent,
            Some(js) => match StreamRecord::deserialise_from_js(js) {
                Ok(record) => Projection::Found(Box::new(record)),
                Err(e) => {
                    log::error!("the projection of {stream} cannot be read, rebuilding it: {e}");
                    Projection::Broken
                }
            },
        })
    })
}

impl Store {
    /// Carries out one of the replicator's store operations in one transaction. `epoch` is the log
    /// the replicator believes it syncs with.
    pub async fn apply(&self, op: StoreOp, now_ms: u64, epoch: Option<LogEpoch>) -> Result<Changes, String> {
        let plan = match Plan::new(op) {
            Ok(plan) => plan,
            Err(StoreOp::AdoptEpoch(epoch)) => return self.adopt_epoch(epoch).await,
            Err(StoreOp::Reset { epoch }) => return self.reset(epoch).await,
            Err(StoreOp::Reoffer) => return self.reoffer().await,
            Err(op) => unreachable!("Plan::new takes every operation on events: {op:?}"),
        };
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        let mut writes = Writes::default();

        // Reads, round 1: projections of the touched streams, and the meta values this op moves.
        let (projections, stored_clock, stored_cursor, generation) = {
            let meta = tx.object_store(META).map_err(db_error)?;
            let projections = plan
                .incoming
                .keys()
                .map(|s| read_projection(&tx.object_store(stream_table(s.kind))?, *s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            let clock = get_meta::<HlcClock>(&meta, META_CLOCK).map_err(db_error)?;
            let cursor = plan
                .cursor
                .map(|_| {
                    Ok::<_, indexed_db_futures::error::Error>((
                        get_meta::<u64>(&meta, META_CURSOR)?,
                        get_meta::<LogEpoch>(&meta, META_EPOCH)?,
                    ))
                })
                .transpose()
                .map_err(db_error)?;
            let generation = get_meta::<u32>(&meta, META_GENERATION).map_err(db_error)?;
            let projections = futures::future::try_join_all(projections).await.map_err(db_error)?;
            let clock = clock.await.map_err(db_error)?.unwrap_or_default();
            let cursor = match cursor {
                Some((cursor, stored_epoch)) => {
                    Some((cursor.await.map_err(db_error)?, stored_epoch.await.map_err(db_error)?))
                }
                None => None,
            };
            (projections, clock, cursor, generation.await.map_err(db_error)?.unwrap_or(0))
        };

        // In-line appends fold onto the projection; every other stream is rebuilt from its events.
        let mut rebuild = Vec::new();
        for ((stream, events), projection) in plan.incoming.iter().zip(&projections) {
            match plan.appends(*stream, projection, events) {
                Some(base) => append(&mut writes, base, *stream, events, generation, &self.device),
                None => rebuild.push(*stream),
            }
        }

        // Reads, round 2: the whole stream of each stream to rebuild.
        let streams = {
            let events = tx.object_store(EVENTS).map_err(db_error)?;
            let index = events.index(BY_STREAM).map_err(db_error)?;
            let requests = rebuild
                .iter()
                .map(|s| read_stream(&index, &s.to_string()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            futures::future::try_join_all(requests).await.map_err(db_error)?
        };
        for (stream, stored) in rebuild.iter().zip(streams) {
            let reason = plan.reject.as_ref().filter(|(s, _)| s == stream).map(|(_, r)| r.as_str());
            let incoming = &plan.incoming[stream];
            let how = Merging { reject: reason, generation, device: &self.device };
            merge(&mut writes, *stream, decoded(stored), incoming, how);
        }

        let mut clock = stored_clock;
        for event in plan.incoming.values().flatten() {
            clock.observe(event.hlc, now_ms);
        }
        writes.clock = Some(clock);
        // Never backwards: another tab may have applied further already, and every saved cursor
        // promises that everything up to it is stored. But only within one log: a tab that has not
        // yet noticed the log was replaced must not move the cursor of the new one.
        writes.cursor = match (plan.cursor, stored_cursor) {
            (Some(cursor), Some((stored, stored_epoch))) if stored_epoch.is_none() || stored_epoch == epoch => {
                Some(cursor.max(stored.unwrap_or(0)))
            }
            _ => None,
        };
        writes.commit(tx).await
    }
}

/// Folds new remote events, next in line, onto the stored projection.
fn append(
    writes: &mut Writes,
    base: Option<&StreamRecord>,
    stream: StreamId,
    events: &[EventEnvelope],
    generation: u32,
    device: &DeviceId,
) {
    let folded = fold_onto(stream, base, events, device);
    for envelope in events {
        let mut record = EventRecord::confirmed(envelope, generation);
        // Another desk's merge over one of this device's changes: staff are told.
        if folded.overruled.contains(&record.id) {
            record.corrected = envelope.position.or(Some(0));
        }
        writes.rows.extend(RowRecord::of(envelope, false));
        writes.events.push(record);
    }
    writes.streams.push(folded.record);
}

/// How [`merge`] treats a stream's incoming events.
struct Merging<'a> {
    /// Reject every still-pending event, with this reason.
    reject: Option<&'a str>,
    /// The store's log generation (see `EventRecord::generation`).
    generation: u32,
    /// This device: another device's merge over its change is a correction.
    device: &'a DeviceId,
}

/// Merges the server's copies into a stream's stored events, rejects what is still pending when
/// asked to, and rebuilds the stream's projection and the event-table rows of every changed event.
fn merge(
    writes: &mut Writes,
    stream: StreamId,
    mut records: Vec<EventRecord>,
    incoming: &[EventEnvelope],
    how: Merging,
) {
    let Merging { reject, generation, device } = how;
    let mut inserted = HashSet::new();
    let mut changed = vec![false; records.len()];
    let mut by_id: HashMap<String, usize> = records.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
    for envelope in incoming {
        match by_id.get(&envelope.id.to_string()) {
            // The server holds it, so it stands, even over a local "rejected"; also an unconfirmed
            // event the new log shows again is confirmed once more.
            Some(&i) => {
                // Rows this device's copy derived that the server's copy does not (a check-in
                // stored as a duplicate) go.
                writes.removed_rows.extend(rows_of(&records[i]).into_iter().map(|r| (r.table, r.key)));
                records[i] = records[i].replaced_by(envelope, generation);
                changed[i] = true;
            }
            None => {
                let record = EventRecord::confirmed(envelope, generation);
                inserted.insert(record.id.clone());
                by_id.insert(record.id.clone(), records.len());
                records.push(record);
                changed.push(true);
            }
        }
    }
    if let Some(reason) = reject {
        for (record, changed) in records.iter_mut().zip(changed.iter_mut()) {
            if record.state == STATE_PENDING {
                writes.removed_rows.extend(rows_of(record).into_iter().map(|r| (r.table, r.key)));
                record.reject(reason);
                *changed = true;
            }
        }
    }

    // Another desk's merge over one of this device's changes: staff are told, when it first
    // arrives (an event received again keeps its flag, or its acknowledgement).
    let folded = fold(stream, &records, device);
    for record in records.iter_mut() {
        if inserted.contains(&record.id) && folded.overruled.contains(&record.id) {
            record.corrected = record.position.or(Some(0));
        }
    }
    writes.streams.push(folded.record);
    for (record, _) in records.into_iter().zip(changed).filter(|(_, changed)| *changed) {
        if record.state != STATE_REJECTED {
            writes.rows.extend(rows_of(&record));
        }
        writes.events.push(record);
    }
}

/// The event-table rows a stored event derives, where it stands now (none for a rejected or
/// settled event, nor one that cannot be read).
pub(super) fn rows_of(record: &EventRecord) -> Vec<RowRecord> {
    if record.state != STATE_CONFIRMED && record.state != STATE_PENDING {
        return vec![];
    }
    match record.envelope() {
        Ok(envelope) => RowRecord::of(&envelope, record.state == STATE_PENDING),
        Err(e) => {
            log::warn!("{e}");
            vec![]
        }
    }
}
