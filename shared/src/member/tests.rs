use super::*;
use crate::aggregate::{Aggregate, DomainEvent, Validation};
use crate::testing::given;
use proptest::prelude::*;

const MIN: u64 = 60_000;

fn registered() -> MemberEvent {
    MemberEvent::MemberRegistered {
        name: "Anna Peeters".into(),
        email: "anna@example.be".into(),
        phone: "+32 470 12 34 56".into(),
    }
}

fn register(name: &str, email: &str, phone: &str) -> MemberCommand {
    MemberCommand::RegisterMember { name: name.into(), email: email.into(), phone: phone.into() }
}

#[test]
fn registering_a_new_member_records_their_details() {
    given::<Member>(vec![])
        .when(register("Anna Peeters", "anna@example.be", "+32 470 12 34 56"))
        .then_expect(vec![registered()]);
}

#[test]
fn a_member_without_email_or_phone_can_be_registered() {
    given::<Member>(vec![]).when(register("Bo", "", "")).then_expect(vec![MemberEvent::MemberRegistered {
        name: "Bo".into(),
        email: "".into(),
        phone: "".into(),
    }]);
}

#[test]
fn registering_twice_is_refused() {
    given::<Member>(vec![registered()])
        .when(register("Anna", "", ""))
        .then_expect_error(MemberError::AlreadyRegistered);
}

#[test]
fn a_member_needs_a_name() {
    given::<Member>(vec![]).when(register("", "a@b.c", "")).then_expect_error(DetailsError::NameMissing.into());
}

#[test]
fn a_malformed_email_is_refused() {
    for bad in ["anna", "anna@", "@example.be", "anna@example", "an na@example.be", "a@b@c.d", "a@b..c"] {
        given::<Member>(vec![])
            .when(register("Anna", bad, ""))
            .then_expect_error(DetailsError::EmailInvalid(bad.into()).into());
    }
}

#[test]
fn a_malformed_phone_is_refused() {
    for bad in ["12", "call me", "+32 470 12 34 56 78 90 12 34 56 78"] {
        given::<Member>(vec![])
            .when(register("Anna", "", bad))
            .then_expect_error(DetailsError::PhoneInvalid(bad.into()).into());
    }
}

#[test]
fn details_change_one_field_at_a_time() {
    given::<Member>(vec![registered()])
        .when(MemberCommand::ChangeMemberDetails { field: MemberField::Phone, value: "0470 99 88 77".into() })
        .then_expect(vec![MemberEvent::MemberDetailsChanged {
            field: MemberField::Phone,
            value: "0470 99 88 77".into(),
        }]);
}

#[test]
fn a_change_to_the_same_value_is_refused() {
    given::<Member>(vec![registered()])
        .when(MemberCommand::ChangeMemberDetails { field: MemberField::Email, value: "anna@example.be".into() })
        .then_expect_error(MemberError::Unchanged { field: MemberField::Email, value: "anna@example.be".into() });
}

#[test]
fn details_of_an_unknown_member_cannot_change() {
    given::<Member>(vec![])
        .when(MemberCommand::ChangeMemberDetails { field: MemberField::Name, value: "X".into() })
        .then_expect_error(MemberError::NotRegistered);
}

#[test]
fn an_archived_member_can_be_restored_but_not_archived_again() {
    given::<Member>(vec![registered(), MemberEvent::MemberArchived {}])
        .when(MemberCommand::ArchiveMember)
        .then_expect_error(MemberError::Archived);
    given::<Member>(vec![registered(), MemberEvent::MemberArchived {}])
        .when(MemberCommand::RestoreMember)
        .then_expect(vec![MemberEvent::MemberRestored {}]);
    given::<Member>(vec![registered()]).when(MemberCommand::RestoreMember).then_expect_error(MemberError::NotArchived);
}

#[test]
fn a_registered_member_checks_in() {
    given::<Member>(vec![registered()])
        .when_at(MemberCommand::CheckIn, 1_000 * MIN)
        .then_expect(vec![MemberEvent::MemberCheckedIn { at_ms: 1_000 * MIN }]);
}

#[test]
fn an_unknown_member_cannot_check_in() {
    given::<Member>(vec![]).when_at(MemberCommand::CheckIn, MIN).then_expect_error(MemberError::NotRegistered);
}

#[test]
fn an_archived_member_cannot_check_in() {
    given::<Member>(vec![registered(), MemberEvent::MemberArchived {}])
        .when_at(MemberCommand::CheckIn, MIN)
        .then_expect_error(MemberError::Archived);
}

#[test]
fn a_second_check_in_within_ten_minutes_is_refused_with_the_wait() {
    given::<Member>(vec![registered(), MemberEvent::MemberCheckedIn { at_ms: 100 * MIN }])
        .when_at(MemberCommand::CheckIn, 100 * MIN + 4 * MIN + 30_500)
        .then_expect_error(MemberError::CheckInTooSoon { since_secs: 270, retry_after_secs: 330 });
}

#[test]
fn a_check_in_ten_minutes_later_is_allowed() {
    given::<Member>(vec![registered(), MemberEvent::MemberCheckedIn { at_ms: 100 * MIN }])
        .when_at(MemberCommand::CheckIn, 110 * MIN)
        .then_expect(vec![MemberEvent::MemberCheckedIn { at_ms: 110 * MIN }]);
}

#[test]
fn a_check_in_stamped_before_the_last_one_is_refused() {
    given::<Member>(vec![registered(), MemberEvent::MemberCheckedIn { at_ms: 100 * MIN }])
        .when_at(MemberCommand::CheckIn, 50 * MIN)
        .then_expect_error(MemberError::CheckInTooSoon { since_secs: 0, retry_after_secs: 600 });
}

#[test]
fn validation_refuses_an_event_whose_data_was_altered() {
    // "MemberRegistered" with a blank name cannot come from any valid command.
    let forged = MemberEvent::MemberRegistered { name: " ".into(), email: "".into(), phone: "".into() };
    assert!(matches!(Member::default().validate(&forged), Err(Validation::Refused(_))));
}

#[test]
fn events_round_trip_through_the_envelope_encoding() {
    for e in [registered(), MemberEvent::MemberArchived {}, MemberEvent::MemberCheckedIn { at_ms: 7 }] {
        let data = e.encode();
        assert_eq!(MemberEvent::decode(e.event_type(), 1, &data).unwrap(), e);
    }
    assert_eq!(MemberEvent::MemberArchived {}.encode(), serde_json::json!({}));
    assert!(MemberEvent::decode("MemberTeleported", 1, &serde_json::json!({})).is_err());
    assert!(MemberEvent::decode("MemberCheckedIn", 2, &serde_json::json!({"at_ms": 1})).is_err());
    assert!(MemberEvent::decode("MemberCheckedIn", 1, &serde_json::json!({"at_ms": "soon"})).is_err());
}

fn command() -> impl Strategy<Value = (MemberCommand, u64)> {
    let field = prop_oneof![Just(MemberField::Name), Just(MemberField::Email), Just(MemberField::Phone)];
    let value = prop_oneof![
        Just("Anna".to_string()),
        Just("a@b.be".to_string()),
        Just("0470 11 22 33".to_string()),
        Just("".to_string())
    ];
    let cmd = prop_oneof![
        (value.clone(), value.clone(), value.clone()).prop_map(|(n, e, p)| register(&n, &e, &p)),
        (field, value).prop_map(|(field, value)| MemberCommand::ChangeMemberDetails { field, value }),
        Just(MemberCommand::ArchiveMember),
        Just(MemberCommand::RestoreMember),
        Just(MemberCommand::CheckIn),
    ];
    (cmd, 0u64..15)
}

proptest! {
    /// Whatever staff do, in any order: every accepted event passes the server's validation, and
    /// check-ins of one member are always at least ten minutes apart.
    #[test]
    fn decided_events_always_validate_and_keep_check_ins_apart(cmds in prop::collection::vec(command(), 1..60)) {
        let mut state = Member::default();
        let mut now = 0;
        let mut check_ins = vec![];
        for (cmd, minutes_later) in cmds {
            now += minutes_later * MIN;
            if let Ok(events) = state.decide(cmd, now) {
                for e in &events {
                    prop_assert_eq!(state.validate(e), Ok(()));
                    if let MemberEvent::MemberCheckedIn { at_ms } = e { check_ins.push(*at_ms); }
                    state.evolve(e);
                }
            }
        }
        prop_assert!(check_ins.windows(2).all(|w| w[1] - w[0] >= CHECK_IN_WINDOW_MS));
        prop_assert_eq!(state.check_ins as usize, check_ins.len());
        prop_assert!(!state.registered || !state.name.is_empty());
    }
}
