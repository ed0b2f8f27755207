//! Faraday's domain, shared by the browser (wasm) and the server.
//!
//! Everything here is pure: time, ids and randomness come in as arguments, so the same code is
//! deterministic in unit tests, in simulations and in production.

pub mod acceptance;
pub mod access;
pub mod aggregate;
pub mod calendar;
pub mod class;
pub mod club;
pub mod dashboard;
pub mod demo;
pub mod envelope;
pub mod hlc;
pub mod ids;
pub mod member;
pub mod notices;
pub mod projection;
pub mod protocol;
pub mod registry;
pub mod replication;
pub mod search;
pub mod stream;
pub mod text;
pub mod timetable;

#[cfg(test)]
mod decision_tests;
#[cfg(test)]
mod testing;

pub use access::{Actor, ClubId, Role, StaffId};
pub use aggregate::{Aggregate, DecodeError, DomainEvent};
pub use envelope::EventEnvelope;
pub use hlc::{Hlc, HlcClock};
pub use ids::{new_event_id, DeviceId};
pub use registry::{Command, RuleError, StreamKind, StreamState};
pub use stream::StreamId;
