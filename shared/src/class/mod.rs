//! Classes (DOMAIN.md "Classes"): a timetable of classes, each its own stream (`class-<uuid>`)
//! holding its capacity, roster, waitlist and attendance, so one device decides "the last spot is
//! mine" in one step and the server settles two desks' bookings of it by re-deciding them.
//!
//! Rules that span aggregates (a booking needs a valid membership on the class's day; a card's
//! visit is used by attendance, a late cancel or a no-show) are checked on the device from the
//! member's stream, and re-checked by the server at append (`recheck`).

mod aggregate;
mod commands;
mod details;
mod eligibility;
mod events;
pub mod recheck;
#[cfg(test)]
mod tests;

pub use aggregate::{
    Booking, Charge, Class, ClassError, Via, Waiting, ATTENDANCE_OPENS_MS, MAX_CANCEL_CUTOFF_MIN,
    MAX_WAITLIST_CUTOFF_MIN,
};
pub use commands::ClassCommand;
pub use details::{ClassDetails, Cutoffs, MAX_CAPACITY, MAX_DURATION_MIN, MAX_ROOM, MAX_TITLE};
pub use eligibility::{booking_stands, can_attend};
pub use events::{ChargeKind, ClassEvent, Refused, RepeatedChange, Skip};

/// The stream of a class: `class-<class id>`.
pub fn stream(id: uuid::Uuid) -> crate::StreamId {
    crate::StreamId::new(crate::StreamKind::Class, id)
}
