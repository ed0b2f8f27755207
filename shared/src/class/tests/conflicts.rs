//! How a device's class events join a class that another device changed meanwhile (every class
//! event merges: it is decided again on the newer state), as the server resolves them.

use super::*;
use crate::{
    aggregate::{EventMeta, Resolution, Unresolved},
    DeviceId, Hlc,
};

/// Resolves `event`, made by desk 2 on version `parent`, on the class `server` holds.
fn resolve(
    server: &[ClassEvent],
    event: &ClassEvent,
    parent: u64,
) -> Result<Resolution<ClassEvent>, Unresolved<ClassError>> {
    let device = DeviceId::new("desk-2").unwrap();
    let meta = EventMeta { version: server.len() as u64 + 1, hlc: Hlc { ms: day_before(), c: 0 }, device: &device };
    let mut resolutions = class(server).resolve(std::slice::from_ref(event), &meta, parent)?;
    assert_eq!(resolutions.len(), 1, "every class decision is one event");
    Ok(resolutions.remove(0))
}

/// `server` with `event` folded in as `resolution` says.
fn joined(server: &[ClassEvent], event: &ClassEvent, resolution: Resolution<ClassEvent>) -> Class {
    let mut events = server.to_vec();
    events.push(match resolution {
        Resolution::Keep => event.clone(),
        Resolution::Replace(e) => e,
    });
    class(&events)
}

#[test]
fn two_desks_booking_the_last_spot_end_with_one_booked_and_the_other_waiting() {
    // Desk 1's booking of the last spot reached the server first; desk 2 had seen the class with
    // one spot free (version 2).
    let mut server = with(2, 1, 0);
    server.push(booked(member(2), day_before() + 10 * MIN));
    let mine = booked(member(3), day_before() + 12 * MIN);
    let resolution = resolve(&server, &mine, 2).unwrap();
    let waiting_instead = waitlisted(member(3), day_before() + 12 * MIN);
    assert_eq!(resolution, Resolution::Replace(waiting_instead.clone()));
    assert!(Class::undone(&waiting_instead), "desk 2 is told its booking went to the waitlist");
    assert!(Class::resolves(&waiting_instead, &mine), "a retried push of the booking is answered with it");
    let c = joined(&server, &mine, resolution);
    assert_eq!((roster(&c), waiting(&c)), (vec![member(1), member(2)], vec![member(3)]));
}

#[test]
fn a_booking_that_still_fits_is_kept_as_sent() {
    let mut server = with(3, 1, 0);
    server.push(booked(member(2), day_before() + 10 * MIN));
    assert_eq!(resolve(&server, &booked(member(3), day_before() + 5 * MIN), 2), Ok(Resolution::Keep));
}

#[test]
fn a_booking_of_a_class_cancelled_meanwhile_is_refused_with_the_reason() {
    let mut server = with(12, 1, 0);
    server.push(ClassEvent::ClassCancelled { reason: "coach ill".into(), at_ms: day_before() + 5 * MIN });
    let mine = booked(member(2), day_before() + 10 * MIN);
    let refused = ClassEvent::BookingRefused {
        member: member(2),
        at_ms: day_before() + 10 * MIN,
        reason: Refused::ClassCancelled,
    };
    assert_eq!(resolve(&server, &mine, 2), Ok(Resolution::Replace(refused.clone())));
    assert!(Class::undone(&refused) && Class::resolves(&refused, &mine));
    let c = joined(&server, &mine, Resolution::Replace(refused));
    assert!(c.booking(member(2)).is_none());
    assert_eq!(c.refused, [(member(2), Refused::ClassCancelled)], "kept for staff");
    // A waitlist entry too.
    let mine = waitlisted(member(2), day_before() + 10 * MIN);
    assert!(matches!(
        resolve(&server, &mine, 2),
        Ok(Resolution::Replace(ClassEvent::BookingRefused { reason: Refused::ClassCancelled, .. }))
    ));
}

#[test]
fn a_booking_made_before_a_reschedule_moved_the_start_earlier_is_refused_as_started() {
    let mut server = with(12, 1, 0);
    let earlier = ClassDetails { start_ms: before(6 * 60), ..details(12) };
    server.push(ClassEvent::ClassRescheduled {
        details: earlier,
        at_ms: day_before(),
        skipped: vec![],
        released: vec![],
    });
    let mine = booked(member(2), before(3 * 60));
    assert_eq!(
        resolve(&server, &mine, 2),
        Ok(Resolution::Replace(ClassEvent::BookingRefused {
            member: member(2),
            at_ms: before(3 * 60),
            reason: Refused::ClassStarted
        }))
    );
}

#[test]
fn a_member_two_desks_booked_is_booked_once_and_the_second_booking_refused() {
    let mut server = with(12, 1, 0);
    server.push(booked(member(2), day_before() + 10 * MIN));
    let mine = booked(member(2), day_before() + 11 * MIN);
    assert_eq!(
        resolve(&server, &mine, 2),
        Ok(Resolution::Replace(ClassEvent::BookingRefused {
            member: member(2),
            at_ms: day_before() + 11 * MIN,
            reason: Refused::AlreadyBooked
        }))
    );
}

#[test]
fn a_waitlist_entry_made_while_another_desk_freed_a_spot_becomes_a_booking() {
    let mut server = with(2, 2, 0);
    server.push(booking_cancelled(member(1), day_before() + 10 * MIN, false));
    let mine = waitlisted(member(3), day_before() + 12 * MIN);
    let resolution = resolve(&server, &mine, 3).unwrap();
    assert_eq!(resolution, Resolution::Replace(booked(member(3), day_before() + 12 * MIN)));
    assert!(!Class::undone(&booked(member(3), 0)), "nothing to apologise for");
}

#[test]
fn the_same_booking_cancelled_on_two_desks_is_recorded_once_and_the_other_as_repeated() {
    let mut server = with(2, 2, 0);
    server.push(booking_cancelled(member(1), day_before() + 10 * MIN, false));
    let mine = booking_cancelled(member(1), day_before() + 12 * MIN, false);
    let repeated = ClassEvent::ClassChangeRepeated {
        member: Some(member(1)),
        at_ms: day_before() + 12 * MIN,
        change: RepeatedChange::BookingCancelled,
    };
    assert_eq!(resolve(&server, &mine, 3), Ok(Resolution::Replace(repeated.clone())));
    assert!(!Class::undone(&repeated), "what the desk wanted happened");
    assert!(Class::resolves(&repeated, &mine));
}

#[test]
fn a_booking_cancelled_in_time_on_one_desk_and_late_on_another_flags_the_late_cancel_for_a_manager() {
    // Desk 2 cancelled Anna's booking offline the day before; desk 1 cancelled it again an hour
    // before the start (a late cancel) and reached the server first. Desk 2's cancellation came
    // first: the charge is flagged with its time, for a manager to waive or keep.
    let mut server = with(2, 1, 0);
    server.push(booking_cancelled(member(1), before(60), true));
    let mine = booking_cancelled(member(1), day_before(), false);
    let resolution = resolve(&server, &mine, 2).unwrap();
    let c = joined(&server, &mine, resolution);
    assert_eq!(c.charges.len(), 1);
    assert_eq!((c.charges[0].waived.as_deref(), c.charges[0].cancelled_in_time_ms), (None, Some(day_before())));
    // A second cancellation that was late too, or made after the late one, flags nothing.
    for (late, at_ms) in [(true, before(30)), (true, before(90))] {
        let again = booking_cancelled(member(1), at_ms, late);
        let c = joined(&server, &again, resolve(&server, &again, 2).unwrap());
        assert_eq!(c.charges[0].cancelled_in_time_ms, None, "at {at_ms}");
    }
    // Nor one that reaches a charge already waived.
    server.push(ClassEvent::ChargeWaived { member: member(1), reason: "sick".into(), at_ms: before(50) });
    let c = joined(&server, &mine, resolve(&server, &mine, 2).unwrap());
    assert_eq!(c.charges[0].cancelled_in_time_ms, None);
}

#[test]
fn a_cancellation_merged_late_gives_the_spot_to_the_first_waiting_member_on_the_server() {
    // Desk 2 saw nobody waiting; meanwhile desk 1 put member 3 on the waitlist.
    let mut server = with(2, 2, 0);
    server.push(waitlisted(member(3), day_before() + 10 * MIN));
    let mine = booking_cancelled(member(1), day_before() + 20 * MIN, false);
    let resolution = resolve(&server, &mine, 3).unwrap();
    assert_eq!(resolution, Resolution::Keep);
    let c = joined(&server, &mine, resolution);
    assert_eq!(roster(&c), [member(2), member(3)]);
}

#[test]
fn a_cancellation_passing_over_a_member_who_left_the_waitlist_meanwhile_is_stored_without_them() {
    let mut server = with(2, 2, 2);
    server.push(ClassEvent::WaitlistLeft { member: member(3), at_ms: day_before() + 10 * MIN });
    let mine = ClassEvent::BookingCancelled {
        member: member(1),
        at_ms: day_before() + 20 * MIN,
        late: false,
        skipped: vec![skip(3, Denial::NoMembership)],
    };
    let stored = booking_cancelled(member(1), day_before() + 20 * MIN, false);
    assert_eq!(resolve(&server, &mine, 5), Ok(Resolution::Replace(stored.clone())));
    assert!(Class::resolves(&stored, &mine), "same type, other data: still the desk's cancellation");
}

#[test]
fn staff_promoting_a_member_who_moved_up_meanwhile_is_refused_as_not_promoted() {
    let mut server = with(2, 2, 1);
    server.push(booking_cancelled(member(1), day_before() + 10 * MIN, false));
    let mine = ClassEvent::WaitlistPromoted { member: member(3), at_ms: day_before() + 12 * MIN, over_capacity: None };
    let refused =
        ClassEvent::BookingRefused { member: member(3), at_ms: day_before() + 12 * MIN, reason: Refused::NotPromoted };
    assert_eq!(resolve(&server, &mine, 4), Ok(Resolution::Replace(refused)));
}

#[test]
fn leaving_the_waitlist_on_two_desks_is_recorded_as_repeated() {
    let mut server = with(2, 2, 1);
    server.push(ClassEvent::WaitlistLeft { member: member(3), at_ms: day_before() + 10 * MIN });
    let mine = ClassEvent::WaitlistLeft { member: member(3), at_ms: day_before() + 11 * MIN };
    assert!(matches!(
        resolve(&server, &mine, 4),
        Ok(Resolution::Replace(ClassEvent::ClassChangeRepeated { change, .. })) if change == RepeatedChange::WaitlistLeft
    ));
}

#[test]
fn a_member_who_moved_up_meanwhile_cannot_leave_the_waitlist_and_the_desk_decides() {
    // They have a spot now: dropping it silently is not what the desk asked for.
    let mut server = with(2, 2, 1);
    server.push(booking_cancelled(member(1), day_before() + 10 * MIN, false));
    let mine = ClassEvent::WaitlistLeft { member: member(3), at_ms: day_before() + 11 * MIN };
    assert_eq!(resolve(&server, &mine, 4), Err(Unresolved::Broken(ClassError::NotWaiting)));
}

#[test]
fn attendance_marked_on_a_coachs_phone_and_a_desk_is_recorded_once() {
    let mut server = with(2, 2, 0);
    server.push(marked(1, true, after(5)));
    let mine = marked(1, true, after(6));
    assert!(matches!(
        resolve(&server, &mine, 3),
        Ok(Resolution::Replace(ClassEvent::ClassChangeRepeated { change, .. })) if change == RepeatedChange::AttendanceMarked
    ));
}

#[test]
fn attendance_submitted_on_a_device_that_missed_a_member_marked_elsewhere_records_the_servers_no_shows() {
    let mut server = with(2, 2, 0);
    server.push(marked(1, true, after(5)));
    let mine = ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(1), member(2)] };
    let stored = ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(2)] };
    assert_eq!(resolve(&server, &mine, 3), Ok(Resolution::Replace(stored.clone())));
    assert!(Class::resolves(&stored, &mine));
    let c = joined(&server, &mine, Resolution::Replace(stored));
    assert_eq!(c.charges.iter().map(|ch| ch.member).collect::<Vec<_>>(), [member(2)], "member 1 came");
    // Submitted on both: once.
    let mut both = server.clone();
    both.push(ClassEvent::AttendanceSubmitted { at_ms: after(70), no_shows: vec![member(2)] });
    assert!(matches!(
        resolve(&both, &mine, 3),
        Ok(Resolution::Replace(ClassEvent::ClassChangeRepeated { member: None, .. }))
    ));
}

#[test]
fn a_charge_waived_on_two_desks_is_recorded_as_repeated() {
    let mut server = with(2, 1, 0);
    server.push(booking_cancelled(member(1), before(60), true));
    server.push(ClassEvent::ChargeWaived { member: member(1), reason: "sick".into(), at_ms: before(50) });
    let mine = ClassEvent::ChargeWaived { member: member(1), reason: "ill".into(), at_ms: before(40) };
    assert!(matches!(resolve(&server, &mine, 3), Ok(Resolution::Replace(ClassEvent::ClassChangeRepeated { .. }))));
}

#[test]
fn a_class_cancelled_on_two_devices_is_recorded_once() {
    let mut server = with(2, 1, 0);
    server.push(ClassEvent::ClassCancelled { reason: "coach ill".into(), at_ms: before(300) });
    let mine = ClassEvent::ClassCancelled { reason: "no heating".into(), at_ms: before(290) };
    assert!(matches!(
        resolve(&server, &mine, 2),
        Ok(Resolution::Replace(ClassEvent::ClassChangeRepeated { member: None, .. }))
    ));
}

#[test]
fn a_reschedule_below_the_bookings_made_meanwhile_goes_to_the_inbox() {
    let mut server = with(3, 2, 0);
    server.push(booked(member(3), day_before() + 10 * MIN));
    let mine = ClassEvent::ClassRescheduled {
        details: details(2),
        at_ms: day_before() + 12 * MIN,
        skipped: vec![],
        released: vec![],
    };
    assert_eq!(resolve(&server, &mine, 3), Err(Unresolved::Broken(ClassError::CapacityBelowBookings { booked: 3 })));
}

#[test]
fn two_devices_scheduling_one_class_is_a_conflict_for_a_person() {
    assert_eq!(resolve(&[scheduled(12)], &scheduled(14), 0), Err(Unresolved::Conflict));
}

#[test]
fn the_servers_resolutions_are_admitted_only_where_they_could_have_been_written() {
    let device = DeviceId::new("desk-1").unwrap();
    let meta = EventMeta { version: 3, hlc: Hlc { ms: day_before(), c: 0 }, device: &device };
    let admitted =
        |events: &[ClassEvent], e: ClassEvent| class(events).validate(std::slice::from_ref(&e), &meta).is_ok();
    let refused =
        |m: u128, reason: Refused| ClassEvent::BookingRefused { member: member(m), at_ms: day_before(), reason };
    let repeated = |m: Option<u128>, change: RepeatedChange| ClassEvent::ClassChangeRepeated {
        member: m.map(member),
        at_ms: day_before(),
        change,
    };
    let cancelled = {
        let mut c = with(2, 1, 0);
        c.push(ClassEvent::ClassCancelled { reason: "coach ill".into(), at_ms: before(300) });
        c
    };
    // `with(2, 1, 0)`: a class of 2 places, member 1 booked, nobody waiting.
    let open = with(2, 1, 0);

    // An exported log imports again.
    assert!(admitted(&cancelled, refused(2, Refused::ClassCancelled)));
    assert!(admitted(&open, refused(1, Refused::AlreadyBooked)), "member 1 holds a spot");
    assert!(admitted(&open, refused(2, Refused::Denied { denial: Denial::NoMembership })));
    assert!(admitted(&open, repeated(Some(2), RepeatedChange::BookingCancelled)));
    assert!(admitted(&open, repeated(Some(1), RepeatedChange::AttendanceMarked)));
    assert!(admitted(&cancelled, repeated(None, RepeatedChange::ClassCancelled)));

    // Forged: each says something this class's state contradicts.
    assert!(!admitted(&[], refused(2, Refused::ClassCancelled)), "no class to refuse a booking of");
    assert!(!admitted(&open, refused(2, Refused::ClassCancelled)), "the class is not cancelled");
    assert!(!admitted(&open, refused(2, Refused::AlreadyBooked)), "member 2 holds no spot");
    assert!(!admitted(&open, refused(1, Refused::Denied { denial: Denial::NoMembership })), "member 1 is booked");
    assert!(!admitted(&open, repeated(Some(1), RepeatedChange::BookingCancelled)), "member 1's booking stands");
    assert!(!admitted(&open, repeated(Some(2), RepeatedChange::AttendanceMarked)), "member 2 is not booked");
    assert!(!admitted(&open, repeated(None, RepeatedChange::AttendanceSubmitted)), "attendance was not submitted");
    assert!(!admitted(&open, repeated(None, RepeatedChange::ClassCancelled)), "the class stands");
    assert!(!admitted(&open, repeated(None, RepeatedChange::BookingCancelled)), "a booking is a member's");
    assert!(!admitted(&open, refused(1, Refused::ClassStarted)), "member 1's booking stood");
    assert!(!admitted(&open, refused(1, Refused::NotPromoted)), "member 1 holds a spot");
    assert!(admitted(&open, refused(2, Refused::ClassStarted)), "member 2 holds none");
    let charged = {
        let mut c = with(2, 1, 0);
        c.push(ClassEvent::BookingCancelled { member: member(1), at_ms: before(60), late: true, skipped: vec![] });
        c
    };
    assert!(!admitted(&charged, repeated(Some(1), RepeatedChange::ChargeWaived)), "member 1's late cancel is unwaived");
    assert!(admitted(&open, repeated(Some(2), RepeatedChange::ChargeWaived)), "nothing to waive for member 2");

    let r = refused(2, Refused::ClassCancelled);
    assert_eq!(Class::resolution_permission(&r), Some(Permission::Bookings));
    assert_eq!(
        Class::resolution_permission(&repeated(Some(1), RepeatedChange::AttendanceMarked)),
        Some(Permission::Attendance),
        "a coach's phone offers its repeated attendance back"
    );
    for change in [RepeatedChange::ClassRescheduled, RepeatedChange::ClassCancelled] {
        assert_eq!(
            Class::resolution_permission(&repeated(None, change)),
            Some(Permission::Timetable),
            "a repeat of a manager's change is a manager's"
        );
    }
    assert_eq!(Class::command_of(&r), None, "no device decides it");
}

#[test]
fn attendance_taken_of_a_booking_that_did_not_stand_does_not_stand_either_and_says_why() {
    // The server refused member 2's booking (their membership was frozen meanwhile); the coach's
    // phone, which had booked them, marked them attended.
    let frozen = Denial::Frozen { until: monday().add_days(5) };
    let mut server = with(2, 1, 0);
    server.push(ClassEvent::BookingRefused {
        member: member(2),
        at_ms: day_before(),
        reason: Refused::Denied { denial: frozen },
    });
    let mine = marked(2, true, after(5));
    let refused =
        ClassEvent::BookingRefused { member: member(2), at_ms: after(5), reason: Refused::Denied { denial: frozen } };
    assert_eq!(resolve(&server, &mine, 2), Ok(Resolution::Replace(refused.clone())));
    assert!(Class::undone(&refused) && Class::resolves(&refused, &mine), "the phone is told");
}

#[test]
fn attendance_taken_of_a_member_passed_over_for_the_spot_does_not_stand_and_says_why() {
    let no_visits = Denial::NoVisitsLeft;
    let mut server = with(1, 1, 2);
    server.push(ClassEvent::BookingCancelled {
        member: member(1),
        at_ms: day_before() + 60 * MIN,
        late: false,
        skipped: vec![skip(2, no_visits)],
    });
    let mine = marked(2, true, after(5));
    assert_eq!(
        resolve(&server, &mine, 4),
        Ok(Resolution::Replace(ClassEvent::BookingRefused {
            member: member(2),
            at_ms: after(5),
            reason: Refused::Denied { denial: no_visits }
        }))
    );
}

#[test]
fn attendance_taken_of_a_booking_another_desk_cancelled_goes_to_the_inbox() {
    // Nothing says the member could not attend: a person decides.
    let mut server = with(2, 2, 0);
    server.push(booking_cancelled(member(2), before(30), true));
    assert_eq!(resolve(&server, &marked(2, true, after(5)), 3), Err(Unresolved::Broken(ClassError::NotBooked)));
}

#[test]
fn two_managers_moving_a_class_to_the_same_details_move_it_once() {
    let mut server = with(2, 1, 0);
    let bigger = ClassDetails { capacity: 3, ..details(2) };
    server.push(ClassEvent::ClassRescheduled {
        details: bigger.clone(),
        at_ms: day_before(),
        skipped: vec![],
        released: vec![],
    });
    let mine =
        ClassEvent::ClassRescheduled { details: bigger, at_ms: day_before() + MIN, skipped: vec![], released: vec![] };
    let repeated = ClassEvent::ClassChangeRepeated {
        member: None,
        at_ms: day_before() + MIN,
        change: RepeatedChange::ClassRescheduled,
    };
    assert_eq!(resolve(&server, &mine, 2), Ok(Resolution::Replace(repeated.clone())));
    assert!(!Class::undone(&repeated) && Class::resolves(&repeated, &mine));
}

#[test]
fn another_body_under_an_events_id_is_no_retry_of_it() {
    let mine = booked(member(3), day_before() + 12 * MIN);
    let at = day_before() + 12 * MIN;
    let ClassEvent::ClassBooked { membership, .. } = mine.clone() else { unreachable!() };
    // What the server writes of a booking: moved to the waitlist, or refused.
    let waiting_instead =
        ClassEvent::ClassWaitlisted { member: member(3), membership, at_ms: at, override_reason: None };
    assert!(Class::resolves(&waiting_instead, &mine));
    let refused = ClassEvent::BookingRefused { member: member(3), at_ms: at, reason: Refused::ClassStarted };
    assert!(Class::resolves(&refused, &mine));
    // What it never writes of it: a reason added, another change of the same member at that time.
    let beyond = ClassEvent::ClassBooked {
        member: member(3),
        membership,
        at_ms: at,
        override_reason: None,
        over_capacity: Some("coach's friend".into()),
    };
    assert!(!Class::resolves(&beyond, &mine), "the server never adds a reason to go beyond the capacity");
    assert!(Class::resolves(&mine, &beyond), "a reason a freed spot made needless is dropped");
    assert!(!Class::resolves(&mine, &ClassEvent::WaitlistLeft { member: member(3), at_ms: at }));
    let repeat =
        ClassEvent::ClassChangeRepeated { member: Some(member(3)), at_ms: at, change: RepeatedChange::WaitlistLeft };
    assert!(Class::resolves(&repeat, &ClassEvent::WaitlistLeft { member: member(3), at_ms: at }));
    assert!(!Class::resolves(&repeat, &booking_cancelled(member(3), at, false)), "a repeat of another change");
    assert!(!Class::resolves(&refused, &booking_cancelled(member(3), at, false)), "a cancellation is never refused");
}
