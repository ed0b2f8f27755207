//! The envelope every event travels and is stored in, on the device and on the server.

use crate::{
    aggregate::{DecodeError, DomainEvent},
    hlc::Hlc,
    ids::{new_event_id, DeviceId},
    stream::StreamId,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Place in the server's global log; absent until the server has stored the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

/// Everything needed to stamp new events, passed in so that stamping stays deterministic.
pub struct Stamp<'a> {
    pub device: &'a DeviceId,
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
                position: None,
            })
            .collect()
    }

    pub fn decode<E: DomainEvent>(&self) -> Result<E, DecodeError> {
        E::decode(&self.event_type, self.schema_version, &self.data)
    }

    /// The same event, ignoring where the server put it: used to recognise a retried push.
    pub fn same_event(&self, other: &EventEnvelope) -> bool {
        self.id == other.id
            && self.stream == other.stream
            && self.version == other.version
            && self.event_type == other.event_type
            && self.schema_version == other.schema_version
            && self.data == other.data
            && self.hlc == other.hlc
            && self.device == other.device
    }
}
