//! One stream's folded state, whatever its aggregate: what the server keeps per stream so that a
//! push is validated against the state at the head instead of refolding the stream's history.
//! Dispatched by kind through the registry: nothing here names an aggregate.

use crate::{
    aggregate::{DecodeError, DomainEvent, EventMeta, Policy, Resolution, Unresolved, Validation},
    envelope::EventEnvelope,
    registry::{ForKind, ForState, Registered},
    stream::StreamKind,
};

pub use crate::registry::StreamState;

/// An incoming event, read and re-encoded the one way its type defines.
#[derive(Clone, Debug, PartialEq)]
pub struct Canonical {
    /// The event's data as the domain encodes it: what the log stores.
    pub data: serde_json::Value,
    /// The time the event says it was decided at (ms since the epoch), when it carries one.
    pub decided_at_ms: Option<u64>,
}

/// Why an event cannot join a stream that moved on.
#[derive(Clone, Debug, PartialEq)]
pub enum Unjoinable {
    /// The batch is rejected (nothing stored) for this reason, for staff: the inbox decides.
    Conflict(String),
    /// The event is wrong whatever the state: the push is refused, as at the head.
    Invalid(String),
}

/// An event that joined a stream which moved on since it was decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// What is stored: the event renumbered, its type and data replaced if it was compensated.
    pub envelope: EventEnvelope,
    /// Its aggregate declares it merged (rather than rebased).
    pub merged: bool,
}

impl StreamState {
    /// Folds one stored event in. A stored event that cannot be read is an error of the store.
    pub fn evolve(&mut self, event: &EventEnvelope) -> Result<(), DecodeError> {
        self.visit(Evolve(event))
    }

    /// Checks that `event` is what the aggregate decides on this state, then folds it in. The error
    /// is the rule it breaks, in the aggregate's words.
    pub fn accept(&mut self, event: &EventEnvelope) -> Result<(), String> {
        self.visit(Accept(event))
    }

    /// Resolves `event`, decided on the stream at version `parent`, on this newer state by the
    /// aggregate's policy, and folds in what is to be stored (numbered `version`): the event as
    /// sent, or its compensation under the same id. The error says why the batch is rejected.
    pub fn resolve(&mut self, event: &EventEnvelope, parent: u64, version: u64) -> Result<Resolved, Unjoinable> {
        self.visit(Resolve { sent: event, parent, version })
    }
}

struct Evolve<'a>(&'a EventEnvelope);

impl ForState for Evolve<'_> {
    type Output = Result<(), DecodeError>;
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        state.evolve(&self.0.decode()?, &EventMeta::of(self.0));
        Ok(())
    }
}

struct Accept<'a>(&'a EventEnvelope);

impl ForState for Accept<'_> {
    type Output = Result<(), String>;
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        let envelope = self.0;
        let event = envelope.decode::<A::Event>().map_err(|e| e.to_string())?;
        let meta = EventMeta::of(envelope);
        state.validate(&event, &meta).map_err(|v| match v {
            Validation::Refused(err) => err.to_string(),
            Validation::Mismatch => Validation::<A::Error>::Mismatch.to_string(),
        })?;
        state.evolve(&event, &meta);
        Ok(())
    }
}

struct Resolve<'a> {
    sent: &'a EventEnvelope,
    parent: u64,
    version: u64,
}

impl ForState for Resolve<'_> {
    type Output = Result<Resolved, Unjoinable>;
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        let event = self.sent.decode::<A::Event>().map_err(|e| Unjoinable::Invalid(e.to_string()))?;
        let merged = A::policy(&event) == Policy::Merge;
        let mut envelope = EventEnvelope { version: self.version, position: None, ..self.sent.clone() };
        let resolution = state.resolve(&event, &EventMeta::of(&envelope), self.parent).map_err(|u| match u {
            Unresolved::Conflict => {
                Unjoinable::Conflict("another device changed this record first; your change was not applied".to_owned())
            }
            Unresolved::Broken(e) => {
                Unjoinable::Conflict(format!("another device changed this record first, and now {e}"))
            }
            Unresolved::Invalid(why) => Unjoinable::Invalid(why),
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
}

/// Whether `stored` is what the server made of `sent` (same id, stream, stamp and device; the same
/// type and data, or a resolution of it the aggregate recognises): a retried push of `sent` is
/// answered with `stored`. Anything else under the same id is a reuse.
pub fn stored_form_of(stored: &EventEnvelope, sent: &EventEnvelope) -> bool {
    let same_origin =
        stored.id == sent.id && stored.stream == sent.stream && stored.hlc == sent.hlc && stored.device == sent.device;
    if !same_origin {
        return false;
    }
    if stored.event_type == sent.event_type {
        return stored.schema_version == sent.schema_version && stored.data == sent.data;
    }
    stored.stream.kind.run(Resolves { stored, sent })
}

struct Resolves<'a> {
    stored: &'a EventEnvelope,
    sent: &'a EventEnvelope,
}

impl ForKind for Resolves<'_> {
    type Output = bool;
    fn run<A: Registered>(self) -> bool {
        match (self.stored.decode::<A::Event>(), self.sent.decode::<A::Event>()) {
            (Ok(stored), Ok(sent)) => A::resolves(&stored, &sent),
            _ => false,
        }
    }
}

/// Reads `event` as its stream's kind defines it and re-encodes it: the data must come back
/// unchanged, so a field the domain does not know (or a number in another form) is refused rather
/// than stored as sent.
pub fn canonical(kind: StreamKind, event: &EventEnvelope) -> Result<Canonical, DecodeError> {
    kind.run(CanonicalOf(event))
}

struct CanonicalOf<'a>(&'a EventEnvelope);

impl ForKind for CanonicalOf<'_> {
    type Output = Result<Canonical, DecodeError>;
    fn run<A: Registered>(self) -> Self::Output {
        let envelope = self.0;
        let event = envelope.decode::<A::Event>()?;
        let data = event.encode();
        if data != envelope.data {
            return Err(DecodeError::InvalidData {
                event_type: envelope.event_type.clone(),
                reason: not_canonical(&envelope.data, &data),
            });
        }
        Ok(Canonical { data, decided_at_ms: A::decided_at_ms(&event) })
    }
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
    kind.run(KnownType(event_type))
}

struct KnownType<'a>(&'a str);

impl ForKind for KnownType<'_> {
    type Output = bool;
    fn run<A: Registered>(self) -> bool {
        A::Event::known_types().contains(&self.0)
    }
}
