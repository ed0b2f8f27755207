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
    /// A check-in recorded on a desk that, once the desks' events met, did not count: written by
    /// the server in place of that `MemberCheckedIn` (same event id) when rebasing it failed.
    MemberCheckInNotCounted {
        at_ms: u64,
        reason: NotCounted,
    },
    /// A change of `field` made while another desk changed it too, whose stamp is the later one:
    /// `value` stands and `overwritten` (the other desk's value) is kept for the timeline. Written
    /// by the server's merge in place of the device's `MemberDetailsChanged` (same event id).
    MemberDetailsMerged {
        field: MemberField,
        value: String,
        overwritten: String,
    },
    /// A change of `field` to `value` made while another desk changed it too, with the earlier
    /// stamp: `kept` (the other desk's value) stands. Changes nothing; it keeps `value` visible.
    MemberDetailsOverwritten {
        field: MemberField,
        value: String,
        kept: String,
    },
    /// An archive, restore or detail change made while another desk had made the same one: nothing
    /// to change, both desks wanted this. Written by the server in place of the device's event
    /// (same id).
    MemberChangeRepeated {
        change: Repeated,
    },
}

/// A change two desks made both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repeated {
    Archived,
    Restored,
    /// Both set `field` to `value`.
    Detail {
        field: MemberField,
        value: String,
    },
}

/// Why a check-in did not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotCounted {
    /// Another desk had checked the member in within the window, at `of_ms` (ms since the epoch).
    Duplicate { of_ms: u64 },
    /// It is from before the member's retained check-ins and cannot be checked against them.
    BeforeHistory,
}

impl DomainEvent for MemberEvent {
    fn event_type(&self) -> &'static str {
        match self {
            MemberEvent::MemberRegistered { .. } => "MemberRegistered",
            MemberEvent::MemberDetailsChanged { .. } => "MemberDetailsChanged",
            MemberEvent::MemberArchived {} => "MemberArchived",
            MemberEvent::MemberRestored {} => "MemberRestored",
            MemberEvent::MemberCheckedIn { .. } => "MemberCheckedIn",
            MemberEvent::MemberCheckInNotCounted { .. } => "MemberCheckInNotCounted",
            MemberEvent::MemberDetailsMerged { .. } => "MemberDetailsMerged",
            MemberEvent::MemberDetailsOverwritten { .. } => "MemberDetailsOverwritten",
            MemberEvent::MemberChangeRepeated { .. } => "MemberChangeRepeated",
        }
    }

    fn known_types() -> &'static [&'static str] {
        &[
            "MemberRegistered",
            "MemberDetailsChanged",
            "MemberArchived",
            "MemberRestored",
            "MemberCheckedIn",
            "MemberCheckInNotCounted",
            "MemberDetailsMerged",
            "MemberDetailsOverwritten",
            "MemberChangeRepeated",
        ]
    }
}
