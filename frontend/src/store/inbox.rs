//! The corrections-and-conflicts inbox: this device's events the server refused (`by_rejected`)
//! or stored as something else (`by_corrected`), and what staff decide about each (reference:
//! `MemoryDevice::discard` / `apply_on_top`).

use super::{
    db_error, decoded,
    describe::{about, describe_corrected, describe_for},
    execute::{load, ExecuteError},
    fold::{command_of, decide, fold, happened_at, title, Refused},
    read_stream,
    records::*,
    schema::{all_stores, read_model_stores, stream_table},
    writes::Writes,
    Changes, Store,
};
use app::client::{InboxEntry, InboxKind, Settle};
use indexed_db_futures::{prelude::*, transaction::TransactionMode, DeserialiseFromJs};
use shared::{
    acceptance::MAX_BEFORE_PARENT_MS, access::Actor, envelope::Stamp, EventEnvelope, HlcClock, RuleError, StreamId,
};
use std::collections::HashMap;
use uuid::Uuid;
use wasm_bindgen::JsValue;

impl Store {
    /// Every entry waiting for staff, oldest first: refused changes, then corrections. `now_ms`
    /// is when a refused change would be applied again (see [`Store::settle`]).
    pub async fn inbox(&self, now_ms: u64) -> Result<Vec<InboxEntry>, String> {
        let mut stores = vec![EVENTS];
        stores.extend(read_model_stores());
        let tx = self.transaction(&stores, TransactionMode::Readonly)?;
        let events = tx.object_store(EVENTS).map_err(db_error)?;
        let rejected =
            events.index(BY_REJECTED).map_err(db_error)?.get_all::<EventRecord>().serde().map_err(db_error)?;
        let corrected =
            events.index(BY_CORRECTED).map_err(db_error)?.get_all::<EventRecord>().serde().map_err(db_error)?;
        let records: Vec<EventRecord> = decoded(rejected.await.map_err(db_error)?)
            .into_iter()
            .chain(decoded(corrected.await.map_err(db_error)?))
            .collect();
        // What staff call the streams concerned (a member's name), read in the same transaction.
        let mut titles: HashMap<StreamId, String> = HashMap::new();
        for record in &records {
            let Ok(stream) = record.stream.parse::<StreamId>() else { continue };
            if titles.contains_key(&stream) {
                continue;
            }
            let table = tx.object_store(stream_table(stream.kind)).map_err(db_error)?;
            let found = table.get::<JsValue, _, _>(stream.to_string()).primitive().map_err(db_error)?;
            let name = found
                .await
                .map_err(db_error)?
                .and_then(|js| StreamRecord::deserialise_from_js(js).ok())
                .map(|record| title(&record))
                .unwrap_or_default();
            titles.insert(stream, name);
        }
        // The streams of refused changes as this device has them now, to tell staff beforehand
        // whether applying one again would be refused (it is decided again on exactly these).
        let mut streams: HashMap<StreamId, Vec<EventRecord>> = HashMap::new();
        {
            let index = events.index(BY_STREAM).map_err(db_error)?;
            for record in records.iter().filter(|r| r.state == STATE_REJECTED) {
                let Ok(stream) = record.stream.parse::<StreamId>() else { continue };
                if let std::collections::hash_map::Entry::Vacant(entry) = streams.entry(stream) {
                    let stored = read_stream(&index, &record.stream).map_err(db_error)?.await.map_err(db_error)?;
                    entry.insert(decoded(stored));
                }
            }
        }
        let names = self.names();
        Ok(records
            .into_iter()
            .filter_map(|record| {
                let envelope = record.envelope().inspect_err(|e| log::warn!("inbox: {e}")).ok()?;
                let kind = match (record.state, &record.reason) {
                    (STATE_REJECTED, reason) => InboxKind::Conflict {
                        reason: reason.clone().unwrap_or_else(|| "refused by the server".into()),
                        blocked: streams.get(&envelope.stream).and_then(|s| self.refused_again(&envelope, s, now_ms)),
                    },
                    _ => InboxKind::Correction,
                };
                let summary = match kind {
                    InboxKind::Correction => describe_corrected(&envelope, &self.device, &*names),
                    InboxKind::Conflict { .. } => describe_for(&envelope, &self.device, &*names),
                };
                Some(InboxEntry {
                    event_id: envelope.id,
                    member: envelope.stream.id,
                    stream: envelope.stream,
                    about: about(&envelope),
                    member_name: titles.get(&envelope.stream).cloned().unwrap_or_default(),
                    summary,
                    at_ms: happened_at(&envelope),
                    kind,
                    permission: command_of(&envelope).map(|(command, _)| command.permission()),
                })
            })
            .collect())
    }

    /// The rule that would refuse `envelope`'s command if staff applied it again now on `stream`
    /// (this device's events of it): decided as [`Store::settle`] decides it, and thrown away.
    fn refused_again(&self, envelope: &EventEnvelope, stream: &[EventRecord], now_ms: u64) -> Option<RuleError> {
        let (command, at_ms) = command_of(envelope)?;
        let at_ms = again_at(at_ms, now_ms, latest_stamp(stream));
        let mut clock = HlcClock::default();
        let mut random = || [0; 10];
        // Thrown away: who would stamp it does not matter (the role is for the page to weigh).
        let stamp = Stamp { device: &self.device, staff: None, now_ms: at_ms, hlc: &mut clock, random: &mut random };
        match decide(envelope.stream, stream, command, at_ms, stamp) {
            Err(Refused::Rule(rule)) => Some(rule),
            _ => None,
        }
    }

    /// Settles one entry, in one transaction: a correction is acknowledged; a refused change is
    /// discarded, or decided again on top of the stream as it is now (at the time it was first
    /// decided, for a check-in) — if a rule refuses it now, nothing changes and the rule says why.
    /// Deciding again is `actor`'s decision: their role must allow it, and it is stamped as theirs.
    pub async fn settle(&self, event: Uuid, how: Settle, actor: Actor, now_ms: u64) -> Result<Changes, ExecuteError> {
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        let record = {
            let events = tx.object_store(EVENTS).map_err(db_error)?;
            let found = events.get::<JsValue, _, _>(event.to_string()).primitive().map_err(db_error)?;
            found.await.map_err(db_error)?.and_then(|js| EventRecord::deserialise_from_js(js).ok())
        };
        let Some(mut record) = record else { return Err(ExecuteError::NotInInbox) };
        let mut writes = Writes::default();
        match how {
            Settle::Acknowledge => {
                if record.corrected.take().is_none() {
                    return Err(ExecuteError::NotInInbox);
                }
                writes.events.push(record);
            }
            Settle::Discard | Settle::ApplyAgain => {
                if record.state != STATE_REJECTED {
                    return Err(ExecuteError::NotInInbox);
                }
                let envelope = record.envelope()?;
                let mut loaded = load(&tx, envelope.stream).await?;
                record.settle();
                if let Some(stored) = loaded.records.iter_mut().find(|r| r.id == record.id) {
                    *stored = record.clone();
                }
                writes.events.push(record);
                if how == Settle::Discard {
                    writes.streams.push(fold(envelope.stream, &loaded.records, &self.device).record);
                } else {
                    let Some((command, at_ms)) = command_of(&envelope) else {
                        return Err(ExecuteError::NotInInbox);
                    };
                    let at_ms = again_at(at_ms, now_ms, latest_stamp(&loaded.records));
                    self.decide_into(&mut writes, envelope.stream, loaded, command, actor, at_ms)?;
                }
            }
        }
        Ok(writes.commit(tx).await?)
    }
}

/// When a refused change is decided again: a check-in keeps the time it happened, unless that time
/// was ahead of this device's clock (made while the clock was wrong: the server refuses those), or
/// further before `latest_ms`, the stamp of the stream's latest event it is now built on, than the
/// server accepts (it cannot tell a change decided again from one dated back: docs/PROTOCOL.md,
/// "Time"); then it is decided now. A minute of margin for the clocks' counters.
pub(super) fn again_at(at_ms: u64, now_ms: u64, latest_ms: u64) -> u64 {
    if at_ms == 0 || at_ms.saturating_add(MAX_BEFORE_PARENT_MS - 60_000) < latest_ms {
        now_ms
    } else {
        at_ms.min(now_ms)
    }
}

/// The stamp (ms) of the latest event of a stream this device holds, other than the rejected: what
/// a change decided again on it is built on.
fn latest_stamp(records: &[EventRecord]) -> u64 {
    records
        .iter()
        .filter(|r| r.state != STATE_REJECTED)
        .max_by_key(|r| r.version)
        .and_then(|r| r.envelope().ok())
        .map_or(0, |e| e.hlc.ms)
}
