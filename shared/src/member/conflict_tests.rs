//! How a member's events join a stream that another desk changed meanwhile (the policies of
//! `Member::policy`), as the server resolves them.

use super::*;
use crate::aggregate::{Aggregate, EventMeta, Resolution, Unresolved};
use crate::member::{MemberCommand, Repeated};
use crate::{DeviceId, Hlc};

const MIN: u64 = 60_000;

fn desk(n: u8) -> DeviceId {
    DeviceId::new(format!("desk-{n}")).unwrap()
}

/// Folds `events`, each with its version, stamp (ms) and desk.
fn state(events: &[(MemberEvent, u64, u8)]) -> Member {
    let mut member = Member::default();
    for (i, (event, ms, d)) in events.iter().enumerate() {
        let device = desk(*d);
        member.evolve(event, &EventMeta { version: i as u64 + 1, hlc: Hlc { ms: *ms, c: 0 }, device: &device });
    }
    member
}

fn registered() -> MemberEvent {
    MemberEvent::MemberRegistered { name: "Björn Berg".into(), email: "".into(), phone: "0470 11 22 33".into() }
}

fn changed(field: MemberField, value: &str) -> MemberEvent {
    MemberEvent::MemberDetailsChanged { field, value: value.into() }
}

/// Resolves `event`, made by `d` at `ms` on version `parent`, on `state`.
fn resolve(
    state: &Member,
    event: &MemberEvent,
    ms: u64,
    d: u8,
    parent: u64,
) -> Result<Resolution<MemberEvent>, Unresolved<MemberError>> {
    let device = desk(d);
    let meta = EventMeta { version: 99, hlc: Hlc { ms, c: 0 }, device: &device };
    let mut resolutions = state.resolve(std::slice::from_ref(event), &meta, parent)?;
    assert_eq!(resolutions.len(), 1, "every member decision is one event");
    Ok(resolutions.remove(0))
}

#[test]
fn a_check_in_inside_the_window_of_another_desks_becomes_a_recorded_duplicate() {
    let server = state(&[(registered(), 0, 1), (MemberEvent::MemberCheckedIn { at_ms: 10 * MIN }, 10 * MIN, 1)]);
    let mine = MemberEvent::MemberCheckedIn { at_ms: 14 * MIN };
    assert_eq!(
        resolve(&server, &mine, 14 * MIN, 2, 1),
        Ok(Resolution::Replace(MemberEvent::MemberCheckInNotCounted {
            at_ms: 14 * MIN,
            reason: NotCounted::Duplicate { of_ms: 10 * MIN }
        }))
    );
}

#[test]
fn a_check_in_outside_the_window_of_another_desks_is_kept() {
    let server = state(&[(registered(), 0, 1), (MemberEvent::MemberCheckedIn { at_ms: 10 * MIN }, 10 * MIN, 1)]);
    let mine = MemberEvent::MemberCheckedIn { at_ms: 30 * MIN };
    assert_eq!(resolve(&server, &mine, 30 * MIN, 2, 1), Ok(Resolution::Keep));
}

#[test]
fn a_check_in_of_a_member_archived_meanwhile_goes_to_the_inbox_not_away() {
    let server = state(&[(registered(), 0, 1), (MemberEvent::MemberArchived {}, MIN, 1)]);
    let mine = MemberEvent::MemberCheckedIn { at_ms: 2 * MIN };
    assert_eq!(resolve(&server, &mine, 2 * MIN, 2, 1), Err(Unresolved::Broken(MemberError::Archived)));
}

#[test]
fn two_desks_archiving_one_member_both_stand_the_second_recorded_as_repeated() {
    let server = state(&[(registered(), 0, 1), (MemberEvent::MemberArchived {}, MIN, 1)]);
    assert_eq!(
        resolve(&server, &MemberEvent::MemberArchived {}, 2 * MIN, 2, 1),
        Ok(Resolution::Replace(MemberEvent::MemberChangeRepeated { change: Repeated::Archived }))
    );
}

#[test]
fn a_detail_changed_while_another_desk_archived_the_member_goes_to_the_inbox() {
    let server = state(&[(registered(), 0, 1), (MemberEvent::MemberArchived {}, MIN, 1)]);
    let mine = changed(MemberField::Phone, "0470 99 99 99");
    assert_eq!(resolve(&server, &mine, 2 * MIN, 2, 1), Err(Unresolved::Broken(MemberError::Archived)));
}

#[test]
fn a_value_no_decision_stores_is_invalid_whatever_the_conflict() {
    let server = state(&[(registered(), 0, 1), (changed(MemberField::Name, "Carl"), MIN, 1)]);
    for bad in [" Bob", "Bob  Smith", "", "123"] {
        let mine = changed(MemberField::Name, bad);
        assert!(
            matches!(resolve(&server, &mine, 2 * MIN, 2, 1), Err(Unresolved::Invalid(why)) if !why.is_empty()),
            "{bad:?}"
        );
    }
}

#[test]
fn a_merge_that_overwrote_another_desks_change_names_that_desk() {
    let server = state(&[(registered(), 0, 1), (changed(MemberField::Phone, "0470 44 55 66"), 5 * MIN, 3)]);
    let merged = MemberEvent::MemberDetailsMerged {
        field: MemberField::Phone,
        value: "0470 99 99 99".into(),
        overwritten: "0470 44 55 66".into(),
    };
    assert_eq!(server.overruled(&merged), Some(desk(3)));
    assert!(Member::undone(&MemberEvent::MemberDetailsOverwritten {
        field: MemberField::Phone,
        value: "x".into(),
        kept: "y".into()
    }));
    assert!(!Member::undone(&merged), "the desk whose change stood is not told");
}

#[test]
fn a_check_in_from_before_the_kept_history_is_not_counted() {
    let mut events = vec![(registered(), 0, 1)];
    for i in 0..9 {
        events.push((MemberEvent::MemberCheckedIn { at_ms: (i * 11 + 100) * MIN }, (i * 11 + 100) * MIN, 1));
    }
    let member = state(&events);
    assert_eq!(member.decide(MemberCommand::CheckIn, 100 * MIN + 1_000), Err(MemberError::CheckInBeforeHistory));
}

#[test]
fn concurrent_changes_of_different_fields_both_stand() {
    let server = state(&[(registered(), 0, 1), (changed(MemberField::Email, "b@x.be"), 5 * MIN, 1)]);
    let mine = changed(MemberField::Phone, "0470 99 99 99");
    assert_eq!(resolve(&server, &mine, 4 * MIN, 2, 1), Ok(Resolution::Keep));
}

#[test]
fn of_two_concurrent_changes_of_one_field_the_later_stamp_stands_and_the_other_value_stays_visible() {
    let server = state(&[(registered(), 0, 1), (changed(MemberField::Phone, "0470 44 55 66"), 5 * MIN, 1)]);
    let mine = changed(MemberField::Phone, "0470 99 99 99");
    // Mine is later: it stands, and records what it overwrote.
    assert_eq!(
        resolve(&server, &mine, 6 * MIN, 2, 1),
        Ok(Resolution::Replace(MemberEvent::MemberDetailsMerged {
            field: MemberField::Phone,
            value: "0470 99 99 99".into(),
            overwritten: "0470 44 55 66".into()
        }))
    );
    // Mine is earlier: the server's stands, and mine is kept as overwritten.
    assert_eq!(
        resolve(&server, &mine, 4 * MIN, 2, 1),
        Ok(Resolution::Replace(MemberEvent::MemberDetailsOverwritten {
            field: MemberField::Phone,
            value: "0470 99 99 99".into(),
            kept: "0470 44 55 66".into()
        }))
    );
}

#[test]
fn equal_stamps_are_ordered_by_device_id() {
    let server = state(&[(registered(), 0, 1), (changed(MemberField::Phone, "0470 44 55 66"), 5 * MIN, 2)]);
    let mine = changed(MemberField::Phone, "0470 99 99 99");
    assert!(matches!(
        resolve(&server, &mine, 5 * MIN, 3, 1),
        Ok(Resolution::Replace(MemberEvent::MemberDetailsMerged { .. }))
    ));
    assert!(matches!(
        resolve(&server, &mine, 5 * MIN, 1, 1),
        Ok(Resolution::Replace(MemberEvent::MemberDetailsOverwritten { .. }))
    ));
}

#[test]
fn a_change_built_on_the_other_change_is_not_a_conflict_whatever_its_stamp() {
    // The device saw version 2 (parent 2): its change comes after, even with a slower clock.
    let server = state(&[(registered(), 0, 1), (changed(MemberField::Phone, "0470 44 55 66"), 5 * MIN, 1)]);
    let mine = changed(MemberField::Phone, "0470 99 99 99");
    assert_eq!(resolve(&server, &mine, MIN, 2, 2), Ok(Resolution::Keep));
}

#[test]
fn a_merged_change_sets_the_field_and_an_overwritten_one_changes_nothing() {
    let merged = MemberEvent::MemberDetailsMerged {
        field: MemberField::Phone,
        value: "0470 99 99 99".into(),
        overwritten: "0470 11 22 33".into(),
    };
    let overwritten = MemberEvent::MemberDetailsOverwritten {
        field: MemberField::Name,
        value: "Bjorn".into(),
        kept: "Björn Berg".into(),
    };
    let member = state(&[(registered(), 0, 1), (merged, MIN, 2), (overwritten, MIN, 3)]);
    assert_eq!((member.phone.as_str(), member.name.as_str()), ("0470 99 99 99", "Björn Berg"));
}

#[test]
fn the_servers_resolutions_are_admitted_where_they_hold_and_refused_where_they_do_not() {
    let device = desk(1);
    let meta = EventMeta { version: 3, hlc: Hlc { ms: MIN, c: 0 }, device: &device };
    let checked_in = state(&[(registered(), 0, 1), (MemberEvent::MemberCheckedIn { at_ms: 10 * MIN }, 10 * MIN, 1)]);
    let duplicate =
        |of_ms| MemberEvent::MemberCheckInNotCounted { at_ms: 12 * MIN, reason: NotCounted::Duplicate { of_ms } };
    assert_eq!(checked_in.validate(&[duplicate(10 * MIN)], &meta), Ok(1), "an exported log imports again");
    assert!(checked_in.validate(&[duplicate(3 * MIN)], &meta).is_err(), "no such check-in to duplicate");
    let repeated = MemberEvent::MemberChangeRepeated { change: Repeated::Archived };
    assert!(checked_in.validate(std::slice::from_ref(&repeated), &meta).is_err(), "the member is not archived");
    let merged = MemberEvent::MemberDetailsMerged {
        field: MemberField::Phone,
        value: "0470 99 99 99".into(),
        overwritten: "0470 00 00 00".into(),
    };
    assert!(checked_in.validate(std::slice::from_ref(&merged), &meta).is_err(), "it did not overwrite that value");
    // A merge "over" the value the field already holds moves nothing but the field's stamp: the
    // server never writes one (it writes a repeat), so none is admitted.
    let name = checked_in.name.clone();
    let no_op =
        MemberEvent::MemberDetailsMerged { field: MemberField::Name, value: name.clone(), overwritten: name.clone() };
    assert!(checked_in.validate(std::slice::from_ref(&no_op), &meta).is_err(), "a merge that changes nothing");
    let no_op = MemberEvent::MemberDetailsOverwritten { field: MemberField::Name, value: name.clone(), kept: name };
    assert!(checked_in.validate(std::slice::from_ref(&no_op), &meta).is_err(), "an overwrite of the same value");
}

#[test]
fn two_desks_setting_one_field_to_the_same_value_record_a_repeat_and_tell_nobody() {
    let server = state(&[(registered(), 0, 1), (changed(MemberField::Phone, "0470 55 55 55"), 5 * MIN, 1)]);
    let mine = changed(MemberField::Phone, "0470 55 55 55");
    for stamp in [4 * MIN, 6 * MIN] {
        let resolved = resolve(&server, &mine, stamp, 2, 1);
        let repeated = MemberEvent::MemberChangeRepeated {
            change: Repeated::Detail { field: MemberField::Phone, value: "0470 55 55 55".into() },
        };
        assert_eq!(resolved, Ok(Resolution::Replace(repeated.clone())));
        assert!(!Member::undone(&repeated));
        assert_eq!(server.overruled(&repeated), None);
    }
}

#[test]
fn a_check_in_near_a_forgotten_one_at_time_zero_is_not_counted_either() {
    let mut events = vec![(registered(), 0, 1)];
    for i in 0..9 {
        events.push((MemberEvent::MemberCheckedIn { at_ms: i * 11 * MIN }, i * 11 * MIN, 1));
    }
    let member = state(&events);
    assert_eq!(member.forgotten_ms, Some(0));
    assert_eq!(member.decide(MemberCommand::CheckIn, 1), Err(MemberError::CheckInBeforeHistory));
}
