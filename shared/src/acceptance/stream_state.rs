//! One stream's folded state, whatever its aggregate: what the server keeps per stream so that a
//! push is validated against the state at the head instead of refolding the stream's history.
//! Dispatched by kind through the registry: nothing here names an aggregate.

use crate::{
    aggregate::{DecodeError, DomainEvent, EventMeta, Policy, Resolution, Unresolved, Validation},
    envelope::EventEnvelope,
    registry::{ForKind, ForState, Registered},
    stream::StreamKind,
};
use uuid::Uuid;

pub use crate::registry::StreamState;

/// An incoming event, read and re-encoded the one way its type defines.
#[derive(Clone, Debug, PartialEq)]
pub struct Canonical {
    /// The event's data as the domain encodes it: what the log stores.
    pub data: serde_json::Value,
    /// The time the event says it was decided at (ms since the epoch), when it carries one.
    pub decided_at_ms: Option<u64>,
    /// The club-local date the event says it was decided on, when it carries one.
    pub club_date: Option<crate::calendar::Date>,
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

    /// Checks that `events` (a batch continuing the head) are what the aggregate decides on this
    /// state, decision by decision, each re-decided as a whole, and folds them in. The error names
    /// the event whose decision breaks a rule, with the rule in the aggregate's words.
    pub fn accept(&mut self, events: &[EventEnvelope]) -> Result<(), (Uuid, String)> {
        self.visit(Accept(events))
    }

    /// Resolves `events`, decided on the stream at version `parent`, on this newer state by the
    /// aggregate's policy, decision by decision, and folds in what is to be stored (numbered from
    /// `version`): each event as sent, or its compensation under the same id. The error names the
    /// event whose decision cannot join, and why.
    pub fn resolve(
        &mut self,
        events: &[EventEnvelope],
        parent: u64,
        version: u64,
    ) -> Result<Vec<Resolved>, (Uuid, Unjoinable)> {
        self.visit(Resolve { sent: events, parent, version })
    }
}

/// The events of a batch, each read as its aggregate's event (the error names the one that is not).
fn decode_all<A: Registered>(events: &[EventEnvelope]) -> Result<Vec<A::Event>, (Uuid, String)> {
    events.iter().map(|e| e.decode::<A::Event>().map_err(|err| (e.id, err.to_string()))).collect()
}

struct Evolve<'a>(&'a EventEnvelope);

impl ForState for Evolve<'_> {
    type Output = Result<(), DecodeError>;
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        state.evolve(&self.0.decode()?, &EventMeta::of(self.0));
        Ok(())
    }
}

struct Accept<'a>(&'a [EventEnvelope]);

impl ForState for Accept<'_> {
    type Output = Result<(), (Uuid, String)>;
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        let envelopes = self.0;
        let events = decode_all::<A>(envelopes)?;
        let mut i = 0;
        while i < events.len() {
            let meta = EventMeta::of(&envelopes[i]);
            let spans = state.validate(&events[i..], &meta).map_err(|v| {
                let why = match v {
                    Validation::Refused(err) => err.to_string(),
                    Validation::Mismatch => Validation::<A::Error>::Mismatch.to_string(),
                };
                (envelopes[i].id, why)
            })?;
            for (event, envelope) in events[i..i + spans].iter().zip(&envelopes[i..]) {
                state.evolve(event, &EventMeta::of(envelope));
            }
            i += spans;
        }
        Ok(())
    }
}

struct Resolve<'a> {
    sent: &'a [EventEnvelope],
    parent: u64,
    version: u64,
}

impl ForState for Resolve<'_> {
    type Output = Result<Vec<Resolved>, (Uuid, Unjoinable)>;
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        let events = decode_all::<A>(self.sent).map_err(|(id, why)| (id, Unjoinable::Invalid(why)))?;
        let renumbered =
            |i: usize| EventEnvelope { version: self.version + i as u64, position: None, ..self.sent[i].clone() };
        let mut resolved = Vec::with_capacity(events.len());
        let mut i = 0;
        while i < events.len() {
            let first = renumbered(i);
            let merged = A::policy(&events[i]) == Policy::Merge;
            let resolutions = state.resolve(&events[i..], &EventMeta::of(&first), self.parent).map_err(|u| {
                let why = match u {
                    Unresolved::Conflict => {
                        Unjoinable::Conflict("another desk changed this first; your change was not applied".to_owned())
                    }
                    Unresolved::Broken(e) => {
                        Unjoinable::Conflict(format!("another desk changed this first, and now {e}"))
                    }
                    Unresolved::Invalid(why) => Unjoinable::Invalid(why),
                };
                (first.id, why)
            })?;
            if resolutions.is_empty() {
                return Err((first.id, Unjoinable::Conflict("this change could not be applied again".to_owned())));
            }
            for (k, resolution) in resolutions.into_iter().enumerate() {
                let mut envelope = renumbered(i + k);
                let event = match resolution {
                    Resolution::Keep => events[i + k].clone(),
                    Resolution::Replace(compensation) => {
                        envelope.event_type = compensation.event_type().to_owned();
                        envelope.schema_version = compensation.schema_version();
                        envelope.data = compensation.encode();
                        compensation
                    }
                };
                state.evolve(&event, &EventMeta::of(&envelope));
                resolved.push(Resolved { envelope, merged });
                i += 1;
            }
        }
        Ok(resolved)
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
    if stored.event_type == sent.event_type && stored.schema_version == sent.schema_version && stored.data == sent.data
    {
        return true;
    }
    // A resolution may keep the type and change the data (a class's cancellation re-decided with
    // another waiting member passed over): the aggregate says whether it resolves what was sent.
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
        Ok(Canonical { data, decided_at_ms: A::decided_at_ms(&event), club_date: A::club_date(&event) })
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
