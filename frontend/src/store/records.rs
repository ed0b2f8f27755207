//! The shapes stored in IndexedDB, one struct per object store, and their conversions.
//!
//! Optional fields are left out (not `null`) when empty: IndexedDB indexes only records whose key path
//! yields a valid key, so an absent `pending` keeps confirmed events out of `by_pending` for free.

use app::client::{CheckInRow, EventState, MemberRow};
use serde::{Deserialize, Serialize};
use shared::{member::Member, EventEnvelope};
use uuid::Uuid;

pub const EVENTS: &str = "events";
pub const MEMBERS: &str = "members";
pub const CHECK_INS: &str = "check_ins";
pub const META: &str = "meta";

pub const BY_STREAM: &str = "by_stream";
pub const BY_PENDING: &str = "by_pending";
pub const BY_REJECTED: &str = "by_rejected";
pub const BY_POSITION: &str = "by_position";
pub const BY_AT: &str = "by_at";
pub const BY_MEMBER: &str = "by_member";

pub const STATE_PENDING: u8 = 0;
pub const STATE_CONFIRMED: u8 = 1;
pub const STATE_REJECTED: u8 = 2;

/// One event in the local log (`events`, keyPath `id`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: String,
    pub stream: String,
    pub version: u64,
    /// Place in the server's log; absent until the server has stored the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Local append sequence number, present only while pending (`by_pending` yields pushes in append order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    /// The same sequence number, present only while rejected: `by_rejected` counts and lists the
    /// conflict inbox without indexing every confirmed event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<u64>,
    pub state: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The `EventEnvelope` as JSON: one parse in wasm is much cheaper than walking a JS object field by field.
    pub envelope: String,
}

impl EventRecord {
    pub fn pending(envelope: &EventEnvelope, seq: u64) -> Self {
        Self {
            id: envelope.id.to_string(),
            stream: envelope.stream.to_string(),
            version: envelope.version,
            position: None,
            pending: Some(seq),
            rejected: None,
            state: STATE_PENDING,
            reason: None,
            envelope: encode_envelope(envelope),
        }
    }

    /// The server's copy of an event: it stands, whatever this device thought of it before.
    pub fn confirmed(envelope: &EventEnvelope) -> Self {
        Self {
            id: envelope.id.to_string(),
            stream: envelope.stream.to_string(),
            version: envelope.version,
            position: envelope.position,
            pending: None,
            rejected: None,
            state: STATE_CONFIRMED,
            reason: None,
            envelope: encode_envelope(envelope),
        }
    }

    /// Sets a pending event aside; it keeps its sequence number so the inbox lists it in append order.
    pub fn reject(&mut self, reason: &str) {
        self.rejected = self.pending.take().or(Some(0));
        self.state = STATE_REJECTED;
        self.reason = Some(reason.to_owned());
    }

    pub fn envelope(&self) -> Result<EventEnvelope, String> {
        serde_json::from_str(&self.envelope).map_err(|e| format!("event {} is unreadable: {e}", self.id))
    }

    pub fn event_state(&self) -> EventState {
        match self.state {
            STATE_PENDING => EventState::Pending,
            STATE_CONFIRMED => EventState::Confirmed,
            _ => EventState::Rejected(self.reason.clone().unwrap_or_else(|| "refused by the server".into())),
        }
    }
}

fn encode_envelope(envelope: &EventEnvelope) -> String {
    serde_json::to_string(envelope).expect("an envelope always serializes")
}

/// The `members` projection: the `Member` aggregate folded over the stream's effective events.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct MemberRecord {
    pub id: String,
    /// Highest version folded (0 when nothing counts, e.g. only rejected events).
    pub version: u64,
    pub pending: u32,
    pub rejected: u32,
    pub registered: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check_in_ms: Option<u64>,
    pub check_ins: u32,
}

impl MemberRecord {
    pub fn new(id: Uuid, member: &Member, version: u64, pending: u32, rejected: u32) -> Self {
        Self {
            id: id.to_string(),
            version,
            pending,
            rejected,
            registered: member.registered,
            name: member.name.clone(),
            email: member.email.clone(),
            phone: member.phone.clone(),
            archived: member.archived,
            last_check_in_ms: member.last_check_in_ms,
            check_ins: member.check_ins,
        }
    }

    pub fn member(&self) -> Member {
        Member {
            registered: self.registered,
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            archived: self.archived,
            last_check_in_ms: self.last_check_in_ms,
            check_ins: self.check_ins,
        }
    }

    /// The row the UI shows, or `None` for a stream with no registration that counts (nothing to list).
    pub fn row(&self) -> Option<MemberRow> {
        if !self.registered {
            return None;
        }
        Some(MemberRow {
            id: Uuid::parse_str(&self.id).ok()?,
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            archived: self.archived,
            last_check_in_ms: self.last_check_in_ms,
            check_ins: self.check_ins,
            pending: self.pending,
        })
    }
}

/// The `check_ins` projection (keyPath `event_id`), indexed by time and by member.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckInRecord {
    pub event_id: String,
    pub member: String,
    pub at_ms: u64,
    /// Not a key anywhere, so a boolean is fine here.
    pub pending: bool,
}

impl CheckInRecord {
    pub fn row(&self) -> Option<CheckInRow> {
        Some(CheckInRow {
            event_id: Uuid::parse_str(&self.event_id).ok()?,
            member: Uuid::parse_str(&self.member).ok()?,
            at_ms: self.at_ms,
            pending: self.pending,
        })
    }
}

/// One `meta` entry (keyPath `key`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta<T> {
    pub key: String,
    pub value: T,
}

pub const META_DEVICE: &str = "device";
pub const META_CURSOR: &str = "cursor";
pub const META_CLOCK: &str = "clock";
pub const META_SEQ: &str = "seq";

impl<T> Meta<T> {
    pub fn new(key: &str, value: T) -> Self {
        Self { key: key.to_owned(), value }
    }
}
