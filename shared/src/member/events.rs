use super::details::MemberField;
use crate::aggregate::DomainEvent;
use serde::{Deserialize, Serialize};

/// Facts about a member, named in the past tense. The variant name is the stored type name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum MemberEvent {
    MemberRegistered {
        name: String,
        email: String,
        phone: String,
    },
    MemberDetailsChanged {
        field: MemberField,
        value: String,
    },
    MemberArchived {},
    MemberRestored {},
    /// `at_ms` is the desk's wall clock when the member came in.
    MemberCheckedIn {
        at_ms: u64,
    },
}

impl DomainEvent for MemberEvent {
    fn event_type(&self) -> &'static str {
        match self {
            MemberEvent::MemberRegistered { .. } => "MemberRegistered",
            MemberEvent::MemberDetailsChanged { .. } => "MemberDetailsChanged",
            MemberEvent::MemberArchived {} => "MemberArchived",
            MemberEvent::MemberRestored {} => "MemberRestored",
            MemberEvent::MemberCheckedIn { .. } => "MemberCheckedIn",
        }
    }

    fn known_types() -> &'static [&'static str] {
        &["MemberRegistered", "MemberDetailsChanged", "MemberArchived", "MemberRestored", "MemberCheckedIn"]
    }
}
