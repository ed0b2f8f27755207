//! A card's visits used by classes (DOMAIN.md "Classes"): by attendance, or by a late cancel or a
//! no-show unless a manager waives it; never by a booking or a waitlist entry; once per class, so a
//! coach's phone and a desk marking the same member use one visit between them; never below zero.

use super::*;
use crate::{
    access::{Permission, Role},
    aggregate::{Aggregate, EventMeta, Resolution},
    class::{can_attend, ChargeKind},
    testing::{
        classes::CLASS,
        given,
        members::{self, at, checked_in, monday, with_card, with_unlimited, CARD, MONTHLY},
    },
    DeviceId, Hlc,
};
use proptest::prelude::*;
use uuid::Uuid;

const OTHER_CLASS: Uuid = Uuid::from_u128(0xc1a56);

fn use_visit(class: Uuid, charge: Option<ChargeKind>) -> MemberCommand {
    MemberCommand::UseClassVisit { class, membership: CARD, on: monday(), charge }
}

fn used(class: Uuid, charge: Option<ChargeKind>) -> MemberEvent {
    MemberEvent::ClassVisitUsed { class, membership: CARD, on: monday(), charge }
}

fn returned(class: Uuid, reason: &str) -> MemberEvent {
    MemberEvent::ClassVisitReturned { class, membership: CARD, on: monday(), reason: reason.into() }
}

fn card(events: &[MemberEvent]) -> Membership {
    Member::from_events(events).membership(CARD).cloned().expect("the card")
}

fn with(mut events: Vec<MemberEvent>, more: &[MemberEvent]) -> Vec<MemberEvent> {
    events.extend_from_slice(more);
    events
}

#[test]
fn attendance_uses_one_visit_of_the_card_and_a_second_for_the_same_class_is_refused() {
    given::<Member>(with_card("Ann", 3)).when(use_visit(CLASS, None)).then_expect(vec![used(CLASS, None)]);
    let events = with(with_card("Ann", 3), &[used(CLASS, None)]);
    let c = card(&events);
    assert_eq!((c.visits_used, c.visits_left(), c.class_visits.clone()), (1, Some(2), vec![CLASS]));
    given::<Member>(events.clone()).when(use_visit(CLASS, None)).then_expect_error(MemberError::ClassVisitAlreadyUsed);
    given::<Member>(events.clone())
        .when(use_visit(CLASS, Some(ChargeKind::NoShow)))
        .then_expect_error(MemberError::ClassVisitAlreadyUsed);
    given::<Member>(events).when(use_visit(OTHER_CLASS, None)).then_expect(vec![used(OTHER_CLASS, None)]);
}

#[test]
fn a_late_cancel_or_a_no_show_uses_the_visit_and_records_why() {
    for charge in [ChargeKind::LateCancel, ChargeKind::NoShow] {
        given::<Member>(with_card("Ann", 3))
            .when(use_visit(CLASS, Some(charge)))
            .then_expect(vec![used(CLASS, Some(charge))]);
        assert_eq!(card(&with(with_card("Ann", 3), &[used(CLASS, Some(charge))])).visits_used, 1);
    }
}

#[test]
fn a_manager_waiving_the_charge_gives_the_visit_back_with_a_reason() {
    let events = with(with_card("Ann", 3), &[used(CLASS, Some(ChargeKind::LateCancel))]);
    let give_back = |reason: &str| MemberCommand::ReturnClassVisit {
        class: CLASS,
        membership: CARD,
        on: monday(),
        reason: reason.into(),
    };
    assert_eq!(Member::permission(&give_back("x")), Permission::Override);
    given::<Member>(events.clone()).when(give_back("  sick   note ")).then_expect(vec![returned(CLASS, "sick note")]);
    given::<Member>(events.clone()).when(give_back(" ")).then_expect_error(MemberError::ReasonMissing);
    let back = with(events, &[returned(CLASS, "sick note")]);
    let c = card(&back);
    assert_eq!((c.visits_used, c.class_visits.len()), (0, 0));
    given::<Member>(back).when(give_back("again")).then_expect_error(MemberError::ClassVisitNotUsed);
    given::<Member>(with_card("Ann", 3))
        .when(give_back("never used"))
        .then_expect_error(MemberError::ClassVisitNotUsed);
}

#[test]
fn a_no_show_waived_then_marked_attended_after_all_uses_the_visit_again() {
    let events = with(with_card("Ann", 3), &[used(CLASS, Some(ChargeKind::NoShow)), returned(CLASS, "late bus")]);
    given::<Member>(events.clone()).when(use_visit(CLASS, None)).then_expect(vec![used(CLASS, None)]);
    assert_eq!(card(&with(events, &[used(CLASS, None)])).visits_used, 1);
}

#[test]
fn a_booking_uses_no_visit_only_attendance_does() {
    // One visit left: the member can book two classes (neither uses it) …
    let ann = Member::from_events(&with_card("Ann", 1));
    assert_eq!(can_attend(&ann, monday(), &EntryRules::default()), Ok(CARD));
    assert_eq!(can_attend(&ann, monday().add_days(1), &EntryRules::default()), Ok(CARD));
    // … and the first attended uses it: the other can no longer be attended on it.
    let after = Member::from_events(&with(with_card("Ann", 1), &[used(CLASS, None)]));
    assert_eq!(can_attend(&after, monday().add_days(1), &EntryRules::default()), Err(Denial::NoVisitsLeft));
}

#[test]
fn a_card_with_no_visit_left_uses_none_and_says_so() {
    let events = with(with_card("Ann", 1), &[checked_in(at(9 * 60), CARD)]);
    given::<Member>(events)
        .when(use_visit(CLASS, None))
        .then_expect_error(MemberError::EntryDenied(Denial::NoVisitsLeft));
}

#[test]
fn only_a_visit_card_of_the_member_has_visits_to_use() {
    let unlimited = MemberCommand::UseClassVisit { class: CLASS, membership: MONTHLY, on: monday(), charge: None };
    given::<Member>(with_unlimited("Ann")).when(unlimited).then_expect_error(MemberError::NotACard);
    given::<Member>(with_unlimited("Ann"))
        .when(use_visit(CLASS, None))
        .then_expect_error(MemberError::Membership(MembershipError::NoSuchMembership));
    let archived = with(with_card("Ann", 3), &[MemberEvent::MemberArchived {}]);
    given::<Member>(archived).when(use_visit(CLASS, None)).then_expect_error(MemberError::Archived);
}

#[test]
fn a_card_starting_on_its_first_visit_starts_on_the_day_of_the_class() {
    let events = vec![
        members::registered("Ann"),
        MemberEvent::MembershipSold {
            membership: CARD,
            plan: members::CARD_PLAN,
            terms: members::card_of(5),
            start: Start::FirstVisit,
            on: monday().add_days(-3),
            renews: None,
        },
        used(CLASS, None),
    ];
    assert_eq!(card(&events).start, Some(monday()));
}

#[test]
fn a_coach_uses_visits_by_taking_attendance_and_only_a_manager_gives_them_back() {
    assert_eq!(Member::permission(&use_visit(CLASS, None)), Permission::Attendance);
    assert!(Role::Coach.can(Permission::Attendance) && Role::FrontDesk.can(Permission::Attendance));
    assert!(!Role::Coach.can(Permission::Override) && !Role::FrontDesk.can(Permission::Override));
}

#[test]
fn a_visit_folded_onto_an_empty_card_leaves_it_at_none_left_never_below() {
    // Whatever a log holds (an import, a replay), the card's count stays within the card.
    let events = with(with_card("Ann", 1), &[used(CLASS, None), used(OTHER_CLASS, None), used(CLASS, None)]);
    let c = card(&events);
    assert_eq!((c.visits_used, c.visits_left(), c.class_visits.clone()), (1, Some(0), vec![CLASS]));
}

// --- Two devices ------------------------------------------------------------------------------

fn desk(n: u8) -> DeviceId {
    DeviceId::new(format!("desk-{n}")).unwrap()
}

/// Resolves `event`, made by desk 2 on version `parent`, on the member `server` holds.
fn resolve(server: &[MemberEvent], event: &MemberEvent, parent: u64) -> Resolution<MemberEvent> {
    let device = desk(2);
    let meta = EventMeta { version: server.len() as u64 + 1, hlc: Hlc { ms: at(19 * 60), c: 0 }, device: &device };
    let mut resolved = Member::from_events(server).resolve(std::slice::from_ref(event), &meta, parent).unwrap();
    assert_eq!(resolved.len(), 1);
    resolved.remove(0)
}

#[test]
fn a_coachs_phone_and_a_desk_using_the_visit_of_one_class_use_it_once() {
    let server = with(with_card("Ann", 3), &[used(CLASS, None)]);
    let mine = used(CLASS, None);
    let repeated = MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class: CLASS } };
    assert_eq!(resolve(&server, &mine, 3), Resolution::Replace(repeated.clone()));
    assert!(!Member::undone(&repeated), "the visit was used, as the desk wanted");
    assert!(Member::resolves(&repeated, &mine));
    assert_eq!(card(&with(server, &[repeated])).visits_used, 1);
}

#[test]
fn a_visit_given_back_on_two_desks_is_given_back_once() {
    let server = with(with_card("Ann", 3), &[used(CLASS, Some(ChargeKind::NoShow)), returned(CLASS, "ill")]);
    let mine = returned(CLASS, "sick");
    assert_eq!(
        resolve(&server, &mine, 4),
        Resolution::Replace(MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class: CLASS } })
    );
}

#[test]
fn the_last_visit_of_a_card_used_by_two_classes_on_two_devices_counts_once_and_the_other_is_not_counted() {
    let server = with(with_card("Ann", 1), &[used(CLASS, None)]);
    let mine = used(OTHER_CLASS, None);
    let not_counted = MemberEvent::ClassVisitNotCounted {
        class: OTHER_CLASS,
        membership: CARD,
        on: monday(),
        reason: VisitNotCounted::NoVisitsLeft,
    };
    assert_eq!(resolve(&server, &mine, 3), Resolution::Replace(not_counted.clone()));
    assert!(Member::undone(&not_counted), "the device that used it is told");
    assert!(Member::resolves(&not_counted, &mine));
    let device = desk(1);
    let meta = EventMeta { version: 5, hlc: Hlc::default(), device: &device };
    let held = Member::from_events(&server);
    assert_eq!(held.validate(std::slice::from_ref(&not_counted), &meta), Ok(1), "an exported log imports again");
    let fresh = Member::from_events(&with_card("Ann", 1));
    assert!(fresh.validate(std::slice::from_ref(&not_counted), &meta).is_err(), "the card had a visit left");
    let c = card(&with(server, &[not_counted]));
    assert_eq!((c.visits_used, c.visits_left()), (1, Some(0)), "never below zero");
}

#[test]
fn a_check_in_and_a_class_on_two_desks_taking_the_last_visit_leave_the_card_at_zero() {
    let server = with(with_card("Ann", 1), &[checked_in(at(9 * 60), CARD)]);
    let mine = used(CLASS, None);
    assert!(matches!(resolve(&server, &mine, 3), Resolution::Replace(MemberEvent::ClassVisitNotCounted { .. })));
}

// --- Over random histories ---------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Step {
    Use { class: u8, charge: Option<ChargeKind> },
    Return { class: u8 },
    CheckIn { minute: u64 },
    Void,
}

fn step() -> impl Strategy<Value = Step> {
    let charge = prop_oneof![Just(None), Just(Some(ChargeKind::LateCancel)), Just(Some(ChargeKind::NoShow))];
    prop_oneof![
        4 => (0..4u8, charge).prop_map(|(class, charge)| Step::Use { class, charge }),
        2 => (0..4u8).prop_map(|class| Step::Return { class }),
        2 => (0..600u64).prop_map(|minute| Step::CheckIn { minute }),
        1 => Just(Step::Void),
    ]
}

fn class_id(n: u8) -> Uuid {
    Uuid::from_u128(0xc1a50 + n as u128)
}

fn command(step: &Step, member: &Member) -> Option<MemberCommand> {
    Some(match step {
        Step::Use { class, charge } => use_visit(class_id(*class), *charge),
        Step::Return { class } => MemberCommand::ReturnClassVisit {
            class: class_id(*class),
            membership: CARD,
            on: monday(),
            reason: "waived".into(),
        },
        Step::CheckIn { .. } => members::check_in(monday(), CARD),
        Step::Void => {
            let visit = member.recent_check_ins.last()?;
            MemberCommand::VoidCheckIn { at_ms: visit.at_ms, reason: "wrong member".into() }
        }
    })
}

proptest! {
    /// Two devices using, giving back and checking in on one card, each on its own stale copy,
    /// their events joining the server's stream as the server rebases them: the card never uses
    /// more visits than it has, a class's visit is used at most once, and every visit a class used
    /// is counted.
    #[test]
    fn class_visits_never_take_a_card_below_zero_or_count_a_class_twice(
        visits in 1..4u32,
        steps in prop::collection::vec((step(), 0..2usize, prop::bool::weighted(0.3)), 1..40),
    ) {
        let mut server: Vec<MemberEvent> = with_card("Ann", visits);
        let mut known = [server.len(), server.len()];
        let mut unsent: [Vec<MemberEvent>; 2] = [vec![], vec![]];
        for (i, (step, d, sync)) in steps.iter().enumerate() {
            let mut seen = server[..known[*d]].to_vec();
            seen.extend(unsent[*d].iter().cloned());
            let member = Member::from_events(&seen);
            let now = at(10 * 60 + match step { Step::CheckIn { minute } => *minute, _ => 0 }) + i as u64;
            if let Some(command) = command(step, &member) {
                if let Ok(events) = member.decide(command, now) {
                    unsent[*d].extend(events);
                }
            }
            if *sync || i + 1 == steps.len() {
                for d in [*d, 1 - *d] {
                    let parent = known[d] as u64;
                    for event in std::mem::take(&mut unsent[d]) {
                        let held = Member::from_events(&server);
                        let device = desk(d as u8);
                        let meta = EventMeta { version: server.len() as u64 + 1, hlc: Hlc { ms: now, c: 0 }, device: &device };
                        match held.resolve(std::slice::from_ref(&event), &meta, parent).as_deref() {
                            Ok([Resolution::Keep]) => server.push(event),
                            Ok([Resolution::Replace(e)]) => server.push(e.clone()),
                            _ => {}
                        }
                        let card = Member::from_events(&server).membership(CARD).cloned().unwrap();
                        prop_assert!(card.visits_used <= visits, "{:?}", card);
                        let mut classes = card.class_visits.clone();
                        classes.sort();
                        classes.dedup();
                        prop_assert_eq!(classes.len(), card.class_visits.len(), "a class used two visits");
                        prop_assert!(card.visits_used as usize >= card.class_visits.len());
                    }
                    known[d] = server.len();
                }
            }
        }
    }
}
