//! The shapes stored in IndexedDB, one struct per object store, and their conversions.
//!
//! Optional fields are left out (not `null`) when empty: IndexedDB indexes only records whose key path
//! yields a valid key, so an absent `pending` keeps confirmed events out of `by_pending` for free.

use app::client::EventState;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use shared::{EventEnvelope, StreamId};

pub const EVENTS: &str = "events";
pub const META: &str = "meta";

pub const BY_STREAM: &str = "by_stream";
pub const BY_PENDING: &str = "by_pending";
pub const BY_REJECTED: &str = "by_rejected";
/// Dropped in version 2: no query ever used it, and positions of a replaced log mean nothing.
pub const BY_POSITION: &str = "by_position";
pub const BY_CORRECTED: &str = "by_corrected";

pub const STATE_PENDING: u8 = 0;
pub const STATE_CONFIRMED: u8 = 1;
pub const STATE_REJECTED: u8 = 2;
/// Rejected, then settled by staff in the inbox ("discard mine", or applied again on top).
pub const STATE_SETTLED: u8 = 3;

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
    /// Present while staff have not yet seen that the server stored this event of theirs as
    /// something else (a check-in recorded as a duplicate, a change overwritten by a merge): the
    /// `by_corrected` index counts and lists them for the inbox. The value orders them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected: Option<u64>,
    /// For a confirmed event, the store's log generation when the server confirmed it. The
    /// generation moves on whenever the server's log is found replaced ([`Meta`] `generation`), so
    /// an event confirmed in an older one is *unconfirmed*: it counts as before, and is confirmed
    /// again when the new log shows it (or offered back if it does not). This makes the reset of a
    /// whole store one meta write instead of a rewrite of every event.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation: u32,
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
            corrected: None,
            generation: 0,
            envelope: encode_envelope(envelope),
        }
    }

    /// The server's copy of an event, confirmed in `generation`: it stands, whatever this device
    /// thought of it before.
    pub fn confirmed(envelope: &EventEnvelope, generation: u32) -> Self {
        Self {
            id: envelope.id.to_string(),
            stream: envelope.stream.to_string(),
            version: envelope.version,
            position: envelope.position,
            pending: None,
            rejected: None,
            state: STATE_CONFIRMED,
            reason: None,
            corrected: None,
            generation,
            envelope: encode_envelope(envelope),
        }
    }

    /// Confirmed in an older generation of the server's log, not (yet) in the current one.
    pub fn unconfirmed(&self, generation: u32) -> bool {
        self.state == STATE_CONFIRMED && self.generation < generation
    }

    /// Offered back to the server: pending again, pushed after every earlier pending event, and
    /// without the position the replaced log gave it (the new log gives its own).
    pub fn offer_again(&mut self, seq: u64) -> Result<(), String> {
        let mut envelope = self.envelope()?;
        envelope.position = None;
        self.envelope = encode_envelope(&envelope);
        self.state = STATE_PENDING;
        self.pending = Some(seq);
        self.position = None;
        self.generation = 0;
        Ok(())
    }

    /// The server's copy of this event, which replaces it: if this device's pending event was
    /// stored as another type (compensated, merged), staff are told until they acknowledge it.
    pub fn replaced_by(&self, envelope: &EventEnvelope, generation: u32) -> Self {
        let mut confirmed = Self::confirmed(envelope, generation);
        let corrected = self.state == STATE_PENDING
            && serde_json::from_str::<EventEnvelope>(&self.envelope)
                .is_ok_and(|e| shared::notices::corrects(&e, envelope));
        confirmed.corrected = if corrected { self.pending.or(Some(0)) } else { self.corrected };
        confirmed
    }

    /// Settled by staff: out of the inbox, kept in the timeline.
    pub fn settle(&mut self) {
        self.rejected = None;
        self.state = STATE_SETTLED;
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

    /// Where the event stands, with the store's current log `generation`.
    pub fn event_state(&self, generation: u32) -> EventState {
        match self.state {
            STATE_PENDING => EventState::Pending,
            STATE_CONFIRMED if self.unconfirmed(generation) => EventState::Unconfirmed,
            STATE_CONFIRMED => EventState::Confirmed,
            STATE_SETTLED => EventState::Settled(self.reason.clone().unwrap_or_default()),
            _ => EventState::Rejected(self.reason.clone().unwrap_or_else(|| "refused by the server".into())),
        }
    }
}

fn encode_envelope(envelope: &EventEnvelope) -> String {
    serde_json::to_string(envelope).expect("an envelope always serializes")
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One row of a stream table (one per aggregate: `Projected::STREAMS`, keyPath `id`): the stream's
/// state folded over its effective events (confirmed by version, then pending), as the server's
/// read model stores it, plus where the stream stands on this device.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StreamRecord {
    /// The stream id (`member-<uuid>`).
    pub id: String,
    /// Highest version folded (0 when nothing counts, e.g. only rejected events).
    pub version: u64,
    pub pending: u32,
    /// Rejected and not yet settled (in the inbox).
    pub rejected: u32,
    /// Whether the stream is listed (`Projected::listed`: a member whose registration was refused is not).
    pub listed: bool,
    /// The aggregate's state as JSON (`shared::projection::state_value`): one parse in wasm is much
    /// cheaper than walking a JS object field by field, and the shape is the aggregate's own.
    pub state: String,
}

impl StreamRecord {
    pub fn stream(&self) -> Option<StreamId> {
        self.id.parse().inspect_err(|e| log::error!("a stream row with an unreadable id: {e}")).ok()
    }

    /// The state, as the stream's aggregate `A`.
    pub fn state<A: DeserializeOwned>(&self) -> Result<A, String> {
        serde_json::from_str(&self.state).map_err(|e| format!("the state of {} is unreadable: {e}", self.id))
    }
}

/// One row of an event table (`Projected::TABLES`, keyPath `key`): what the aggregate's
/// `Projected::rows` derives from one event, with the table's indexes over fields of `value`
/// (keyPath `value.<field>`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RowRecord {
    /// The table it belongs to (not stored: each table is its own object store).
    #[serde(skip)]
    pub table: &'static str,
    /// The event's id.
    pub key: String,
    pub stream: String,
    /// What the table orders by (`Row::sort`).
    pub sort: u64,
    /// The event is still pending here. Not a key anywhere, so a boolean is fine.
    pub pending: bool,
    /// A JSON object (`Row::value`).
    pub value: serde_json::Value,
}

impl RowRecord {
    /// The rows the stored `envelope` puts in its aggregate's event tables, through the registry.
    pub fn of(envelope: &EventEnvelope, pending: bool) -> Vec<Self> {
        shared::projection::rows_of(envelope)
            .into_iter()
            .map(|row| Self {
                table: row.table,
                key: row.key.to_string(),
                stream: envelope.stream.to_string(),
                sort: row.sort,
                pending,
                value: row.value,
            })
            .collect()
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
/// The server log this store syncs with (`LogEpoch`).
pub const META_EPOCH: &str = "epoch";
/// Set by a reset, cleared by the re-offer that ends the catch-up after it.
pub const META_RESYNCING: &str = "resyncing";
/// How many times the server's log was found replaced (see `EventRecord::generation`).
pub const META_GENERATION: &str = "generation";
/// The projections the stored read models were built by (`shared::projection::signature`): when
/// the app's differ, they are rebuilt from the log on open.
pub const META_PROJECTIONS: &str = "projections";

impl<T> Meta<T> {
    pub fn new(key: &str, value: T) -> Self {
        Self { key: key.to_owned(), value }
    }
}
