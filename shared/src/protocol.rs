//! The sync protocol's wire types, used by both ends (documented in docs/PROTOCOL.md).

use crate::{envelope::EventEnvelope, ids::DeviceId, stream::StreamId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest push body the server reads.
pub const MAX_PUSH_BYTES: usize = 4 * 1024 * 1024;
/// Most events in one push, all batches together.
pub const MAX_EVENTS_PER_PUSH: usize = 2_000;
/// Page size of a pull when the client names none, and the largest it may ask for.
pub const DEFAULT_PULL_LIMIT: u32 = 1_000;
pub const MAX_PULL_LIMIT: u32 = 5_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub device: DeviceId,
    pub batches: Vec<PushBatch>,
}

/// The pending events of one stream, built on `parent_version` (the last event of that stream the
/// client had from the server; 0 for a new stream).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushBatch {
    pub stream: StreamId,
    pub parent_version: u64,
    pub events: Vec<EventEnvelope>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<BatchResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    /// Stored (now or by an earlier try of the same push): `events` are the stored copies.
    Accepted,
    /// Not stored: the stream moved on since `parent_version`; `server_events` are what it holds after it.
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    pub stream: StreamId,
    pub status: BatchStatus,
    #[serde(default)]
    pub events: Vec<EventEnvelope>,
    #[serde(default)]
    pub server_events: Vec<EventEnvelope>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub events: Vec<EventEnvelope>,
    /// The cursor to ask from next time: the position of the last event returned, or `after`.
    pub next: u64,
    pub has_more: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable (`versions_not_contiguous`, `rule_broken`, …).
    pub code: String,
    /// For people.
    pub message: String,
    /// The stream and event the error is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Uuid>,
}
