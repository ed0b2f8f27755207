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
        member::{EntryRules, MemberEvent, PaymentMethod, Start},
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
    ]
    .prop_map(|e| (e.event_type().to_owned(), e.encode()))
}

prop_compose! {
    fn envelope(stream: StreamId)(
        real in prop::option::weighted(0.6, real_event()),
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

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
