//! Facts about a class, named in the past tense. The variant name is the stored type name.
//! Times are ms since the epoch, as the deciding device's clock read them.

use super::details::{ClassDetails, Cutoffs};
use crate::{aggregate::DomainEvent, member::Denial};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ClassEvent {
    ClassScheduled {
        details: ClassDetails,
        cutoffs: Cutoffs,
    },
    /// New details; members on the waitlist move up into spots a larger capacity opens, as after a
    /// cancellation (`skipped` as there). Moved to another day, the bookings of `released` members
    /// (who cannot attend on the new day, and why: the deciding device's reading of their
    /// memberships, corrected by the server's) are released first, and their spots move the
    /// waitlist up too. Absent from the JSON when empty.
    ClassRescheduled {
        details: ClassDetails,
        at_ms: u64,
        #[serde(default)]
        skipped: Vec<Skip>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        released: Vec<Skip>,
    },
    /// Cancelled for `reason`: every booking and waitlist entry is released.
    ClassCancelled {
        reason: String,
        at_ms: u64,
    },
    /// `member` has a spot, on `membership` (none: a manager's `override_reason` stands for it);
    /// `over_capacity` is the reason staff gave for booking beyond the capacity.
    ClassBooked {
        member: Uuid,
        membership: Option<Uuid>,
        at_ms: u64,
        #[serde(default)]
        override_reason: Option<String>,
        #[serde(default)]
        over_capacity: Option<String>,
    },
    /// The class was full: `member` waits, in order of `at_ms` (their waitlist-entry time).
    ClassWaitlisted {
        member: Uuid,
        membership: Option<Uuid>,
        at_ms: u64,
        #[serde(default)]
        override_reason: Option<String>,
    },
    /// `member`'s booking is cancelled; `late` when inside the cancellation cutoff (a recorded
    /// fact: a card's visit is used unless a manager waives it). The first waiting member who can
    /// attend moves up into the spot until the waitlist cutoff; `skipped` are those ahead who
    /// cannot (the deciding device's reading of their memberships, corrected by the server's).
    BookingCancelled {
        member: Uuid,
        at_ms: u64,
        late: bool,
        #[serde(default)]
        skipped: Vec<Skip>,
    },
    /// `member` left the waitlist.
    WaitlistLeft {
        member: Uuid,
        at_ms: u64,
    },
    /// Staff moved `member` up from the waitlist (after the cutoff, or out of order); beyond the
    /// capacity only with `over_capacity`'s reason.
    WaitlistPromoted {
        member: Uuid,
        at_ms: u64,
        #[serde(default)]
        over_capacity: Option<String>,
    },
    /// `member` came (`attended`) or is marked as not having come after all.
    AttendanceMarked {
        member: Uuid,
        attended: bool,
        at_ms: u64,
    },
    /// Attendance was submitted: the booked members not marked as attended are no-shows.
    AttendanceSubmitted {
        at_ms: u64,
        no_shows: Vec<Uuid>,
    },
    /// A manager waived `member`'s late cancel or no-show, for `reason`.
    ChargeWaived {
        member: Uuid,
        reason: String,
        at_ms: u64,
    },
    /// Written by the server: the booking (or waitlist entry, or promotion) of `member` decided
    /// at `at_ms` does not stand, for `reason`. Never sent by a device.
    BookingRefused {
        member: Uuid,
        at_ms: u64,
        reason: Refused,
    },
    /// Written by the server: what another device already did (the same booking cancelled twice,
    /// attendance submitted twice) is not done again.
    ClassChangeRepeated {
        member: Option<Uuid>,
        at_ms: u64,
        change: RepeatedChange,
    },
}

/// What was already done when a device's change came again (stored as the words staff read, so
/// the events of earlier builds, which stored these words as text, still read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RepeatedChange {
    #[serde(rename = "booking cancelled")]
    BookingCancelled,
    #[serde(rename = "left the waitlist")]
    WaitlistLeft,
    #[serde(rename = "attendance marked")]
    AttendanceMarked,
    #[serde(rename = "attendance submitted")]
    AttendanceSubmitted,
    #[serde(rename = "charge waived")]
    ChargeWaived,
    #[serde(rename = "class cancelled")]
    ClassCancelled,
    #[serde(rename = "class rescheduled")]
    ClassRescheduled,
}

impl RepeatedChange {
    /// Every change that can be repeated.
    pub const ALL: [RepeatedChange; 7] = [
        Self::BookingCancelled,
        Self::WaitlistLeft,
        Self::AttendanceMarked,
        Self::AttendanceSubmitted,
        Self::ChargeWaived,
        Self::ClassCancelled,
        Self::ClassRescheduled,
    ];

    /// The words staff read ("booking cancelled"), lower case.
    pub fn words(self) -> &'static str {
        match self {
            Self::BookingCancelled => "booking cancelled",
            Self::WaitlistLeft => "left the waitlist",
            Self::AttendanceMarked => "attendance marked",
            Self::AttendanceSubmitted => "attendance submitted",
            Self::ChargeWaived => "charge waived",
            Self::ClassCancelled => "class cancelled",
            Self::ClassRescheduled => "class rescheduled",
        }
    }

    /// Whether the change is about one member (else about the class as a whole).
    pub fn of_a_member(self) -> bool {
        !matches!(self, Self::AttendanceSubmitted | Self::ClassCancelled | Self::ClassRescheduled)
    }
}

/// A waiting member passed over for a spot, and why they cannot attend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub member: Uuid,
    pub denial: Denial,
}

/// Why a booking does not stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "refused")]
pub enum Refused {
    /// The member cannot attend on the class's day (the server's reading of their memberships).
    Denied {
        denial: Denial,
    },
    ClassCancelled,
    ClassStarted,
    /// Another device booked (or waitlisted) the member first.
    AlreadyBooked,
    /// Staff's promotion found the member no longer waiting, or no spot.
    NotPromoted,
}

impl Refused {
    /// Staff's words.
    pub fn describe(&self) -> String {
        match self {
            Refused::Denied { denial } => format!("cannot attend: {}", denial.describe()),
            Refused::ClassCancelled => "the class was cancelled".into(),
            Refused::ClassStarted => "the class had started".into(),
            Refused::AlreadyBooked => "already booked by another desk".into(),
            Refused::NotPromoted => "no longer waiting, or no spot free".into(),
        }
    }
}

impl ClassEvent {
    /// The member the event is about, if one: every such member must be a member of the club (the
    /// server refuses a device's event naming anyone else, `server::store::recheck`).
    pub fn member(&self) -> Option<Uuid> {
        match self {
            ClassEvent::ClassBooked { member, .. }
            | ClassEvent::ClassWaitlisted { member, .. }
            | ClassEvent::BookingCancelled { member, .. }
            | ClassEvent::WaitlistLeft { member, .. }
            | ClassEvent::WaitlistPromoted { member, .. }
            | ClassEvent::AttendanceMarked { member, .. }
            | ClassEvent::ChargeWaived { member, .. }
            | ClassEvent::BookingRefused { member, .. } => Some(*member),
            ClassEvent::ClassChangeRepeated { member, .. } => *member,
            ClassEvent::ClassScheduled { .. }
            | ClassEvent::ClassRescheduled { .. }
            | ClassEvent::ClassCancelled { .. }
            | ClassEvent::AttendanceSubmitted { .. } => None,
        }
    }
}

/// What a card's visit is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    LateCancel,
    NoShow,
}

impl ChargeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChargeKind::LateCancel => "late cancel",
            ChargeKind::NoShow => "no-show",
        }
    }
}

impl DomainEvent for ClassEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ClassEvent::ClassScheduled { .. } => "ClassScheduled",
            ClassEvent::ClassRescheduled { .. } => "ClassRescheduled",
            ClassEvent::ClassCancelled { .. } => "ClassCancelled",
            ClassEvent::ClassBooked { .. } => "ClassBooked",
            ClassEvent::ClassWaitlisted { .. } => "ClassWaitlisted",
            ClassEvent::BookingCancelled { .. } => "BookingCancelled",
            ClassEvent::WaitlistLeft { .. } => "WaitlistLeft",
            ClassEvent::WaitlistPromoted { .. } => "WaitlistPromoted",
            ClassEvent::AttendanceMarked { .. } => "AttendanceMarked",
            ClassEvent::AttendanceSubmitted { .. } => "AttendanceSubmitted",
            ClassEvent::ChargeWaived { .. } => "ChargeWaived",
            ClassEvent::BookingRefused { .. } => "BookingRefused",
            ClassEvent::ClassChangeRepeated { .. } => "ClassChangeRepeated",
        }
    }

    fn known_types() -> &'static [&'static str] {
        &[
            "ClassScheduled",
            "ClassRescheduled",
            "ClassCancelled",
            "ClassBooked",
            "ClassWaitlisted",
            "BookingCancelled",
            "WaitlistLeft",
            "WaitlistPromoted",
            "AttendanceMarked",
            "AttendanceSubmitted",
            "ChargeWaived",
            "BookingRefused",
            "ClassChangeRepeated",
        ]
    }
}
