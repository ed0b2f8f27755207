//! The corrections-and-conflicts inbox: this device's events the server refused (`by_rejected`)
//! or stored as something else (`by_corrected`), and what staff decide about each (reference:
//! `MemoryDevice::discard` / `apply_on_top`).

use super::{
    db_error, decoded,
    describe::describe_for,
    execute::{load, ExecuteError},
    fold::fold,
    records::*,
    writes::Writes,
    Changes, Store,
};
use app::client::{InboxEntry, InboxKind, Settle};
use indexed_db_futures::{prelude::*, transaction::TransactionMode, DeserialiseFromJs};
use shared::{member::Member, registry::Registered, Aggregate, StreamId};
use std::collections::HashMap;
use uuid::Uuid;
use wasm_bindgen::JsValue;

impl Store {
    /// Every entry waiting for staff, oldest first: refused changes, then corrections.
    pub async fn inbox(&self) -> Result<Vec<InboxEntry>, String> {
        let tx = self.transaction(&[EVENTS, MEMBERS], TransactionMode::Readonly)?;
        let events = tx.object_store(EVENTS).map_err(db_error)?;
        let members = tx.object_store(MEMBERS).map_err(db_error)?;
        let rejected =
            events.index(BY_REJECTED).map_err(db_error)?.get_all::<EventRecord>().serde().map_err(db_error)?;
        let corrected =
            events.index(BY_CORRECTED).map_err(db_error)?.get_all::<EventRecord>().serde().map_err(db_error)?;
        let records: Vec<EventRecord> = decoded(rejected.await.map_err(db_error)?)
            .into_iter()
            .chain(decoded(corrected.await.map_err(db_error)?))
            .collect();
        // The names of the members concerned, read in the same transaction.
        let mut names: HashMap<Uuid, String> = HashMap::new();
        for record in &records {
            let Ok(stream) = record.stream.parse::<StreamId>() else { continue };
            if names.contains_key(&stream.id) {
                continue;
            }
            let found = members.get::<JsValue, _, _>(stream.id.to_string()).primitive().map_err(db_error)?;
            let name = found
                .await
                .map_err(db_error)?
                .and_then(|js| MemberRecord::deserialise_from_js(js).ok())
                .map(|m| m.name().to_owned())
                .unwrap_or_default();
            names.insert(stream.id, name);
        }
        Ok(records
            .into_iter()
            .filter_map(|record| {
                let envelope = record.envelope().inspect_err(|e| log::warn!("inbox: {e}")).ok()?;
                let kind = match (record.state, &record.reason) {
                    (STATE_REJECTED, reason) => {
                        InboxKind::Conflict { reason: reason.clone().unwrap_or_else(|| "refused by the server".into()) }
                    }
                    _ => InboxKind::Correction,
                };
                Some(InboxEntry {
                    event_id: envelope.id,
                    member: envelope.stream.id,
                    member_name: names.get(&envelope.stream.id).cloned().unwrap_or_default(),
                    summary: describe_for(&envelope, &self.device),
                    at_ms: envelope.hlc.ms,
                    kind,
                })
            })
            .collect())
    }

    /// Settles one entry, in one transaction: a correction is acknowledged; a refused change is
    /// discarded, or decided again on top of the stream as it is now (at the time it was first
    /// decided, for a check-in) — if a rule refuses it now, nothing changes and the rule says why.
    pub async fn settle(&self, event: Uuid, how: Settle, now_ms: u64) -> Result<Changes, ExecuteError> {
        let tx = self.transaction(&[EVENTS, MEMBERS, CHECK_INS, META], TransactionMode::Readwrite)?;
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
                    let folded = fold(&loaded.records);
                    writes.members.push(MemberRecord::new(
                        envelope.stream.id,
                        &folded.member,
                        folded.version,
                        folded.pending,
                        folded.rejected,
                    ));
                } else {
                    let decoded = envelope.decode::<<Member as Aggregate>::Event>().map_err(|e| e.to_string())?;
                    let Some((command, at_ms)) = Member::command_of(&decoded) else {
                        return Err(ExecuteError::NotInInbox);
                    };
                    // A check-in keeps the time it happened, unless that time was ahead of this
                    // device's clock (made while the clock was wrong: the server refuses those).
                    let at_ms = if at_ms == 0 { now_ms } else { at_ms.min(now_ms) };
                    self.decide_into(&mut writes, envelope.stream, &loaded, command, at_ms)
                        .map_err(|e| ExecuteError::Rule(Member::into_error(e)))?;
                }
            }
        }
        Ok(writes.commit(tx).await?)
    }
}
