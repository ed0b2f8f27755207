//! The server's re-check at append (`recheck`): a member who got a spot or a waitlist entry from a
//! device's push but cannot attend by the server's reading of their stream is not dropped: the
//! booking is stored as refused with the reason, a spot that went to them by promotion goes to
//! the next in line.

use super::*;
use crate::class::recheck::{correct, corrections, Correction};

/// Whether a member can attend, as the server reads its member streams: `unable` cannot.
fn reading(unable: &[(uuid::Uuid, Denial)]) -> impl FnMut(uuid::Uuid) -> Result<(), Denial> + '_ {
    move |m| unable.iter().find(|(u, _)| *u == m).map_or(Ok(()), |(_, d)| Err(*d))
}

/// The stream after `pushed` joins `before`, its corrections asked of `unable`, each applied and
/// the stream folded again, until none is wanted: what the server stores, and the class then.
fn settle(before: &[ClassEvent], pushed: &[ClassEvent], unable: &[(uuid::Uuid, Denial)]) -> (Vec<ClassEvent>, Class) {
    let versions = before.len() as u64 + 1..=(before.len() + pushed.len()) as u64;
    let mut stored = pushed.to_vec();
    for _ in 0..10 {
        let mut all = before.to_vec();
        all.extend(stored.iter().cloned());
        let after = class(&all);
        let wanted = corrections(&after, versions.clone(), &mut reading(unable));
        if wanted.is_empty() {
            return (stored, after);
        }
        for c in &wanted {
            let i = (c.version() - *versions.start()) as usize;
            stored[i] = correct(&stored[i], c).expect("the correction applies to its event");
        }
    }
    panic!("the re-check does not settle");
}

#[test]
fn a_promoted_member_who_cannot_attend_is_skipped_and_the_next_in_line_gets_the_spot() {
    let frozen = Denial::Frozen { until: monday().add_days(9) };
    let before_push = with(2, 2, 2);
    let cancelled = booking_cancelled(member(1), day_before() + 60 * MIN, false);
    // The device saw member 3 as able: the spot went to them.
    let mut after = before_push.clone();
    after.push(cancelled.clone());
    let first = corrections(&class(&after), 6..=6, &mut reading(&[(member(3), frozen)]));
    assert_eq!(first, [Correction::Skip { version: 6, member: member(3), denial: frozen }]);
    let (stored, c) = settle(&before_push, &[cancelled], &[(member(3), frozen)]);
    assert_eq!(
        stored,
        [ClassEvent::BookingCancelled {
            member: member(1),
            at_ms: day_before() + 60 * MIN,
            late: false,
            skipped: vec![skip(3, frozen)]
        }]
    );
    assert_eq!((roster(&c), waiting(&c)), (vec![member(2), member(4)], vec![member(3)]));
    assert_eq!(c.waiting(member(3)).unwrap().skipped, Some(frozen));
}

#[test]
fn a_spot_passes_down_the_line_until_a_member_who_can_attend() {
    let before_push = with(1, 1, 3);
    let cancelled = booking_cancelled(member(1), day_before() + 60 * MIN, false);
    let unable = [(member(2), Denial::NoVisitsLeft), (member(3), Denial::NoMembership)];
    let (stored, c) = settle(&before_push, &[cancelled], &unable);
    let ClassEvent::BookingCancelled { skipped, .. } = &stored[0] else { panic!("{stored:?}") };
    assert_eq!(skipped, &[skip(2, Denial::NoVisitsLeft), skip(3, Denial::NoMembership)]);
    assert_eq!(roster(&c), [member(4)]);
}

#[test]
fn a_spot_no_waiting_member_can_take_stays_free() {
    let unable = [(member(2), Denial::Blocked)];
    let (_, c) = settle(&with(1, 1, 1), &[booking_cancelled(member(1), day_before() + 60 * MIN, false)], &unable);
    assert_eq!((c.free(), waiting(&c)), (1, vec![member(2)]));
}

#[test]
fn a_direct_booking_of_a_member_who_cannot_attend_is_stored_as_refused_with_the_reason() {
    let expired = Denial::Expired { ended: Some(monday().add_days(-1)) };
    let mine = booked(member(2), day_before());
    let (stored, c) = settle(&with(2, 1, 0), &[mine], &[(member(2), expired)]);
    assert_eq!(
        stored,
        [ClassEvent::BookingRefused {
            member: member(2),
            at_ms: day_before(),
            reason: Refused::Denied { denial: expired }
        }]
    );
    assert!(c.booking(member(2)).is_none());
    assert!(Class::undone(&stored[0]), "the desk that booked is told");
}

#[test]
fn a_waitlist_entry_of_a_member_who_cannot_attend_is_refused_too() {
    let (stored, c) =
        settle(&with(1, 1, 0), &[waitlisted(member(2), day_before())], &[(member(2), Denial::NoMembership)]);
    assert!(matches!(
        stored[0],
        ClassEvent::BookingRefused { reason: Refused::Denied { denial: Denial::NoMembership }, .. }
    ));
    assert!(c.waitlist.is_empty());
}

#[test]
fn staff_moving_up_a_member_who_cannot_attend_is_refused_and_they_stay_waiting() {
    let promoted =
        ClassEvent::WaitlistPromoted { member: member(2), at_ms: before(60), over_capacity: Some("x".into()) };
    let (stored, c) = settle(&with(1, 1, 1), &[promoted], &[(member(2), Denial::NoVisitsLeft)]);
    assert!(matches!(stored[0], ClassEvent::BookingRefused { member: m, .. } if m == member(2)));
    assert_eq!((roster(&c), waiting(&c)), (vec![member(1)], vec![member(2)]));
}

#[test]
fn a_booking_a_manager_overrode_is_not_rechecked() {
    let overridden = ClassEvent::ClassBooked {
        member: member(2),
        membership: None,
        at_ms: day_before(),
        override_reason: Some("trial class".into()),
        over_capacity: None,
    };
    let (stored, c) = settle(&with(2, 1, 0), std::slice::from_ref(&overridden), &[(member(2), Denial::NoMembership)]);
    assert_eq!((stored, roster(&c)), (vec![overridden], vec![member(1), member(2)]));
}

#[test]
fn only_the_members_this_push_gave_a_spot_are_asked_about() {
    // Member 1's booking was settled by an earlier push; this push books member 2.
    let mut after = with(3, 1, 0);
    after.push(booked(member(2), day_before()));
    let asked = std::cell::RefCell::new(vec![]);
    let found = corrections(&class(&after), 3..=3, &mut |m| {
        asked.borrow_mut().push(m);
        Ok(())
    });
    assert!(found.is_empty());
    assert_eq!(asked.into_inner(), [member(2)]);
}

#[test]
fn a_reschedule_to_more_capacity_passes_over_members_who_cannot_attend() {
    let grown = ClassEvent::ClassRescheduled { details: details(2), at_ms: day_before() + 60 * MIN, skipped: vec![] };
    let (stored, c) = settle(&with(1, 1, 2), &[grown], &[(member(2), Denial::Cancelled)]);
    let ClassEvent::ClassRescheduled { skipped, .. } = &stored[0] else { panic!("{stored:?}") };
    assert_eq!(skipped, &[skip(2, Denial::Cancelled)]);
    assert_eq!(roster(&c), [member(1), member(3)]);
}

#[test]
fn a_correction_applies_only_to_the_event_it_names() {
    let skip_3 = Correction::Skip { version: 3, member: member(3), denial: Denial::Blocked };
    assert_eq!(correct(&booked(member(3), day_before()), &skip_3), None, "a booking frees no spot");
    let refuse_3 = Correction::Refuse { version: 3, member: member(3), denial: Denial::Blocked };
    assert_eq!(correct(&booked(member(4), day_before()), &refuse_3), None, "another member's booking");
    assert_eq!(correct(&booking_cancelled(member(1), day_before(), false), &refuse_3), None);
}

#[test]
fn the_visit_a_class_itself_used_does_not_make_its_member_unable_to_attend_it() {
    // A one-visit card: the booking and the attendance that used the visit reach the server in
    // one push. The booking is judged on the member as they were before this class's visit.
    use crate::{
        aggregate::Aggregate,
        member::{EntryRules, Member, MemberEvent},
        testing::{classes::CLASS, members::with_card},
    };
    let mut events = with_card("Ann", 1);
    events.push(MemberEvent::ClassVisitUsed { class: CLASS, membership: CARD, on: monday(), charge: None });
    let ann = Member::from_events(&events);
    assert_eq!(can_attend(&ann, monday(), &EntryRules::default()), Err(Denial::NoVisitsLeft));
    assert_eq!(can_attend(&ann.before_class(CLASS), monday(), &EntryRules::default()), Ok(CARD));
    let other = uuid::Uuid::from_u128(0xc1a56);
    assert_eq!(
        can_attend(&ann.before_class(other), monday(), &EntryRules::default()),
        Err(Denial::NoVisitsLeft),
        "another class's visit does"
    );
    assert!(matches!(ann.before_class(other), std::borrow::Cow::Borrowed(_)), "nothing to give back: no copy");
}
