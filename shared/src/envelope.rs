//! The envelope every event travels and is stored in, on the device and on the server.

use crate::{
    access::StaffId,
    aggregate::{DecodeError, DomainEvent},
    hlc::Hlc,
    ids::{new_event_id, DeviceId},
    stream::StreamId,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Read leniently (a field a newer server adds is ignored, so a cached older app keeps working);
/// what a device pushes is read strictly instead, through [`strict_envelopes`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Globally unique (UUIDv7): what makes pushes idempotent.
    pub id: Uuid,
    pub stream: StreamId,
    /// 1-based place in the stream.
    pub version: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: u32,
    pub data: serde_json::Value,
    pub hlc: Hlc,
    pub device: DeviceId,
    /// The staff member who made the event (absent only in logs written before accounts existed;
    /// a push must carry the signed-in staff member's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<StaffId>,
    /// Place in the club's log; absent until the server has stored the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

/// Everything needed to stamp new events, passed in so that stamping stays deterministic.
pub struct Stamp<'a> {
    pub device: &'a DeviceId,
    /// Who decided (None only in tests and simulations that model no accounts).
    pub staff: Option<StaffId>,
    pub now_ms: u64,
    pub hlc: &'a mut crate::hlc::HlcClock,
    pub random: &'a mut dyn FnMut() -> [u8; 10],
}

impl EventEnvelope {
    /// Wraps freshly decided events, numbered after `head_version` of `stream`.
    pub fn wrap<E: DomainEvent>(stream: StreamId, head_version: u64, events: &[E], stamp: Stamp<'_>) -> Vec<Self> {
        events
            .iter()
            .enumerate()
            .map(|(i, e)| EventEnvelope {
                id: new_event_id(stamp.now_ms, (stamp.random)()),
                stream,
                version: head_version + 1 + i as u64,
                event_type: e.event_type().to_owned(),
                schema_version: e.schema_version(),
                data: e.encode(),
                hlc: stamp.hlc.tick(stamp.now_ms),
                device: stamp.device.clone(),
                staff: stamp.staff,
                position: None,
            })
            .collect()
    }

    pub fn decode<E: DomainEvent>(&self) -> Result<E, DecodeError> {
        E::decode(&self.event_type, self.schema_version, &self.data)
    }

    /// The same event, ignoring where the server put it.
    pub fn same_event(&self, other: &EventEnvelope) -> bool {
        self.id == other.id
            && self.stream == other.stream
            && self.version == other.version
            && self.event_type == other.event_type
            && self.schema_version == other.schema_version
            && self.data == other.data
            && self.hlc == other.hlc
            && self.device == other.device
            && self.staff == other.staff
    }
}

/// The envelope as a push must send it: every field known. A mirror of [`EventEnvelope`] with
/// `deny_unknown_fields`, so answers stay lenient while requests stay strict.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictEnvelope {
    id: Uuid,
    stream: StreamId,
    version: u64,
    #[serde(rename = "type")]
    event_type: String,
    schema_version: u32,
    data: serde_json::Value,
    hlc: Hlc,
    device: DeviceId,
    #[serde(default)]
    staff: Option<StaffId>,
    #[serde(default)]
    position: Option<u64>,
}

impl From<StrictEnvelope> for EventEnvelope {
    fn from(e: StrictEnvelope) -> Self {
        EventEnvelope {
            id: e.id,
            stream: e.stream,
            version: e.version,
            event_type: e.event_type,
            schema_version: e.schema_version,
            data: e.data,
            hlc: e.hlc,
            device: e.device,
            staff: e.staff,
            position: e.position,
        }
    }
}

/// `deserialize_with` for the events of a push: refuses an envelope with a field it does not know.
pub fn strict_envelopes<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<EventEnvelope>, D::Error> {
    let strict = Vec::<StrictEnvelope>::deserialize(deserializer)?;
    Ok(strict.into_iter().map(EventEnvelope::from).collect())
}

/// One envelope read as strictly as a push reads it (an import's lines: what the server stores
/// from a file is held to what it stores from a device).
pub fn strict_envelope<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<EventEnvelope, D::Error> {
    StrictEnvelope::deserialize(deserializer).map(EventEnvelope::from)
}

#[cfg(test)]
mod tests {
    use crate::protocol::{PullResponse, PushBatch};

    fn envelope_json() -> serde_json::Value {
        serde_json::json!({
            "id": "01900000-0000-7000-8000-000000000001",
            "stream": "member-01900000-0000-7000-8000-000000000002",
            "version": 1, "type": "MemberArchived", "schema_version": 1, "data": {},
            "hlc": {"ms": 1, "c": 0}, "device": "desk-1", "position": 4,
            "decision": "a field a newer server adds"
        })
    }

    #[test]
    fn an_answer_with_fields_this_app_does_not_know_is_read() {
        let page = serde_json::json!({
            "events": [envelope_json()], "next": 4, "has_more": false, "head": 4,
            "epoch": "01900000-0000-7000-8000-000000000003", "server_ms": 5, "club": "added later"
        });
        let page: PullResponse = serde_json::from_value(page).unwrap();
        assert_eq!(page.events[0].position, Some(4));
    }

    #[test]
    fn a_pushed_envelope_with_a_field_the_server_does_not_know_is_refused() {
        let batch = serde_json::json!({
            "stream": "member-01900000-0000-7000-8000-000000000002", "parent_version": 0, "events": [envelope_json()]
        });
        let error = serde_json::from_value::<PushBatch>(batch).unwrap_err().to_string();
        assert!(error.contains("decision"), "{error}");
    }
}
