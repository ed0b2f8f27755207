use super::{
    commands::ClassCommand,
    details::{ClassDetails, Cutoffs},
    events::{ChargeKind, ClassEvent, Refused, RepeatedChange, Skip},
};
use crate::{
    access::Permission,
    aggregate::{Aggregate, EventMeta, Policy, Resolution, Unresolved},
    calendar::Date,
    stream::StreamKind,
    text,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Attendance may be taken from this long before the start (ms).
pub const ATTENDANCE_OPENS_MS: u64 = 60 * 60_000;
/// The longest cutoffs a club may set (minutes).
pub const MAX_WAITLIST_CUTOFF_MIN: u32 = 1_440;
pub const MAX_CANCEL_CUTOFF_MIN: u32 = 2_880;
const MAX_REASON: usize = 200;

/// A class: its details, its roster (bookings, in order), its waitlist (in waitlist-entry order),
/// attendance and the late cancels and no-shows recorded against members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Class {
    pub details: Option<ClassDetails>,
    pub cutoffs: Cutoffs,
    /// Why it was cancelled, once it is (its roster is kept, released).
    pub cancelled: Option<String>,
    pub bookings: Vec<Booking>,
    /// Ascending by (`at_ms`, member): the order spots are offered in.
    pub waitlist: Vec<Waiting>,
    /// Whether attendance was submitted (the no-shows are then recorded).
    pub submitted: bool,
    pub charges: Vec<Charge>,
    /// Bookings that did not stand, and why (kept for staff): each member's latest, in order.
    pub refused: Vec<(Uuid, Refused)>,
}

/// A member with a spot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub member: Uuid,
    /// The membership it was booked on (a card's visit is used by attendance); `None`: overridden.
    pub membership: Option<Uuid>,
    /// When the member asked for a spot (ms since the epoch).
    pub at_ms: u64,
    pub via: Via,
    pub attended: bool,
    pub override_reason: Option<String>,
    pub over_capacity: Option<String>,
}

impl Booking {
    /// When the member got the spot (ms since the epoch): booked, or moved up from the waitlist.
    pub fn held_since(&self) -> u64 {
        match self.via {
            Via::Booked { .. } => self.at_ms,
            Via::Promoted { at_ms, .. } => at_ms,
        }
    }
}

/// How a member got their spot: booked by the event at `version`, or moved up from the waitlist
/// at `at_ms` by the event at `version` (automatically, or by staff).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "via")]
pub enum Via {
    Booked { version: u64 },
    Promoted { version: u64, at_ms: u64, automatic: bool },
}

/// A member on the waitlist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub member: Uuid,
    pub membership: Option<Uuid>,
    /// Their waitlist-entry time (ms since the epoch): the order of promotion.
    pub at_ms: u64,
    /// The event that put them there.
    pub version: u64,
    pub override_reason: Option<String>,
    /// Why they were last passed over for a spot, if they were.
    pub skipped: Option<crate::member::Denial>,
}

/// A late cancel or a no-show recorded against a member: a card's visit is used unless waived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub member: Uuid,
    pub kind: ChargeKind,
    pub membership: Option<Uuid>,
    pub at_ms: u64,
    pub waived: Option<String>,
    /// A late cancel another desk's cancellation of the same booking came before, made in time
    /// at this moment (ms since the epoch): it reached the server second, so it is stored as a
    /// repeat, and a manager decides whether the charge stands (a card's visit is money).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_in_time_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClassError {
    #[error("this class is already scheduled")]
    AlreadyScheduled,
    #[error("no such class")]
    NotScheduled,
    #[error("this class is cancelled")]
    Cancelled,
    #[error("this class has started: it can no longer be booked")]
    Started,
    #[error("this class is over")]
    Over,
    #[error("this class has started: a booking is no longer cancelled, and a member who does not come is a no-show")]
    Underway,
    #[error("this member is marked as attended: take the tick back before cancelling the booking")]
    Attended,
    #[error("attendance was submitted: a booked member who did not come is a no-show, which a manager may waive")]
    Submitted,
    #[error("a title is required, at most {} characters, without invisible characters", super::MAX_TITLE)]
    Title,
    #[error("a room is at most {} characters, without invisible characters", super::MAX_ROOM)]
    Room,
    #[error("a class lasts 5 to {} minutes", super::MAX_DURATION_MIN)]
    Duration,
    #[error("a class holds 1 to {} members", super::MAX_CAPACITY)]
    Capacity,
    #[error("a class cannot start before 2023 (UTC): this start is not a real date")]
    Start,
    #[error("the date {day} is not the day the class starts on")]
    WrongDay { day: Date },
    #[error("the waitlist cutoff is at most {MAX_WAITLIST_CUTOFF_MIN} and the cancellation cutoff at most {MAX_CANCEL_CUTOFF_MIN} minutes")]
    Cutoffs,
    #[error("{booked} members are booked within the capacity (bookings made beyond it with a reason do not count): the capacity cannot go below {booked} until bookings are cancelled; nothing was changed")]
    CapacityBelowBookings { booked: usize },
    #[error("nothing was changed")]
    NothingChanged,
    #[error("this member is already booked")]
    AlreadyBooked,
    #[error("this member is already on the waitlist")]
    AlreadyWaiting,
    #[error("this member is not booked")]
    NotBooked,
    #[error("this member is not on the waitlist")]
    NotWaiting,
    #[error("the class is full: give a reason to book beyond its capacity")]
    Full,
    #[error("no valid membership: a manager may book with a reason")]
    NoMembership,
    #[error("attendance opens an hour before the start")]
    TooEarly,
    #[error("attendance can be submitted once the class has started: until then, members not marked may still come")]
    NotStarted,
    #[error("attendance was already submitted")]
    AlreadySubmitted,
    #[error("this member has no late cancel or no-show to waive")]
    NoCharge,
    #[error("a reason is required, at most {MAX_REASON} characters, without invisible characters")]
    Reason,
}

fn reason(text_in: &str) -> Result<String, ClassError> {
    let r = text::normalise(text_in);
    if r.is_empty() || r.chars().count() > MAX_REASON || text::first_forbidden(&r).is_some() {
        Err(ClassError::Reason)
    } else {
        Ok(r)
    }
}

fn optional_reason(r: &Option<String>) -> Result<Option<String>, ClassError> {
    r.as_deref().map(reason).transpose()
}

impl Class {
    pub fn is_scheduled(&self) -> bool {
        self.details.is_some()
    }

    /// The details; only on a scheduled class.
    fn details(&self) -> Result<&ClassDetails, ClassError> {
        self.details.as_ref().ok_or(ClassError::NotScheduled)
    }

    /// Scheduled and not cancelled.
    fn open(&self) -> Result<&ClassDetails, ClassError> {
        let d = self.details()?;
        if self.cancelled.is_some() {
            return Err(ClassError::Cancelled);
        }
        Ok(d)
    }

    pub fn booking(&self, member: Uuid) -> Option<&Booking> {
        self.bookings.iter().find(|b| b.member == member)
    }

    pub fn waiting(&self, member: Uuid) -> Option<&Waiting> {
        self.waitlist.iter().find(|w| w.member == member)
    }

    /// Spots left (0 when booked beyond the capacity).
    pub fn free(&self) -> usize {
        let capacity = self.details.as_ref().map_or(0, |d| d.capacity as usize);
        capacity.saturating_sub(self.bookings.len())
    }

    /// Free spots held for the waiting members (DOMAIN.md: after the waitlist cutoff "the freed
    /// spot waits for staff"): one per member waiting who was not passed over, so a new booking
    /// does not jump the line; staff give such a spot with `Promote`. Before the cutoff the
    /// waitlist takes freed spots by itself, so only members passed over wait beside a free spot.
    pub fn held(&self) -> usize {
        self.waitlist.iter().filter(|w| w.skipped.is_none()).count()
    }

    /// Bookings made beyond the capacity with a reason.
    pub fn over_capacity(&self) -> usize {
        self.bookings.iter().filter(|b| b.over_capacity.is_some()).count()
    }

    /// Whether a spot freed at `at_ms` goes to the waitlist by itself (before the waitlist cutoff).
    pub fn promotes_at(&self, at_ms: u64) -> bool {
        self.cancelled.is_none()
            && self
                .details
                .as_ref()
                .is_some_and(|d| at_ms.saturating_add(self.cutoffs.waitlist_min as u64 * 60_000) < d.start_ms)
    }

    /// Whether cancelling at `at_ms` is a late cancel (inside the cancellation cutoff).
    pub fn late_at(&self, at_ms: u64) -> bool {
        self.details
            .as_ref()
            .is_some_and(|d| at_ms.saturating_add(self.cutoffs.cancel_min as u64 * 60_000) >= d.start_ms)
    }

    /// The waiting members a spot freed at `at_ms` would go to, in order, passing over `skipped`.
    pub fn next_in_line<'a>(&'a self, skipped: &'a [Skip]) -> impl Iterator<Item = &'a Waiting> + 'a {
        self.waitlist.iter().filter(move |w| !skipped.iter().any(|s| s.member == w.member))
    }

    /// `skipped` as a decision stores it: members waiting now, once each, ordered by id (so the
    /// server's additions keep one form).
    fn skips(&self, skipped: &[Skip]) -> Vec<Skip> {
        let mut out: Vec<Skip> = skipped.iter().filter(|s| self.waiting(s.member).is_some()).copied().collect();
        out.sort_by_key(|s| s.member);
        out.dedup_by_key(|s| s.member);
        out
    }

    /// Whether moving the class to another day may release `member`'s booking: booked, not by a
    /// manager's override (which stands for a membership), and not marked as attended (they came).
    pub fn releasable(&self, member: Uuid) -> bool {
        self.booking(member).is_some_and(|b| b.override_reason.is_none() && !b.attended)
    }

    /// The members a move to another day releases, as `unable` reads them: each `releasable`
    /// booking whose member it finds unable to attend on the new day, with why. The manager's
    /// device asks its projections; the simulation asks its devices (the server's re-check asks
    /// its own reading, `recheck::recheck_event`).
    pub fn released_by_move(&self, mut unable: impl FnMut(Uuid) -> Option<crate::member::Denial>) -> Vec<Skip> {
        self.bookings
            .iter()
            .filter(|b| self.releasable(b.member))
            .filter_map(|b| unable(b.member).map(|denial| Skip { member: b.member, denial }))
            .collect()
    }

    /// `released` as a decision stores it: members `releasable` now, once each, ordered by id.
    fn releases(&self, released: &[Skip]) -> Vec<Skip> {
        let mut out: Vec<Skip> = released.iter().filter(|s| self.releasable(s.member)).copied().collect();
        out.sort_by_key(|s| s.member);
        out.dedup_by_key(|s| s.member);
        out
    }

    fn decide_one(&self, command: ClassCommand, now_ms: u64) -> Result<ClassEvent, ClassError> {
        use ClassCommand as C;
        use ClassEvent as E;
        Ok(match command {
            C::ScheduleClass { details, cutoffs } => {
                if self.is_scheduled() {
                    return Err(ClassError::AlreadyScheduled);
                }
                if cutoffs.waitlist_min > MAX_WAITLIST_CUTOFF_MIN || cutoffs.cancel_min > MAX_CANCEL_CUTOFF_MIN {
                    return Err(ClassError::Cutoffs);
                }
                E::ClassScheduled { details: details.checked()?, cutoffs }
            }
            C::RescheduleClass { details, skipped, released } => {
                let current = self.open()?;
                if now_ms >= current.end_ms() {
                    return Err(ClassError::Over);
                }
                let details = details.checked()?;
                let released = if details.day == current.day { vec![] } else { self.releases(&released) };
                // The capacity must hold every booking that stays and was made within it: a
                // booking made beyond it with a reason stays beyond it, one released frees nothing.
                let within = self
                    .bookings
                    .iter()
                    .filter(|b| b.over_capacity.is_none() && !released.iter().any(|r| r.member == b.member))
                    .count();
                if (details.capacity as usize) < within {
                    return Err(ClassError::CapacityBelowBookings { booked: within });
                }
                if details == *current {
                    return Err(ClassError::NothingChanged);
                }
                E::ClassRescheduled { details, at_ms: now_ms, skipped: self.skips(&skipped), released }
            }
            C::CancelClass { reason: why } => {
                let d = self.open()?;
                if now_ms >= d.end_ms() {
                    return Err(ClassError::Over);
                }
                E::ClassCancelled { reason: reason(&why)?, at_ms: now_ms }
            }
            C::Book { member, membership, override_reason, over_capacity } => {
                let d = self.open()?;
                if now_ms >= d.start_ms {
                    return Err(ClassError::Started);
                }
                if self.booking(member).is_some() {
                    return Err(ClassError::AlreadyBooked);
                }
                if self.waiting(member).is_some() {
                    return Err(ClassError::AlreadyWaiting);
                }
                let override_reason = optional_reason(&override_reason)?;
                if membership.is_none() && override_reason.is_none() {
                    return Err(ClassError::NoMembership);
                }
                let over_capacity = optional_reason(&over_capacity)?;
                if self.free() > self.held() {
                    E::ClassBooked { member, membership, at_ms: now_ms, override_reason, over_capacity: None }
                } else if over_capacity.is_some() {
                    E::ClassBooked { member, membership, at_ms: now_ms, override_reason, over_capacity }
                } else {
                    E::ClassWaitlisted { member, membership, at_ms: now_ms, override_reason }
                }
            }
            C::CancelBooking { member, skipped } => {
                let d = self.open()?;
                if now_ms >= d.end_ms() {
                    return Err(ClassError::Over);
                }
                // From the start, a member who does not come is a no-show, not a late cancel; and
                // one marked as there came: cancelling would make the visit their attendance used
                // a late cancel's, which a manager's waiver gives back.
                if now_ms >= d.start_ms {
                    return Err(ClassError::Underway);
                }
                // The register is taken: a cancellation that reaches it after (an offline desk's,
                // or one dated back) would make a no-show a second charge, or none.
                if self.submitted {
                    return Err(ClassError::Submitted);
                }
                let Some(booking) = self.booking(member) else { return Err(ClassError::NotBooked) };
                if booking.attended {
                    return Err(ClassError::Attended);
                }
                // Judged no earlier than the member got the spot: a cancellation dated before it (a
                // clock set back, a forged time) cannot fall before the cutoff the booking came after.
                let late = self.late_at(now_ms.max(booking.held_since()));
                E::BookingCancelled { member, at_ms: now_ms, late, skipped: self.skips(&skipped) }
            }
            C::LeaveWaitlist { member } => {
                self.open()?;
                if self.waiting(member).is_none() {
                    return Err(ClassError::NotWaiting);
                }
                E::WaitlistLeft { member, at_ms: now_ms }
            }
            C::Promote { member, over_capacity } => {
                let d = self.open()?;
                if now_ms >= d.end_ms() {
                    return Err(ClassError::Over);
                }
                if self.waiting(member).is_none() {
                    return Err(ClassError::NotWaiting);
                }
                let over_capacity = optional_reason(&over_capacity)?;
                if self.free() > 0 {
                    E::WaitlistPromoted { member, at_ms: now_ms, over_capacity: None }
                } else if over_capacity.is_some() {
                    E::WaitlistPromoted { member, at_ms: now_ms, over_capacity }
                } else {
                    return Err(ClassError::Full);
                }
            }
            C::MarkAttendance { member, attended } => {
                let d = self.open()?;
                if now_ms.saturating_add(ATTENDANCE_OPENS_MS) < d.start_ms {
                    return Err(ClassError::TooEarly);
                }
                let Some(b) = self.booking(member) else { return Err(ClassError::NotBooked) };
                if b.attended == attended {
                    return Err(ClassError::NothingChanged);
                }
                E::AttendanceMarked { member, attended, at_ms: now_ms }
            }
            C::SubmitAttendance => {
                let d = self.open()?;
                if now_ms.saturating_add(ATTENDANCE_OPENS_MS) < d.start_ms {
                    return Err(ClassError::TooEarly);
                }
                // Submitting records the members not marked as no-shows (a card's visit each).
                if now_ms < d.start_ms {
                    return Err(ClassError::NotStarted);
                }
                if self.submitted {
                    return Err(ClassError::AlreadySubmitted);
                }
                let no_shows = self.bookings.iter().filter(|b| !b.attended).map(|b| b.member).collect();
                E::AttendanceSubmitted { at_ms: now_ms, no_shows }
            }
            C::WaiveCharge { member, reason: why } => {
                self.details()?;
                if !self.charges.iter().any(|c| c.member == member && c.waived.is_none()) {
                    return Err(ClassError::NoCharge);
                }
                E::ChargeWaived { member, reason: reason(&why)?, at_ms: now_ms }
            }
        })
    }

    /// Gives free spots to the waiting members in order, passing over `skipped`, when a spot is
    /// freed at `at_ms` by the event at `version` before the waitlist cutoff.
    fn promote(&mut self, at_ms: u64, version: u64, skipped: &[Skip]) {
        for s in skipped {
            if let Some(w) = self.waitlist.iter_mut().find(|w| w.member == s.member) {
                w.skipped = Some(s.denial);
            }
        }
        if !self.promotes_at(at_ms) {
            return;
        }
        while self.free() > 0 {
            let Some(i) = self.waitlist.iter().position(|w| !skipped.iter().any(|s| s.member == w.member)) else {
                break;
            };
            let w = self.waitlist.remove(i);
            self.bookings.push(Booking {
                member: w.member,
                membership: w.membership,
                at_ms: w.at_ms,
                via: Via::Promoted { version, at_ms, automatic: true },
                attended: false,
                override_reason: w.override_reason,
                over_capacity: None,
            });
        }
    }

    /// Records a charge unless that fact is on record already. A class has one no-show per member,
    /// waived or not: attendance marked and unmarked after a manager's waiver cannot charge it
    /// again. A waived late cancel does not cover the next one (a member who books again after it,
    /// and cancels late again, owes it).
    fn charge(&mut self, member: Uuid, kind: ChargeKind, membership: Option<Uuid>, at_ms: u64) {
        let on_record =
            |c: &Charge| c.member == member && c.kind == kind && (kind == ChargeKind::NoShow || c.waived.is_none());
        if !self.charges.iter().any(on_record) {
            self.charges.push(Charge { member, kind, membership, at_ms, waived: None, cancelled_in_time_ms: None });
        }
    }

    /// What records `event` when re-deciding it on a newer state fails with `error`: a booking
    /// that cannot stand is refused with the reason; what another device already did is repeated.
    fn compensate_one(&self, event: &ClassEvent, error: &ClassError) -> Option<ClassEvent> {
        use ClassEvent as E;
        let refused = |member: Uuid, at_ms: u64, reason: Refused| Some(E::BookingRefused { member, at_ms, reason });
        let repeated = |member: Option<Uuid>, at_ms: u64, change: RepeatedChange| {
            Some(E::ClassChangeRepeated { member, at_ms, change })
        };
        match (event, error) {
            (
                E::ClassBooked { member, at_ms, .. } | E::ClassWaitlisted { member, at_ms, .. },
                ClassError::Cancelled,
            ) => refused(*member, *at_ms, Refused::ClassCancelled),
            (E::ClassBooked { member, at_ms, .. } | E::ClassWaitlisted { member, at_ms, .. }, ClassError::Started) => {
                refused(*member, *at_ms, Refused::ClassStarted)
            }
            (
                E::ClassBooked { member, at_ms, .. } | E::ClassWaitlisted { member, at_ms, .. },
                ClassError::AlreadyBooked | ClassError::AlreadyWaiting,
            ) => refused(*member, *at_ms, Refused::AlreadyBooked),
            (
                E::WaitlistPromoted { member, at_ms, .. },
                ClassError::NotWaiting | ClassError::Full | ClassError::Cancelled | ClassError::Over,
            ) => refused(*member, *at_ms, Refused::NotPromoted),
            (E::BookingCancelled { member, at_ms, .. }, ClassError::NotBooked | ClassError::Cancelled) => {
                repeated(Some(*member), *at_ms, RepeatedChange::BookingCancelled)
            }
            (E::WaitlistLeft { member, at_ms }, ClassError::NotWaiting | ClassError::Cancelled)
                if self.booking(*member).is_none() =>
            {
                repeated(Some(*member), *at_ms, RepeatedChange::WaitlistLeft)
            }
            (E::AttendanceMarked { member, at_ms, .. }, ClassError::NothingChanged) => {
                repeated(Some(*member), *at_ms, RepeatedChange::AttendanceMarked)
            }
            // Attendance taken of a booking that did not stand (refused, or a promotion that went to
            // the next in line): it does not stand either, for the same reason, and staff are told.
            (E::AttendanceMarked { member, at_ms, .. }, ClassError::NotBooked) => {
                refused(*member, *at_ms, self.why_not_booked(*member)?)
            }
            (E::AttendanceSubmitted { at_ms, .. }, ClassError::AlreadySubmitted) => {
                repeated(None, *at_ms, RepeatedChange::AttendanceSubmitted)
            }
            (E::ChargeWaived { member, at_ms, .. }, ClassError::NoCharge) => {
                repeated(Some(*member), *at_ms, RepeatedChange::ChargeWaived)
            }
            (E::ClassCancelled { at_ms, .. }, ClassError::Cancelled) => {
                repeated(None, *at_ms, RepeatedChange::ClassCancelled)
            }
            // Two managers moved the class to the same details: done once.
            (E::ClassRescheduled { at_ms, .. }, ClassError::NothingChanged) => {
                repeated(None, *at_ms, RepeatedChange::ClassRescheduled)
            }
            _ => None,
        }
    }

    /// Why `member` is not booked, when the class knows: passed over for a spot (still waiting), or
    /// their booking refused.
    fn why_not_booked(&self, member: Uuid) -> Option<Refused> {
        let skipped = self.waiting(member).and_then(|w| w.skipped).map(|denial| Refused::Denied { denial });
        skipped.or_else(|| self.refused.iter().rev().find(|(m, _)| *m == member).map(|(_, r)| *r))
    }

    /// The member and the time an event is about, for matching a resolution with what was sent.
    fn member_and_time(event: &ClassEvent) -> Option<(Option<Uuid>, u64)> {
        use ClassEvent as E;
        let at_ms = match event {
            E::ClassBooked { at_ms, .. }
            | E::ClassWaitlisted { at_ms, .. }
            | E::BookingCancelled { at_ms, .. }
            | E::WaitlistLeft { at_ms, .. }
            | E::WaitlistPromoted { at_ms, .. }
            | E::AttendanceMarked { at_ms, .. }
            | E::ChargeWaived { at_ms, .. }
            | E::BookingRefused { at_ms, .. }
            | E::ClassChangeRepeated { at_ms, .. }
            | E::AttendanceSubmitted { at_ms, .. }
            | E::ClassCancelled { at_ms, .. }
            | E::ClassRescheduled { at_ms, .. } => *at_ms,
            E::ClassScheduled { .. } => return None,
        };
        Some((event.member(), at_ms))
    }
}

impl Aggregate for Class {
    const KIND: StreamKind = StreamKind::Class;
    type Command = ClassCommand;
    type Event = ClassEvent;
    type Error = ClassError;

    /// Every class decision is one event.
    fn decide(&self, command: ClassCommand, now_ms: u64) -> Result<Vec<ClassEvent>, ClassError> {
        self.decide_one(command, now_ms).map(|e| vec![e])
    }

    fn permission(command: &ClassCommand) -> Permission {
        use ClassCommand as C;
        match command {
            C::ScheduleClass { .. } | C::RescheduleClass { .. } | C::CancelClass { .. } => Permission::Timetable,
            C::Book { override_reason: Some(_), .. } | C::WaiveCharge { .. } => Permission::Override,
            C::Book { .. } | C::CancelBooking { .. } | C::LeaveWaitlist { .. } | C::Promote { .. } => {
                Permission::Bookings
            }
            C::MarkAttendance { .. } | C::SubmitAttendance => Permission::Attendance,
        }
    }

    fn evolve(&mut self, event: &ClassEvent, meta: &EventMeta<'_>) {
        use ClassEvent as E;
        let version = meta.version;
        match event {
            E::ClassScheduled { details, cutoffs } => {
                self.details = Some(details.clone());
                self.cutoffs = *cutoffs;
            }
            E::ClassRescheduled { details, at_ms, skipped, released } => {
                self.details = Some(details.clone());
                // Released bookings are kept as refusals: the member's page says why they lost it.
                for r in released {
                    if let Some(i) = self.bookings.iter().position(|b| b.member == r.member) {
                        self.bookings.remove(i);
                        self.refused.retain(|(m, _)| *m != r.member);
                        self.refused.push((r.member, Refused::Denied { denial: r.denial }));
                    }
                }
                self.promote(*at_ms, version, skipped);
            }
            E::ClassCancelled { reason, .. } => self.cancelled = Some(reason.clone()),
            E::ClassBooked { member, membership, at_ms, override_reason, over_capacity } => {
                self.bookings.push(Booking {
                    member: *member,
                    membership: *membership,
                    at_ms: *at_ms,
                    via: Via::Booked { version },
                    attended: false,
                    override_reason: override_reason.clone(),
                    over_capacity: over_capacity.clone(),
                });
            }
            E::ClassWaitlisted { member, membership, at_ms, override_reason } => {
                let w = Waiting {
                    member: *member,
                    membership: *membership,
                    at_ms: *at_ms,
                    version,
                    override_reason: override_reason.clone(),
                    skipped: None,
                };
                let at = self.waitlist.partition_point(|o| (o.at_ms, o.member) < (w.at_ms, w.member));
                self.waitlist.insert(at, w);
            }
            E::BookingCancelled { member, at_ms, late, skipped } => {
                if let Some(i) = self.bookings.iter().position(|b| b.member == *member) {
                    let b = self.bookings.remove(i);
                    if *late {
                        self.charge(*member, ChargeKind::LateCancel, b.membership, *at_ms);
                    }
                }
                self.promote(*at_ms, version, skipped);
            }
            E::WaitlistLeft { member, .. } => self.waitlist.retain(|w| w.member != *member),
            E::WaitlistPromoted { member, at_ms, over_capacity } => {
                if let Some(i) = self.waitlist.iter().position(|w| w.member == *member) {
                    let w = self.waitlist.remove(i);
                    self.bookings.push(Booking {
                        member: w.member,
                        membership: w.membership,
                        at_ms: w.at_ms,
                        via: Via::Promoted { version, at_ms: *at_ms, automatic: false },
                        attended: false,
                        override_reason: w.override_reason,
                        over_capacity: over_capacity.clone(),
                    });
                }
            }
            E::AttendanceMarked { member, attended, at_ms } => {
                let mut membership = None;
                if let Some(b) = self.bookings.iter_mut().find(|b| b.member == *member) {
                    b.attended = *attended;
                    membership = b.membership;
                }
                // Marked as there after all: the open no-show goes. A waived one stays on record, so
                // unmarking again cannot bring back a charge a manager waived (`charge`).
                if *attended {
                    self.charges
                        .retain(|c| !(c.member == *member && c.kind == ChargeKind::NoShow && c.waived.is_none()));
                } else if self.submitted {
                    self.charge(*member, ChargeKind::NoShow, membership, *at_ms);
                }
            }
            E::AttendanceSubmitted { at_ms, no_shows } => {
                self.submitted = true;
                for m in no_shows {
                    let membership = self.booking(*m).and_then(|b| b.membership);
                    self.charge(*m, ChargeKind::NoShow, membership, *at_ms);
                }
            }
            E::ChargeWaived { member, reason, .. } => {
                for c in self.charges.iter_mut().filter(|c| c.member == *member && c.waived.is_none()) {
                    c.waived = Some(reason.clone());
                }
            }
            // The latest refusal per member: what staff need, and a class's record stays bounded by
            // the club's members however many refusals a client sends.
            E::BookingRefused { member, reason, .. } => {
                self.refused.retain(|(m, _)| m != member);
                self.refused.push((*member, *reason));
            }
            // A cancellation made in time, but stored after another desk's late cancel of the same
            // booking: the late cancel's charge is flagged for a manager.
            E::ClassChangeRepeated { member: Some(member), at_ms, change: RepeatedChange::BookingCancelled } => {
                if !self.late_at(*at_ms) {
                    for c in self.charges.iter_mut().filter(|c| {
                        c.member == *member
                            && c.kind == ChargeKind::LateCancel
                            && c.waived.is_none()
                            && c.at_ms > *at_ms
                    }) {
                        c.cancelled_in_time_ms = Some(c.cancelled_in_time_ms.map_or(*at_ms, |t| t.min(*at_ms)));
                    }
                }
            }
            E::ClassChangeRepeated { .. } => {}
        }
    }

    /// A class is created by its schedule (two schedules of one id cannot meet); everything else
    /// is re-decided on the newer state: a booking that no longer fits goes to the waitlist, one
    /// that cannot stand is refused with the reason, a repeat of what another device did is
    /// recorded as repeated.
    fn policy(event: &ClassEvent) -> Policy {
        match event {
            ClassEvent::ClassScheduled { .. } => Policy::Reject,
            _ => Policy::Merge,
        }
    }

    fn merge(
        &self,
        event: &ClassEvent,
        meta: &EventMeta<'_>,
        _parent: u64,
    ) -> Result<Resolution<ClassEvent>, Unresolved<ClassError>> {
        let Some((command, at_ms)) = Self::command_of(event) else {
            return if self.admits(event, meta) { Ok(Resolution::Keep) } else { Err(Unresolved::Conflict) };
        };
        match self.decide_one(command, at_ms) {
            Ok(decided) if decided == *event => Ok(Resolution::Keep),
            Ok(decided) => Ok(Resolution::Replace(decided)),
            Err(e) => match self.compensate_one(event, &e) {
                Some(c) => Ok(Resolution::Replace(c)),
                None => Err(Unresolved::Broken(e)),
            },
        }
    }

    fn compensate(&self, decision: &[ClassEvent], error: &ClassError) -> Option<Vec<ClassEvent>> {
        self.compensate_one(decision.first()?, error).map(|c| vec![c])
    }

    /// The server's resolutions, on a scheduled class (an export imports again).
    /// Each only where `compensate_one` (or the server's re-check) could have written it on this
    /// state: a refusal of a member holding a spot only as "already booked", a repeat only of what
    /// is already so. A forged resolution cannot then stand for a change that did not happen.
    fn admits(&self, event: &ClassEvent, _meta: &EventMeta<'_>) -> bool {
        use RepeatedChange as R;
        if !self.is_scheduled() {
            return false;
        }
        let booked = |m: &Uuid| self.booking(*m).is_some();
        let waiting = |m: &Uuid| self.waiting(*m).is_some();
        match event {
            // A booking re-decided on a cancelled class, or after its start, fails before its member
            // is looked at (a cancelled class keeps its roster): those say nothing of the member.
            ClassEvent::BookingRefused { member, reason, .. } => match reason {
                Refused::AlreadyBooked => booked(member) || waiting(member),
                Refused::Denied { .. } => !booked(member),
                Refused::ClassCancelled => self.cancelled.is_some(),
                // Never of a member the class holds a spot for: their booking stood.
                Refused::ClassStarted | Refused::NotPromoted => !booked(member),
            },
            ClassEvent::ClassChangeRepeated { member, change, .. } => {
                let cancelled = self.cancelled.is_some();
                match (member, change) {
                    (Some(m), R::BookingCancelled) => !booked(m) || cancelled,
                    (Some(m), R::WaitlistLeft) => cancelled || (!booked(m) && !waiting(m)),
                    (Some(m), R::AttendanceMarked) => booked(m),
                    // Nothing left to waive (waived already, or the charge went with attendance).
                    (Some(m), R::ChargeWaived) => !self.charges.iter().any(|c| c.member == *m && c.waived.is_none()),
                    (None, R::AttendanceSubmitted) => self.submitted,
                    (None, R::ClassCancelled) => cancelled,
                    (None, R::ClassRescheduled) => true,
                    _ => false,
                }
            }
            _ => false,
        }
    }

    fn undone(stored: &ClassEvent) -> bool {
        matches!(stored, ClassEvent::BookingRefused { .. } | ClassEvent::ClassWaitlisted { .. })
    }

    /// Besides what did not take effect: a move whose bookings released the server changed (a
    /// member the manager's device thought could attend on the new day cannot, or the other way
    /// round), so the manager hears who lost their spot after all.
    fn told(sent: &ClassEvent, stored: &ClassEvent) -> bool {
        use ClassEvent as E;
        match (sent, stored) {
            (E::ClassRescheduled { released: mine, .. }, E::ClassRescheduled { released, .. }) => {
                let members = |r: &[Skip]| {
                    let mut m: Vec<Uuid> = r.iter().map(|s| s.member).collect();
                    m.sort();
                    m
                };
                members(mine) != members(released)
            }
            _ => Self::undone_as_another(sent, stored),
        }
    }

    /// Only the forms the server writes of `sent`: its command re-decided (a booking moved to the
    /// waitlist, a cancellation with other members skipped), a refusal of what gave a spot, or a
    /// repeat of the same change. Another body under the same id (a reason added, another type)
    /// is no retry: the push reuses an id.
    fn resolves(stored: &ClassEvent, sent: &ClassEvent) -> bool {
        use ClassEvent as E;
        if stored == sent
            || Self::member_and_time(stored).is_none()
            || Self::member_and_time(stored) != Self::member_and_time(sent)
        {
            return false;
        }
        match (Self::command_of(stored), Self::command_of(sent)) {
            (Some((again, _)), Some((sent, _))) => decided_again(again, sent),
            (None, Some(_)) => match stored {
                E::BookingRefused { .. } => matches!(
                    sent,
                    E::ClassBooked { .. }
                        | E::ClassWaitlisted { .. }
                        | E::WaitlistPromoted { .. }
                        | E::AttendanceMarked { .. }
                ),
                E::ClassChangeRepeated { change, .. } => repeated_change(sent) == Some(*change),
                _ => false,
            },
            _ => false,
        }
    }

    fn resolution_permission(event: &ClassEvent) -> Option<Permission> {
        match event {
            // A repeated attendance mark or submission stands for one (a coach's device offers it back).
            ClassEvent::ClassChangeRepeated {
                change: RepeatedChange::AttendanceMarked | RepeatedChange::AttendanceSubmitted,
                ..
            } => Some(Permission::Attendance),
            // A repeated move or cancellation of the class stands for the manager's change it repeats.
            ClassEvent::ClassChangeRepeated {
                change: RepeatedChange::ClassRescheduled | RepeatedChange::ClassCancelled,
                ..
            } => Some(Permission::Timetable),
            ClassEvent::BookingRefused { .. } | ClassEvent::ClassChangeRepeated { .. } => Some(Permission::Bookings),
            _ => None,
        }
    }

    fn command_of(event: &ClassEvent) -> Option<(ClassCommand, u64)> {
        use ClassCommand as C;
        use ClassEvent as E;
        Some(match event.clone() {
            E::ClassScheduled { details, cutoffs } => (C::ScheduleClass { details, cutoffs }, 0),
            E::ClassRescheduled { details, at_ms, skipped, released } => {
                (C::RescheduleClass { details, skipped, released }, at_ms)
            }
            E::ClassCancelled { reason, at_ms } => (C::CancelClass { reason }, at_ms),
            E::ClassBooked { member, membership, at_ms, override_reason, over_capacity } => {
                (C::Book { member, membership, override_reason, over_capacity }, at_ms)
            }
            E::ClassWaitlisted { member, membership, at_ms, override_reason } => {
                (C::Book { member, membership, override_reason, over_capacity: None }, at_ms)
            }
            E::BookingCancelled { member, at_ms, skipped, .. } => (C::CancelBooking { member, skipped }, at_ms),
            E::WaitlistLeft { member, at_ms } => (C::LeaveWaitlist { member }, at_ms),
            E::WaitlistPromoted { member, at_ms, over_capacity } => (C::Promote { member, over_capacity }, at_ms),
            E::AttendanceMarked { member, attended, at_ms } => (C::MarkAttendance { member, attended }, at_ms),
            E::AttendanceSubmitted { at_ms, .. } => (C::SubmitAttendance, at_ms),
            E::ChargeWaived { member, reason, at_ms } => (C::WaiveCharge { member, reason }, at_ms),
            E::BookingRefused { .. } | E::ClassChangeRepeated { .. } => return None,
        })
    }

    fn decided_at_ms(event: &ClassEvent) -> Option<u64> {
        Self::member_and_time(event).map(|(_, at_ms)| at_ms).filter(|at_ms| *at_ms > 0)
    }
}

/// Whether `again` (a command as the server decided it anew) is `sent` decided on a newer class:
/// the same but for the members it says were skipped or released (the server's re-check may add or
/// take out some) and a
/// reason `sent` gave to go beyond the capacity that a spot freed meanwhile made needless (never
/// a reason `sent` did not give).
fn decided_again(again: ClassCommand, sent: ClassCommand) -> bool {
    use ClassCommand as C;
    let over = |c: &C| match c {
        C::Book { over_capacity, .. } | C::Promote { over_capacity, .. } => over_capacity.clone(),
        _ => None,
    };
    let needless = over(&again).is_none();
    let plain = |c: C| match c {
        C::CancelBooking { member, .. } => C::CancelBooking { member, skipped: vec![] },
        C::RescheduleClass { details, .. } => C::RescheduleClass { details, skipped: vec![], released: vec![] },
        C::Book { member, membership, override_reason, over_capacity } => {
            C::Book { member, membership, override_reason, over_capacity: over_capacity.filter(|_| !needless) }
        }
        C::Promote { member, over_capacity } => {
            C::Promote { member, over_capacity: over_capacity.filter(|_| !needless) }
        }
        other => other,
    };
    plain(again) == plain(sent)
}

/// The change a repeat of `event` records, for the events that can be repeated.
fn repeated_change(event: &ClassEvent) -> Option<RepeatedChange> {
    use ClassEvent as E;
    use RepeatedChange as R;
    Some(match event {
        E::BookingCancelled { .. } => R::BookingCancelled,
        E::WaitlistLeft { .. } => R::WaitlistLeft,
        E::AttendanceMarked { .. } => R::AttendanceMarked,
        E::AttendanceSubmitted { .. } => R::AttendanceSubmitted,
        E::ChargeWaived { .. } => R::ChargeWaived,
        E::ClassCancelled { .. } => R::ClassCancelled,
        E::ClassRescheduled { .. } => R::ClassRescheduled,
        _ => return None,
    })
}

/// The classes table: one row per class, its state (the timetable reads it by start).
impl crate::projection::Projected for Class {
    const STREAMS: &'static str = "classes";
    const TABLES: &'static [crate::projection::Table] = &[];

    fn rows(_envelope: &crate::EventEnvelope, _event: &ClassEvent) -> Vec<crate::projection::Row> {
        vec![]
    }

    fn listed(&self) -> bool {
        self.is_scheduled()
    }

    fn title(&self) -> String {
        self.details.as_ref().map(|d| d.title.clone()).unwrap_or_default()
    }
}
