//! DOMAIN.md "Classes", rule by rule, as given / when / then. How two devices' class events meet
//! is in `conflicts`, the server's re-check in `recheck`, the invariants over random histories in
//! `properties`.

mod conflicts;
mod eligibility;
mod properties;
mod recheck;

use super::*;
use crate::{
    access::{Permission, Role},
    aggregate::Aggregate,
    calendar::Date,
    member::Denial,
    testing::{
        classes::{
            after, before, book, booked, booked_beyond, booking_cancelled, cancel_booking, details, member, scheduled,
            start, waitlisted, with, COACH,
        },
        given,
        members::{monday, CARD, MIN, MONTHLY},
    },
};

fn class(events: &[ClassEvent]) -> Class {
    Class::from_events(events)
}

/// The members booked, in roster order.
fn roster(class: &Class) -> Vec<uuid::Uuid> {
    class.bookings.iter().map(|b| b.member).collect()
}

/// The members waiting, in the order spots are offered.
fn waiting(class: &Class) -> Vec<uuid::Uuid> {
    class.waitlist.iter().map(|w| w.member).collect()
}

fn skip(n: u128, denial: Denial) -> Skip {
    Skip { member: member(n), denial }
}

/// A day before the class: far outside both cutoffs.
fn day_before() -> u64 {
    before(24 * 60)
}

// --- Scheduling ----------------------------------------------------------------------------

#[test]
fn a_class_is_scheduled_with_its_details_and_the_clubs_cutoffs_its_texts_normalised() {
    let untidy = ClassDetails { title: "  Evening   spin ".into(), room: " Studio  1".into(), ..details(12) };
    given::<Class>(vec![])
        .when(ClassCommand::ScheduleClass { details: untidy, cutoffs: Cutoffs::default() })
        .then_expect(vec![scheduled(12)]);
    let c = class(&[scheduled(12)]);
    assert_eq!(c.free(), 12);
    assert_eq!((c.details, c.cutoffs), (Some(details(12)), Cutoffs { waitlist_min: 120, cancel_min: 720 }));
}

#[test]
fn a_class_needs_a_title_a_duration_of_5_min_to_8_h_and_a_capacity_of_1_to_500() {
    let schedule = |d: ClassDetails| ClassCommand::ScheduleClass { details: d, cutoffs: Cutoffs::default() };
    for (wrong, error) in [
        (ClassDetails { title: "   ".into(), ..details(12) }, ClassError::Title),
        (ClassDetails { title: "x".repeat(MAX_TITLE + 1), ..details(12) }, ClassError::Title),
        (ClassDetails { title: "Spin\u{200b}".into(), ..details(12) }, ClassError::Title),
        (ClassDetails { room: "r".repeat(MAX_ROOM + 1), ..details(12) }, ClassError::Room),
        (ClassDetails { duration_min: 4, ..details(12) }, ClassError::Duration),
        (ClassDetails { duration_min: MAX_DURATION_MIN + 1, ..details(12) }, ClassError::Duration),
        (ClassDetails { capacity: 0, ..details(12) }, ClassError::Capacity),
        (ClassDetails { capacity: MAX_CAPACITY + 1, ..details(12) }, ClassError::Capacity),
    ] {
        given::<Class>(vec![]).when(schedule(wrong)).then_expect_error(error);
    }
    // A room is optional; the bounds themselves are allowed.
    let edge = ClassDetails { room: String::new(), duration_min: 5, capacity: MAX_CAPACITY, ..details(12) };
    given::<Class>(vec![])
        .when(schedule(edge.clone()))
        .then_expect(vec![ClassEvent::ClassScheduled { details: edge, cutoffs: Cutoffs::default() }]);
}

#[test]
fn a_class_dated_on_another_day_than_its_start_is_refused() {
    let two_days_off = ClassDetails { day: monday().add_days(2), ..details(12) };
    given::<Class>(vec![])
        .when(ClassCommand::ScheduleClass { details: two_days_off, cutoffs: Cutoffs::default() })
        .then_expect_error(ClassError::WrongDay { day: monday().add_days(2) });
}

#[test]
fn a_class_starting_before_2023_is_no_real_date_and_is_refused() {
    let in_1970 = ClassDetails { start_ms: 1_000, day: Date::utc_of(1_000), ..details(12) };
    given::<Class>(vec![])
        .when(ClassCommand::ScheduleClass { details: in_1970, cutoffs: Cutoffs::default() })
        .then_expect_error(ClassError::Start);
}

#[test]
fn cutoffs_beyond_a_day_for_the_waitlist_or_two_for_cancelling_are_refused() {
    for cutoffs in [
        Cutoffs { waitlist_min: MAX_WAITLIST_CUTOFF_MIN + 1, cancel_min: 720 },
        Cutoffs { waitlist_min: 120, cancel_min: MAX_CANCEL_CUTOFF_MIN + 1 },
    ] {
        given::<Class>(vec![])
            .when(ClassCommand::ScheduleClass { details: details(12), cutoffs })
            .then_expect_error(ClassError::Cutoffs);
    }
}

#[test]
fn a_class_is_scheduled_once_and_nothing_else_happens_to_a_class_never_scheduled() {
    given::<Class>(vec![scheduled(12)])
        .when(ClassCommand::ScheduleClass { details: details(12), cutoffs: Cutoffs::default() })
        .then_expect_error(ClassError::AlreadyScheduled);
    for command in [
        book(member(1)),
        cancel_booking(member(1)),
        ClassCommand::CancelClass { reason: "coach ill".into() },
        ClassCommand::RescheduleClass { details: details(12), skipped: vec![], released: vec![] },
        ClassCommand::SubmitAttendance,
        ClassCommand::WaiveCharge { member: member(1), reason: "x".into() },
    ] {
        given::<Class>(vec![]).when_at(command, day_before()).then_expect_error(ClassError::NotScheduled);
    }
}

// --- Rescheduling --------------------------------------------------------------------------

#[test]
fn rescheduling_to_a_capacity_below_the_members_booked_is_refused() {
    let reschedule =
        |capacity| ClassCommand::RescheduleClass { details: details(capacity), skipped: vec![], released: vec![] };
    given::<Class>(with(3, 3, 0))
        .when_at(reschedule(2), day_before())
        .then_expect_error(ClassError::CapacityBelowBookings { booked: 3 });
    given::<Class>(with(4, 3, 0)).when_at(reschedule(3), day_before()).then_expect(vec![
        ClassEvent::ClassRescheduled { details: details(3), at_ms: day_before(), skipped: vec![], released: vec![] },
    ]);
}

#[test]
fn a_booking_beyond_the_capacity_with_a_reason_does_not_hold_a_reschedule_back() {
    let mut events = with(2, 2, 0);
    events.push(ClassEvent::ClassBooked {
        member: member(3),
        membership: Some(MONTHLY),
        at_ms: day_before() + 10 * MIN,
        override_reason: None,
        over_capacity: Some("regular, brings her own bike".into()),
    });
    let to_two = ClassCommand::RescheduleClass {
        details: ClassDetails { room: "Studio 2".into(), ..details(2) },
        skipped: vec![],
        released: vec![],
    };
    assert!(class(&events).decide(to_two, day_before() + 20 * MIN).is_ok(), "two booked within, one beyond");
}

#[test]
fn rescheduling_to_more_capacity_moves_the_waiting_members_up_in_order() {
    let at = day_before() + 60 * MIN;
    let grown = ClassEvent::ClassRescheduled { details: details(4), at_ms: at, skipped: vec![], released: vec![] };
    given::<Class>(with(2, 2, 3))
        .when_at(ClassCommand::RescheduleClass { details: details(4), skipped: vec![], released: vec![] }, at)
        .then_expect(vec![grown.clone()]);
    let mut events = with(2, 2, 3);
    events.push(grown);
    let c = class(&events);
    assert_eq!(roster(&c), [member(1), member(2), member(3), member(4)]);
    assert_eq!(waiting(&c), [member(5)]);
    assert_eq!(
        c.booking(member(3)).unwrap().via,
        Via::Promoted { version: 7, at_ms: at, automatic: true },
        "moved up by the reschedule, by itself"
    );
}

#[test]
fn a_reschedule_that_changes_nothing_or_comes_after_the_end_or_the_cancellation_is_refused() {
    let same = ClassCommand::RescheduleClass { details: details(12), skipped: vec![], released: vec![] };
    given::<Class>(vec![scheduled(12)])
        .when_at(same.clone(), day_before())
        .then_expect_error(ClassError::NothingChanged);
    let later = ClassCommand::RescheduleClass { details: details(14), skipped: vec![], released: vec![] };
    given::<Class>(vec![scheduled(12)]).when_at(later.clone(), after(60)).then_expect_error(ClassError::Over);
    let cancelled = ClassEvent::ClassCancelled { reason: "coach ill".into(), at_ms: day_before() };
    given::<Class>(vec![scheduled(12), cancelled])
        .when_at(later, day_before())
        .then_expect_error(ClassError::Cancelled);
}

/// The class of [`details`] moved to the next day, same time.
pub(super) fn next_day(capacity: u32) -> ClassDetails {
    let d = details(capacity);
    ClassDetails { start_ms: d.start_ms + 24 * 60 * MIN, day: d.day.add_days(1), ..d }
}

#[test]
fn a_class_moved_to_another_day_releases_the_bookings_of_members_who_cannot_attend_on_it() {
    // Member 1's membership is frozen on Tuesday: moving Monday's class there releases their
    // booking, says why, and the spot moves the waitlist up.
    let frozen = Denial::Frozen { until: monday().add_days(9) };
    let moved =
        ClassCommand::RescheduleClass { details: next_day(2), skipped: vec![], released: vec![skip(1, frozen)] };
    let at = day_before();
    let stored = ClassEvent::ClassRescheduled {
        details: next_day(2),
        at_ms: at,
        skipped: vec![],
        released: vec![skip(1, frozen)],
    };
    given::<Class>(with(2, 2, 1)).when_at(moved, at).then_expect(vec![stored.clone()]);
    let mut events = with(2, 2, 1);
    events.push(stored);
    let c = class(&events);
    assert_eq!((roster(&c), waiting(&c)), (vec![member(2), member(3)], vec![]));
    assert_eq!(c.refused, [(member(1), Refused::Denied { denial: frozen })]);
}

#[test]
fn a_class_moved_within_its_day_releases_nobody() {
    // The day did not change, so neither did who can attend on it: a release sent is dropped.
    let later = ClassDetails { start_ms: start() + 60 * MIN, ..details(2) };
    let moved = ClassCommand::RescheduleClass {
        details: later.clone(),
        skipped: vec![],
        released: vec![skip(1, Denial::Blocked)],
    };
    given::<Class>(with(2, 2, 1)).when_at(moved, day_before()).then_expect(vec![ClassEvent::ClassRescheduled {
        details: later,
        at_ms: day_before(),
        skipped: vec![],
        released: vec![],
    }]);
}

#[test]
fn a_move_to_another_day_keeps_manager_override_bookings_and_members_who_attended() {
    let mut events = with(3, 1, 0);
    events.push(ClassEvent::ClassBooked {
        member: member(2),
        membership: None,
        at_ms: day_before(),
        override_reason: Some("trial class".into()),
        over_capacity: None,
    });
    let c = class(&events);
    assert!(c.releasable(member(1)));
    assert!(!c.releasable(member(2)), "an override stands for a membership");
    assert!(!c.releasable(member(9)), "not booked");
    events.push(ClassEvent::AttendanceMarked { member: member(1), attended: true, at_ms: before(30) });
    assert!(!class(&events).releasable(member(1)), "they came");
    let moved = ClassCommand::RescheduleClass {
        details: next_day(3),
        skipped: vec![],
        released: vec![skip(1, Denial::Blocked), skip(2, Denial::Blocked)],
    };
    let at = before(30);
    given::<Class>(events).when_at(moved, at).then_expect(vec![ClassEvent::ClassRescheduled {
        details: next_day(3),
        at_ms: at,
        skipped: vec![],
        released: vec![],
    }]);
}

#[test]
fn a_move_keeps_room_for_every_booking_made_within_the_capacity_that_stays() {
    // Members 1 and 2 booked within a capacity of 2, member 3 beyond it with a reason. Releasing
    // member 3 frees nothing within the capacity: 1 cannot hold members 1 and 2.
    let mut events = with(2, 2, 0);
    events.push(booked_beyond(member(3), day_before(), "VIP guest"));
    let smaller = ClassCommand::RescheduleClass {
        details: next_day(1),
        skipped: vec![],
        released: vec![skip(3, Denial::Blocked)],
    };
    assert_eq!(class(&events).decide(smaller, day_before()), Err(ClassError::CapacityBelowBookings { booked: 2 }));
    // Member 1 within a capacity of 1, members 2 and 3 beyond it; 1 and 2 released: 10 holds member 3.
    let mut events = with(1, 1, 0);
    for n in [2, 3] {
        events.push(booked_beyond(member(n), day_before(), "VIP guest"));
    }
    let larger = ClassCommand::RescheduleClass {
        details: next_day(10),
        skipped: vec![],
        released: vec![skip(1, Denial::Blocked), skip(2, Denial::Blocked)],
    };
    assert!(class(&events).decide(larger, day_before()).is_ok());
}

#[test]
fn released_bookings_do_not_count_against_a_smaller_capacity() {
    // Two booked, one of them released by the move: a capacity of one holds the other.
    let moved = ClassCommand::RescheduleClass {
        details: next_day(1),
        skipped: vec![],
        released: vec![skip(1, Denial::Blocked)],
    };
    assert!(class(&with(2, 2, 0)).decide(moved, day_before()).is_ok());
    let kept = ClassCommand::RescheduleClass { details: next_day(1), skipped: vec![], released: vec![] };
    assert_eq!(class(&with(2, 2, 0)).decide(kept, day_before()), Err(ClassError::CapacityBelowBookings { booked: 2 }));
}

// --- Cancelling a class ---------------------------------------------------------------------

#[test]
fn a_cancelled_class_releases_its_bookings_keeps_them_visible_and_promotes_nobody() {
    let at = day_before() + 60 * MIN;
    given::<Class>(with(2, 2, 1))
        .when_at(ClassCommand::CancelClass { reason: "  coach   ill ".into() }, at)
        .then_expect(vec![ClassEvent::ClassCancelled { reason: "coach ill".into(), at_ms: at }]);
    let mut events = with(2, 2, 1);
    events.push(ClassEvent::ClassCancelled { reason: "coach ill".into(), at_ms: at });
    let c = class(&events);
    assert_eq!(c.cancelled.as_deref(), Some("coach ill"));
    assert_eq!(roster(&c), [member(1), member(2)], "each booked member's timeline can say why");
    assert_eq!(waiting(&c), [member(3)], "nobody moved up");
    assert!(!c.promotes_at(at), "no spot of a cancelled class goes to the waitlist");
    assert!(c.charges.is_empty(), "a class the club cancelled charges nobody");
    given::<Class>(events.clone()).when_at(book(member(9)), at).then_expect_error(ClassError::Cancelled);
    given::<Class>(events.clone()).when_at(cancel_booking(member(1)), at).then_expect_error(ClassError::Cancelled);
    given::<Class>(events.clone())
        .when_at(ClassCommand::Promote { member: member(3), over_capacity: None }, at)
        .then_expect_error(ClassError::Cancelled);
    given::<Class>(events)
        .when_at(ClassCommand::CancelClass { reason: "again".into() }, at)
        .then_expect_error(ClassError::Cancelled);
}

#[test]
fn cancelling_a_class_needs_a_reason_and_comes_before_its_end() {
    for blank in ["", "   ", "\u{200b}"] {
        given::<Class>(vec![scheduled(12)])
            .when_at(ClassCommand::CancelClass { reason: blank.into() }, day_before())
            .then_expect_error(ClassError::Reason);
    }
    given::<Class>(vec![scheduled(12)])
        .when_at(ClassCommand::CancelClass { reason: "coach ill".into() }, after(60))
        .then_expect_error(ClassError::Over);
}

// --- Booking ------------------------------------------------------------------------------

#[test]
fn a_booking_with_a_spot_free_is_booked_on_the_members_membership() {
    given::<Class>(with(2, 1, 0))
        .when_at(book(member(2)), day_before())
        .then_expect(vec![booked(member(2), day_before())]);
    let mut events = with(2, 1, 0);
    events.push(booked(member(2), day_before()));
    let b = class(&events).booking(member(2)).cloned().unwrap();
    assert_eq!((b.membership, b.via, b.attended), (Some(MONTHLY), Via::Booked { version: 3 }, false));
}

#[test]
fn a_booking_beyond_capacity_is_moved_to_the_waitlist() {
    given::<Class>(with(2, 2, 0))
        .when_at(book(member(3)), day_before())
        .then_expect(vec![waitlisted(member(3), day_before())]);
    let mut events = with(2, 2, 0);
    events.push(waitlisted(member(3), day_before()));
    let c = class(&events);
    assert_eq!((roster(&c).len(), waiting(&c)), (2, vec![member(3)]));
}

#[test]
fn a_member_is_booked_in_a_class_once_booked_or_waiting() {
    given::<Class>(with(2, 2, 1)).when_at(book(member(1)), day_before()).then_expect_error(ClassError::AlreadyBooked);
    given::<Class>(with(2, 2, 1)).when_at(book(member(3)), day_before()).then_expect_error(ClassError::AlreadyWaiting);
}

#[test]
fn a_class_that_has_started_is_no_longer_booked() {
    given::<Class>(with(12, 1, 0)).when_at(book(member(2)), before(1)).then_expect(vec![booked(member(2), before(1))]);
    given::<Class>(with(12, 1, 0)).when_at(book(member(2)), after(0)).then_expect_error(ClassError::Started);
    given::<Class>(with(12, 1, 0)).when_at(book(member(2)), after(120)).then_expect_error(ClassError::Started);
}

#[test]
fn booking_without_a_valid_membership_needs_a_managers_reason() {
    let without =
        ClassCommand::Book { member: member(1), membership: None, override_reason: None, over_capacity: None };
    given::<Class>(vec![scheduled(12)]).when_at(without, day_before()).then_expect_error(ClassError::NoMembership);
    let overridden = ClassCommand::Book {
        member: member(1),
        membership: None,
        override_reason: Some(" trial   class ".into()),
        over_capacity: None,
    };
    assert_eq!(Class::permission(&overridden), Permission::Override);
    assert!(Role::Manager.can(Permission::Override) && !Role::FrontDesk.can(Permission::Override));
    given::<Class>(vec![scheduled(12)]).when_at(overridden, day_before()).then_expect(vec![ClassEvent::ClassBooked {
        member: member(1),
        membership: None,
        at_ms: day_before(),
        override_reason: Some("trial class".into()),
        over_capacity: None,
    }]);
    let blank = ClassCommand::Book {
        member: member(1),
        membership: None,
        override_reason: Some("  ".into()),
        over_capacity: None,
    };
    given::<Class>(vec![scheduled(12)]).when_at(blank, day_before()).then_expect_error(ClassError::Reason);
}

#[test]
fn an_overridden_member_waits_like_anyone_when_the_class_is_full() {
    let overridden = ClassCommand::Book {
        member: member(3),
        membership: None,
        override_reason: Some("trial class".into()),
        over_capacity: None,
    };
    given::<Class>(with(2, 2, 0)).when_at(overridden, day_before()).then_expect(vec![ClassEvent::ClassWaitlisted {
        member: member(3),
        membership: None,
        at_ms: day_before(),
        override_reason: Some("trial class".into()),
    }]);
}

#[test]
fn staff_book_beyond_the_capacity_only_with_a_recorded_reason() {
    let beyond = |reason: &str| ClassCommand::Book {
        member: member(3),
        membership: Some(MONTHLY),
        override_reason: None,
        over_capacity: Some(reason.into()),
    };
    given::<Class>(with(2, 2, 0)).when_at(beyond(" physio  referral "), day_before()).then_expect(vec![booked_beyond(
        member(3),
        day_before(),
        "physio referral",
    )]);
    given::<Class>(with(2, 2, 0)).when_at(beyond(""), day_before()).then_expect_error(ClassError::Reason);
    // With a spot free the reason is not needed, and not recorded: the booking is within.
    given::<Class>(with(3, 2, 0))
        .when_at(beyond("physio referral"), day_before())
        .then_expect(vec![booked(member(3), day_before())]);
    let mut events = with(2, 2, 0);
    events.push(booked_beyond(member(3), day_before(), "physio referral"));
    let c = class(&events);
    assert_eq!((c.bookings.len(), c.over_capacity(), c.free()), (3, 1, 0));
}

// --- The waitlist ---------------------------------------------------------------------------

#[test]
fn the_waitlist_is_in_order_of_waitlist_entry_time_whatever_order_the_events_arrive_in() {
    // Desks offline: the 10:05 entry reaches the stream before the 10:01 one.
    let t = day_before();
    let c = class(&[
        scheduled(1),
        booked(member(1), t),
        waitlisted(member(5), t + 5 * MIN),
        waitlisted(member(2), t + MIN),
        waitlisted(member(9), t + 3 * MIN),
        waitlisted(member(4), t + 3 * MIN),
    ]);
    assert_eq!(waiting(&c), [member(2), member(4), member(9), member(5)], "same minute: by member id");
}

#[test]
fn a_member_leaves_the_waitlist_and_only_a_waiting_member_can() {
    given::<Class>(with(2, 2, 2))
        .when_at(ClassCommand::LeaveWaitlist { member: member(3) }, day_before())
        .then_expect(vec![ClassEvent::WaitlistLeft { member: member(3), at_ms: day_before() }]);
    let mut events = with(2, 2, 2);
    events.push(ClassEvent::WaitlistLeft { member: member(3), at_ms: day_before() });
    assert_eq!(waiting(&class(&events)), [member(4)]);
    for not_waiting in [member(1), member(9)] {
        given::<Class>(with(2, 2, 2))
            .when_at(ClassCommand::LeaveWaitlist { member: not_waiting }, day_before())
            .then_expect_error(ClassError::NotWaiting);
    }
}

// --- Promotion ------------------------------------------------------------------------------

#[test]
fn a_booking_cancelled_before_the_waitlist_cutoff_gives_the_spot_to_the_first_waiting_member() {
    let at = before(3 * 60);
    let mut events = with(2, 2, 2);
    events.push(booking_cancelled(member(1), at, true));
    let c = class(&events);
    assert_eq!(roster(&c), [member(2), member(3)]);
    assert_eq!(waiting(&c), [member(4)]);
    let promoted = c.booking(member(3)).unwrap();
    assert_eq!(promoted.via, Via::Promoted { version: 6, at_ms: at, automatic: true });
    assert_eq!(promoted.at_ms, day_before() + 3 * MIN, "their booking keeps when they asked for it");
}

#[test]
fn after_the_waitlist_cutoff_a_freed_spot_waits_for_staff_who_then_promote() {
    // The cutoff is 2 h: at 16:00 exactly the spot no longer moves by itself.
    let mut events = with(2, 2, 2);
    events.push(booking_cancelled(member(1), before(120), true));
    let c = class(&events);
    assert_eq!((roster(&c), waiting(&c), c.free()), (vec![member(2)], vec![member(3), member(4)], 1));
    // Staff may move up anyone waiting, not only the first.
    let promote = ClassCommand::Promote { member: member(4), over_capacity: None };
    assert_eq!(Class::permission(&promote), Permission::Bookings);
    given::<Class>(events.clone()).when_at(promote, before(30)).then_expect(vec![ClassEvent::WaitlistPromoted {
        member: member(4),
        at_ms: before(30),
        over_capacity: None,
    }]);
    events.push(ClassEvent::WaitlistPromoted { member: member(4), at_ms: before(30), over_capacity: None });
    let c = class(&events);
    assert_eq!(roster(&c), [member(2), member(4)]);
    assert_eq!(c.booking(member(4)).unwrap().via, Via::Promoted { version: 7, at_ms: before(30), automatic: false });
}

#[test]
fn after_the_cutoff_a_new_booking_does_not_take_a_spot_held_for_the_waitlist() {
    // Member 1 cancels at the cutoff: one spot, members 3 and 4 waiting for staff.
    let mut events = with(2, 2, 2);
    events.push(booking_cancelled(member(1), before(120), true));
    let book5 = book(member(5));
    given::<Class>(events.clone()).when_at(book5.clone(), before(30)).then_expect(vec![ClassEvent::ClassWaitlisted {
        member: member(5),
        membership: Some(MONTHLY),
        at_ms: before(30),
        override_reason: None,
    }]);
    // A member passed over (cannot attend) holds no spot: with only them waiting, the spot is free.
    let mut passed_over = with(2, 2, 1);
    passed_over.push(ClassEvent::BookingCancelled {
        member: member(1),
        at_ms: before(300),
        late: false,
        skipped: vec![Skip { member: member(3), denial: Denial::NoMembership }],
    });
    let c = class(&passed_over);
    assert_eq!((c.free(), c.held()), (1, 0));
    given::<Class>(passed_over).when_at(book5, before(30)).then_expect(vec![booked(member(5), before(30))]);
}

#[test]
fn a_minute_before_the_cutoff_the_spot_still_moves_by_itself() {
    let mut events = with(2, 2, 1);
    events.push(booking_cancelled(member(1), before(121), true));
    assert_eq!(roster(&class(&events)), [member(2), member(3)]);
}

#[test]
fn staff_promote_into_a_full_class_only_with_a_reason_and_only_a_waiting_member() {
    let promote = |m, reason: Option<&str>| ClassCommand::Promote { member: m, over_capacity: reason.map(Into::into) };
    given::<Class>(with(2, 2, 1)).when_at(promote(member(3), None), before(30)).then_expect_error(ClassError::Full);
    given::<Class>(with(2, 2, 1)).when_at(promote(member(3), Some("extra bike")), before(30)).then_expect(vec![
        ClassEvent::WaitlistPromoted { member: member(3), at_ms: before(30), over_capacity: Some("extra bike".into()) },
    ]);
    given::<Class>(with(2, 2, 1))
        .when_at(promote(member(1), None), before(30))
        .then_expect_error(ClassError::NotWaiting);
    given::<Class>(with(2, 2, 1)).when_at(promote(member(3), None), after(60)).then_expect_error(ClassError::Over);
}

#[test]
fn a_waiting_member_who_cannot_attend_is_skipped_and_the_next_in_line_gets_the_spot() {
    let frozen = Denial::Frozen { until: monday().add_days(10) };
    let at = day_before() + 60 * MIN;
    let cancel = ClassCommand::CancelBooking { member: member(1), skipped: vec![skip(3, frozen)] };
    let cancelled =
        ClassEvent::BookingCancelled { member: member(1), at_ms: at, late: false, skipped: vec![skip(3, frozen)] };
    given::<Class>(with(2, 2, 2)).when_at(cancel, at).then_expect(vec![cancelled.clone()]);
    let mut events = with(2, 2, 2);
    events.push(cancelled);
    let c = class(&events);
    assert_eq!(roster(&c), [member(2), member(4)]);
    assert_eq!(waiting(&c), [member(3)], "still waiting, first in line");
    assert_eq!(c.waiting(member(3)).unwrap().skipped, Some(frozen), "staff see why they were passed over");
}

#[test]
fn the_desk_passes_over_the_waiting_members_can_attend_finds_frozen_without_a_membership_or_out_of_visits() {
    use crate::member::{EntryRules, Member, MemberEvent};
    use crate::testing::members::{checked_in, registered, with_card, with_unlimited};
    let frozen_until = monday().add_days(6);
    let mut frozen = with_unlimited("Frozen");
    frozen.push(MemberEvent::MembershipFrozen {
        membership: MONTHLY,
        from: monday(),
        until: frozen_until,
        on: monday(),
    });
    let mut used_up = with_card("Used up", 1);
    used_up.push(checked_in(crate::testing::members::at(9 * 60), CARD));
    // Members 3 to 6 wait, in that order; 1 and 2 are booked.
    let waiting_members = [
        (member(3), Member::from_events(&frozen)),
        (member(4), Member::from_events(&[registered("Nothing held")])),
        (member(5), Member::from_events(&used_up)),
        (member(6), Member::from_events(&with_unlimited("Able"))),
    ];
    let events = with(2, 2, 4);
    let c = class(&events);
    // What the class page does: each waiting member read from their stream on the class's day.
    let skipped: Vec<Skip> = c
        .waitlist
        .iter()
        .filter_map(|w| {
            let (_, m) = waiting_members.iter().find(|(id, _)| *id == w.member)?;
            can_attend(m, monday(), &EntryRules::default()).err().map(|denial| Skip { member: w.member, denial })
        })
        .collect();
    assert_eq!(
        skipped,
        [skip(3, Denial::Frozen { until: frozen_until }), skip(4, Denial::NoMembership), skip(5, Denial::NoVisitsLeft)]
    );
    let at = day_before() + 60 * MIN;
    let cancel = ClassCommand::CancelBooking { member: member(1), skipped: skipped.clone() };
    let cancelled = ClassEvent::BookingCancelled { member: member(1), at_ms: at, late: false, skipped };
    given::<Class>(events.clone()).when_at(cancel, at).then_expect(vec![cancelled.clone()]);
    let mut events = events;
    events.push(cancelled);
    let c = class(&events);
    assert_eq!(roster(&c), [member(2), member(6)], "the first who can attend");
    assert_eq!(waiting(&c), [member(3), member(4), member(5)], "the others keep their place");
    assert_eq!(c.waiting(member(5)).unwrap().skipped, Some(Denial::NoVisitsLeft));
}

#[test]
fn members_skipped_are_kept_only_if_waiting_once_each_and_in_one_order() {
    let (no_visits, none) = (Denial::NoVisitsLeft, Denial::NoMembership);
    let at = day_before() + 60 * MIN;
    let cancel = ClassCommand::CancelBooking {
        member: member(1),
        skipped: vec![skip(4, none), skip(9, none), skip(3, no_visits), skip(4, none), skip(1, none)],
    };
    given::<Class>(with(2, 2, 2)).when_at(cancel, at).then_expect(vec![ClassEvent::BookingCancelled {
        member: member(1),
        at_ms: at,
        late: false,
        skipped: vec![skip(3, no_visits), skip(4, none)],
    }]);
    let mut events = with(2, 2, 2);
    events.push(ClassEvent::BookingCancelled {
        member: member(1),
        at_ms: at,
        late: false,
        skipped: vec![skip(3, no_visits), skip(4, none)],
    });
    let c = class(&events);
    assert_eq!(
        (roster(&c), waiting(&c), c.free()),
        (vec![member(2)], vec![member(3), member(4)], 1),
        "nobody can attend: the spot stays free"
    );
}

#[test]
fn a_spot_freed_by_a_cancellation_is_not_filled_twice_when_the_class_is_over_its_capacity() {
    // Two booked within the capacity, one beyond it with a reason: a cancellation brings the class
    // back to its capacity, it frees no spot.
    let mut events = with(2, 2, 1);
    events.push(ClassEvent::ClassBooked {
        member: member(9),
        membership: Some(MONTHLY),
        at_ms: day_before() + 10 * MIN,
        override_reason: None,
        over_capacity: Some("regular".into()),
    });
    events.push(booking_cancelled(member(1), day_before() + 20 * MIN, false));
    let c = class(&events);
    assert_eq!((roster(&c), waiting(&c)), (vec![member(2), member(9)], vec![member(3)]));
}

// --- Cancelling a booking ------------------------------------------------------------------

#[test]
fn a_booking_cancelled_inside_the_cancellation_cutoff_is_a_late_cancel_on_record() {
    // Cutoff 12 h: from 06:00 on.
    given::<Class>(with(2, 1, 0)).when_at(cancel_booking(member(1)), before(720)).then_expect(vec![booking_cancelled(
        member(1),
        before(720),
        true,
    )]);
    let mut events = with(2, 1, 0);
    events.push(booking_cancelled(member(1), before(720), true));
    let c = class(&events);
    assert_eq!(
        c.charges,
        [Charge {
            member: member(1),
            kind: ChargeKind::LateCancel,
            membership: Some(MONTHLY),
            at_ms: before(720),
            waived: None,
            cancelled_in_time_ms: None,
        }]
    );
    assert!(c.booking(member(1)).is_none());
}

#[test]
fn a_booking_cancelled_before_the_cancellation_cutoff_charges_nothing() {
    given::<Class>(with(2, 1, 0)).when_at(cancel_booking(member(1)), before(721)).then_expect(vec![booking_cancelled(
        member(1),
        before(721),
        false,
    )]);
    let mut events = with(2, 1, 0);
    events.push(booking_cancelled(member(1), before(721), false));
    assert!(class(&events).charges.is_empty());
}

#[test]
fn a_cancellation_dated_before_the_member_got_the_spot_is_judged_from_when_they_got_it() {
    // Booked at 07:00, inside the 12 h cutoff; the cancellation says 05:00 (a clock set back).
    let mut events = vec![scheduled(2), booked(member(1), before(660))];
    given::<Class>(events.clone())
        .when_at(cancel_booking(member(1)), before(780))
        .then_expect(vec![booking_cancelled(member(1), before(780), true)]);
    // Moved up from the waitlist at 07:00 (waiting since the day before): the same.
    events = vec![scheduled(1), booked(member(1), day_before()), waitlisted(member(2), day_before() + MIN)];
    events.push(booking_cancelled(member(1), before(660), true));
    assert_eq!(class(&events).booking(member(2)).map(Booking::held_since), Some(before(660)));
    given::<Class>(events).when_at(cancel_booking(member(2)), before(780)).then_expect(vec![booking_cancelled(
        member(2),
        before(780),
        true,
    )]);
}

#[test]
fn only_a_booking_is_cancelled_before_the_start_and_not_once_the_member_is_marked_as_there() {
    given::<Class>(with(2, 2, 1))
        .when_at(cancel_booking(member(3)), day_before())
        .then_expect_error(ClassError::NotBooked);
    given::<Class>(with(2, 2, 1))
        .when_at(cancel_booking(member(9)), day_before())
        .then_expect_error(ClassError::NotBooked);
    given::<Class>(with(2, 2, 1)).when_at(cancel_booking(member(1)), after(60)).then_expect_error(ClassError::Over);
    // Under way, a member who does not come is a no-show: no late cancel whose waiver gives back a visit.
    given::<Class>(with(2, 2, 0)).when_at(cancel_booking(member(1)), after(10)).then_expect_error(ClassError::Underway);
    // Marked as there (attendance opens an hour before the start): the tick comes back first.
    let mut events = with(2, 2, 0);
    events.push(marked(1, true, before(30)));
    given::<Class>(events).when_at(cancel_booking(member(1)), before(20)).then_expect_error(ClassError::Attended);
    // Nor once the register is taken, whatever time the cancellation carries: the no-show stands.
    let mut events = with(2, 2, 0);
    events.push(ClassEvent::AttendanceSubmitted { at_ms: start(), no_shows: vec![member(1), member(2)] });
    given::<Class>(events).when_at(cancel_booking(member(1)), before(1)).then_expect_error(ClassError::Submitted);
    given::<Class>(with(2, 2, 0)).when_at(cancel_booking(member(1)), before(1)).then_expect(vec![booking_cancelled(
        member(1),
        before(1),
        true,
    )]);
}

// --- Attendance ------------------------------------------------------------------------------

fn mark(n: u128, attended: bool) -> ClassCommand {
    ClassCommand::MarkAttendance { member: member(n), attended }
}

fn marked(n: u128, attended: bool, at_ms: u64) -> ClassEvent {
    ClassEvent::AttendanceMarked { member: member(n), attended, at_ms }
}

#[test]
fn attendance_opens_an_hour_before_the_start() {
    given::<Class>(with(2, 2, 0)).when_at(mark(1, true), before(61)).then_expect_error(ClassError::TooEarly);
    given::<Class>(with(2, 2, 0))
        .when_at(ClassCommand::SubmitAttendance, before(61))
        .then_expect_error(ClassError::TooEarly);
    given::<Class>(with(2, 2, 0)).when_at(mark(1, true), before(60)).then_expect(vec![marked(1, true, before(60))]);
}

#[test]
fn attendance_is_submitted_once_the_class_has_started_since_it_makes_the_others_no_shows() {
    given::<Class>(with(2, 2, 0))
        .when_at(ClassCommand::SubmitAttendance, before(1))
        .then_expect_error(ClassError::NotStarted);
    given::<Class>(with(2, 2, 0))
        .when_at(ClassCommand::SubmitAttendance, start())
        .then_expect(vec![ClassEvent::AttendanceSubmitted { at_ms: start(), no_shows: vec![member(1), member(2)] }]);
}

#[test]
fn a_member_marked_by_mistake_is_unmarked_and_marking_twice_changes_nothing() {
    let mut events = with(2, 2, 0);
    events.push(marked(1, true, after(5)));
    assert!(class(&events).booking(member(1)).unwrap().attended);
    given::<Class>(events.clone()).when_at(mark(1, true), after(6)).then_expect_error(ClassError::NothingChanged);
    given::<Class>(events.clone()).when_at(mark(1, false), after(6)).then_expect(vec![marked(1, false, after(6))]);
    events.push(marked(1, false, after(6)));
    assert!(!class(&events).booking(member(1)).unwrap().attended);
    assert!(class(&events).charges.is_empty(), "before submitting, not yet a no-show");
}

#[test]
fn attendance_is_taken_of_booked_members_of_a_class_still_on() {
    given::<Class>(with(2, 2, 1)).when_at(mark(3, true), after(5)).then_expect_error(ClassError::NotBooked);
    let mut events = with(2, 2, 0);
    events.push(ClassEvent::ClassCancelled { reason: "coach ill".into(), at_ms: before(300) });
    given::<Class>(events.clone()).when_at(mark(1, true), after(5)).then_expect_error(ClassError::Cancelled);
    given::<Class>(events).when_at(ClassCommand::SubmitAttendance, after(5)).then_expect_error(ClassError::Cancelled);
}

#[test]
fn submitting_attendance_records_the_booked_members_not_marked_as_no_shows() {
    let mut events = with(3, 3, 0);
    events.push(marked(2, true, after(5)));
    given::<Class>(events.clone())
        .when_at(ClassCommand::SubmitAttendance, after(70))
        .then_expect(vec![ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(1), member(3)] }]);
    events.push(ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(1), member(3)] });
    let c = class(&events);
    assert!(c.submitted);
    let no_shows: Vec<_> = c.charges.iter().map(|ch| (ch.member, ch.kind)).collect();
    assert_eq!(no_shows, [(member(1), ChargeKind::NoShow), (member(3), ChargeKind::NoShow)]);
    given::<Class>(events)
        .when_at(ClassCommand::SubmitAttendance, after(80))
        .then_expect_error(ClassError::AlreadySubmitted);
}

#[test]
fn a_no_show_marked_attended_after_submitting_is_no_longer_charged_and_unmarking_charges_again() {
    let mut events = with(2, 2, 0);
    events.push(ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(1), member(2)] });
    events.push(marked(1, true, after(75)));
    let c = class(&events);
    assert_eq!(c.charges.iter().map(|ch| ch.member).collect::<Vec<_>>(), [member(2)], "member 1 came after all");
    events.push(marked(1, false, after(80)));
    let c = class(&events);
    assert!(c.charges.iter().any(|ch| ch.member == member(1) && ch.kind == ChargeKind::NoShow));
    assert_eq!(c.charges.len(), 2, "one no-show each");
}

#[test]
fn a_managers_waiver_of_a_no_show_stands_whatever_attendance_is_marked_after_it() {
    let mut events = with(2, 2, 0);
    events.push(ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(1)] });
    events.push(ClassEvent::ChargeWaived { member: member(1), reason: "bike broke down".into(), at_ms: after(90) });
    // Marked as there and back again: the waived no-show is neither dropped nor charged again.
    events.push(marked(1, true, after(95)));
    let c = class(&events);
    let waived: Vec<_> = c.charges.iter().map(|ch| (ch.member, ch.kind, ch.waived.clone())).collect();
    assert_eq!(waived, [(member(1), ChargeKind::NoShow, Some("bike broke down".to_owned()))]);
    events.push(marked(1, false, after(100)));
    let c = class(&events);
    let after_unmarking: Vec<_> = c.charges.iter().map(|ch| (ch.member, ch.kind, ch.waived.clone())).collect();
    assert_eq!(after_unmarking, waived, "no open no-show came back");
    given::<Class>(events)
        .when_at(ClassCommand::WaiveCharge { member: member(1), reason: "again".into() }, after(110))
        .then_expect_error(ClassError::NoCharge);
}

// --- Waiving a charge -----------------------------------------------------------------------

#[test]
fn a_manager_waives_a_late_cancel_with_a_reason_and_it_stays_on_record() {
    let mut events = with(2, 1, 0);
    events.push(booking_cancelled(member(1), before(60), true));
    let waive = ClassCommand::WaiveCharge { member: member(1), reason: " sick  note ".into() };
    assert_eq!(Class::permission(&waive), Permission::Override);
    given::<Class>(events.clone()).when_at(waive, before(30)).then_expect(vec![ClassEvent::ChargeWaived {
        member: member(1),
        reason: "sick note".into(),
        at_ms: before(30),
    }]);
    events.push(ClassEvent::ChargeWaived { member: member(1), reason: "sick note".into(), at_ms: before(30) });
    let c = class(&events);
    assert_eq!(c.charges.len(), 1);
    assert_eq!((c.charges[0].kind, c.charges[0].waived.as_deref()), (ChargeKind::LateCancel, Some("sick note")));
    given::<Class>(events.clone())
        .when_at(ClassCommand::WaiveCharge { member: member(1), reason: "again".into() }, before(20))
        .then_expect_error(ClassError::NoCharge);

    // Booked again, and cancelled late again: the waiver was for the first one only.
    events.push(booked(member(1), before(25)));
    events.push(booking_cancelled(member(1), before(10), true));
    let c = class(&events);
    let open: Vec<_> = c.charges.iter().filter(|x| x.waived.is_none()).map(|x| (x.kind, x.at_ms)).collect();
    assert_eq!((c.charges.len(), open), (2, vec![(ChargeKind::LateCancel, before(10))]));
}

#[test]
fn a_no_show_is_waived_too_and_a_member_without_a_charge_has_nothing_to_waive() {
    let mut events = with(2, 2, 0);
    events.push(marked(2, true, after(5)));
    events.push(ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(1)] });
    given::<Class>(events.clone())
        .when_at(ClassCommand::WaiveCharge { member: member(1), reason: "bike broke down".into() }, after(90))
        .then_expect(vec![ClassEvent::ChargeWaived {
            member: member(1),
            reason: "bike broke down".into(),
            at_ms: after(90),
        }]);
    given::<Class>(events.clone())
        .when_at(ClassCommand::WaiveCharge { member: member(2), reason: "x".into() }, after(90))
        .then_expect_error(ClassError::NoCharge);
    given::<Class>(events)
        .when_at(ClassCommand::WaiveCharge { member: member(1), reason: " ".into() }, after(90))
        .then_expect_error(ClassError::Reason);
}

// --- Who may do what -------------------------------------------------------------------------

#[test]
fn each_class_command_needs_its_permission_and_each_role_has_its_own() {
    let book_over = ClassCommand::Book {
        member: member(1),
        membership: Some(MONTHLY),
        override_reason: None,
        over_capacity: Some("x".into()),
    };
    let book_without = ClassCommand::Book {
        member: member(1),
        membership: None,
        override_reason: Some("x".into()),
        over_capacity: None,
    };
    let cases = [
        (ClassCommand::ScheduleClass { details: details(12), cutoffs: Cutoffs::default() }, Permission::Timetable),
        (
            ClassCommand::RescheduleClass { details: details(12), skipped: vec![], released: vec![] },
            Permission::Timetable,
        ),
        (ClassCommand::CancelClass { reason: "x".into() }, Permission::Timetable),
        (book(member(1)), Permission::Bookings),
        (book_over, Permission::Bookings),
        (book_without, Permission::Override),
        (cancel_booking(member(1)), Permission::Bookings),
        (ClassCommand::LeaveWaitlist { member: member(1) }, Permission::Bookings),
        (ClassCommand::Promote { member: member(1), over_capacity: None }, Permission::Bookings),
        (mark(1, true), Permission::Attendance),
        (ClassCommand::SubmitAttendance, Permission::Attendance),
        (ClassCommand::WaiveCharge { member: member(1), reason: "x".into() }, Permission::Override),
    ];
    for (command, permission) in cases {
        assert_eq!(Class::permission(&command), permission, "{command:?}");
        let allowed: Vec<Role> = [Role::Owner, Role::Manager, Role::FrontDesk, Role::Coach]
            .into_iter()
            .filter(|r| r.can(permission))
            .collect();
        let expected = match permission {
            Permission::Timetable | Permission::Override => vec![Role::Owner, Role::Manager],
            Permission::Bookings => vec![Role::Owner, Role::Manager, Role::FrontDesk],
            Permission::Attendance => vec![Role::Owner, Role::Manager, Role::FrontDesk, Role::Coach],
            _ => unreachable!(),
        };
        assert_eq!(allowed, expected, "{command:?}");
    }
    assert_eq!(details(12).coach, COACH, "a coach's attendance is of their own classes: the server checks the coach");
}

#[test]
fn a_card_booking_keeps_its_card_and_a_charge_names_it() {
    let mut events = vec![scheduled(2)];
    events.push(ClassEvent::ClassBooked {
        member: member(1),
        membership: Some(CARD),
        at_ms: day_before(),
        override_reason: None,
        over_capacity: None,
    });
    events.push(booking_cancelled(member(1), before(30), true));
    let c = class(&events);
    assert_eq!(c.charges[0].membership, Some(CARD), "the card whose visit the late cancel uses");
}
