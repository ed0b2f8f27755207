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
    Command, DeviceId, EventEnvelope, RuleError, StreamId,
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

/// The envelopes of `records` (already in fold order), each parsed once, and the head: the highest
/// version among them, an unreadable one included (new events must still be numbered after it).
fn parsed(records: &[&EventRecord]) -> (Vec<EventEnvelope>, u64) {
    let head = records.iter().map(|r| r.version).max().unwrap_or(0);
    let envelopes = records
        .iter()
        .filter_map(|r| {
            r.envelope().inspect_err(|e| log::warn!("skipping a stored event that cannot be read: {e}")).ok()
        })
        .collect();
    (envelopes, head)
}

/// Folds every stored event of `stream` (`records`, in any order) into its row.
pub fn fold(stream: StreamId, records: &[EventRecord], device: &DeviceId) -> Folded {
    let (envelopes, head) = parsed(&effective(records));
    let mut folded = fold_onto(stream, None, &envelopes, device);
    folded.record.version = folded.record.version.max(head);
    folded.record.pending = count(records, STATE_PENDING);
    folded.record.rejected = count(records, STATE_REJECTED);
    folded
}

fn count(records: &[EventRecord], state: u8) -> u32 {
    records.iter().filter(|r| r.state == state).count() as u32
}

/// Folds `events` (in order) onto `base` (the stored row, or a new stream when `None`); the
/// counts of `base` are kept.
pub fn fold_onto(stream: StreamId, base: Option<&StreamRecord>, events: &[EventEnvelope], device: &DeviceId) -> Folded {
    stream.kind.run(FoldOnto { stream, base, events, device })
}

struct FoldOnto<'a> {
    stream: StreamId,
    base: Option<&'a StreamRecord>,
    events: &'a [EventEnvelope],
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
        evolve_all(&mut state, self.events, |state, envelope, event| {
            if envelope.device != *self.device && state.overruled(event).as_ref() == Some(self.device) {
                overruled.insert(envelope.id.to_string());
            }
        });
        record.version = self.events.iter().map(|e| e.version).fold(record.version, u64::max);
        Folded { record: with_state(record, &state), overruled }
    }
}

/// Folds `envelopes` (in order) into `state`, showing `see` each event with the state just before it.
fn evolve_all<A: Registered>(
    state: &mut A,
    envelopes: &[EventEnvelope],
    mut see: impl FnMut(&A, &EventEnvelope, &A::Event),
) {
    for envelope in envelopes {
        match envelope.decode::<A::Event>() {
            Ok(event) => {
                see(state, envelope, &event);
                state.evolve(&event, &EventMeta::of(envelope));
            }
            // Stored anyway (the log is complete); a newer app version will know how to fold it.
            Err(e) => log::warn!("skipping event {} of {}, which cannot be read: {e}", envelope.id, envelope.stream),
        }
    }
}

/// `record` holding `state`: listed or not, and the same JSON as `shared::projection::state_value`
/// gives the server, written in one pass.
fn with_state<A: Registered>(mut record: StreamRecord, state: &A) -> StreamRecord {
    record.listed = state.listed();
    record.state = serde_json::to_string(state).expect("aggregate states always serialize");
    record
}

/// Why a command was not decided.
#[derive(Debug)]
pub enum Refused {
    Rule(RuleError),
    /// The command is for another kind of stream than the one it was sent to (a bug of the caller).
    WrongKind(Command),
}

/// A command decided on a stream: its new events, and the stream's row with them appended
/// (pending), from the one fold the decision needed.
pub struct Decided {
    pub envelopes: Vec<EventEnvelope>,
    pub record: StreamRecord,
}

/// Decides `command` with the aggregate of `stream`, folded from `records`, at `now_ms`; the new
/// events come wrapped after the stream's head, stamped by `stamp`.
pub fn decide(
    stream: StreamId,
    records: &[EventRecord],
    command: Command,
    now_ms: u64,
    stamp: Stamp<'_>,
) -> Result<Decided, Refused> {
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
    type Output = Result<Decided, Refused>;
    fn run<A: Registered>(self) -> Self::Output {
        let command = A::command(self.command).map_err(Refused::WrongKind)?;
        let (envelopes, head) = parsed(&effective(self.records));
        let mut state = A::default();
        evolve_all(&mut state, &envelopes, |_, _, _| {});
        let decided = state.decide(command, self.now_ms).map_err(|e| Refused::Rule(A::into_error(e)))?;
        let envelopes = EventEnvelope::wrap(self.stream, head, &decided, self.stamp);
        for (event, envelope) in decided.iter().zip(&envelopes) {
            state.evolve(event, &EventMeta::of(envelope));
        }
        let appended = envelopes.len() as u32;
        let record = StreamRecord {
            id: self.stream.to_string(),
            version: head + u64::from(appended),
            pending: count(self.records, STATE_PENDING) + appended,
            rejected: count(self.records, STATE_REJECTED),
            ..StreamRecord::default()
        };
        Ok(Decided { envelopes, record: with_state(record, &state) })
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
