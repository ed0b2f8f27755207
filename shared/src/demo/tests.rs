use super::*;
use crate::StreamKind;
use crate::{
    acceptance::check_request,
    calendar::minute_of_day,
    class::{
        booking_stands,
        recheck::{corrections, Correction},
        ChargeKind, Class, ClassCommand, ClassEvent, Via,
    },
    member::{Denial, Member, MemberCommand, MemberEvent, Status, Verdict, Warning},
    protocol::{PushBatch, PushRequest},
};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

const CLUB: ClubId = ClubId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_de70));

/// The demo's accounts: an owner, a manager, the front desk and three coaches.
fn staff() -> Vec<(Role, StaffId)> {
    [Role::Owner, Role::Manager, Role::FrontDesk, Role::Coach, Role::Coach, Role::Coach]
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r, StaffId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_5a00 + i as u128))))
        .collect()
}

/// `hh:mm` on the club's wall clock on that day.
fn berlin(date: &str, hh: u32, mm: u32) -> u64 {
    let spec = Spec::new(CLUB, 0, day_start_ms(&ZONE, date.parse().unwrap()) + 12 * 3_600_000);
    Club::new(&spec).at(date.parse().unwrap(), hh * 60 + mm)
}

/// An evening just after the spring-forward night (in the days of check-ins).
fn now() -> u64 {
    berlin("2026-04-10", 18, 30)
}

/// The demo decided by the desks: every command's events, every refusal (with its command), and
/// what the server would have to say about each class change when it was made.
struct Decided {
    commands: Vec<DemoCommand>,
    events: Vec<(DemoCommand, Vec<EventEnvelope>)>,
    refusals: Vec<(DemoCommand, Refused)>,
    /// What the server's re-check at append (`class::recheck`) corrects in a class change, against
    /// the members' streams at that moment.
    corrections: Vec<(DemoCommand, Vec<Correction>)>,
    /// Class changes after which more members were booked than the class holds.
    over_capacity: Vec<DemoCommand>,
    desks: Desks,
}

fn decide(spec: &Spec) -> Decided {
    let commands = generate(spec, &staff());
    let mut desks = Desks::new(spec.seed, staff());
    let (mut events, mut refusals, mut corrections, mut over_capacity) = (vec![], vec![], vec![], vec![]);
    for c in &commands {
        match desks.decide(c) {
            Ok(e) => {
                if let (Some(first), Some(last)) = (e.first(), e.last()) {
                    if c.stream.kind == StreamKind::Class {
                        let Some(StreamState::Class(class)) = desks.state(&c.stream) else { unreachable!() };
                        if class.bookings.len() > class.details.as_ref().unwrap().capacity as usize {
                            over_capacity.push(c.clone());
                        }
                        let found = recheck(&desks, spec, class, first.version..=last.version);
                        if !found.is_empty() {
                            corrections.push((c.clone(), found));
                        }
                    }
                }
                events.push((c.clone(), e))
            }
            Err(r) => refusals.push((c.clone(), r)),
        }
    }
    Decided { commands, events, refusals, corrections, over_capacity, desks }
}

/// The server's re-check of the class change at `versions`, with the members as the desks hold them.
fn recheck(desks: &Desks, spec: &Spec, class: &Class, versions: RangeInclusive<u64>) -> Vec<Correction> {
    let Some(StreamState::Club(settings)) = desks.state(&club::stream(spec.club)) else { unreachable!() };
    let rules = settings.entry_rules();
    let day = class.details.as_ref().unwrap().day;
    corrections(class, versions, &mut |member, membership| match desks.state(&StreamId::member(member)) {
        Some(StreamState::Member(m)) => booking_stands(m, membership, day, &rules),
        _ => Err(Denial::NoMembership),
    })
}

fn assert_no_refusal(decided: &Decided, spec: &Spec) {
    let first: Vec<String> = decided.refusals.iter().take(5).map(|(c, r)| format!("{c:?}\n  refused: {r}")).collect();
    assert!(
        decided.refusals.is_empty(),
        "{} of {} commands refused at {} members, now {}:\n{}",
        decided.refusals.len(),
        decided.commands.len(),
        spec.members,
        spec.now_ms,
        first.join("\n")
    );
    let first: Vec<String> =
        decided.corrections.iter().take(5).map(|(c, r)| format!("{c:?}\n  corrected: {r:?}")).collect();
    assert!(
        decided.corrections.is_empty(),
        "{} class changes the server would correct at {} members, now {}:\n{}",
        decided.corrections.len(),
        spec.members,
        spec.now_ms,
        first.join("\n")
    );
    assert!(decided.over_capacity.is_empty(), "over capacity after {:?}", decided.over_capacity.first());
}

/// Each state at the end, by stream.
fn members(decided: &Decided) -> Vec<(StreamId, Member)> {
    decided
        .desks
        .streams()
        .filter_map(|(id, state, _)| match state {
            StreamState::Member(m) => Some((*id, m.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_command_of_a_500_member_club_is_decided_by_the_rules_and_pushes_as_a_device_pushes() {
    let spec = Spec::new(CLUB, 500, now());
    let decided = decide(&spec);
    assert_no_refusal(&decided, &spec);
    assert!(decided.commands.len() > 5_000, "a living club: {} commands", decided.commands.len());
    // What the server checks of a device's push before any stream: shapes, clocks, authors' roles.
    for (command, events) in &decided.events {
        let push = PushRequest {
            device: command.desk.device(),
            batches: vec![PushBatch {
                stream: command.stream,
                parent_version: events[0].version - 1,
                events: events.clone(),
            }],
            epoch: None,
        };
        check_request(&push, spec.now_ms).unwrap_or_else(|e| panic!("{command:?}: {e}"));
        for e in events {
            assert_eq!(e.staff, decided.desks.staff_on(command.desk, command.role));
            crate::access::permitted(e, command.role).unwrap_or_else(|r| panic!("{command:?}: {r}"));
        }
    }
}

#[test]
fn every_command_of_a_20_000_member_club_is_decided_by_the_rules() {
    let spec = Spec::new(CLUB, 20_000, now());
    assert_eq!(spec.classes, 500, "the timetable of the benchmarks");
    let decided = decide(&spec);
    assert_no_refusal(&decided, &spec);
    let events: usize = decided.events.iter().map(|(_, e)| e.len()).sum();
    assert!(events > 150_000, "{events} events");
    let today = date_of(&ZONE, spec.now_ms);
    assert_eq!(classes_in_week(&classes(&decided), today.add_days(1)), 500);
}

/// Each class's state at the end.
fn classes(decided: &Decided) -> Vec<(StreamId, Class)> {
    let mut classes: Vec<(StreamId, Class)> = decided
        .desks
        .streams()
        .filter_map(|(id, state, _)| match state {
            StreamState::Class(c) => Some((*id, c.clone())),
            _ => None,
        })
        .collect();
    classes.sort_by_key(|(_, c)| c.details.as_ref().map(|d| d.start_ms));
    classes
}

fn classes_in_week(classes: &[(StreamId, Class)], from: Date) -> usize {
    classes.iter().filter(|(_, c)| (from..from.add_days(7)).contains(&c.details.as_ref().unwrap().day)).count()
}

#[test]
fn a_studio_runs_full_classes_every_evening_with_waitlists_promotions_attendance_and_the_visits_cards_pay() {
    let spec = Spec::new(CLUB, 500, now());
    assert_eq!(spec.classes, 70);
    let decided = decide(&spec);
    assert_no_refusal(&decided, &spec);
    let today = date_of(&ZONE, spec.now_ms);
    let classes = classes(&decided);
    // The same timetable every week, over the days of check-ins and the coming week.
    assert_eq!(classes_in_week(&classes, today.add_days(1)), 70, "the coming week");
    assert_eq!(classes_in_week(&classes, today.add_days(-7)), 70, "the last week");
    let first = classes.iter().map(|(_, c)| c.details.as_ref().unwrap().day).min().unwrap();
    assert_eq!(first, today.add_days(-29), "from the first day of check-ins");
    let coaches: BTreeSet<StaffId> = classes.iter().map(|(_, c)| c.details.as_ref().unwrap().coach).collect();
    let expected: BTreeSet<StaffId> = staff().into_iter().filter(|(r, _)| *r == Role::Coach).map(|(_, s)| s).collect();
    assert_eq!(coaches, expected, "every coach teaches");
    for (_, c) in &classes {
        let d = c.details.as_ref().unwrap();
        assert!((8..=30).contains(&d.capacity), "{d:?}");
        assert_eq!(c.over_capacity(), 0);
    }

    // Evening classes (Monday to Thursday) are full, and the coming ones keep waitlists.
    let evening = |c: &Class| {
        let d = c.details.as_ref().unwrap();
        d.day.weekday() < 4 && minute_of_day(&ZONE, d.start_ms) >= 17 * 60 && c.cancelled.is_none()
    };
    let last_week: Vec<&Class> = classes
        .iter()
        .map(|(_, c)| c)
        .filter(|c| evening(c) && (today.add_days(-7)..today).contains(&c.details.as_ref().unwrap().day))
        .collect();
    let full = last_week.iter().filter(|c| c.free() == 0).count();
    assert!(full * 10 >= last_week.len() * 8, "{full} of {} evening classes full", last_week.len());
    let coming: Vec<&Class> =
        classes.iter().map(|(_, c)| c).filter(|c| c.details.as_ref().unwrap().start_ms > spec.now_ms).collect();
    let waiting = coming.iter().filter(|c| !c.waitlist.is_empty()).count();
    assert!(waiting >= 1, "{waiting} coming classes with a waitlist");
    let waited = classes.iter().filter(|(_, c)| !c.waitlist.is_empty()).count();
    assert!(waited >= 100, "{waited} classes with a waitlist");
    let full = coming.iter().filter(|c| c.free() == 0).count();
    assert!(full >= 2, "{full} coming classes full already");

    // Every change a studio sees, made by the desks and the coaches.
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (_, events) in &decided.events {
        for e in events {
            let kind = match (e.decode::<ClassEvent>(), e.decode::<MemberEvent>()) {
                (Ok(ClassEvent::BookingCancelled { late: true, .. }), _) => "BookingCancelled late".into(),
                (_, Ok(MemberEvent::ClassVisitUsed { charge: Some(charge), .. })) => {
                    format!("ClassVisitUsed {}", charge.label())
                }
                _ => e.event_type.clone(),
            };
            *kinds.entry(kind).or_default() += 1;
        }
    }
    for kind in [
        "ClassScheduled",
        "ClassBooked",
        "ClassWaitlisted",
        "BookingCancelled",
        "BookingCancelled late",
        "WaitlistLeft",
        "WaitlistPromoted",
        "ClassRescheduled",
        "ClassCancelled",
        "AttendanceMarked",
        "AttendanceSubmitted",
        "ChargeWaived",
        "ClassVisitUsed",
        "ClassVisitUsed late cancel",
        "ClassVisitUsed no-show",
        "ClassVisitReturned",
    ] {
        assert!(kinds.contains_key(kind), "no {kind} in {kinds:?}");
    }
    let bookings = || classes.iter().flat_map(|(_, c)| &c.bookings);
    let promoted = |automatic: bool| {
        bookings().filter(|b| matches!(b.via, Via::Promoted { automatic: a, .. } if a == automatic)).count()
    };
    assert!(promoted(true) >= 10, "{} moved up by themselves", promoted(true));
    assert!(promoted(false) >= 1, "moved up by the desk after the cutoff");
    assert!(bookings().any(|b| b.override_reason.is_some()), "a free trial class, overridden by a manager");
    let charges = || classes.iter().flat_map(|(_, c)| &c.charges);
    assert!(charges().filter(|c| c.kind == ChargeKind::NoShow).count() > 50, "no-shows");
    assert!(charges().any(|c| c.waived.is_some()), "a waived charge");
    let cancelled: Vec<&Class> = classes.iter().map(|(_, c)| c).filter(|c| c.cancelled.is_some()).collect();
    assert_eq!(cancelled.len(), 2, "one of the coming days, one of the past: {cancelled:?}");
    assert!(cancelled.iter().any(|c| c.details.as_ref().unwrap().start_ms > spec.now_ms));
    // Attendance is taken of every class that is over (but the one cancelled).
    for (_, c) in &classes {
        let d = c.details.as_ref().unwrap();
        if d.end_ms() + 30 * 60_000 < spec.now_ms && c.cancelled.is_none() {
            assert!(c.submitted, "{d:?}");
        }
    }

    // A card pays one visit for each class it attended, or was charged a late cancel or a no-show
    // for that was not waived; never for a booking or a waitlist entry alone.
    let members = members(&decided);
    let cards: BTreeSet<Uuid> = members
        .iter()
        .flat_map(|(_, m)| &m.memberships)
        .filter(|m| m.terms.visits.count().is_some())
        .map(|m| m.id)
        .collect();
    let mut expected: BTreeSet<(Uuid, Uuid)> = BTreeSet::new();
    for (id, c) in &classes {
        for b in c.bookings.iter().filter(|b| b.attended) {
            expected.extend(b.membership.filter(|m| cards.contains(m)).map(|m| (m, id.id)));
        }
        for ch in c.charges.iter().filter(|ch| ch.waived.is_none()) {
            expected.extend(ch.membership.filter(|m| cards.contains(m)).map(|m| (m, id.id)));
        }
    }
    let used: BTreeSet<(Uuid, Uuid)> = members
        .iter()
        .flat_map(|(_, m)| &m.memberships)
        .flat_map(|m| m.class_visits.iter().map(|c| (m.id, *c)))
        .collect();
    assert!(expected.len() > 100, "{} class visits of cards", expected.len());
    assert_eq!(used, expected);
}

#[test]
fn at_any_hour_of_any_season_the_demo_is_decided_without_a_refusal() {
    // Mornings before opening, the fall-back night, the end of February (months clamp), New Year's Eve.
    for now in [
        berlin("2026-02-28", 7, 5),
        berlin("2026-03-29", 3, 30),
        berlin("2026-10-25", 23, 50),
        berlin("2026-12-31", 12, 0),
        berlin("2027-01-31", 21, 15),
    ] {
        for seed in [SEED, 7] {
            let spec = Spec { seed, ..Spec::new(CLUB, 500, now) };
            assert_no_refusal(&decide(&spec), &spec);
        }
    }
    // A day of check-ins, a week, a year (`faraday demo --days`).
    for days in [1, 7, 365] {
        let spec = Spec { days, ..Spec::new(CLUB, 300, now()) };
        assert_no_refusal(&decide(&spec), &spec);
    }
}

#[test]
fn every_membership_status_and_every_entry_verdict_occurs_today() {
    for size in [500, 20_000] {
        let spec = Spec::new(CLUB, size, now());
        let decided = decide(&spec);
        let today = date_of(&ZONE, spec.now_ms);
        let rules = ClubSettings::default().entry_rules();
        let (mut statuses, mut verdicts) = (BTreeMap::new(), BTreeMap::new());
        let mut archived = 0;
        for (_, member) in members(&decided) {
            if member.archived {
                archived += 1;
                continue;
            }
            for m in &member.memberships {
                *statuses.entry(m.status(today).0.label()).or_insert(0) += 1;
            }
            let verdict = match member.entry(spec.now_ms, today, &rules).verdict {
                Verdict::Allow => "allow".to_owned(),
                Verdict::Warn(w) => format!("warn {}", warning(&w)),
                Verdict::Deny(d) => format!("deny {}", d.code()),
            };
            *verdicts.entry(verdict).or_insert(0) += 1;
        }
        for status in [
            Status::NotStarted,
            Status::Active,
            Status::Frozen,
            Status::Expired,
            Status::Cancelled,
            Status::NoVisitsLeft,
        ] {
            assert!(statuses.contains_key(status.label()), "{size} members: no {status:?} in {statuses:?}");
        }
        for verdict in [
            "allow",
            "warn unpaid",
            "warn last visit",
            "deny no_membership",
            "deny not_started",
            "deny expired",
            "deny frozen",
            "deny cancelled",
            "deny no_visits_left",
            "deny unpaid",
            "deny blocked",
        ] {
            assert!(verdicts.contains_key(verdict), "{size} members: no {verdict:?} in {verdicts:?}");
        }
        assert!(archived > 0, "an archived member");
        // Most members can come in: it is a living club, not a museum of edge cases.
        let admitted: usize = verdicts.iter().filter(|(v, _)| !v.starts_with("deny")).map(|(_, n)| n).sum();
        assert!(admitted * 2 > size, "{admitted} of {size} admitted: {verdicts:?}");
    }
}

fn warning(w: &Warning) -> &'static str {
    match w {
        Warning::LastVisit => "last visit",
        Warning::UnpaidWithinGrace { .. } => "unpaid",
        Warning::EndsSoon { .. } => "ends soon",
        Warning::Activates => "activates",
    }
}

#[test]
fn the_desk_sells_renews_takes_payments_freezes_cancels_and_managers_override_void_and_back_date() {
    let spec = Spec::new(CLUB, 500, now());
    let decided = decide(&spec);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, events) in &decided.events {
        for e in events {
            *kinds.entry(e.event_type.as_str()).or_default() += 1;
        }
    }
    for kind in [
        "ClubSettingChanged",
        "MemberRegistered",
        "MemberDetailsChanged",
        "MembershipSold",
        "PaymentRecorded",
        "MembershipFrozen",
        "MembershipUnfrozen",
        "MembershipCancelled",
        "MemberCheckedIn",
        "MemberEntryOverridden",
        "MemberCheckInVoided",
        "MemberCheckInBackdated",
        "MemberBlocked",
        "MemberArchived",
    ] {
        assert!(kinds.contains_key(kind), "no {kind} in {kinds:?}");
    }
    let renewals = decided
        .events
        .iter()
        .flat_map(|(_, e)| e)
        .filter_map(|e| e.decode::<MemberEvent>().ok())
        .filter(|e| matches!(e, MemberEvent::MembershipSold { renews: Some(_), .. }))
        .count();
    assert!(renewals > 100, "{renewals} renewals");
    // Who did what: the owner set the club up, managers only what needs a manager, coaches take
    // attendance of their own classes on their phones (or the front desk does).
    for c in &decided.commands {
        let expected: &[Role] = match &c.command {
            Command::Club(_) => &[Role::Owner],
            Command::Member(
                MemberCommand::OverrideEntry { .. }
                | MemberCommand::VoidCheckIn { .. }
                | MemberCommand::RecordPastCheckIn { .. }
                | MemberCommand::BlockMember { .. }
                | MemberCommand::ReturnClassVisit { .. },
            ) => &[Role::Manager],
            Command::Member(MemberCommand::UseClassVisit { .. }) => &[Role::FrontDesk, Role::Coach],
            Command::Member(_) => &[Role::FrontDesk],
            Command::Class(
                ClassCommand::ScheduleClass { .. }
                | ClassCommand::RescheduleClass { .. }
                | ClassCommand::CancelClass { .. }
                | ClassCommand::WaiveCharge { .. }
                | ClassCommand::Book { override_reason: Some(_), .. },
            ) => &[Role::Manager],
            Command::Class(ClassCommand::MarkAttendance { .. } | ClassCommand::SubmitAttendance) => {
                &[Role::FrontDesk, Role::Coach]
            }
            Command::Class(_) => &[Role::FrontDesk],
        };
        assert!(expected.contains(&c.role), "{c:?}");
        match c.desk {
            Desk::Office => assert!(matches!(c.role, Role::Owner | Role::Manager), "{c:?}"),
            Desk::Front1 | Desk::Front2 => assert_eq!(c.role, Role::FrontDesk, "{c:?}"),
            Desk::Coach(_) => assert_eq!(c.role, Role::Coach, "{c:?}"),
        }
    }
    // A coach takes attendance only of their own classes.
    for (c, _) in &decided.events {
        let (Desk::Coach(_), Command::Class(_)) = (c.desk, &c.command) else { continue };
        let Some(StreamState::Class(class)) = decided.desks.state(&c.stream) else { unreachable!() };
        assert_eq!(decided.desks.staff_on(c.desk, c.role), Some(class.details.as_ref().unwrap().coach), "{c:?}");
    }
}

#[test]
fn the_club_is_set_up_in_berlin_time_before_anyone_joins_and_a_later_price_rise_only_changes_later_sales() {
    let spec = Spec::new(CLUB, 500, now());
    let decided = decide(&spec);
    let first = &decided.commands[0];
    assert_eq!(first.command, Command::Club(ClubCommand::ChangeSetting(Setting::TimeZone("Europe/Berlin".into()))));
    assert!(decided.commands.iter().skip(1).all(|c| c.at_ms > first.at_ms));
    let monthly = Club::new(&spec).plan(PlanKey::Monthly);
    let prices: BTreeSet<u64> = members(&decided)
        .iter()
        .flat_map(|(_, m)| &m.memberships)
        .filter(|m| m.plan == monthly)
        .map(|m| m.terms.price_cents)
        .collect();
    assert_eq!(prices, BTreeSet::from([4_500, 4_900]), "sales copy the terms of their day");
}

#[test]
fn check_ins_fill_the_last_30_days_at_the_hours_the_club_is_open_and_never_lie_in_the_future() {
    let spec = Spec::new(CLUB, 500, now());
    let decided = decide(&spec);
    let today = date_of(&ZONE, spec.now_ms);
    let mut per_day: BTreeMap<Date, usize> = BTreeMap::new();
    let mut per_hour = [0usize; 24];
    for c in &decided.commands {
        assert!(c.at_ms <= spec.now_ms, "{c:?} is after now");
        let Command::Member(MemberCommand::CheckIn { on, .. }) = &c.command else { continue };
        assert_eq!(*on, date_of(&ZONE, c.at_ms), "a check-in's day is the club's day of its instant");
        let minute = minute_of_day(&ZONE, c.at_ms);
        let weekend = on.weekday() >= 5;
        let (open, close) = if weekend { (8 * 60, 20 * 60) } else { (6 * 60, 23 * 60) };
        assert!((open..close).contains(&minute), "{c:?} at {}:{:02}", minute / 60, minute % 60);
        *per_day.entry(*on).or_default() += 1;
        per_hour[(minute / 60) as usize] += 1;
    }
    let days: Vec<Date> = (0..30).map(|k| today.add_days(-k)).rev().collect();
    assert_eq!(per_day.keys().copied().collect::<Vec<_>>(), days, "every day of the last 30, and only those");
    let busiest = (0..24).max_by_key(|h| per_hour[*h]).unwrap();
    assert!((17..=20).contains(&busiest), "the evening is busiest, not {busiest}:00: {per_hour:?}");
    let weekday_average = per_day.iter().filter(|(d, _)| d.weekday() < 5).map(|(_, n)| n).sum::<usize>() / 22;
    assert!((60..=250).contains(&weekday_average), "{weekday_average} check-ins on a weekday for 500 members");
}

#[test]
fn the_same_spec_gives_the_same_club_and_a_small_club_is_the_start_of_a_large_one() {
    let small = generate(&Spec::new(CLUB, 100, now()), &staff());
    assert_eq!(small, generate(&Spec::new(CLUB, 100, now()), &staff()));
    let large = generate(&Spec::new(CLUB, 300, now()), &staff());
    let streams = |commands: &[DemoCommand]| {
        commands.iter().map(|c| c.stream).filter(|s| s.kind == StreamKind::Member).collect::<BTreeSet<_>>()
    };
    assert!(streams(&small).is_subset(&streams(&large)));
    let other = generate(&Spec { seed: 1, ..Spec::new(CLUB, 100, now()) }, &staff());
    assert!(streams(&small).is_disjoint(&streams(&other)), "another seed, other members");
}

#[test]
fn members_have_names_from_many_languages_and_e_mail_addresses_of_example_domains() {
    let spec = Spec::new(CLUB, 500, now());
    let decided = decide(&spec);
    let members = members(&decided);
    let names: BTreeSet<&str> = members.iter().map(|(_, m)| m.name.as_str()).collect();
    assert!(names.len() > 450, "{} distinct names of 500", names.len());
    assert!(names.iter().filter(|n| !n.is_ascii()).count() > 150, "accents and other letters");
    assert!(names.iter().any(|n| n.starts_with("Zoë ")) && names.iter().any(|n| n.starts_with("Łukasz ")));
    for (_, m) in &members {
        let domain = m.email.rsplit_once('@').map(|(_, d)| d);
        assert!(m.email.is_empty() || domain.is_some_and(|d| names::DOMAINS.contains(&d)), "{}", m.email);
        assert!(m.email.is_ascii());
    }
    assert!(members.iter().filter(|(_, m)| m.email.is_empty()).count() > 10, "some gave no e-mail");
}
