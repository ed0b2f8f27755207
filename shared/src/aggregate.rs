//! The aggregate contract: commands are decided into events, events are folded into state.
//!
//! Shaped like cqrs-es 0.4's `Aggregate` (sync `handle` = our `decide`, `apply` = our `evolve`),
//! without its async services: the domain stays pure and runs the same in wasm and on the server.

use crate::stream::StreamKind;
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

pub trait Aggregate: Default + Clone + Debug {
    const KIND: StreamKind;
    type Command: Debug;
    type Event: DomainEvent;
    type Error: std::error::Error + Clone + PartialEq;

    /// Decides what happens: the events a command produces, or why it is refused.
    fn decide(&self, command: Self::Command, now_ms: u64) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one event into the state. Never fails: an event is a fact.
    fn evolve(&mut self, event: &Self::Event);

    /// The command (and its time) that an event records. The server never trusts a client:
    /// an incoming event is valid only if deciding this command yields exactly this event.
    fn command_of(event: &Self::Event) -> (Self::Command, u64);

    /// Checks that `event` is what this aggregate would have decided (see `command_of`).
    fn validate(&self, event: &Self::Event) -> Result<(), Validation<Self::Error>> {
        let (command, at_ms) = Self::command_of(event);
        let decided = self.decide(command, at_ms).map_err(Validation::Refused)?;
        if decided.as_slice() == std::slice::from_ref(event) {
            Ok(())
        } else {
            Err(Validation::Mismatch)
        }
    }

    fn from_events<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self
    where
        Self::Event: 'a,
    {
        let mut state = Self::default();
        for e in events {
            state.evolve(e);
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
