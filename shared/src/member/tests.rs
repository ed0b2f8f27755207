use super::*;
use crate::aggregate::{Aggregate, DomainEvent, Validation};
use crate::testing::{
    given,
    members::{self, at, check_in, checked_in, monday, MIN, MONTHLY},
    meta,
};
use proptest::prelude::*;

fn device() -> crate::DeviceId {
    crate::DeviceId::new("desk-1").unwrap()
}

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

fn change(changes: &[(MemberField, &str)]) -> MemberCommand {
    MemberCommand::ChangeMemberDetails { changes: changes.iter().map(|(f, v)| (*f, v.to_string())).collect() }
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
    given::<Member>(vec![])
        .when(register("", "a@b.c", ""))
        .then_expect_error(MemberError::InvalidDetails(vec![DetailsError::NameMissing]));
}

#[test]
fn a_malformed_email_is_refused() {
    for bad in ["anna", "anna@", "@example.be", "anna@example", "an na@example.be", "a@b@c.d", "a@b..c"] {
        given::<Member>(vec![])
            .when(register("Anna", bad, ""))
            .then_expect_error(MemberError::InvalidDetails(vec![DetailsError::EmailInvalid(bad.into())]));
    }
}

#[test]
fn a_malformed_phone_is_refused() {
    for bad in ["12", "call me", "+32 470 12 34 56 78 90 12 34 56 78"] {
        given::<Member>(vec![])
            .when(register("Anna", "", bad))
            .then_expect_error(MemberError::InvalidDetails(vec![DetailsError::PhoneInvalid(bad.into())]));
    }
}

#[test]
fn details_change_one_field_at_a_time() {
    given::<Member>(vec![registered()]).when(change(&[(MemberField::Phone, "0470 99 88 77")])).then_expect(vec![
        MemberEvent::MemberDetailsChanged { field: MemberField::Phone, value: "0470 99 88 77".into() },
    ]);
}

#[test]
fn a_change_to_the_same_value_is_refused() {
    given::<Member>(vec![registered()])
        .when(change(&[(MemberField::Email, "anna@example.be")]))
        .then_expect_error(MemberError::NothingChanged);
}

#[test]
fn a_form_saves_all_its_changes_in_one_decision() {
    given::<Member>(vec![registered()])
        .when(change(&[
            (MemberField::Name, "Anna Peeters"),
            (MemberField::Email, "anna@club.be"),
            (MemberField::Phone, "0470 11 22 33"),
        ]))
        .then_expect(vec![
            MemberEvent::MemberDetailsChanged { field: MemberField::Email, value: "anna@club.be".into() },
            MemberEvent::MemberDetailsChanged { field: MemberField::Phone, value: "0470 11 22 33".into() },
        ]);
}

#[test]
fn a_form_with_one_bad_value_saves_nothing_and_names_every_error() {
    given::<Member>(vec![registered()])
        .when(change(&[
            (MemberField::Name, "\u{301}"),
            (MemberField::Email, "anna@club.be"),
            (MemberField::Phone, "call me"),
        ]))
        .then_expect_error(MemberError::InvalidDetails(vec![
            DetailsError::NameWithoutLetter,
            DetailsError::PhoneInvalid("call me".into()),
        ]));
}

#[test]
fn a_registration_names_every_bad_value_at_once() {
    given::<Member>(vec![]).when(register("", "anna@", "12")).then_expect_error(MemberError::InvalidDetails(vec![
        DetailsError::NameMissing,
        DetailsError::EmailInvalid("anna@".into()),
        DetailsError::PhoneInvalid("12".into()),
    ]));
}

#[test]
fn a_field_given_twice_in_one_change_is_refused() {
    given::<Member>(vec![registered()])
        .when(change(&[(MemberField::Name, "A"), (MemberField::Name, "B")]))
        .then_expect_error(MemberError::FieldGivenTwice(MemberField::Name));
}

#[test]
fn names_that_are_not_names_are_refused() {
    for (bad, error) in [
        ("\u{200B}", DetailsError::ForbiddenCharacter { field: MemberField::Name, code_point: "U+200B".into() }),
        ("\u{301}\u{308}", DetailsError::NameWithoutLetter),
        ("Ann\0a", DetailsError::ForbiddenCharacter { field: MemberField::Name, code_point: "U+0000".into() }),
        ("\u{202E}anaL", DetailsError::ForbiddenCharacter { field: MemberField::Name, code_point: "U+202E".into() }),
        ("12345", DetailsError::NameWithoutLetter),
        // A Hangul filler counts as a letter but shows as nothing.
        ("\u{3164}", DetailsError::ForbiddenCharacter { field: MemberField::Name, code_point: "U+3164".into() }),
        // Looks exactly like "Lena Vos".
        ("Le\u{AD}na Vos", DetailsError::ForbiddenCharacter { field: MemberField::Name, code_point: "U+00AD".into() }),
    ] {
        given::<Member>(vec![]).when(register(bad, "", "")).then_expect_error(MemberError::InvalidDetails(vec![error]));
    }
}

#[test]
fn text_is_stored_normalised_so_one_name_has_one_spelling() {
    given::<Member>(vec![]).when(register("  Rene\u{301}e \t Dubois ", " r@x.be ", "")).then_expect(vec![
        MemberEvent::MemberRegistered { name: "Renée Dubois".into(), email: "r@x.be".into(), phone: "".into() },
    ]);
}

#[test]
fn a_forged_event_with_an_unnormalised_name_is_not_what_its_command_decides() {
    let forged = MemberEvent::MemberRegistered { name: "Rene\u{301}e".into(), email: "".into(), phone: "".into() };
    assert_eq!(Member::default().validate(std::slice::from_ref(&forged), &meta(&device())), Err(Validation::Mismatch));
}

#[test]
fn details_of_an_unknown_member_cannot_change() {
    given::<Member>(vec![]).when(change(&[(MemberField::Name, "X")])).then_expect_error(MemberError::NotRegistered);
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

/// Anna, with a paid unlimited monthly membership from Monday: she may come in.
fn anna_with_unlimited() -> Vec<MemberEvent> {
    members::with_unlimited("Anna Peeters")
}

/// Anna's events, and check-ins at these minutes of Monday on her monthly membership.
fn anna_checked_in_at(minutes: &[u64]) -> Vec<MemberEvent> {
    let mut events = anna_with_unlimited();
    events.extend(minutes.iter().map(|m| checked_in(at(*m), MONTHLY)));
    events
}

#[test]
fn a_member_checks_in_on_the_membership_the_entry_decision_chose() {
    given::<Member>(anna_with_unlimited())
        .when_at(check_in(monday(), MONTHLY), at(1_000))
        .then_expect(vec![checked_in(at(1_000), MONTHLY)]);
}

#[test]
fn an_unknown_member_cannot_check_in() {
    given::<Member>(vec![]).when_at(check_in(monday(), MONTHLY), at(1)).then_expect_error(MemberError::NotRegistered);
}

#[test]
fn an_archived_member_cannot_check_in() {
    let mut archived = anna_with_unlimited();
    archived.push(MemberEvent::MemberArchived {});
    given::<Member>(archived).when_at(check_in(monday(), MONTHLY), at(1)).then_expect_error(MemberError::Archived);
}

#[test]
fn a_second_check_in_within_ten_minutes_is_refused_with_the_wait() {
    let now = at(100) + 4 * MIN + 30_500;
    let refused = given::<Member>(anna_checked_in_at(&[100])).when_at(check_in(monday(), MONTHLY), now).error();
    assert_eq!(refused, MemberError::CheckInTooSoon { last_ms: at(100), now_ms: now, window_ms: CHECK_IN_WINDOW_MS });
    assert_eq!(refused.to_string(), "already checked in 270 s ago; try again in 330 s");
    assert_eq!(refused.retry_after_secs(), Some(330));
}

#[test]
fn a_check_in_a_desk_stamped_a_little_ahead_states_the_true_wait() {
    // Another desk's clock is 4 minutes fast: its check-in is "in the future" here.
    let refused = given::<Member>(anna_checked_in_at(&[104])).when_at(check_in(monday(), MONTHLY), at(100)).error();
    assert_eq!(refused.retry_after_secs(), Some(14 * 60), "not 600 s: the other check-in plus the window");
    assert_eq!(
        refused.to_string(),
        "already checked in, at a time 240 s ahead of this device's clock; try again in 840 s"
    );
}

#[test]
fn a_check_in_stamped_hours_ahead_never_locks_the_member_out_now() {
    given::<Member>(anna_checked_in_at(&[100 + 2 * 60]))
        .when_at(check_in(monday(), MONTHLY), at(100))
        .then_expect(vec![checked_in(at(100), MONTHLY)]);
}

#[test]
fn an_offline_check_in_hours_before_a_later_one_is_a_visit_of_its_own() {
    given::<Member>(anna_checked_in_at(&[300]))
        .when_at(check_in(monday(), MONTHLY), at(100))
        .then_expect(vec![checked_in(at(100), MONTHLY)]);
}

#[test]
fn a_check_in_close_to_an_older_one_is_caught_though_a_later_one_exists() {
    let refused =
        given::<Member>(anna_checked_in_at(&[100, 300])).when_at(check_in(monday(), MONTHLY), at(103)).error();
    assert_eq!(
        refused,
        MemberError::CheckInTooSoon { last_ms: at(100), now_ms: at(103), window_ms: CHECK_IN_WINDOW_MS }
    );
}

#[test]
fn a_check_in_ten_minutes_later_is_allowed() {
    given::<Member>(anna_checked_in_at(&[100]))
        .when_at(check_in(monday(), MONTHLY), at(110))
        .then_expect(vec![checked_in(at(110), MONTHLY)]);
}

#[test]
fn the_duplicate_window_is_the_one_the_club_set_when_the_desk_decided() {
    let one_minute = EntryRules { window_ms: MIN, ..EntryRules::default() };
    let command = MemberCommand::CheckIn { on: monday(), membership: MONTHLY, rules: one_minute };
    given::<Member>(anna_checked_in_at(&[100])).when_at(command, at(102)).then_expect(vec![
        MemberEvent::MemberCheckedIn { at_ms: at(102), on: monday(), membership: MONTHLY, rules: one_minute },
    ]);
}

#[test]
fn a_member_without_a_membership_is_not_checked_in() {
    given::<Member>(vec![registered()])
        .when_at(check_in(monday(), MONTHLY), at(600))
        .then_expect_error(MemberError::EntryDenied(Denial::NoMembership));
}

#[test]
fn a_check_in_dated_another_day_than_its_time_is_refused() {
    let tuesday_week = monday().add_days(8);
    given::<Member>(anna_with_unlimited())
        .when_at(check_in(tuesday_week, MONTHLY), at(600))
        .then_expect_error(MemberError::WrongDay { on: tuesday_week });
}

#[test]
fn validation_refuses_an_event_whose_data_was_altered() {
    // "MemberRegistered" with a blank name cannot come from any valid command.
    let forged = MemberEvent::MemberRegistered { name: " ".into(), email: "".into(), phone: "".into() };
    assert!(matches!(
        Member::default().validate(std::slice::from_ref(&forged), &meta(&device())),
        Err(Validation::Refused(_))
    ));
}

#[test]
fn events_round_trip_through_the_envelope_encoding() {
    for e in [registered(), MemberEvent::MemberArchived {}, checked_in(at(7), MONTHLY)] {
        let data = e.encode();
        assert_eq!(MemberEvent::decode(e.event_type(), 1, &data).unwrap(), e);
    }
    assert_eq!(MemberEvent::MemberArchived {}.encode(), serde_json::json!({}));
    assert!(MemberEvent::decode("MemberTeleported", 1, &serde_json::json!({})).is_err());
    assert!(MemberEvent::decode("MemberCheckedIn", 2, &serde_json::json!({"at_ms": 1})).is_err());
    assert!(MemberEvent::decode("MemberCheckedIn", 1, &serde_json::json!({"at_ms": "soon"})).is_err());
}

/// What a desk does next: a command, or one that needs the date it is given on.
#[derive(Clone, Debug)]
enum Step {
    Command(MemberCommand),
    SellMonthly,
    CheckIn,
}

impl Step {
    fn on(self, now_ms: u64) -> MemberCommand {
        let today = members::day_of(now_ms);
        match self {
            Step::Command(command) => command,
            Step::SellMonthly => MemberCommand::SellMembership {
                membership: MONTHLY,
                plan: members::MONTHLY_PLAN,
                terms: members::unlimited_monthly(),
                start: Start::On(today),
                on: today,
            },
            Step::CheckIn => check_in(today, MONTHLY),
        }
    }
}

fn command() -> impl Strategy<Value = (Step, u64)> {
    let field = prop_oneof![Just(MemberField::Name), Just(MemberField::Email), Just(MemberField::Phone)];
    let value = prop_oneof![
        Just("Anna".to_string()),
        Just("a@b.be".to_string()),
        Just("0470 11 22 33".to_string()),
        Just("".to_string())
    ];
    let cmd = prop_oneof![
        (value.clone(), value.clone(), value.clone()).prop_map(|(n, e, p)| Step::Command(register(&n, &e, &p))),
        (field, value).prop_map(|(field, value)| Step::Command(MemberCommand::ChangeMemberDetails {
            changes: vec![(field, value)]
        })),
        Just(Step::Command(MemberCommand::ArchiveMember)),
        Just(Step::Command(MemberCommand::RestoreMember)),
        Just(Step::SellMonthly),
        Just(Step::CheckIn),
        Just(Step::CheckIn),
    ];
    (cmd, 0u64..15)
}

proptest! {
    /// Whatever staff do, in any order: every accepted event passes the server's validation, and
    /// check-ins of one member are always at least ten minutes apart.
    #[test]
    fn decided_events_always_validate_and_keep_check_ins_apart(cmds in prop::collection::vec(command(), 1..60)) {
        let mut state = Member::default();
        let mut now = at(6 * 60);
        let mut check_ins = vec![];
        for (step, minutes_later) in cmds {
            now += minutes_later * MIN;
            if let Ok(events) = state.decide(step.on(now), now) {
                let mut validated = state.clone();
                let mut i = 0;
                while i < events.len() {
                    let spans = validated.validate(&events[i..], &meta(&device()));
                    prop_assert!(spans.is_ok(), "{:?} fails validation at {}", events, i);
                    let spans = spans.unwrap();
                    for e in &events[i..i + spans] {
                        validated.evolve(e, &meta(&device()));
                    }
                    i += spans;
                }
                for e in &events {
                    if let MemberEvent::MemberCheckedIn { at_ms, .. } = e { check_ins.push(*at_ms); }
                    state.evolve(e, &meta(&device()));
                }
            }
        }
        prop_assert!(check_ins.windows(2).all(|w| w[1] - w[0] >= CHECK_IN_WINDOW_MS));
        prop_assert_eq!(state.check_ins as usize, check_ins.len());
        prop_assert!(!state.registered || !state.name.is_empty());
    }
}
