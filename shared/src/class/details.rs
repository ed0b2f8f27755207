//! What a class is: title, coach, start, duration, capacity, room, and the cutoffs it keeps.

use super::ClassError;
use crate::{access::StaffId, calendar::Date, text};
use serde::{Deserialize, Serialize};

pub const MAX_TITLE: usize = 80;
pub const MAX_ROOM: usize = 60;
/// The longest class (8 h).
pub const MAX_DURATION_MIN: u32 = 480;
/// The largest class.
pub const MAX_CAPACITY: u32 = 500;

/// A class as scheduled or rescheduled. `start_ms` is ms since the epoch; `day` is its club-local
/// date (the server holds it to the club's zone), what a membership must cover to book it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassDetails {
    pub title: String,
    pub coach: StaffId,
    pub start_ms: u64,
    pub day: Date,
    pub duration_min: u32,
    pub capacity: u32,
    pub room: String,
}

impl ClassDetails {
    /// The details as the domain stores them (texts normalised), or every reason they are wrong.
    pub(super) fn checked(mut self) -> Result<Self, ClassError> {
        self.title = text::normalise(&self.title);
        self.room = text::normalise(&self.room);
        let bad_text = |t: &str, max: usize| t.chars().count() > max || text::first_forbidden(t).is_some();
        if self.title.is_empty() || bad_text(&self.title, MAX_TITLE) {
            return Err(ClassError::Title);
        }
        if bad_text(&self.room, MAX_ROOM) {
            return Err(ClassError::Room);
        }
        if !(5..=MAX_DURATION_MIN).contains(&self.duration_min) {
            return Err(ClassError::Duration);
        }
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            return Err(ClassError::Capacity);
        }
        // As early as any event's time may be (a clock never set, a forgery): a start in 1970 is
        // no class anyone booked.
        if self.start_ms < crate::acceptance::EARLIEST_EVENT_MS {
            return Err(ClassError::Start);
        }
        // The date must be the start's, give or take the club's offset from UTC (the server checks
        // it exactly in the club's zone).
        if Date::utc_of(self.start_ms).days_until(self.day).abs() > 1 {
            return Err(ClassError::WrongDay { day: self.day });
        }
        Ok(self)
    }

    /// When it ends (ms since the epoch).
    pub fn end_ms(&self) -> u64 {
        self.start_ms + self.duration_min as u64 * 60_000
    }
}

/// The club's cutoffs a class keeps from when it was scheduled (a later change of the club's
/// settings applies to classes scheduled after it): automatic promotion from the waitlist stops
/// `waitlist_min` before the start; a booking cancelled within `cancel_min` of the start is a
/// late cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cutoffs {
    pub waitlist_min: u32,
    pub cancel_min: u32,
}

impl Default for Cutoffs {
    fn default() -> Self {
        Self {
            waitlist_min: crate::club::DEFAULT_WAITLIST_CUTOFF_MIN,
            cancel_min: crate::club::DEFAULT_CANCEL_CUTOFF_MIN,
        }
    }
}
