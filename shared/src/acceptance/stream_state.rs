//! One stream's folded state, whatever its aggregate: what the server keeps per stream so that a
//! push is validated against the state at the head instead of refolding the stream's history.

use crate::{
    aggregate::{Aggregate, DecodeError, DomainEvent, EventMeta, Policy, Resolution, Unresolved, Validation},
    envelope::EventEnvelope,
    member::Member,
    stream::StreamKind,
};

/// The folded state of one stream, tagged by its kind.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamState {
    Member(Member),
}

/// An incoming event, read and re-encoded the one way its type defines.
#[derive(Clone, Debug, PartialEq)]
pub struct Canonical {
    /// The event's data as the domain encodes it: what the log stores.
    pub data: serde_json::Value,
    /// The time the event says it was decided at (ms since the epoch), when it carries one.
    pub decided_at_ms: Option<u64>,
}

impl StreamState {
    /// The state of a stream with no events yet.
    pub fn new(kind: StreamKind) -> Self {
        match kind {
            StreamKind::Member => StreamState::Member(Member::default()),
        }
    }

    /// Folds one stored event in. A stored event that cannot be read is an error of the store.
    pub fn evolve(&mut self, event: &EventEnvelope) -> Result<(), DecodeError> {
        match self {
            StreamState::Member(state) => state.evolve(&event.decode()?, &EventMeta::of(event)),
        }
        Ok(())
    }

    /// Checks that `event` is what the aggregate decides on this state, then folds it in. The error
    /// is the rule it breaks, in the aggregate's words.
    pub fn accept(&mut self, event: &EventEnvelope) -> Result<(), String> {
        match self {
            StreamState::Member(state) => accept(state, event),
        }
    }

    /// Resolves `event`, decided on the stream at version `parent`, on this newer state by the
    /// aggregate's policy, and folds in what is to be stored (numbered `version`): the event as
    /// sent, or its compensation under the same id. The error says why the batch is rejected.
    pub fn resolve(&mut self, event: &EventEnvelope, parent: u64, version: u64) -> Result<Resolved, String> {
        match self {
            StreamState::Member(state) => resolve(state, event, parent, version),
        }
    }
}

/// An event that joined a stream which moved on since it was decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// What is stored: the event renumbered, its type and data replaced if it was compensated.
    pub envelope: EventEnvelope,
    /// Its aggregate declares it merged (rather than rebased).
    pub merged: bool,
}

fn accept<A: Aggregate>(state: &mut A, envelope: &EventEnvelope) -> Result<(), String> {
    let event = envelope.decode::<A::Event>().map_err(|e| e.to_string())?;
    let meta = EventMeta::of(envelope);
    state.validate(&event, &meta).map_err(|v| match v {
        Validation::Refused(err) => err.to_string(),
        Validation::Mismatch => Validation::<A::Error>::Mismatch.to_string(),
    })?;
    state.evolve(&event, &meta);
    Ok(())
}

fn resolve<A: Aggregate>(state: &mut A, sent: &EventEnvelope, parent: u64, version: u64) -> Result<Resolved, String> {
    let event = sent.decode::<A::Event>().map_err(|e| e.to_string())?;
    let merged = A::policy(&event) == Policy::Merge;
    let mut envelope = EventEnvelope { version, position: None, ..sent.clone() };
    let resolution = state.resolve(&event, &EventMeta::of(&envelope), parent).map_err(|u| match u {
        Unresolved::Conflict => "another device changed this record first; your change was not applied".to_owned(),
        Unresolved::Broken(e) => format!("another device changed this record first, and now {e}"),
    })?;
    let event = match resolution {
        Resolution::Keep => event,
        Resolution::Replace(compensation) => {
            envelope.event_type = compensation.event_type().to_owned();
            envelope.schema_version = compensation.schema_version();
            envelope.data = compensation.encode();
            compensation
        }
    };
    state.evolve(&event, &EventMeta::of(&envelope));
    Ok(Resolved { envelope, merged })
}

/// Reads `event` as its stream's kind defines it and re-encodes it: the data must come back
/// unchanged, so a field the domain does not know (or a number in another form) is refused rather
/// than stored as sent.
pub fn canonical(kind: StreamKind, event: &EventEnvelope) -> Result<Canonical, DecodeError> {
    match kind {
        StreamKind::Member => canonical_of::<Member>(event),
    }
}

fn canonical_of<A: Aggregate>(envelope: &EventEnvelope) -> Result<Canonical, DecodeError> {
    let event = envelope.decode::<A::Event>()?;
    let data = event.encode();
    if data != envelope.data {
        return Err(DecodeError::InvalidData {
            event_type: envelope.event_type.clone(),
            reason: not_canonical(&envelope.data, &data),
        });
    }
    let at_ms = A::command_of(&event).map_or(0, |(_, at_ms)| at_ms);
    Ok(Canonical { data, decided_at_ms: (at_ms > 0).then_some(at_ms) })
}

/// Says how the sent data differs from what the domain would store.
fn not_canonical(sent: &serde_json::Value, canonical: &serde_json::Value) -> String {
    if let (Some(sent), Some(canonical)) = (sent.as_object(), canonical.as_object()) {
        let unknown: Vec<&str> =
            sent.keys().filter(|k| !canonical.contains_key(*k)).map(|k| k.as_str()).take(5).collect();
        if !unknown.is_empty() {
            let keys = unknown.iter().map(|k| format!("{:?}", k.chars().take(40).collect::<String>()));
            return format!("unknown field(s) {}", keys.collect::<Vec<_>>().join(", "));
        }
    }
    "the data is not in the form the domain stores (e.g. a number written differently)".into()
}

/// Whether `event_type` is a type of the aggregate behind `kind` (used when reading events back).
pub fn is_known_type(kind: StreamKind, event_type: &str) -> bool {
    match kind {
        StreamKind::Member => <Member as Aggregate>::Event::known_types().contains(&event_type),
    }
}
