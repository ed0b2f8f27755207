//! How the server accepts a push: the checks of a request's shape, and the decision for one batch
//! given the stream's stored history. Pure, so the server's stores and the simulations share it.

use crate::{
    aggregate::{Aggregate, DecodeError, DomainEvent, Validation},
    envelope::EventEnvelope,
    ids::is_event_id,
    member::Member,
    protocol::{PushBatch, PushRequest, MAX_EVENTS_PER_PUSH},
    stream::{StreamId, StreamKind},
};
use std::collections::HashSet;
use uuid::Uuid;

/// Why a request is refused before any stream is looked at. Nothing of it is stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShapeError {
    #[error("a push holds at most {MAX_EVENTS_PER_PUSH} events, this one {0}")]
    TooManyEvents(usize),
    #[error("batch for {0} has no events")]
    EmptyBatch(StreamId),
    #[error("two batches for stream {0}: send one per stream")]
    DuplicateStream(StreamId),
    #[error("event {event} belongs to {actual}, not to the batch's stream {stream}")]
    StreamMismatch { stream: StreamId, event: Uuid, actual: StreamId },
    #[error("versions of {stream} must run {expected}, {}, … after parent_version; event {event} has {actual}", expected + 1)]
    VersionsNotContiguous { stream: StreamId, event: Uuid, expected: u64, actual: u64 },
    #[error("event id {0} is not a UUIDv7")]
    InvalidEventId(Uuid),
    #[error("event id {0} appears twice in this push")]
    DuplicateEventId(Uuid),
    #[error("event {event} was made by device {actual}, but the push comes from {device}")]
    DeviceMismatch { event: Uuid, device: String, actual: String },
    #[error("event {0} carries a position: positions are given by the server")]
    PositionGiven(Uuid),
    #[error("event {event}: {source}")]
    Undecodable { stream: StreamId, event: Uuid, source: DecodeError },
}

impl ShapeError {
    pub fn code(&self) -> &'static str {
        match self {
            ShapeError::TooManyEvents(_) => "too_many_events",
            ShapeError::EmptyBatch(_) => "empty_batch",
            ShapeError::DuplicateStream(_) => "duplicate_stream",
            ShapeError::StreamMismatch { .. } => "stream_mismatch",
            ShapeError::VersionsNotContiguous { .. } => "versions_not_contiguous",
            ShapeError::InvalidEventId(_) => "invalid_event_id",
            ShapeError::DuplicateEventId(_) => "duplicate_event_id",
            ShapeError::DeviceMismatch { .. } => "device_mismatch",
            ShapeError::PositionGiven(_) => "position_given",
            ShapeError::Undecodable { source: DecodeError::UnknownType(_), .. } => "unknown_event_type",
            ShapeError::Undecodable { source: DecodeError::UnknownSchemaVersion { .. }, .. } => {
                "unknown_schema_version"
            }
            ShapeError::Undecodable { .. } => "invalid_event_data",
        }
    }

    /// The event the error is about, when it is about one.
    pub fn event(&self) -> Option<Uuid> {
        match self {
            ShapeError::StreamMismatch { event, .. }
            | ShapeError::VersionsNotContiguous { event, .. }
            | ShapeError::DeviceMismatch { event, .. }
            | ShapeError::Undecodable { event, .. } => Some(*event),
            ShapeError::InvalidEventId(id) | ShapeError::DuplicateEventId(id) | ShapeError::PositionGiven(id) => {
                Some(*id)
            }
            _ => None,
        }
    }

    pub fn stream(&self) -> Option<StreamId> {
        match self {
            ShapeError::EmptyBatch(s) | ShapeError::DuplicateStream(s) => Some(*s),
            ShapeError::StreamMismatch { stream, .. }
            | ShapeError::VersionsNotContiguous { stream, .. }
            | ShapeError::Undecodable { stream, .. } => Some(*stream),
            _ => None,
        }
    }
}

/// Checks everything that needs no stored data.
pub fn check_request(request: &PushRequest) -> Result<(), ShapeError> {
    let total: usize = request.batches.iter().map(|b| b.events.len()).sum();
    if total > MAX_EVENTS_PER_PUSH {
        return Err(ShapeError::TooManyEvents(total));
    }
    let mut streams = HashSet::new();
    let mut ids = HashSet::with_capacity(total);
    for batch in &request.batches {
        if batch.events.is_empty() {
            return Err(ShapeError::EmptyBatch(batch.stream));
        }
        if !streams.insert(batch.stream) {
            return Err(ShapeError::DuplicateStream(batch.stream));
        }
        for (i, e) in batch.events.iter().enumerate() {
            if e.stream != batch.stream {
                return Err(ShapeError::StreamMismatch { stream: batch.stream, event: e.id, actual: e.stream });
            }
            let expected = batch.parent_version + i as u64;
            if e.version != expected + 1 {
                return Err(ShapeError::VersionsNotContiguous {
                    stream: batch.stream,
                    event: e.id,
                    expected,
                    actual: e.version,
                });
            }
            if !is_event_id(&e.id) {
                return Err(ShapeError::InvalidEventId(e.id));
            }
            if !ids.insert(e.id) {
                return Err(ShapeError::DuplicateEventId(e.id));
            }
            if e.device != request.device {
                return Err(ShapeError::DeviceMismatch {
                    event: e.id,
                    device: request.device.to_string(),
                    actual: e.device.to_string(),
                });
            }
            if e.position.is_some() {
                return Err(ShapeError::PositionGiven(e.id));
            }
            decode_for(batch.stream.kind, e).map_err(|source| ShapeError::Undecodable {
                stream: batch.stream,
                event: e.id,
                source,
            })?;
        }
    }
    Ok(())
}

fn decode_for(kind: StreamKind, e: &EventEnvelope) -> Result<(), DecodeError> {
    match kind {
        StreamKind::Member => e.decode::<<Member as Aggregate>::Event>().map(drop),
    }
}

/// Where an event id is already stored, anywhere in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownId {
    pub id: Uuid,
    pub stream: StreamId,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Append `new` after the stream's head. `stored` holds copies of events an earlier try of the
    /// same push already stored (a retry after a lost answer), which are not stored again.
    Append { stored: Vec<EventEnvelope>, new: Vec<EventEnvelope> },
    /// The stream moved on since the batch's parent: nothing is stored; the server's side is returned.
    Conflict { server_events: Vec<EventEnvelope> },
}

/// Why a batch is refused although its shape is fine. Nothing of the push is stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("event id {id} is already stored as version {version} of {stream} with other content")]
    IdReused { id: Uuid, stream: StreamId, version: u64 },
    #[error("parent_version {parent} of {stream} is ahead of the stream's head {head}")]
    ParentAhead { stream: StreamId, parent: u64, head: u64 },
    #[error("event {event} breaks a rule of {stream}: {reason}")]
    RuleBroken { stream: StreamId, event: Uuid, reason: String },
    #[error("stored event {event} of {stream} cannot be read: {source}")]
    StoredUnreadable { stream: StreamId, event: Uuid, source: DecodeError },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::IdReused { .. } => "event_id_reused",
            Refusal::ParentAhead { .. } => "parent_ahead",
            Refusal::RuleBroken { .. } => "rule_broken",
            Refusal::StoredUnreadable { .. } => "stored_event_unreadable",
        }
    }
}

/// Decides what happens to one (shape-checked) batch. `history` is the whole stored stream in
/// version order; `known` lists the batch's event ids that are already stored anywhere.
pub fn plan_batch(history: &[EventEnvelope], known: &[KnownId], batch: &PushBatch) -> Result<Plan, Refusal> {
    let stream = batch.stream;
    // A retried push: a prefix of the batch may already be stored, exactly as sent.
    let mut stored = Vec::new();
    for e in &batch.events {
        let Some(k) = known.iter().find(|k| k.id == e.id) else { break };
        let same =
            k.stream == stream && history.get((k.version as usize).wrapping_sub(1)).is_some_and(|h| h.same_event(e));
        if !same {
            return Err(Refusal::IdReused { id: e.id, stream: k.stream, version: k.version });
        }
        stored.push(history[k.version as usize - 1].clone());
    }
    let rest = &batch.events[stored.len()..];
    // An id stored anywhere, after the retried prefix, is a reuse: never stored twice.
    if let Some(k) = rest.iter().find_map(|e| known.iter().find(|k| k.id == e.id)) {
        return Err(Refusal::IdReused { id: k.id, stream: k.stream, version: k.version });
    }
    let head = history.len() as u64;
    let parent = batch.parent_version + stored.len() as u64;
    if rest.is_empty() {
        return Ok(Plan::Append { stored, new: vec![] });
    }
    if parent > head {
        return Err(Refusal::ParentAhead { stream, parent, head });
    }
    if parent < head {
        return Ok(Plan::Conflict { server_events: history[batch.parent_version as usize..].to_vec() });
    }
    match stream.kind {
        StreamKind::Member => validate::<Member>(stream, history, rest)?,
    }
    Ok(Plan::Append { stored, new: rest.to_vec() })
}

/// Folds the stored history, then checks each new event against the state it lands on.
fn validate<A: Aggregate>(stream: StreamId, history: &[EventEnvelope], new: &[EventEnvelope]) -> Result<(), Refusal> {
    let mut state = A::default();
    for e in history {
        let event =
            e.decode::<A::Event>().map_err(|source| Refusal::StoredUnreadable { stream, event: e.id, source })?;
        state.evolve(&event);
    }
    for e in new {
        let event = e.decode::<A::Event>().map_err(|source| Refusal::RuleBroken {
            stream,
            event: e.id,
            reason: source.to_string(),
        })?;
        state.validate(&event).map_err(|v| Refusal::RuleBroken {
            stream,
            event: e.id,
            reason: match v {
                Validation::Refused(err) => err.to_string(),
                Validation::Mismatch => Validation::<A::Error>::Mismatch.to_string(),
            },
        })?;
        state.evolve(&event);
    }
    Ok(())
}

/// The type name check used by stores that read events back (e.g. on import).
pub fn is_known_type(kind: StreamKind, event_type: &str) -> bool {
    match kind {
        StreamKind::Member => <Member as Aggregate>::Event::known_types().contains(&event_type),
    }
}
