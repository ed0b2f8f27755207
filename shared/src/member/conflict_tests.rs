//! How a member's events join a stream that another desk changed meanwhile (the policies of
//! `Member::policy`), as the server resolves them.

use super::*;
use crate::aggregate::{Aggregate, EventMeta, Resolution, Unresolved};
use crate::member::Repeated;
use crate::testing::members::{self, at, check_in, checked_in, monday, MIN, MONTHLY};
use crate::{DeviceId, Hlc};

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

/// Björn, registered and holding a paid unlimited monthly membership from Monday, by desk 1.
fn with_membership() -> Vec<(MemberEvent, u64, u8)> {
    let mut events = vec![(registered(), 0, 1)];
    events.extend(members::with_unlimited("Björn Berg").into_iter().skip(1).map(|e| (e, 0, 1)));
    events
}

/// Björn with his membership, and desk 1's check-ins at these minutes of Monday.
fn checked_in_at(minutes: &[u64]) -> Member {
    let mut events = with_membership();
    events.extend(minutes.iter().map(|m| (checked_in(at(*m), MONTHLY), at(*m), 1)));
    state(&events)
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
    let server = checked_in_at(&[10]);
    let mine = checked_in(at(14), MONTHLY);
    assert_eq!(
        resolve(&server, &mine, at(14), 2, 3),
        Ok(Resolution::Replace(MemberEvent::MemberCheckInNotCounted {
            at_ms: at(14),
            reason: NotCounted::Duplicate { of_ms: at(10) }
        }))
    );
}

#[test]
fn a_check_in_outside_the_window_of_another_desks_is_kept() {
    let server = checked_in_at(&[10]);
    let mine = checked_in(at(30), MONTHLY);
    assert_eq!(resolve(&server, &mine, at(30), 2, 3), Ok(Resolution::Keep));
}

#[test]
fn a_check_in_of_a_member_archived_meanwhile_goes_to_the_inbox_not_away() {
    let mut events = with_membership();
    events.push((MemberEvent::MemberArchived {}, at(1), 1));
    let server = state(&events);
    let mine = checked_in(at(2), MONTHLY);
    assert_eq!(resolve(&server, &mine, at(2), 2, 3), Err(Unresolved::Broken(MemberError::Archived)));
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
    let minutes: Vec<u64> = (0..9).map(|i| i * 11 + 100).collect();
    let member = checked_in_at(&minutes);
    assert_eq!(member.decide(check_in(monday(), MONTHLY), at(100) + 1_000), Err(MemberError::CheckInBeforeHistory));
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
    let checked_in = checked_in_at(&[10]);
    let duplicate =
        |of_ms| MemberEvent::MemberCheckInNotCounted { at_ms: at(12), reason: NotCounted::Duplicate { of_ms } };
    assert_eq!(checked_in.validate(&[duplicate(at(10))], &meta), Ok(1), "an exported log imports again");
    assert!(checked_in.validate(&[duplicate(at(3))], &meta).is_err(), "no such check-in to duplicate");
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
    let mut events = with_membership();
    for i in 0..9 {
        events.push((checked_in(i * 11 * MIN, MONTHLY), i * 11 * MIN, 1));
    }
    let member = state(&events);
    assert_eq!(member.forgotten_ms, Some(0));
    assert_eq!(member.decide(check_in(members::day_of(1), MONTHLY), 1), Err(MemberError::CheckInBeforeHistory));
}

/// Björn with a paid two-visit card from Monday ([`members::CARD`]), and desk 1's check-ins on it
/// at these minutes of Monday.
fn card_used_at(minutes: &[u64]) -> Member {
    let mut events: Vec<(MemberEvent, u64, u8)> =
        members::with_card("Björn Berg", 2).into_iter().map(|e| (e, 0, 1)).collect();
    events.extend(minutes.iter().map(|m| (checked_in(at(*m), members::CARD), at(*m), 1)));
    state(&events)
}

#[test]
fn the_last_visit_of_a_card_used_on_two_desks_counts_once_and_the_other_is_recorded_as_refused() {
    // Desk 1 used the last visit at 10:00; desk 2, which had seen only the first visit (version
    // 4), checked the member in at 10:30 on the same card.
    let server = card_used_at(&[9 * 60, 10 * 60]);
    let mine = checked_in(at(10 * 60 + 30), members::CARD);
    assert_eq!(
        resolve(&server, &mine, at(10 * 60 + 30), 2, 4),
        Ok(Resolution::Replace(MemberEvent::MemberCheckInNotCounted {
            at_ms: at(10 * 60 + 30),
            reason: NotCounted::Refused {
                denial: Denial::NoVisitsLeft,
                on: monday(),
                membership: members::CARD,
                grace_days: EntryRules::default().grace_days,
            }
        }))
    );
    let not_counted = MemberEvent::MemberCheckInNotCounted {
        at_ms: at(10 * 60 + 30),
        reason: NotCounted::Refused {
            denial: Denial::NoVisitsLeft,
            on: monday(),
            membership: members::CARD,
            grace_days: 14,
        },
    };
    assert!(Member::undone(&not_counted), "the desk that made it is told");
    let device = desk(2);
    let meta = EventMeta { version: 6, hlc: Hlc { ms: at(10 * 60 + 30), c: 0 }, device: &device };
    assert_eq!(server.validate(std::slice::from_ref(&not_counted), &meta), Ok(1), "an exported log imports again");
    let mut after = server.clone();
    after.evolve(&not_counted, &meta);
    let card = after.membership(members::CARD).unwrap();
    assert_eq!((card.visits_used, card.visits_left()), (2, Some(0)), "never below zero");
}

#[test]
fn a_freeze_and_a_cancellation_of_one_membership_on_two_desks_go_to_the_inbox() {
    let mut events = with_membership();
    let (from, until) = (monday().add_days(1), monday().add_days(7));
    events.push((MemberEvent::MembershipFrozen { membership: MONTHLY, from, until, on: monday() }, at(60), 1));
    let server = state(&events);
    let cancel = MemberEvent::MembershipCancelled {
        membership: MONTHLY,
        from: monday(),
        reason: "moving abroad".into(),
        on: monday(),
    };
    assert_eq!(resolve(&server, &cancel, at(61), 2, 3), Err(Unresolved::Conflict));
    assert_eq!(
        resolve(&server, &cancel, at(61), 1, 3).map(|_| ()),
        Ok(()),
        "the desk's own freeze is no conflict for it"
    );
}

#[test]
fn a_payment_on_a_desk_that_had_not_seen_another_desks_check_in_stands() {
    let events: Vec<(MemberEvent, u64, u8)> = vec![
        (registered(), 0, 1),
        (members::sold(MONTHLY, members::MONTHLY_PLAN, members::unlimited_monthly(), monday()), 0, 1),
        (checked_in(at(60), MONTHLY), at(60), 1),
    ];
    let server = state(&events);
    let payment = members::paid(MONTHLY, 4_900, monday());
    assert_eq!(resolve(&server, &payment, at(61), 2, 2), Ok(Resolution::Keep));
}

#[test]
fn a_check_in_on_a_membership_frozen_meanwhile_is_recorded_as_refused() {
    let mut events = with_membership();
    events.push((
        MemberEvent::MembershipFrozen {
            membership: MONTHLY,
            from: monday(),
            until: monday().add_days(2),
            on: monday(),
        },
        at(60),
        1,
    ));
    let server = state(&events);
    let mine = checked_in(at(70), MONTHLY);
    assert!(matches!(
        resolve(&server, &mine, at(70), 2, 3),
        Ok(Resolution::Replace(MemberEvent::MemberCheckInNotCounted {
            reason: NotCounted::Refused { denial: Denial::Frozen { .. }, .. },
            ..
        }))
    ));
}
