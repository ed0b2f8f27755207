//! Which local events count, and in what order they are folded (the reference is
//! `shared::replication::memory::MemoryDevice::stream`): confirmed events by version, then pending
//! events on top in append order. Rejected events are kept for the timeline but never folded.

use super::records::{EventRecord, STATE_CONFIRMED, STATE_PENDING, STATE_REJECTED};
use shared::{
    aggregate::EventMeta,
    member::{Member, MemberEvent},
    Aggregate, EventEnvelope,
};

/// A stream folded into its projection.
pub struct Folded {
    pub member: Member,
    /// Highest version among the events that count: the head new local events are numbered after.
    pub version: u64,
    pub pending: u32,
    /// Rejected and not yet settled (in the inbox).
    pub rejected: u32,
}

pub fn effective(records: &[EventRecord]) -> Vec<&EventRecord> {
    let mut confirmed: Vec<&EventRecord> = records.iter().filter(|r| r.state == STATE_CONFIRMED).collect();
    confirmed.sort_by_key(|r| r.version);
    let mut pending: Vec<&EventRecord> = records.iter().filter(|r| r.state == STATE_PENDING).collect();
    pending.sort_by_key(|r| (r.pending.unwrap_or(u64::MAX), r.version));
    confirmed.extend(pending);
    confirmed
}

/// Reads a stored event; a record that does not decode is logged by the caller and skipped, never a panic.
pub fn decode(record: &EventRecord) -> Result<(EventEnvelope, MemberEvent), String> {
    let envelope = record.envelope()?;
    let event = envelope.decode::<MemberEvent>().map_err(|e| format!("event {}: {e}", record.id))?;
    Ok((envelope, event))
}

pub fn fold(records: &[EventRecord]) -> Folded {
    fold_seeing(records, |_, _, _| {})
}

/// Folds like [`fold`], showing `see` each event with the state just before it.
pub fn fold_seeing(records: &[EventRecord], mut see: impl FnMut(&Member, &EventRecord, &MemberEvent)) -> Folded {
    let mut member = Member::default();
    let mut version = 0;
    for record in effective(records) {
        // The head counts an undecodable event too: new events must still be numbered after it.
        version = version.max(record.version);
        match decode(record) {
            Ok((envelope, event)) => {
                see(&member, record, &event);
                member.evolve(&event, &EventMeta::of(&envelope))
            }
            Err(e) => log::warn!("skipping a stored event that cannot be read: {e}"),
        }
    }
    let count = |state| records.iter().filter(|r| r.state == state).count() as u32;
    Folded { member, version, pending: count(STATE_PENDING), rejected: count(STATE_REJECTED) }
}
