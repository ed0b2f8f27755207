//! The server's re-check at append (`recheck`): a member who got a spot or a waitlist entry from a
//! device's push but cannot attend by the server's reading of their stream is not dropped: the
//! booking is stored as refused with the reason, a spot that went to them by promotion goes to
//! the next in line.

use super::*;
use crate::class::recheck::{correct, corrections, recheck_event, Correction};

/// Whether a member can attend, as the server reads its member streams: `unable` cannot.
fn reading(unable: &[(uuid::Uuid, Denial)]) -> impl FnMut(uuid::Uuid, Option<uuid::Uuid>) -> Result<(), Denial> + '_ {
    move |m, _| unable.iter().find(|(u, _)| *u == m).map_or(Ok(()), |(_, d)| Err(*d))
}

/// The stream after `pushed` joins `before`, its corrections asked of `unable`, each applied and
/// the stream folded again, until none is wanted: what the server stores, and the class then.
fn settle(before: &[ClassEvent], pushed: &[ClassEvent], unable: &[(uuid::Uuid, Denial)]) -> (Vec<ClassEvent>, Class) {
    let versions = before.len() as u64 + 1..=(before.len() + pushed.len()) as u64;
    let mut stored = pushed.to_vec();
    for _ in 0..10 {
        // Each event is asked about right after it, as the server does.
        let mut wanted = vec![];
        let mut all = before.to_vec();
        for (i, e) in stored.iter().enumerate() {
            let prior = class(&all);
            all.push(e.clone());
            let version = *versions.start() + i as u64;
            wanted.extend(recheck_event(&prior, &class(&all), e, version, &mut reading(unable)));
        }
        if wanted.is_empty() {
            return (stored, class(&all));
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
fn a_member_the_device_passed_over_who_can_attend_gets_the_spot_in_their_place_in_line() {
    // The desk saw member 3 as blocked (stale, or a forged claim); the server's reading says they
    // can attend: the cancellation's skip is taken back, and the spot is theirs, not member 4's.
    let cancelled = ClassEvent::BookingCancelled {
        member: member(1),
        at_ms: day_before() + 60 * MIN,
        late: false,
        skipped: vec![skip(3, Denial::Blocked)],
    };
    let (stored, c) = settle(&with(2, 2, 2), &[cancelled], &[]);
    assert_eq!(stored, [booking_cancelled(member(1), day_before() + 60 * MIN, false)]);
    assert_eq!((roster(&c), waiting(&c)), (vec![member(2), member(3)], vec![member(4)]));
    // A skip the server agrees with stands (its reason as the device gave it).
    let frozen = Denial::Frozen { until: monday().add_days(3) };
    let claimed = ClassEvent::BookingCancelled {
        member: member(1),
        at_ms: day_before() + 60 * MIN,
        late: false,
        skipped: vec![skip(3, Denial::Blocked)],
    };
    let (stored, c) = settle(&with(2, 2, 2), std::slice::from_ref(&claimed), &[(member(3), frozen)]);
    assert_eq!(stored, [claimed]);
    assert_eq!(roster(&c), [member(2), member(4)]);
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
    let found = corrections(&class(&after), 3..=3, &mut |m, _| {
        asked.borrow_mut().push(m);
        Ok(())
    });
    assert!(found.is_empty());
    assert_eq!(asked.into_inner(), [member(2)]);
}

#[test]
fn a_reschedule_to_more_capacity_passes_over_members_who_cannot_attend() {
    let grown = ClassEvent::ClassRescheduled {
        details: details(2),
        at_ms: day_before() + 60 * MIN,
        skipped: vec![],
        released: vec![],
    };
    let (stored, c) = settle(&with(1, 1, 2), &[grown], &[(member(2), Denial::Cancelled)]);
    let ClassEvent::ClassRescheduled { skipped, .. } = &stored[0] else { panic!("{stored:?}") };
    assert_eq!(skipped, &[skip(2, Denial::Cancelled)]);
    assert_eq!(roster(&c), [member(1), member(3)]);
}

#[test]
fn a_class_moved_to_a_day_a_booked_member_cannot_attend_releases_them_though_the_device_did_not() {
    // The manager's device did not know member 1's membership ends on Monday: the server does.
    let ended = Denial::Expired { ended: Some(monday()) };
    let moved =
        ClassEvent::ClassRescheduled { details: next_day(2), at_ms: day_before(), skipped: vec![], released: vec![] };
    let (stored, c) = settle(&with(2, 2, 1), std::slice::from_ref(&moved), &[(member(1), ended)]);
    let ClassEvent::ClassRescheduled { released, .. } = &stored[0] else { panic!("{stored:?}") };
    assert_eq!(released, &[skip(1, ended)]);
    assert_eq!((roster(&c), waiting(&c)), (vec![member(2), member(3)], vec![]));
    assert!(Class::told(&moved, &stored[0]), "the manager's device hears whose booking the move released after all");
}

#[test]
fn a_member_the_device_released_who_can_attend_on_the_new_day_keeps_their_booking() {
    let moved = ClassEvent::ClassRescheduled {
        details: next_day(2),
        at_ms: day_before(),
        skipped: vec![],
        released: vec![skip(2, Denial::Blocked)],
    };
    let (stored, c) = settle(&with(2, 2, 1), std::slice::from_ref(&moved), &[]);
    let ClassEvent::ClassRescheduled { released, .. } = &stored[0] else { panic!("{stored:?}") };
    assert!(released.is_empty(), "{released:?}");
    assert_eq!((roster(&c), waiting(&c)), (vec![member(1), member(2)], vec![member(3)]));
    assert!(Class::told(&moved, &stored[0]), "and whose booking it kept after all");
    assert!(!Class::told(&stored[0], &stored[0]), "a move stored as sent is no news");
}

#[test]
fn the_spot_a_release_frees_skips_a_waiting_member_who_cannot_attend_on_the_new_day_either() {
    let moved =
        ClassEvent::ClassRescheduled { details: next_day(2), at_ms: day_before(), skipped: vec![], released: vec![] };
    let (stored, c) = settle(&with(2, 2, 2), &[moved], &[(member(1), Denial::Blocked), (member(3), Denial::Blocked)]);
    let ClassEvent::ClassRescheduled { released, skipped, .. } = &stored[0] else { panic!("{stored:?}") };
    assert_eq!(
        (released.as_slice(), skipped.as_slice()),
        (&[skip(1, Denial::Blocked)][..], &[skip(3, Denial::Blocked)][..])
    );
    assert_eq!((roster(&c), waiting(&c)), (vec![member(2), member(4)], vec![member(3)]));
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

// --- A card visit is held to its class ---------------------------------------------------------

mod visits {
    use super::*;
    use crate::{
        aggregate::Aggregate,
        class::{
            booking_stands,
            recheck::{records_visit, visit_checked, visits_to_check},
            ChargeKind,
        },
        member::{EntryRules, Member, MemberEvent, VisitNotCounted},
        testing::{
            classes::CLASS,
            members::{with_card, CARD},
        },
    };

    fn used(charge: Option<ChargeKind>) -> MemberEvent {
        MemberEvent::ClassVisitUsed { class: CLASS, membership: CARD, on: monday(), charge }
    }

    fn not_in_class() -> MemberEvent {
        MemberEvent::ClassVisitNotCounted {
            class: CLASS,
            membership: CARD,
            on: monday(),
            reason: VisitNotCounted::NotInClass,
        }
    }

    /// Members 1 and 2 booked on Ann's card (`CARD`); member 1 attended.
    fn carded() -> Vec<ClassEvent> {
        let mut events = vec![scheduled(2)];
        for n in 1..=2 {
            events.push(ClassEvent::ClassBooked {
                member: member(n),
                membership: Some(CARD),
                at_ms: day_before() + n as u64 * MIN,
                override_reason: None,
                over_capacity: None,
            });
        }
        events.push(ClassEvent::AttendanceMarked { member: member(1), attended: true, at_ms: before(10) });
        events
    }

    #[test]
    fn an_attended_booking_on_the_card_uses_its_visit() {
        let c = class(&carded());
        assert!(records_visit(&c, member(1), CARD, None));
        assert_eq!(visit_checked(&used(None), member(1), Some(&c)), None, "it stands as sent");
    }

    #[test]
    fn a_visit_used_for_attendance_the_class_does_not_record_is_not_counted() {
        let c = class(&carded());
        // Member 2 is booked but not marked; member 3 never booked; no class at all.
        for (who, class) in [(member(2), Some(&c)), (member(3), Some(&c)), (member(1), None)] {
            assert_eq!(visit_checked(&used(None), who, class), Some(not_in_class()), "{who}");
        }
        // On another card than the booking names.
        let other = uuid::Uuid::from_u128(0xdead);
        assert!(!records_visit(&c, member(1), other, None));
    }

    #[test]
    fn a_late_cancel_or_no_show_uses_a_visit_only_while_the_class_records_it_unwaived() {
        let mut events = carded();
        events.push(booking_cancelled(member(2), before(60), true));
        let c = class(&events);
        assert!(records_visit(&c, member(2), CARD, Some(ChargeKind::LateCancel)));
        assert!(!records_visit(&c, member(2), CARD, Some(ChargeKind::NoShow)), "another charge");
        assert!(!records_visit(&c, member(1), CARD, Some(ChargeKind::LateCancel)), "another member");
        events.push(ClassEvent::ChargeWaived { member: member(2), reason: "flat tyre".into(), at_ms: before(30) });
        let waived = class(&events);
        assert_eq!(visit_checked(&used(Some(ChargeKind::LateCancel)), member(2), Some(&waived)), Some(not_in_class()));
    }

    #[test]
    fn a_visit_the_same_batch_gives_back_is_not_asked_about() {
        let returned = MemberEvent::ClassVisitReturned {
            class: CLASS,
            membership: CARD,
            on: monday(),
            reason: "tick taken back".into(),
        };
        assert!(visits_to_check(&[used(None), returned.clone()]).is_empty());
        assert_eq!(visits_to_check(&[returned.clone(), used(None)]), [CLASS], "given back before it was used");
        // Another card's visit given back does not cover this one's.
        let other_card = MemberEvent::ClassVisitReturned {
            class: CLASS,
            membership: uuid::Uuid::from_u128(0xb0b),
            on: monday(),
            reason: "waived".into(),
        };
        assert_eq!(visits_to_check(&[used(None), other_card]), [CLASS]);
        assert_eq!(visits_to_check(&[not_in_class()]), [CLASS], "a device's own 'not counted' is checked too");
    }

    #[test]
    fn a_devices_not_counted_must_be_true_of_the_class() {
        use crate::class::recheck::not_counted_holds;
        let attended = class(&carded());
        assert!(!not_counted_holds(&not_in_class(), member(1), Some(&attended)), "member 1 attended on the card");
        assert!(not_counted_holds(&not_in_class(), member(2), Some(&attended)), "member 2 did not");
        assert!(not_counted_holds(&not_in_class(), member(1), None), "no such class");
    }

    #[test]
    fn a_visit_not_counted_for_its_class_uses_nothing_and_is_admitted_only_where_it_was_not_used() {
        let ann = Member::from_events(&with_card("Ann", 10));
        let server = crate::DeviceId::new("server").unwrap();
        let meta = crate::testing::meta(&server);
        assert!(ann.admits(&not_in_class(), &meta));
        let mut events = with_card("Ann", 10);
        events.push(used(None));
        let used_it = Member::from_events(&events);
        assert!(!used_it.admits(&not_in_class(), &meta), "the visit was used: it is no 'not counted'");
        events.pop();
        events.push(not_in_class());
        assert_eq!(Member::from_events(&events).membership(CARD).unwrap().visits_used, 0);
        assert!(Member::resolves(&not_in_class(), &used(None)), "a retry of the visit is answered with it");
    }

    #[test]
    fn a_visit_not_counted_for_no_visits_left_keeps_its_old_json() {
        let old = MemberEvent::ClassVisitNotCounted {
            class: CLASS,
            membership: CARD,
            on: monday(),
            reason: VisitNotCounted::NoVisitsLeft,
        };
        let json = serde_json::to_value(&old).unwrap();
        assert!(json["data"].get("reason").is_none(), "{json}");
        assert_eq!(serde_json::to_value(not_in_class()).unwrap()["data"]["reason"], "not_in_class");
    }

    #[test]
    fn a_booking_naming_another_members_card_does_not_stand() {
        let ann = Member::from_events(&with_card("Ann", 10));
        let rules = EntryRules::default();
        assert_eq!(booking_stands(&ann, Some(CARD), monday(), &rules), Ok(()));
        assert_eq!(booking_stands(&ann, None, monday(), &rules), Ok(()), "an overridden booking names none");
        let bens_card = uuid::Uuid::from_u128(0xbe4);
        assert_eq!(booking_stands(&ann, Some(bens_card), monday(), &rules), Err(Denial::NoMembership));
        // The server's re-check refuses it with that reason.
        let on_bens = ClassEvent::ClassBooked {
            member: member(2),
            membership: Some(bens_card),
            at_ms: day_before(),
            override_reason: None,
            over_capacity: None,
        };
        let after = {
            let mut e = with(2, 1, 0);
            e.push(on_bens);
            class(&e)
        };
        let found = corrections(&after, 3..=3, &mut |_, membership| booking_stands(&ann, membership, monday(), &rules));
        assert_eq!(found, [Correction::Refuse { version: 3, member: member(2), denial: Denial::NoMembership }]);
    }
}
