//! The shape check of club-local dates: an event dated `on` (a check-in, an override, a
//! membership change) was made on that day of the club's calendar, which is never more than a day
//! off the UTC date of the event id's time (offsets run from −12 h to +14 h).

use super::{check_request, ShapeError};
use crate::{
    aggregate::DomainEvent,
    calendar::Date,
    hlc::Hlc,
    member::{EntryRules, MemberEvent, PaymentMethod},
    protocol::{PushBatch, PushRequest},
    DeviceId, EventEnvelope, StreamId,
};
use uuid::Uuid;

/// Monday 2026-03-02, 23:30 UTC: in Berlin already Tuesday, in New York still Monday.
fn made_at() -> u64 {
    crate::testing::members::at(23 * 60 + 30)
}

fn monday() -> Date {
    crate::testing::members::monday()
}

/// A push of `event`, made at [`made_at`] (its id's time and its stamp), as version 4 of a member.
fn push_of(event: MemberEvent) -> PushRequest {
    let stream = StreamId::member(Uuid::from_u128(7));
    let envelope = EventEnvelope {
        id: crate::ids::new_event_id(made_at(), [7; 10]),
        stream,
        version: 4,
        event_type: event.event_type().to_owned(),
        schema_version: 1,
        data: event.encode(),
        hlc: Hlc { ms: made_at(), c: 0 },
        device: DeviceId::new("desk-1").unwrap(),
        staff: None,
        position: None,
    };
    PushRequest {
        device: envelope.device.clone(),
        batches: vec![PushBatch { stream, parent_version: 3, events: vec![envelope] }],
        epoch: None,
    }
}

fn checked_in_on(on: Date) -> MemberEvent {
    MemberEvent::MemberCheckedIn {
        at_ms: made_at(),
        on,
        membership: Uuid::from_u128(0xa1),
        rules: EntryRules::default(),
    }
}

fn check(event: MemberEvent) -> Result<(), ShapeError> {
    check_request(&push_of(event), made_at() + 1_000)
}

#[test]
fn a_check_in_dated_the_day_before_on_or_after_its_ids_utc_date_is_accepted() {
    for on in [monday().add_days(-1), monday(), monday().add_days(1)] {
        assert_eq!(check(checked_in_on(on)), Ok(()), "{on}");
    }
}

#[test]
fn a_check_in_dated_two_days_from_when_it_was_made_is_refused_as_a_date_mismatch() {
    for (on, days_apart) in [(monday().add_days(2), 2), (monday().add_days(-2), -2), (monday().add_days(-400), -400)] {
        let refused = check(checked_in_on(on)).unwrap_err();
        assert!(
            matches!(refused, ShapeError::DateMismatch { on: o, made, days_apart: apart, .. }
                if o == on && made == monday() && apart == days_apart),
            "{refused:?}"
        );
        assert_eq!(refused.code(), "date_mismatch");
        assert!(refused.event().is_some() && refused.stream().is_some());
    }
    assert_eq!(
        check(checked_in_on(monday().add_days(3))).unwrap_err().to_string().split(": a club").next().unwrap(),
        format!(
            "event {} is dated 2026-03-05, 3 day(s) away from the day it was made (2026-03-02 UTC, its id's time)",
            push_of(checked_in_on(monday())).batches[0].events[0].id
        )
    );
}

#[test]
fn every_membership_change_and_override_is_checked_too() {
    let m = Uuid::from_u128(0xa1);
    let far = monday().add_days(30);
    let dated_far = [
        MemberEvent::MembershipSold {
            membership: m,
            plan: Uuid::from_u128(0xb1),
            terms: crate::testing::members::unlimited_monthly(),
            start: crate::member::Start::On(far),
            on: far,
            renews: None,
        },
        MemberEvent::PaymentRecorded { membership: m, amount_cents: 100, method: PaymentMethod::Cash, on: far },
        MemberEvent::MembershipFrozen { membership: m, from: far, until: far, on: far },
        MemberEvent::MembershipUnfrozen { membership: m, on: far },
        MemberEvent::MembershipCancelled { membership: m, from: far, reason: "moved".into(), on: far },
        MemberEvent::MemberEntryOverridden {
            at_ms: made_at(),
            on: far,
            denied: crate::member::Denial::NoMembership,
            membership: None,
            reason: "owner's guest".into(),
            rules: EntryRules::default(),
        },
        MemberEvent::MemberCheckInNotCounted {
            at_ms: made_at(),
            reason: crate::member::NotCounted::Refused {
                denial: crate::member::Denial::NoVisitsLeft,
                on: far,
                membership: m,
                grace_days: 14,
            },
        },
        MemberEvent::ClassVisitUsed { class: Uuid::from_u128(0xc1a55), membership: m, on: far, charge: None },
        MemberEvent::ClassVisitReturned {
            class: Uuid::from_u128(0xc1a55),
            membership: m,
            on: far,
            reason: "sick note".into(),
        },
        MemberEvent::ClassVisitNotCounted {
            class: Uuid::from_u128(0xc1a55),
            membership: m,
            on: far,
            reason: Default::default(),
        },
    ];
    for event in dated_far {
        let refused = check(event.clone()).map_err(|e| e.code());
        assert_eq!(refused, Err("date_mismatch"), "{}", event.event_type());
    }
}

#[test]
fn a_sale_starting_next_month_is_dated_today_and_passes() {
    let sale = MemberEvent::MembershipSold {
        membership: Uuid::from_u128(0xa1),
        plan: Uuid::from_u128(0xb1),
        terms: crate::testing::members::unlimited_monthly(),
        start: crate::member::Start::On(monday().add_days(30)),
        on: monday(),
        renews: None,
    };
    assert_eq!(check(sale), Ok(()));
}

#[test]
fn a_back_dated_check_in_is_dated_the_day_it_happened_not_the_day_it_was_recorded() {
    let happened = made_at() - 20 * 86_400_000;
    let backdated = MemberEvent::MemberCheckInBackdated {
        at_ms: happened,
        recorded_ms: made_at(),
        on: Date::utc_of(happened),
        membership: Uuid::from_u128(0xa1),
        reason: "the scanner was down".into(),
        rules: EntryRules::default(),
    };
    assert_eq!(check(backdated), Ok(()));
}

/// A push of the class event `event`, made at [`made_at`], as version 3 of a class.
fn class_push_of(event: crate::class::ClassEvent) -> PushRequest {
    let stream = crate::class::stream(Uuid::from_u128(0xc1a55));
    let envelope = EventEnvelope {
        id: crate::ids::new_event_id(made_at(), [7; 10]),
        stream,
        version: 3,
        event_type: event.event_type().to_owned(),
        schema_version: 1,
        data: event.encode(),
        hlc: Hlc { ms: made_at(), c: 0 },
        device: DeviceId::new("desk-1").unwrap(),
        staff: None,
        position: None,
    };
    PushRequest {
        device: envelope.device.clone(),
        batches: vec![PushBatch { stream, parent_version: 2, events: vec![envelope] }],
        epoch: None,
    }
}

#[test]
fn a_class_change_decided_at_another_time_than_it_was_made_is_refused_as_a_time_mismatch() {
    use crate::class::ClassEvent;
    let member = Uuid::from_u128(0x1001);
    let booked = |at_ms| ClassEvent::ClassBooked {
        member,
        membership: Some(Uuid::from_u128(0xa1)),
        at_ms,
        override_reason: None,
        over_capacity: None,
    };
    assert_eq!(check_request(&class_push_of(booked(made_at())), made_at() + 1_000), Ok(()));
    let an_hour_earlier = check_request(&class_push_of(booked(made_at() - 3_600_000)), made_at() + 1_000);
    assert_eq!(an_hour_earlier.map_err(|e| e.code()), Err("time_mismatch"));
    let cancelled = ClassEvent::BookingCancelled { member, at_ms: made_at() + 3_600_000, late: true, skipped: vec![] };
    let refused = check_request(&class_push_of(cancelled), made_at() + 1_000).map_err(|e| e.code());
    assert!(matches!(refused, Err("time_mismatch" | "clock_ahead")), "{refused:?}");
}

#[test]
fn a_class_scheduled_weeks_ahead_carries_no_decision_time_and_passes() {
    let start_ms = made_at() + 30 * 86_400_000;
    let details =
        crate::class::ClassDetails { start_ms, day: Date::utc_of(start_ms), ..crate::testing::classes::details(12) };
    let scheduled = crate::class::ClassEvent::ClassScheduled { details, cutoffs: crate::class::Cutoffs::default() };
    assert_eq!(check_request(&class_push_of(scheduled), made_at() + 1_000), Ok(()));
}
