//! Stream names: `<kind>-<uuid>`, one stream per aggregate instance.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

pub use crate::registry::StreamKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId {
    pub kind: StreamKind,
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream must look like <kind>-<uuid> (member-<uuid>), got {0:?}")]
pub struct InvalidStreamId(pub String);

impl StreamId {
    pub fn new(kind: StreamKind, id: Uuid) -> Self {
        Self { kind, id }
    }

    pub fn member(id: Uuid) -> Self {
        Self { kind: StreamKind::Member, id }
    }
}

impl FromStr for StreamId {
    type Err = InvalidStreamId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidStreamId(s.chars().take(100).collect());
        let (prefix, rest) = s.split_once('-').ok_or_else(invalid)?;
        let kind = StreamKind::ALL.iter().copied().find(|k| k.prefix() == prefix).ok_or_else(invalid)?;
        // Only the canonical hyphenated lower-case form, so one stream never has two spellings.
        let id = Uuid::try_parse(rest).map_err(|_| invalid())?;
        if id.hyphenated().to_string() != rest {
            return Err(invalid());
        }
        Ok(Self { kind, id })
    }
}

impl TryFrom<String> for StreamId {
    type Error = InvalidStreamId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<StreamId> for String {
    fn from(value: StreamId) -> Self {
        value.to_string()
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.id.hyphenated())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_stream_round_trips() {
        let s = StreamId::member(Uuid::from_u128(42));
        assert_eq!(s.to_string().parse::<StreamId>().unwrap(), s);
        assert!(s.to_string().starts_with("member-"));
    }

    #[test]
    fn malformed_streams_are_refused() {
        for bad in [
            "member",
            "member-",
            "member-xyz",
            "room-00000000-0000-0000-0000-00000000002a",
            "member-00000000-0000-0000-0000-00000000002A",
            "member-0000000000000000000000000000002a",
        ] {
            assert!(bad.parse::<StreamId>().is_err(), "{bad}");
        }
    }
}
