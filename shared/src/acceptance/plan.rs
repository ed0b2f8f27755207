//! The decision for one shape-checked batch, given the stream's head and the stored copies of the
//! batch's ids: append, a retry already stored, a conflict, or a refusal.

use super::stream_state::{StreamState, Unjoinable};
use crate::{
    aggregate::DecodeError,
    envelope::EventEnvelope,
    protocol::{BatchStatus, LogEpoch, PushBatch, PushRequest},
    stream::StreamId,
};
use uuid::Uuid;

/// A stream as stored: its head version and its state folded through that version. Stores keep
/// it between pushes, so validating a push costs the same at version 10 as at version 60,000.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamHead {
    pub stream: StreamId,
    pub version: u64,
    pub state: StreamState,
}

impl StreamHead {
    pub fn new(stream: StreamId) -> Self {
        Self { stream, version: 0, state: StreamState::new(stream.kind) }
    }

    /// Folds stored events that continue the stream (versions `version + 1`, …), in order.
    pub fn fold<'a>(&mut self, events: impl IntoIterator<Item = &'a EventEnvelope>) -> Result<(), Refusal> {
        for e in events {
            if e.version != self.version + 1 {
                return Err(Refusal::StoredUnreadable {
                    stream: self.stream,
                    event: e.id,
                    source: DecodeError::InvalidData {
                        event_type: e.event_type.clone(),
                        reason: format!("stored as version {} after version {}", e.version, self.version),
                    },
                });
            }
            self.state.evolve(e).map_err(|source| Refusal::StoredUnreadable {
                stream: self.stream,
                event: e.id,
                source,
            })?;
            self.version = e.version;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Append `new` after the stream's head. `stored` holds copies of events an earlier try of the
    /// same push already stored (a retry after a lost answer), which are not stored again. `head` is
    /// the stream once `new` is appended. `status` is `Accepted` when the batch continued the head,
    /// `Rebased` or `Merged` when it was resolved on top of the server's events after `after_version`.
    Append {
        stored: Vec<EventEnvelope>,
        new: Vec<EventEnvelope>,
        head: Box<StreamHead>,
        status: BatchStatus,
        after_version: u64,
    },
    /// The stream moved on since the batch's parent and the batch could not join it (`reason`):
    /// nothing new is stored (`stored` holds copies of a prefix an earlier try stored). The
    /// server's events after `after_version` (up to `head_version`) are the other side.
    Conflict { stored: Vec<EventEnvelope>, after_version: u64, head_version: u64, reason: String },
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
    #[error(
        "this push was made against log {pushed}, but the server's log is now {current} (restored or reset): \
         sync again from the start, then send what is still missing"
    )]
    EpochChanged { pushed: LogEpoch, current: LogEpoch },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::IdReused { .. } => "event_id_reused",
            Refusal::ParentAhead { .. } => "parent_ahead",
            Refusal::RuleBroken { .. } => "rule_broken",
            Refusal::StoredUnreadable { .. } => "stored_event_unreadable",
            Refusal::EpochChanged { .. } => "epoch_changed",
        }
    }
}

/// A push made against another log than `current` is refused whole: its parent versions describe
/// streams of a log that was replaced (restored from a backup, reset), so a batch could be set
/// aside as "ahead" of a stream the restore shortened, or be appended where it no longer belongs.
/// The device syncs from the start and re-offers what the new log lacks, in order.
pub fn check_epoch(request: &PushRequest, current: LogEpoch) -> Result<(), Refusal> {
    match request.epoch {
        Some(pushed) if pushed != current => Err(Refusal::EpochChanged { pushed, current }),
        _ => Ok(()),
    }
}

/// Decides what happens to one batch that passed [`super::check_request`]. `head` is the stream as stored; `stored`
/// holds the stored copies of those of the batch's event ids that the log already has, anywhere.
pub fn plan_batch(head: &StreamHead, stored: &[EventEnvelope], batch: &PushBatch) -> Result<Plan, Refusal> {
    let stream = batch.stream;
    let copy_of = |id: Uuid| stored.iter().find(|s| s.id == id);
    // A retried push: a prefix of the batch may already be stored, as sent or as resolved.
    let mut retried = Vec::new();
    for e in &batch.events {
        let Some(copy) = copy_of(e.id) else { break };
        if !super::stored_form_of(copy, e) {
            return Err(Refusal::IdReused { id: e.id, stream: copy.stream, version: copy.version });
        }
        retried.push(copy.clone());
    }
    let rest = &batch.events[retried.len()..];
    // An id stored anywhere, after the retried prefix, is a reuse: never stored twice.
    if let Some(copy) = rest.iter().find_map(|e| copy_of(e.id)) {
        return Err(Refusal::IdReused { id: copy.id, stream: copy.stream, version: copy.version });
    }
    let after_version = batch.parent_version;
    if rest.is_empty() {
        return Ok(Plan::Append {
            stored: retried,
            new: vec![],
            head: Box::new(head.clone()),
            status: BatchStatus::Accepted,
            after_version,
        });
    }
    // What the device knew of the stream: the batch's parent, and its own events the retried prefix
    // stored right after it. A prefix stored further on (rebased or merged over other devices'
    // events) does not make those events known to it: their changes stay concurrent with the rest.
    // Nor does a prefix stored in another form than sent (the server's re-check refused a booking
    // in it): the rest was decided on the form the device sent, and is resolved as concurrent.
    let in_line = retried.iter().zip(&batch.events).enumerate().all(|(i, (e, sent))| {
        e.version == batch.parent_version + 1 + i as u64 && e.event_type == sent.event_type && e.data == sent.data
    });
    let parent = if in_line { batch.parent_version + retried.len() as u64 } else { batch.parent_version };
    if parent > head.version {
        return Err(Refusal::ParentAhead { stream, parent, head: head.version });
    }
    let mut next = head.clone();
    let mut new = Vec::with_capacity(rest.len());
    if parent == head.version {
        next.state.accept(rest).map_err(|(event, reason)| Refusal::RuleBroken { stream, event, reason })?;
        next.version = rest.last().map_or(next.version, |e| e.version);
        // `check_request` refused any event whose data is not exactly the domain's encoding of it, so
        // what is stored is that encoding, never other bytes that happen to parse.
        new.extend_from_slice(rest);
        return Ok(Plan::Append {
            stored: retried,
            new,
            head: Box::new(next),
            status: BatchStatus::Accepted,
            after_version,
        });
    }
    // The stream moved on: each event joins it by its aggregate's policy, or the batch is rejected whole.
    let conflict =
        |reason: String| Plan::Conflict { stored: retried.clone(), after_version, head_version: head.version, reason };
    if parent == 0 && !stream.kind.run(ExistsFromTheStart) {
        // Built on nothing, on a stream that exists: the device did not know the record.
        return Ok(conflict("this record already exists on the server; your change was not applied".into()));
    }
    let mut merged = true;
    match next.state.resolve(rest, parent, next.version + 1) {
        Ok(resolved) => {
            for r in resolved {
                merged &= r.merged;
                next.version += 1;
                new.push(r.envelope);
            }
        }
        // Wrong whatever the state: refused as at the head.
        Err((event, Unjoinable::Invalid(reason))) => return Err(Refusal::RuleBroken { stream, event, reason }),
        Err((_, Unjoinable::Conflict(reason))) => return Ok(conflict(reason)),
    }
    let status = if merged { BatchStatus::Merged } else { BatchStatus::Rebased };
    Ok(Plan::Append { stored: retried, new, head: Box::new(next), status, after_version })
}

struct ExistsFromTheStart;

impl crate::registry::ForKind for ExistsFromTheStart {
    type Output = bool;
    fn run<A: crate::registry::Registered>(self) -> bool {
        A::EXISTS_FROM_THE_START
    }
}
