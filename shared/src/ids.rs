//! Identifiers. New ids are built from time and random bytes handed in by the caller.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A UUIDv7 made from a wall-clock time and 10 random bytes: ids sort by creation time, which keeps
/// B-tree inserts cheap, and two devices never mint the same one.
pub fn new_event_id(now_ms: u64, random: [u8; 10]) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(now_ms, &random).into_uuid()
}

/// The time (ms since the epoch) a UUIDv7 was made at, as [`new_event_id`] put it in; 0 for an
/// id of another version.
pub fn event_id_ms(id: &Uuid) -> u64 {
    id.get_timestamp().map_or(0, |t| {
        let (secs, nanos) = t.to_unix();
        secs * 1_000 + u64::from(nanos) / 1_000_000
    })
}

/// Whether an id is a well-formed UUIDv7 (the only kind of event id the log accepts).
pub fn is_event_id(id: &Uuid) -> bool {
    id.get_version_num() == 7
}

/// The device (a browser profile, or the server itself) that made an event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device id must be 1 to 64 letters, digits, '-' or '_', got {0:?}")]
pub struct InvalidDeviceId(pub String);

impl DeviceId {
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidDeviceId> {
        let value = value.into();
        let ok = !value.is_empty()
            && value.len() <= 64
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(value))
        } else {
            Err(InvalidDeviceId(value))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceId {
    type Error = InvalidDeviceId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<DeviceId> for String {
    fn from(value: DeviceId) -> Self {
        value.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_v7_and_sort_by_time() {
        let a = new_event_id(1_000, [1; 10]);
        let b = new_event_id(2_000, [0; 10]);
        assert!(is_event_id(&a) && is_event_id(&b));
        assert!(a < b);
        assert_eq!((event_id_ms(&a), event_id_ms(&b)), (1_000, 2_000));
        assert!(!is_event_id(&Uuid::nil()));
    }

    #[test]
    fn device_ids_are_short_and_plain() {
        assert!(DeviceId::new("desk-1_A").is_ok());
        assert!(DeviceId::new("").is_err());
        assert!(DeviceId::new("a b").is_err());
        assert!(DeviceId::new("x".repeat(65)).is_err());
    }
}
