use super::{
    details::{ClassDetails, Cutoffs},
    events::Skip,
};
use uuid::Uuid;

/// What staff ask of a class, decided by [`super::Class`]. Texts are normalised by the decision.
///
/// A booking's membership is the one the device found valid on the class's day
/// ([`super::can_attend`]); `None` needs a manager's `override_reason`. `skipped` lists the
/// waiting members the device found unable to attend, so the spot a change frees goes to the
/// first who can.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassCommand {
    /// Manager. `cutoffs` are the club's settings at that moment.
    ScheduleClass {
        details: ClassDetails,
        cutoffs: Cutoffs,
    },
    /// Manager: new details (a capacity below the members booked is refused). Moved to another
    /// day, `released` lists the booked members the device found unable to attend on it: their
    /// bookings are released (a manager's override booking and a member marked attended stay).
    RescheduleClass {
        details: ClassDetails,
        skipped: Vec<Skip>,
        released: Vec<Skip>,
    },
    /// Manager: cancels the class, for `reason`, releasing every booking.
    CancelClass {
        reason: String,
    },
    /// Books `member`, or puts them on the waitlist when the class is full (unless staff give
    /// `over_capacity`, a reason to book beyond it).
    Book {
        member: Uuid,
        membership: Option<Uuid>,
        override_reason: Option<String>,
        over_capacity: Option<String>,
    },
    /// Cancels `member`'s booking (late inside the cancellation cutoff).
    CancelBooking {
        member: Uuid,
        skipped: Vec<Skip>,
    },
    LeaveWaitlist {
        member: Uuid,
    },
    /// Staff move a waiting member up, whatever the cutoff (beyond the capacity with a reason).
    Promote {
        member: Uuid,
        over_capacity: Option<String>,
    },
    /// Coach (own classes) or front desk.
    MarkAttendance {
        member: Uuid,
        attended: bool,
    },
    /// The booked members not marked as attended become no-shows.
    SubmitAttendance,
    /// Manager: waives a late cancel or a no-show, for `reason`.
    WaiveCharge {
        member: Uuid,
        reason: String,
    },
}
