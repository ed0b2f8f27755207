//! The sync protocol's wire types, used by both ends (documented in docs/PROTOCOL.md).
//!
//! Readers tolerate fields they do not know (an older app keeps working when the server adds one);
//! what a client sends (`PushRequest`, envelopes) is read strictly.

use crate::{envelope::EventEnvelope, ids::DeviceId, stream::StreamId};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Largest push body the server reads.
pub const MAX_PUSH_BYTES: usize = 4 * 1024 * 1024;
/// Most events in one push, all batches together.
pub const MAX_EVENTS_PER_PUSH: usize = 2_000;
/// Largest `data` of one event, in bytes of its canonical JSON. The domain's own limits (a name is
/// at most 120 characters, …) keep real events far below; this bounds what any event can cost a
/// subscriber, a device or the database.
pub const MAX_EVENT_DATA_BYTES: usize = 8 * 1024;
/// Page size of a pull when the client names none, and the largest it may ask for.
pub const DEFAULT_PULL_LIMIT: u32 = 1_000;
pub const MAX_PULL_LIMIT: u32 = 5_000;
/// Most of the server's events returned with a rejected batch; the rest come by pull.
pub const MAX_SERVER_EVENTS: usize = 100;
/// Largest position or version the server accepts in a request: positions are stored as signed
/// 64-bit integers, so anything above is refused rather than narrowed.
pub const MAX_POSITION: u64 = i64::MAX as u64;

/// How far ahead of the server's clock a device's time may be (ms). A device time beyond it is
/// refused (`clock_ahead`), a device's hybrid clock never adopts a remote stamp beyond it, and a
/// device whose clock is off by more tells its staff. See docs/PROTOCOL.md, "Time".
pub const MAX_CLOCK_AHEAD_MS: u64 = 5 * 60 * 1000;

/// The identity of the server's log. It is created with the log and changes when the log is
/// restored or reset: positions of one epoch mean nothing in another, so a device that sees a new
/// epoch syncs again from position 0 (and offers back what the server no longer has).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LogEpoch(pub Uuid);

impl fmt::Display for LogEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub device: DeviceId,
    pub batches: Vec<PushBatch>,
    /// The log this device last synced with, if it has synced: the server refuses the whole push
    /// (409 `epoch_changed`, naming its log's epoch) when its log is another one, because the
    /// parent versions were read from a log that was replaced (docs/PROTOCOL.md, "Epochs").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<LogEpoch>,
}

/// The pending events of one stream, built on `parent_version` (the last event of that stream the
/// client had from the server; 0 for a new stream).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushBatch {
    pub stream: StreamId,
    pub parent_version: u64,
    #[serde(deserialize_with = "crate::envelope::strict_envelopes")]
    pub events: Vec<EventEnvelope>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<BatchResult>,
    /// The log the events were stored in (see [`LogEpoch`]).
    pub epoch: LogEpoch,
    /// The server's clock when it answered (ms since the epoch): devices measure their own clock against it.
    pub server_ms: u64,
}

/// What became of one batch (docs/PROTOCOL.md "Conflicts" has an example of each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    /// Stored as sent after the stream's head (now, or by an earlier try of the same push, in which
    /// case `events` may be the rebased or merged copies that try stored).
    Accepted,
    /// The stream moved on since `parent_version`: the events were re-decided on top of the
    /// server's (`server_events`) and stored renumbered; one that no longer held is stored as its
    /// compensating event under the same id (a check-in recorded as a duplicate).
    Rebased,
    /// The stream moved on and every event was merged field by field: stored renumbered, a change
    /// that met a concurrent one of the same field as `MemberDetailsMerged` / `…Overwritten`.
    Merged,
    /// Not stored: the stream moved on and the batch could not join it (`reason`); `server_events`
    /// are what it holds after `parent_version`. The device keeps its events in its conflict inbox.
    Rejected,
    /// A status this version of the app does not know (a newer server): the device leaves its
    /// events pending; pushing them again is answered with their stored copies, if stored.
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    pub stream: StreamId,
    pub status: BatchStatus,
    #[serde(default)]
    pub events: Vec<EventEnvelope>,
    /// For a batch that met other events (rebased, merged, rejected): the server's events after
    /// `parent_version` other than the batch's own, oldest first, at most [`MAX_SERVER_EVENTS`]; the
    /// rest come by pull.
    #[serde(default)]
    pub server_events: Vec<EventEnvelope>,
    /// The stream's head version on the server after this push.
    #[serde(default)]
    pub head: u64,
    /// For a rejected batch: why, for staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub events: Vec<EventEnvelope>,
    /// The cursor to ask from next time: the position of the last event returned, or `after`.
    pub next: u64,
    pub has_more: bool,
    /// The last position of the log (read after the page): a cursor above it means the log is not
    /// the one the device synced with.
    pub head: u64,
    pub epoch: LogEpoch,
    /// The server's clock when it answered (ms since the epoch).
    pub server_ms: u64,
}

/// The SSE event name of [`LiveStatus`] messages.
pub const LIVE_STATUS_EVENT: &str = "status";
/// How often an idle live stream sends a [`LiveStatus`]. A device that hears nothing for
/// [`LIVE_SILENCE_MS`] treats the stream as dead and opens a new one.
pub const LIVE_HEARTBEAT_MS: u64 = 15_000;
pub const LIVE_SILENCE_MS: u64 = 3 * LIVE_HEARTBEAT_MS;

/// The first message of every live connection, repeated as its heartbeat (SSE `event: status`,
/// without an `id:`, so it never moves the browser's `Last-Event-ID`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub epoch: LogEpoch,
    pub head: u64,
    pub server_ms: u64,
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
    /// The server's log, when the error is that the request was made against another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<LogEpoch>,
}

/// One stream's read-model row, as `GET /api/read/{stream table}` serves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamRow {
    pub stream: StreamId,
    /// The stream's version the state is folded through.
    pub version: u64,
    /// The aggregate's state (`shared::projection::state_value`).
    pub state: serde_json::Value,
}

/// One event-derived read-model row, as `GET /api/read/{event table}` serves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// The event it derives from.
    pub id: Uuid,
    pub stream: StreamId,
    /// What the table is ordered by (for check-ins: the time, ms since the epoch).
    pub sort: u64,
    pub value: serde_json::Value,
}

/// A page of a stream table: `next` is the `after` of the next page, absent on the last one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamRowsPage {
    pub rows: Vec<StreamRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<StreamId>,
}

/// A page of an event table: `next` holds the `from` and `after` of the next page, absent on the
/// last one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRowsPage {
    pub rows: Vec<EventRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<EventCursor>,
}

/// Where a page of an event table starts: after the row (`from`, `after`) in (sort, id) order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventCursor {
    pub from: u64,
    pub after: Uuid,
}

/// Longest e-mail address or name an account may have, in characters.
pub const MAX_ACCOUNT_TEXT: usize = 120;
/// Longest password the server will hash (argon2 reads any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Shortest password an account may be given.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// `POST /api/auth/login`: a staff member signs in on this device, to one club.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The device signing in: the session is bound to it, and its pushes must name it.
    pub device: DeviceId,
    /// The club to work in, when the account has roles in several (the first one otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub club: Option<crate::access::ClubId>,
}

/// Who is signed in on this device (`POST /api/auth/login`, `GET /api/auth/session`). The device
/// keeps it to work offline for this person until `expires_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub staff: crate::access::StaffId,
    pub name: String,
    pub email: String,
    pub role: crate::access::Role,
    pub club: crate::access::ClubId,
    pub club_name: String,
    /// When the session ends (ms since the epoch): the server refuses it after, and the device
    /// stops working offline for this person.
    pub expires_ms: u64,
    pub server_ms: u64,
}

/// One of the club's staff, for showing who made an event (`GET /api/auth/staff`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffMember {
    pub staff: crate::access::StaffId,
    pub name: String,
    pub role: crate::access::Role,
}
