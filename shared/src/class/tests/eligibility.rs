//! `can_attend`: whether a member can attend a class on its day, read from their stream (a booking
//! needs a valid membership; DOMAIN.md "Classes"), and on which membership.

use crate::{
    aggregate::Aggregate,
    class::can_attend,
    member::{Denial, EntryRules, Member, MemberEvent},
    testing::members::{
        self, card_of, monday, paid, registered, sold, unlimited_monthly, with_card, with_unlimited, CARD, CARD_PLAN,
        MONTHLY, MONTHLY_PLAN,
    },
};

fn member(events: &[MemberEvent]) -> Member {
    Member::from_events(events)
}

fn rules() -> EntryRules {
    EntryRules::default()
}

#[test]
fn a_member_with_a_running_membership_attends_on_it() {
    assert_eq!(can_attend(&member(&with_unlimited("Ann")), monday().add_days(3), &rules()), Ok(MONTHLY));
}

#[test]
fn a_member_without_a_membership_cannot_attend() {
    assert_eq!(can_attend(&member(&[registered("Ann")]), monday(), &rules()), Err(Denial::NoMembership));
}

#[test]
fn a_blocked_member_cannot_attend_whatever_they_hold() {
    let mut events = with_unlimited("Ann");
    events.push(MemberEvent::MemberBlocked { reason: "unpaid locker".into() });
    assert_eq!(can_attend(&member(&events), monday(), &rules()), Err(Denial::Blocked));
}

#[test]
fn a_frozen_membership_cannot_be_attended_on_until_the_freeze_ends() {
    let mut events = with_unlimited("Ann");
    let (from, until) = (monday().add_days(1), monday().add_days(5));
    events.push(MemberEvent::MembershipFrozen { membership: MONTHLY, from, until, on: monday() });
    let ann = member(&events);
    assert_eq!(can_attend(&ann, monday().add_days(3), &rules()), Err(Denial::Frozen { until }));
    assert_eq!(can_attend(&ann, monday(), &rules()), Ok(MONTHLY), "the class is before the freeze");
    assert_eq!(can_attend(&ann, monday().add_days(6), &rules()), Ok(MONTHLY), "the class is after it");
}

#[test]
fn an_expired_membership_cannot_be_attended_on() {
    let ann = member(&with_unlimited("Ann"));
    let end = ann.memberships[0].end().unwrap();
    assert_eq!(can_attend(&ann, end.add_days(1), &rules()), Err(Denial::Expired { ended: Some(end) }));
}

#[test]
fn a_card_with_visits_left_is_valid_and_one_without_is_not() {
    let with_one = member(&with_card("Ann", 1));
    assert_eq!(can_attend(&with_one, monday(), &rules()), Ok(CARD), "the visit is used by attendance, not here");
    let mut events = with_card("Ann", 1);
    events.push(members::checked_in(members::at(9 * 60), CARD));
    assert_eq!(can_attend(&member(&events), monday().add_days(1), &rules()), Err(Denial::NoVisitsLeft));
}

#[test]
fn a_card_whose_last_visit_a_class_used_has_none_left() {
    let mut events = with_card("Ann", 1);
    events.push(MemberEvent::ClassVisitUsed {
        class: crate::testing::classes::CLASS,
        membership: CARD,
        on: monday(),
        charge: None,
    });
    assert_eq!(can_attend(&member(&events), monday().add_days(1), &rules()), Err(Denial::NoVisitsLeft));
}

#[test]
fn an_unlimited_membership_is_attended_on_before_a_card_so_no_visit_is_used() {
    let mut events = with_card("Ann", 5);
    events.push(sold(MONTHLY, MONTHLY_PLAN, unlimited_monthly(), monday()));
    events.push(paid(MONTHLY, unlimited_monthly().price_cents, monday()));
    assert_eq!(can_attend(&member(&events), monday(), &rules()), Ok(MONTHLY));
}

#[test]
fn of_two_cards_the_one_ending_first_is_used() {
    let later = uuid::Uuid::from_u128(0xc2);
    let mut events = with_card("Ann", 5);
    events.push(sold(later, CARD_PLAN, card_of(5), monday().add_days(10)));
    events.push(paid(later, 9_000, monday().add_days(10)));
    assert_eq!(can_attend(&member(&events), monday().add_days(12), &rules()), Ok(CARD));
}

#[test]
fn of_memberships_that_cannot_be_attended_on_the_nearest_to_admitting_is_named() {
    // A card used up, and an unlimited month frozen on the class's day: the freeze ends, the card
    // stays empty.
    let mut events = with_card("Ann", 1);
    events.push(members::checked_in(members::at(9 * 60), CARD));
    events.push(sold(MONTHLY, MONTHLY_PLAN, unlimited_monthly(), monday()));
    events.push(paid(MONTHLY, unlimited_monthly().price_cents, monday()));
    let until = monday().add_days(4);
    events.push(MemberEvent::MembershipFrozen { membership: MONTHLY, from: monday().add_days(1), until, on: monday() });
    assert_eq!(can_attend(&member(&events), monday().add_days(2), &rules()), Err(Denial::Frozen { until }));
}
