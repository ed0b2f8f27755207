//! The aggregate contract: commands are decided into events, events are folded into state.
//!
//! Shaped like cqrs-es 0.4's `Aggregate` (sync `handle` = our `decide`, `apply` = our `evolve`),
//! without its async services: the domain stays pure and runs the same in wasm and on the server.

use crate::{envelope::EventEnvelope, hlc::Hlc, ids::DeviceId, stream::StreamKind};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt::Debug;

pub trait DomainEvent: Serialize + DeserializeOwned + Clone + PartialEq + Debug {
    /// The past-tense PascalCase name stored with the event (`MemberCheckedIn`).
    fn event_type(&self) -> &'static str;
    /// Every event type this aggregate knows, for validation of incoming envelopes.
    fn known_types() -> &'static [&'static str];
    /// The current schema version; older stored versions are upcast by `decode`.
    fn schema_version(&self) -> u32 {
        1
    }

    /// The event's data as stored in the envelope (the type name travels beside it).
    fn encode(&self) -> serde_json::Value {
        let mut tagged = serde_json::to_value(self).expect("domain events always serialize");
        tagged.get_mut("data").map(serde_json::Value::take).unwrap_or_else(|| serde_json::json!({}))
    }

    /// Reads an event from its envelope fields, upcasting older schema versions.
    fn decode(event_type: &str, schema_version: u32, data: &serde_json::Value) -> Result<Self, DecodeError> {
        if !Self::known_types().contains(&event_type) {
            return Err(DecodeError::UnknownType(event_type.chars().take(100).collect()));
        }
        if schema_version != 1 {
            return Err(DecodeError::UnknownSchemaVersion { event_type: event_type.to_owned(), schema_version });
        }
        // The adjacently tagged form, read from borrowed parts: `data` is never copied.
        let tag = serde_json::Value::String(event_type.to_owned());
        let tagged = serde::de::value::MapDeserializer::new([("type", &tag), ("data", data)].into_iter());
        Self::deserialize(tagged).map_err(|e: serde_json::Error| DecodeError::InvalidData {
            event_type: event_type.to_owned(),
            reason: e.to_string(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("event type {event_type} has no schema version {schema_version}")]
    UnknownSchemaVersion { event_type: String, schema_version: u32 },
    #[error("data of {event_type} is invalid: {reason}")]
    InvalidData { event_type: String, reason: String },
}

/// What an event was stamped with when it was decided, and where the log put it: `evolve` sees it,
/// so a state can keep, say, when each field last changed (the merge policy needs that).
#[derive(Clone, Copy, Debug)]
pub struct EventMeta<'a> {
    /// 1-based place in the stream.
    pub version: u64,
    /// The hybrid-clock stamp of the device that decided it.
    pub hlc: Hlc,
    pub device: &'a DeviceId,
}

impl<'a> EventMeta<'a> {
    pub fn of(envelope: &'a EventEnvelope) -> Self {
        Self { version: envelope.version, hlc: envelope.hlc, device: &envelope.device }
    }
}

/// How the server resolves an event decided on an older state of its stream (the batch's parent is
/// behind the head: another device changed the record meanwhile). Declared per event type by the
/// aggregate ([`Aggregate::policy`]); docs/PROTOCOL.md "Conflicts" shows each with an example.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Nothing is appended: the batch goes to the device's conflict inbox for a person to decide.
    Reject,
    /// Re-decided on top of the server's events: kept if it still holds, otherwise replaced by the
    /// compensating event [`Aggregate::compensate`] gives (or rejected when there is none).
    Rebase,
    /// Joined with the concurrent events by [`Aggregate::merge`] (per-field last writer wins on
    /// member details).
    Merge,
}

/// How one event joins a stream that moved on since it was decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolution<E> {
    /// Appended as it is (renumbered after the head; same id, same content).
    Keep,
    /// Appended as this event instead, under the same id, hybrid clock and device: a compensating
    /// event that records what became of it ("recorded as a duplicate").
    Replace(E),
}

/// Why an event could not join a stream that moved on: the whole batch is rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum Unresolved<E> {
    /// Its policy is [`Policy::Reject`]: a person decides.
    Conflict,
    /// Re-decided on the new state, a rule now refuses it and nothing compensates it.
    Broken(E),
    /// The event is wrong whatever the state (a value no decision stores): the push is refused,
    /// as it would be at the head.
    Invalid(String),
}

pub trait Aggregate: Default + Clone + Debug {
    const KIND: StreamKind;
    /// Whether a stream of this kind exists before its first event, in its default state (a
    /// club's settings): a batch built on nothing (parent 0) that meets events of other devices
    /// then joins them by its policy, like any other. Otherwise the first event creates the record,
    /// and such a batch is a conflict (two desks registered one member).
    const EXISTS_FROM_THE_START: bool = false;
    type Command: Debug;
    type Event: DomainEvent;
    type Error: std::error::Error + Clone + PartialEq;

    /// Decides what happens: the events a command produces, or why it is refused.
    fn decide(&self, command: Self::Command, now_ms: u64) -> Result<Vec<Self::Event>, Self::Error>;

    /// What the command's author must be allowed (DOMAIN.md "Roles"; granted by `Role::can`).
    /// Checked on the device before deciding, and by the server for every event a device pushes.
    fn permission(command: &Self::Command) -> crate::access::Permission;

    /// Folds one event into the state. Never fails: an event is a fact.
    fn evolve(&mut self, event: &Self::Event, meta: &EventMeta<'_>);

    /// The command (and its time, ms since the epoch) that an event records, if it records one;
    /// `None` for events only the server's conflict resolution writes. The server never trusts a
    /// client: an incoming event is valid only if deciding this command yields exactly this event.
    fn command_of(event: &Self::Event) -> Option<(Self::Command, u64)>;

    /// For an event that records no command (a resolution the server wrote, which a device offers
    /// back after the server's log was restored): the permission of the command it resolved, which
    /// its author must hold. None: no device ever sends it.
    fn resolution_permission(_event: &Self::Event) -> Option<crate::access::Permission> {
        None
    }

    /// How this event is resolved when its stream moved on since it was decided.
    fn policy(event: &Self::Event) -> Policy;

    /// The time (ms since the epoch) an event says something happened at, for the server's clock
    /// check: the decided time of its command, or what a resolution records.
    fn decided_at_ms(event: &Self::Event) -> Option<u64> {
        Self::command_of(event).map(|(_, at_ms)| at_ms).filter(|at_ms| *at_ms > 0)
    }

    /// The club-local date an event says it was decided on (its `on`), when it carries one. It is
    /// read from the device's clock with the event's id, and a club's date is never more than a day
    /// off the UTC date of the same instant: the server's shape check compares the two.
    fn club_date(_event: &Self::Event) -> Option<crate::calendar::Date> {
        None
    }

    /// Whether `stored` is what the server's conflict resolution made of `sent` (a compensating or
    /// merged event recording it, of another type or of the same type with other data): a retried
    /// push of `sent` is then answered with `stored`.
    fn resolves(_stored: &Self::Event, _sent: &Self::Event) -> bool {
        false
    }

    /// Whether `stored`, the server's resolution of a device's event, means that event did not take
    /// effect (a check-in not counted, a change overwritten): the device's staff are told.
    fn undone(_stored: &Self::Event) -> bool {
        false
    }

    /// Whether the server's copy `stored` of this device's pending `sent` event tells its staff
    /// something they did not decide, so it goes to their inbox: by default, a resolution of
    /// another type that says the event did not take effect ([`Self::undone`]). An aggregate whose
    /// resolution of the same type can differ in what matters overrides it.
    fn told(sent: &Self::Event, stored: &Self::Event) -> bool {
        Self::undone_as_another(sent, stored)
    }

    /// [`Self::told`]'s default, for an override to fall back on: `stored` is of another type
    /// than `sent` and says it did not take effect.
    fn undone_as_another(sent: &Self::Event, stored: &Self::Event) -> bool {
        sent.event_type() != stored.event_type() && Self::undone(stored)
    }

    /// The device whose earlier change `event` overwrites on this state, when `event` is a merge
    /// that won over a concurrent change: that device's staff are told.
    fn overruled(&self, _event: &Self::Event) -> Option<DeviceId> {
        None
    }

    /// Whether this state admits `event` although deciding its command now would not yield it:
    /// the compensating and merged events of earlier conflicts (so an exported log imports again).
    fn admits(&self, _event: &Self::Event, _meta: &EventMeta<'_>) -> bool {
        false
    }

    /// For [`Policy::Rebase`]: the events that record the decision starting at `decision[0]` (the
    /// rest of the batch follows it) when re-deciding it on this state fails with `error`, one per
    /// event of that decision, in order, so that every id the device sent is answered. `None`
    /// rejects the batch. The aggregate knows the shapes of its decisions: this is where a decision
    /// of several events says how many it spans when it can no longer be decided.
    fn compensate(&self, _decision: &[Self::Event], _error: &Self::Error) -> Option<Vec<Self::Event>> {
        None
    }

    /// For [`Policy::Merge`]: how `event`, decided on the stream at version `parent`, joins this
    /// state. By default it is kept when it still holds, like a rebase without compensation.
    fn merge(
        &self,
        event: &Self::Event,
        meta: &EventMeta<'_>,
        _parent: u64,
    ) -> Result<Resolution<Self::Event>, Unresolved<Self::Error>> {
        match self.validate(std::slice::from_ref(event), meta) {
            Ok(_) => Ok(Resolution::Keep),
            Err(Validation::Refused(e)) => Err(Unresolved::Broken(e)),
            Err(Validation::Mismatch) => Err(Unresolved::Conflict),
        }
    }

    /// Checks that the decision starting at `events[0]` (the rest of the batch follows it) is what
    /// this aggregate decides on this state, as a whole: its command (see `command_of`) is decided
    /// again and must yield exactly the events that come next, however many. A first event no
    /// command makes must be a resolution this state admits (one event). Returns how many events
    /// the decision spans; `meta` is its first event's. `events` must not be empty.
    fn validate(&self, events: &[Self::Event], meta: &EventMeta<'_>) -> Result<usize, Validation<Self::Error>> {
        let Some(first) = events.first() else { return Err(Validation::Mismatch) };
        let Some((command, at_ms)) = Self::command_of(first) else {
            return if self.admits(first, meta) { Ok(1) } else { Err(Validation::Mismatch) };
        };
        match self.decide(command, at_ms) {
            Ok(decided) if !decided.is_empty() && events.starts_with(&decided) => Ok(decided.len()),
            _ if self.admits(first, meta) => Ok(1),
            Ok(_) => Err(Validation::Mismatch),
            Err(e) => Err(Validation::Refused(e)),
        }
    }

    /// Resolves the decision starting at `events[0]`, decided on the stream at version `parent`,
    /// on top of this (newer) state, by its first event's [`Policy`]: one [`Resolution`] per event
    /// of the decision, in order. A merge is one event (each change of a field is its own
    /// decision); a rebase keeps or compensates the decision as a whole.
    fn resolve(
        &self,
        events: &[Self::Event],
        meta: &EventMeta<'_>,
        parent: u64,
    ) -> Result<Vec<Resolution<Self::Event>>, Unresolved<Self::Error>> {
        let Some(first) = events.first() else { return Err(Unresolved::Conflict) };
        match Self::policy(first) {
            Policy::Reject => Err(Unresolved::Conflict),
            Policy::Merge => self.merge(first, meta, parent).map(|r| vec![r]),
            Policy::Rebase => match self.validate(events, meta) {
                Ok(n) => Ok(std::iter::repeat_with(|| Resolution::Keep).take(n).collect()),
                Err(Validation::Refused(e)) => match self.compensate(events, &e) {
                    Some(c) if !c.is_empty() && c.len() <= events.len() => {
                        Ok(c.into_iter().map(Resolution::Replace).collect())
                    }
                    _ => Err(Unresolved::Broken(e)),
                },
                // Re-deciding now gives other events than the device's: a person decides.
                Err(Validation::Mismatch) => Err(Unresolved::Conflict),
            },
        }
    }

    /// Folds events without envelopes (tests, `given`): versions 1, 2, …, one device, clock ticks in order.
    fn from_events<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self
    where
        Self::Event: 'a,
    {
        let device = DeviceId::new("given").expect("a valid device id");
        let mut state = Self::default();
        for (i, e) in events.into_iter().enumerate() {
            let meta = EventMeta { version: i as u64 + 1, hlc: Hlc { ms: 0, c: i as u32 }, device: &device };
            state.evolve(e, &meta);
        }
        state
    }
}
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Validation<E> {
    #[error("{0}")]
    Refused(E),
    #[error("the event is not what its command decides (its data was altered)")]
    Mismatch,
}
