use super::{
    details::MemberField,
    entry::{Denial, EntryRules},
    membership::{PaymentMethod, Start},
};
use crate::{aggregate::DomainEvent, calendar::Date, club::PlanTerms};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// The member came in at `at_ms` (the desk's wall clock), on the club-local date `on`, on
    /// `membership` (a card's visit is used), decided under `rules` (the club's settings then).
    MemberCheckedIn {
        at_ms: u64,
        on: Date,
        membership: Uuid,
        rules: EntryRules,
    },
    /// A manager let the member in although the entry decision said `denied`, for `reason`:
    /// counts as a visit in the club, uses no visit of a card.
    MemberEntryOverridden {
        at_ms: u64,
        on: Date,
        denied: Denial,
        /// The membership the deny was about, if any.
        membership: Option<Uuid>,
        reason: String,
        rules: EntryRules,
    },
    /// A manager recorded at `recorded_ms` a check-in that happened at `at_ms`, for `reason`.
    MemberCheckInBackdated {
        at_ms: u64,
        recorded_ms: u64,
        on: Date,
        membership: Uuid,
        reason: String,
        rules: EntryRules,
    },
    /// The check-in at `at_ms` was a mistake: it stays in the timeline, struck through, and no
    /// longer counts (a card's visit is given back).
    MemberCheckInVoided {
        at_ms: u64,
        reason: String,
    },
    /// Staff blocked the member from entering, for `reason`.
    MemberBlocked {
        reason: String,
    },
    MemberUnblocked {},
    /// A membership was sold on the club-local date `on`, copying the plan's terms.
    MembershipSold {
        membership: Uuid,
        plan: Uuid,
        terms: PlanTerms,
        start: Start,
        on: Date,
        /// The membership this sale renews.
        renews: Option<Uuid>,
    },
    /// A payment was taken (recorded, never charged), in cents.
    PaymentRecorded {
        membership: Uuid,
        amount_cents: u64,
        method: PaymentMethod,
        on: Date,
    },
    /// Frozen from `from` to `until`, both included; the end moves by those days.
    MembershipFrozen {
        membership: Uuid,
        from: Date,
        until: Date,
        on: Date,
    },
    /// The freeze running on `on` ends the day before (or one planned later is dropped).
    MembershipUnfrozen {
        membership: Uuid,
        on: Date,
    },
    /// Cancelled from `from` on (a freeze then running ends), for `reason`. Not reversible.
    MembershipCancelled {
        membership: Uuid,
        from: Date,
        reason: String,
        on: Date,
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
    /// A card's visit used by `class` on the club-local date `on`: attended (`charge` none), or a
    /// late cancel or no-show not waived. Once per class.
    ClassVisitUsed {
        class: Uuid,
        membership: Uuid,
        on: Date,
        charge: Option<crate::class::ChargeKind>,
    },
    /// A manager waived the late cancel or no-show of `class`: its visit is given back.
    ClassVisitReturned {
        class: Uuid,
        membership: Uuid,
        on: Date,
        reason: String,
    },
    /// Written by the server in place of a `ClassVisitUsed` (same id) when the visit could not be
    /// used once the desks' events met (`reason`): no visit was used (a card never goes below zero,
    /// and a visit is used only by what the class's stream records), and staff are told.
    ClassVisitNotCounted {
        class: Uuid,
        membership: Uuid,
        on: Date,
        /// Absent in the JSON for `no_visits_left` (the only reason before there were others).
        #[serde(default, skip_serializing_if = "VisitNotCounted::is_no_visits_left")]
        reason: VisitNotCounted,
    },
}

/// Why a class's card visit was not used (the server's re-check at append, DOMAIN.md "Classes": a
/// card visit is consumed by attendance, or by a late cancel or no-show not waived).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitNotCounted {
    /// The member attended, but the card had no visit left once the desks' events met.
    #[default]
    NoVisitsLeft,
    /// The class's stream, as the server holds it, does not record what the visit was used for on
    /// that membership: the attendance (or the late cancel, the no-show) did not stand, e.g. the
    /// booking lost the last spot to another desk's, or the class does not exist.
    NotInClass,
}

impl VisitNotCounted {
    fn is_no_visits_left(&self) -> bool {
        *self == VisitNotCounted::NoVisitsLeft
    }
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
    /// A class's visit used (or given back) by another device already.
    ClassVisit {
        class: Uuid,
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
    /// Once the other desks' events were in, the entry decision for its day (`on`) said
    /// `denial`: the card's last visit was used by another desk, the membership was frozen or
    /// cancelled meanwhile. The member was let in; staff are told.
    Refused { denial: Denial, on: Date, membership: Uuid, grace_days: u32 },
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
            MemberEvent::MemberEntryOverridden { .. } => "MemberEntryOverridden",
            MemberEvent::MemberCheckInBackdated { .. } => "MemberCheckInBackdated",
            MemberEvent::MemberCheckInVoided { .. } => "MemberCheckInVoided",
            MemberEvent::MemberBlocked { .. } => "MemberBlocked",
            MemberEvent::MemberUnblocked { .. } => "MemberUnblocked",
            MemberEvent::MembershipSold { .. } => "MembershipSold",
            MemberEvent::PaymentRecorded { .. } => "PaymentRecorded",
            MemberEvent::MembershipFrozen { .. } => "MembershipFrozen",
            MemberEvent::MembershipUnfrozen { .. } => "MembershipUnfrozen",
            MemberEvent::MembershipCancelled { .. } => "MembershipCancelled",
            MemberEvent::ClassVisitUsed { .. } => "ClassVisitUsed",
            MemberEvent::ClassVisitReturned { .. } => "ClassVisitReturned",
            MemberEvent::ClassVisitNotCounted { .. } => "ClassVisitNotCounted",
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
            "MemberEntryOverridden",
            "MemberCheckInBackdated",
            "MemberCheckInVoided",
            "MemberBlocked",
            "MemberUnblocked",
            "MembershipSold",
            "PaymentRecorded",
            "MembershipFrozen",
            "MembershipUnfrozen",
            "MembershipCancelled",
            "ClassVisitUsed",
            "ClassVisitReturned",
            "ClassVisitNotCounted",
        ]
    }
}
