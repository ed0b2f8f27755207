//! Arbitrary input never panics the server's acceptance: any bytes as a push body, and well-formed
//! but wrong envelopes (unknown types, odd data, absurd numbers, other streams) through the shape
//! checks and the planning of a batch against a real stream state.

use super::{check_request, plan_batch, StreamHead};
use crate::{
    hlc::Hlc,
    protocol::{PushBatch, PushRequest},
    DeviceId, EventEnvelope, StreamId,
};
use proptest::prelude::*;
use uuid::Uuid;

const NOW: u64 = 1_764_000_000_000;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
        prop_oneof![Just("name"), Just("email"), Just("phone"), Just("at_ms"), Just("field"), Just("value")]
            .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("email".to_owned()),
                    Just("phone".to_owned()),
                    Just("at_ms".to_owned()),
                    Just("field".to_owned()),
                    Just("value".to_owned()),
                    Just("reason".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn event_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("MemberRegistered".to_owned()),
        Just("MemberDetailsChanged".to_owned()),
        Just("MemberArchived".to_owned()),
        Just("MemberRestored".to_owned()),
        Just("MemberCheckedIn".to_owned()),
        Just("MemberCheckInNotCounted".to_owned()),
        Just("MemberDetailsMerged".to_owned()),
        Just("MemberDetailsOverwritten".to_owned()),
        Just("MemberChangeRepeated".to_owned()),
        Just("MemberEntryOverridden".to_owned()),
        Just("MemberCheckInBackdated".to_owned()),
        Just("MemberCheckInVoided".to_owned()),
        Just("MembershipSold".to_owned()),
        Just("PaymentRecorded".to_owned()),
        Just("MembershipFrozen".to_owned()),
        Just("MembershipCancelled".to_owned()),
        Just("ClubSettingChanged".to_owned()),
        Just("ClassVisitUsed".to_owned()),
        Just("ClassVisitReturned".to_owned()),
        Just("ClassVisitNotCounted".to_owned()),
        Just("ClassScheduled".to_owned()),
        Just("ClassRescheduled".to_owned()),
        Just("ClassCancelled".to_owned()),
        Just("ClassBooked".to_owned()),
        Just("ClassWaitlisted".to_owned()),
        Just("BookingCancelled".to_owned()),
        Just("WaitlistLeft".to_owned()),
        Just("WaitlistPromoted".to_owned()),
        Just("AttendanceMarked".to_owned()),
        Just("AttendanceSubmitted".to_owned()),
        Just("ChargeWaived".to_owned()),
        Just("BookingRefused".to_owned()),
        Just("ClassChangeRepeated".to_owned()),
        ".{0,30}",
    ]
}

/// A real event of the member aggregate, encoded as the domain does, with arbitrary values: these
/// pass the shape checks often enough for the planning to see them.
fn real_event() -> impl Strategy<Value = (String, serde_json::Value)> {
    use crate::{
        aggregate::DomainEvent,
        calendar::Date,
        club::{Length, PlanTerms, Visits},
        member::{EntryRules, MemberEvent, PaymentMethod, Start, VisitNotCounted},
    };
    let time = || prop_oneof![NOW - 7_200_000..NOW + 600_000, any::<u64>()];
    // Near the day of NOW, or any day the domain can write.
    let day = || prop_oneof![-3i32..3, -100_000i32..100_000].prop_map(|d| Date::utc_of(NOW).add_days(d));
    let membership = || prop_oneof![Just(Uuid::from_u128(0xa1)), any::<u128>().prop_map(Uuid::from_u128)];
    let terms = (".{0,12}", 0u32..40, prop::option::of(0u32..1_200), any::<u64>()).prop_map(
        |(name, months, card, price_cents)| PlanTerms {
            name,
            length: Length::Months(months),
            visits: card.map_or(Visits::Unlimited, Visits::Card),
            price_cents,
        },
    );
    let rules = (any::<u64>(), any::<u32>()).prop_map(|(window_ms, grace_days)| EntryRules { window_ms, grace_days });
    prop_oneof![
        (".{0,20}", ".{0,20}", "[0-9 +]{0,12}").prop_map(|(name, email, phone)| MemberEvent::MemberRegistered {
            name,
            email,
            phone
        }),
        (time(), day(), membership(), prop_oneof![Just(EntryRules::default()), rules])
            .prop_map(|(at_ms, on, membership, rules)| MemberEvent::MemberCheckedIn { at_ms, on, membership, rules }),
        (membership(), terms, day()).prop_map(|(membership, terms, on)| MemberEvent::MembershipSold {
            membership,
            plan: Uuid::from_u128(0xb1),
            terms,
            start: Start::On(on),
            on,
            renews: None
        }),
        (membership(), any::<u64>(), day()).prop_map(|(membership, amount_cents, on)| {
            MemberEvent::PaymentRecorded { membership, amount_cents, method: PaymentMethod::Card, on }
        }),
        (membership(), day(), day(), day()).prop_map(|(membership, from, until, on)| MemberEvent::MembershipFrozen {
            membership,
            from,
            until,
            on
        }),
        (time(), ".{0,20}").prop_map(|(at_ms, reason)| MemberEvent::MemberCheckInVoided { at_ms, reason }),
        Just(MemberEvent::MemberArchived {}),
        Just(MemberEvent::MemberRestored {}),
        (class(), membership(), day(), prop::option::of(charge())).prop_map(|(class, membership, on, charge)| {
            MemberEvent::ClassVisitUsed { class, membership, on, charge }
        }),
        (class(), membership(), day(), ".{0,20}").prop_map(|(class, membership, on, reason)| {
            MemberEvent::ClassVisitReturned { class, membership, on, reason }
        }),
        (class(), membership(), day(), any::<bool>()).prop_map(|(class, membership, on, not_in_class)| {
            let reason = if not_in_class { VisitNotCounted::NotInClass } else { VisitNotCounted::NoVisitsLeft };
            MemberEvent::ClassVisitNotCounted { class, membership, on, reason }
        }),
    ]
    .prop_map(|e| (e.event_type().to_owned(), e.encode()))
}

/// The class of the fuzzed streams, or any.
fn class() -> impl Strategy<Value = Uuid> {
    prop_oneof![Just(Uuid::from_u128(0xc1a55)), any::<u128>().prop_map(Uuid::from_u128)]
}

fn charge() -> impl Strategy<Value = crate::class::ChargeKind> {
    prop_oneof![Just(crate::class::ChargeKind::LateCancel), Just(crate::class::ChargeKind::NoShow)]
}

/// One of the members booked in the stored class (1 to 3), or any.
fn class_member() -> impl Strategy<Value = Uuid> {
    prop_oneof![(1..5u128).prop_map(|n| Uuid::from_u128(0x1000 + n)), any::<u128>().prop_map(Uuid::from_u128)]
}

/// A real event of the class aggregate, encoded as the domain does, with arbitrary values (odd
/// capacities and cutoffs, members passed over who are not waiting, server resolutions sent by a
/// device): these pass the shape checks often enough for the planning to see them.
fn real_class_event() -> impl Strategy<Value = (String, serde_json::Value)> {
    use crate::{
        aggregate::DomainEvent,
        class::{ClassDetails, ClassEvent, Cutoffs, Refused, RepeatedChange, Skip},
        member::Denial,
    };
    // Mostly when the envelope was made (so the shape checks pass), now and then anything.
    let time = || prop_oneof![9 => NOW - 30_000..NOW, 1 => any::<u64>()];
    let reason = || prop::option::of(prop_oneof![Just("regular".to_owned()), ".{0,12}"]);
    let details = (any::<u64>(), 0u32..600, prop_oneof![0u32..4, any::<u32>()], ".{0,12}", -2i32..3).prop_map(
        |(start, duration_min, capacity, title, off)| {
            let start_ms = NOW + start % (40 * 86_400_000);
            ClassDetails {
                title,
                coach: crate::access::StaffId(Uuid::from_u128(0xc0ac4)),
                start_ms,
                day: crate::calendar::Date::utc_of(start_ms).add_days(off),
                duration_min,
                capacity,
                room: String::new(),
            }
        },
    );
    let denial = prop_oneof![Just(Denial::NoMembership), Just(Denial::NoVisitsLeft), Just(Denial::Blocked)];
    let skipped = || {
        let skip = (class_member(), denial.clone()).prop_map(|(member, denial)| Skip { member, denial });
        prop::collection::vec(skip, 0..3)
    };
    prop_oneof![
        (details.clone(), any::<u32>(), any::<u32>()).prop_map(|(details, waitlist_min, cancel_min)| {
            ClassEvent::ClassScheduled { details, cutoffs: Cutoffs { waitlist_min: waitlist_min % 3_000, cancel_min } }
        }),
        (details, time(), skipped(), skipped()).prop_map(|(details, at_ms, skipped, released)| {
            ClassEvent::ClassRescheduled { details, at_ms, skipped, released }
        }),
        (time(), ".{0,12}").prop_map(|(at_ms, reason)| ClassEvent::ClassCancelled { reason, at_ms }),
        (class_member(), prop::option::of(Just(Uuid::from_u128(0xa1))), time(), reason(), reason()).prop_map(
            |(member, membership, at_ms, override_reason, over_capacity)| ClassEvent::ClassBooked {
                member,
                membership,
                at_ms,
                override_reason,
                over_capacity
            }
        ),
        (class_member(), time(), reason()).prop_map(|(member, at_ms, override_reason)| ClassEvent::ClassWaitlisted {
            member,
            membership: Some(Uuid::from_u128(0xa1)),
            at_ms,
            override_reason
        }),
        (class_member(), time(), any::<bool>(), skipped())
            .prop_map(|(member, at_ms, late, skipped)| ClassEvent::BookingCancelled { member, at_ms, late, skipped }),
        (class_member(), time()).prop_map(|(member, at_ms)| ClassEvent::WaitlistLeft { member, at_ms }),
        (class_member(), time(), reason()).prop_map(|(member, at_ms, over_capacity)| ClassEvent::WaitlistPromoted {
            member,
            at_ms,
            over_capacity
        }),
        (class_member(), any::<bool>(), time()).prop_map(|(member, attended, at_ms)| ClassEvent::AttendanceMarked {
            member,
            attended,
            at_ms
        }),
        (time(), prop::collection::vec(class_member(), 0..4))
            .prop_map(|(at_ms, no_shows)| ClassEvent::AttendanceSubmitted { at_ms, no_shows }),
        (class_member(), ".{0,12}", time()).prop_map(|(member, reason, at_ms)| ClassEvent::ChargeWaived {
            member,
            reason,
            at_ms
        }),
        (class_member(), time(), denial).prop_map(|(member, at_ms, denial)| ClassEvent::BookingRefused {
            member,
            at_ms,
            reason: Refused::Denied { denial }
        }),
        (prop::option::of(class_member()), time(), prop::sample::select(&RepeatedChange::ALL[..]))
            .prop_map(|(member, at_ms, change)| ClassEvent::ClassChangeRepeated { member, at_ms, change }),
    ]
    .prop_map(|e| (e.event_type().to_owned(), e.encode()))
}

prop_compose! {
    fn envelope(stream: StreamId)(
        real in prop::option::weighted(0.6, if stream.kind == crate::StreamKind::Class {
            real_class_event().boxed()
        } else {
            real_event().boxed()
        }),
        id in any::<u128>(),
        v7 in any::<bool>(),
        version in prop_oneof![1u64..6, any::<u64>()],
        event_type in event_type(),
        schema_version in prop_oneof![Just(1u32), any::<u32>()],
        data in json_value(),
        ms in prop_oneof![NOW - 10_000..NOW + 10_000, any::<u64>()],
        c in any::<u32>(),
        own_stream in prop::bool::weighted(0.9),
    ) -> EventEnvelope {
        let (event_type, data, schema_version) = match real {
            Some((t, d)) => (t, d, 1),
            None => (event_type, data, schema_version),
        };
        let id = if v7 { crate::ids::new_event_id(ms.min(NOW), id.to_le_bytes()[..10].try_into().unwrap()) } else { Uuid::from_u128(id) };
        EventEnvelope {
            id,
            stream: if own_stream { stream } else { StreamId::member(Uuid::from_u128(id.as_u128() ^ 1)) },
            version,
            event_type,
            schema_version,
            data,
            hlc: Hlc { ms, c },
            device: DeviceId::new("fuzz").unwrap(),
            staff: None,
            position: None,
        }
    }
}

/// A stream that exists (registered, changed, checked in) to plan against, or a new one.
fn stored_stream(stream: StreamId, existing: bool) -> (StreamHead, Vec<EventEnvelope>) {
    use crate::member::{Member, MemberCommand};
    let mut head = StreamHead::new(stream);
    if !existing {
        return (head, vec![]);
    }
    let mut device = crate::replication::memory::MemoryDevice::new("stored", 1);
    let today = crate::calendar::Date::utc_of(NOW);
    let terms = crate::testing::members::card_of(10);
    for (i, command) in [
        MemberCommand::RegisterMember { name: "Zoë".into(), email: "z@club.test".into(), phone: String::new() },
        MemberCommand::SellMembership {
            membership: Uuid::from_u128(0xa1),
            plan: Uuid::from_u128(0xb1),
            terms,
            start: crate::member::Start::On(today),
            on: today,
        },
        crate::testing::members::check_in(today, Uuid::from_u128(0xa1)),
    ]
    .into_iter()
    .enumerate()
    {
        device.execute::<Member>(stream, command, NOW - 3_600_000 + i as u64 * 1_000).unwrap();
    }
    let events = device.pending();
    head.fold(&events).unwrap();
    (head, events)
}

/// A class that exists (scheduled a week ahead, for two, with two members booked and one
/// waiting) to plan against, or a new one.
fn stored_class(stream: StreamId, existing: bool) -> (StreamHead, Vec<EventEnvelope>) {
    use crate::class::{Class, ClassCommand, ClassDetails, Cutoffs};
    let mut head = StreamHead::new(stream);
    if !existing {
        return (head, vec![]);
    }
    let mut device = crate::replication::memory::MemoryDevice::new("stored", 1);
    let start_ms = NOW + 7 * 86_400_000;
    let details = ClassDetails {
        start_ms,
        day: crate::calendar::Date::utc_of(start_ms),
        capacity: 2,
        ..crate::testing::classes::details(2)
    };
    let mut commands = vec![ClassCommand::ScheduleClass { details, cutoffs: Cutoffs::default() }];
    commands.extend((1..=3).map(|n| crate::testing::classes::book(Uuid::from_u128(0x1000 + n))));
    for (i, command) in commands.into_iter().enumerate() {
        device.execute::<Class>(stream, command, NOW - 3_600_000 + i as u64 * 1_000).unwrap();
    }
    let events = device.pending();
    head.fold(&events).unwrap();
    (head, events)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Odd class events (a device sending the server's resolutions, members passed over who are
    /// not waiting, capacities of zero) are refused or planned, never a panic; and the server's
    /// re-check of what was planned, whoever it finds unable to attend, never panics either.
    #[test]
    fn odd_class_events_are_refused_or_planned_and_rechecked_without_a_panic(
        existing in any::<bool>(),
        parent in 0u64..6,
        data in prop::collection::vec(real_class_event(), 1..5),
        unable in prop::collection::vec(class_member(), 0..3),
    ) {
        use crate::{acceptance::Plan, class::recheck::{correct, corrections}, member::Denial, StreamState};
        let stream = crate::class::stream(Uuid::from_u128(0xc1a55));
        // Well-formed envelopes (contiguous versions after the parent, made now), so the planning
        // and the re-check see the odd events inside them.
        let events = data
            .into_iter()
            .enumerate()
            .map(|(i, (event_type, data))| EventEnvelope {
                id: crate::ids::new_event_id(NOW, [i as u8; 10]),
                stream,
                version: parent + 1 + i as u64,
                event_type,
                schema_version: 1,
                data,
                hlc: Hlc { ms: NOW, c: i as u32 },
                device: DeviceId::new("fuzz").unwrap(),
                staff: None,
                position: None,
            })
            .collect();
        let request = PushRequest {
            device: DeviceId::new("fuzz").unwrap(),
            batches: vec![PushBatch { stream, parent_version: parent, events }],
            epoch: None,
        };
        if check_request(&request, NOW).is_ok() {
            let (head, stored) = stored_class(stream, existing);
            let _ = plan_batch(&head, &stored[..0], &request.batches[0]);
            if let Ok(Plan::Append { new, head, .. }) = plan_batch(&head, &stored, &request.batches[0]) {
                if let (StreamState::Class(class), Some(first), Some(last)) = (&head.state, new.first(), new.last()) {
                    let mut asked = |m, _| if unable.contains(&m) { Err(Denial::NoVisitsLeft) } else { Ok(()) };
                    for c in corrections(class, first.version..=last.version, &mut asked) {
                        for e in new.iter().filter_map(|e| e.decode::<crate::class::ClassEvent>().ok()) {
                            let _ = correct(&e, &c);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn any_bytes_as_a_push_body_are_read_or_refused_without_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(request) = serde_json::from_slice::<PushRequest>(&bytes) {
            let _ = check_request(&request, NOW);
        }
    }

    #[test]
    fn wrong_envelopes_are_refused_or_planned_without_a_panic(
        existing in any::<bool>(),
        parent in prop_oneof![0u64..4, any::<u64>()],
        events in prop::collection::vec(envelope(StreamId::member(Uuid::from_u128(7))), 1..5),
    ) {
        let stream = StreamId::member(Uuid::from_u128(7));
        let request = PushRequest {
            device: DeviceId::new("fuzz").unwrap(),
            batches: vec![PushBatch { stream, parent_version: parent, events }],
            epoch: None,
        };
        // The server plans only what passed the shape checks, as here.
        if check_request(&request, NOW).is_ok() {
            let (head, stored) = stored_stream(stream, existing);
            let _ = plan_batch(&head, &stored[..0], &request.batches[0]);
            let _ = plan_batch(&head, &stored, &request.batches[0]);
        }
    }
}
