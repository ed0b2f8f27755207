//! The generic kernel of the store: a stream's local events folded by its own aggregate (through
//! the registry) into its stream-table row, and commands decided on it. Everything else in the
//! store handles records whatever their kind.
//!
//! Which local events count, and in what order (the reference is
//! `shared::replication::memory::MemoryDevice::stream`): confirmed events by version, then pending
//! events on top in append order. Rejected events are kept for the timeline but never folded.

use super::records::{EventRecord, StreamRecord, STATE_CONFIRMED, STATE_PENDING, STATE_REJECTED};
use shared::{
    aggregate::EventMeta,
    envelope::Stamp,
    projection::Projected,
    registry::{ForKind, Registered},
    Aggregate, Command, DeviceId, EventEnvelope, RuleError, StreamId,
};
use std::collections::HashSet;

pub fn effective(records: &[EventRecord]) -> Vec<&EventRecord> {
    let mut confirmed: Vec<&EventRecord> = records.iter().filter(|r| r.state == STATE_CONFIRMED).collect();
    confirmed.sort_by_key(|r| r.version);
    let mut pending: Vec<&EventRecord> = records.iter().filter(|r| r.state == STATE_PENDING).collect();
    pending.sort_by_key(|r| (r.pending.unwrap_or(u64::MAX), r.version));
    confirmed.extend(pending);
    confirmed
}

/// A stream folded into its stream-table row.
pub struct Folded {
    pub record: StreamRecord,
    /// Remote events that overwrote one of this device's changes (`Aggregate::overruled`): staff
    /// are told of them when they first arrive.
    pub overruled: HashSet<String>,
}

/// Folds every stored event of `stream` (`records`, in any order) into its row.
pub fn fold(stream: StreamId, records: &[EventRecord], device: &DeviceId) -> Folded {
    let count = |state| records.iter().filter(|r| r.state == state).count() as u32;
    let mut folded = fold_onto(stream, None, &effective(records), device);
    folded.record.pending = count(STATE_PENDING);
    folded.record.rejected = count(STATE_REJECTED);
    folded
}

/// Folds `events` (in order) onto `base` (the stored row, or a new stream when `None`); the
/// counts of `base` are kept.
pub fn fold_onto(stream: StreamId, base: Option<&StreamRecord>, events: &[&EventRecord], device: &DeviceId) -> Folded {
    stream.kind.run(FoldOnto { stream, base, events, device })
}

struct FoldOnto<'a> {
    stream: StreamId,
    base: Option<&'a StreamRecord>,
    events: &'a [&'a EventRecord],
    device: &'a DeviceId,
}

impl ForKind for FoldOnto<'_> {
    type Output = Folded;
    fn run<A: Registered>(self) -> Folded {
        let mut record = self
            .base
            .cloned()
            .unwrap_or_else(|| StreamRecord { id: self.stream.to_string(), ..StreamRecord::default() });
        let mut state = match self.base.map(StreamRecord::state::<A>) {
            Some(Ok(state)) => state,
            Some(Err(e)) => {
                log::error!("{e}; folding onto an empty state");
                A::default()
            }
            None => A::default(),
        };
        let mut overruled = HashSet::new();
        for stored in self.events {
            // The head counts an undecodable event too: new events must still be numbered after it.
            record.version = record.version.max(stored.version);
            match decode::<A>(stored) {
                Ok((envelope, event)) => {
                    if envelope.device != *self.device && state.overruled(&event).as_ref() == Some(self.device) {
                        overruled.insert(stored.id.clone());
                    }
                    state.evolve(&event, &EventMeta::of(&envelope));
                }
                // Stored anyway (the log is complete); a newer app version will know how to fold it.
                Err(e) => log::warn!("skipping a stored event that cannot be read: {e}"),
            }
        }
        record.listed = state.listed();
        // The same JSON as `shared::projection::state_value` gives the server, written in one pass.
        record.state = serde_json::to_string(&state).expect("aggregate states always serialize");
        Folded { record, overruled }
    }
}

fn decode<A: Aggregate>(record: &EventRecord) -> Result<(EventEnvelope, A::Event), String> {
    let envelope = record.envelope()?;
    let event = envelope.decode::<A::Event>().map_err(|e| format!("event {}: {e}", record.id))?;
    Ok((envelope, event))
}

/// Why a command was not decided.
#[derive(Debug)]
pub enum Refused {
    Rule(RuleError),
    /// The command is for another kind of stream than the one it was sent to (a bug of the caller).
    WrongKind(Command),
}

/// Decides `command` with the aggregate of `stream`, folded from `records`, at `now_ms`; the new
/// events come wrapped after the stream's head, stamped by `stamp`.
pub fn decide(
    stream: StreamId,
    records: &[EventRecord],
    command: Command,
    now_ms: u64,
    stamp: Stamp<'_>,
) -> Result<Vec<EventEnvelope>, Refused> {
    stream.kind.run(Decide { stream, records, command, now_ms, stamp })
}

struct Decide<'a, 's> {
    stream: StreamId,
    records: &'a [EventRecord],
    command: Command,
    now_ms: u64,
    stamp: Stamp<'s>,
}

impl ForKind for Decide<'_, '_> {
    type Output = Result<Vec<EventEnvelope>, Refused>;
    fn run<A: Registered>(self) -> Self::Output {
        let command = A::command(self.command).map_err(Refused::WrongKind)?;
        let mut state = A::default();
        let mut head = 0;
        for stored in effective(self.records) {
            head = head.max(stored.version);
            if let Ok((envelope, event)) = decode::<A>(stored) {
                state.evolve(&event, &EventMeta::of(&envelope));
            }
        }
        let decided = state.decide(command, self.now_ms).map_err(|e| Refused::Rule(A::into_error(e)))?;
        Ok(EventEnvelope::wrap(self.stream, head, &decided, self.stamp))
    }
}

/// The command a refused event of this device carried, to decide it again on top, with the time
/// it was first decided at (0 when the time does not matter): `None` for an event no command makes.
pub fn command_of(envelope: &EventEnvelope) -> Option<(Command, u64)> {
    envelope.stream.kind.run(CommandOf(envelope))
}

struct CommandOf<'a>(&'a EventEnvelope);

impl ForKind for CommandOf<'_> {
    type Output = Option<(Command, u64)>;
    fn run<A: Registered>(self) -> Self::Output {
        let event = self.0.decode::<A::Event>().ok()?;
        let (command, at_ms) = A::command_of(&event)?;
        Some((A::into_command(command), at_ms))
    }
}

/// What staff call the stream whose row this is (`Projected::title`): "" if it cannot be read.
pub fn title(record: &StreamRecord) -> String {
    match record.stream() {
        Some(stream) => stream.kind.run(Title(record)),
        None => String::new(),
    }
}

struct Title<'a>(&'a StreamRecord);

impl ForKind for Title<'_> {
    type Output = String;
    fn run<A: Registered>(self) -> String {
        self.0.state::<A>().map(|state| Projected::title(&state)).unwrap_or_default()
    }
}

/// When an event says something happened (ms since the epoch): the time its command was decided
/// at, where the aggregate records one (`Aggregate::decided_at_ms`: a check-in applied again later
/// keeps the time the member came in), else the deciding device's clock.
pub fn happened_at(envelope: &EventEnvelope) -> u64 {
    envelope.stream.kind.run(HappenedAt(envelope))
}

struct HappenedAt<'a>(&'a EventEnvelope);

impl ForKind for HappenedAt<'_> {
    type Output = u64;
    fn run<A: Registered>(self) -> u64 {
        let decided = self.0.decode::<A::Event>().ok().and_then(|e| A::decided_at_ms(&e));
        decided.unwrap_or(self.0.hlc.ms)
    }
}
