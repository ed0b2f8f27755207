use super::*;
use crate::StreamKind;
use crate::{
    acceptance::check_request,
    calendar::minute_of_day,
    member::{Member, MemberCommand, MemberEvent, Status, Verdict, Warning},
    protocol::{PushBatch, PushRequest},
};
use std::collections::{BTreeMap, BTreeSet};

const CLUB: ClubId = ClubId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_de70));

fn staff() -> Vec<(Role, StaffId)> {
    [Role::Owner, Role::Manager, Role::FrontDesk]
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

/// The demo decided by the desks: every command's events, and every refusal (with its command).
struct Decided {
    commands: Vec<DemoCommand>,
    events: Vec<(DemoCommand, Vec<EventEnvelope>)>,
    refusals: Vec<(DemoCommand, Refused)>,
    desks: Desks,
}

fn decide(spec: &Spec) -> Decided {
    let commands = generate(spec);
    let mut desks = Desks::new(spec.seed, staff());
    let (mut events, mut refusals) = (vec![], vec![]);
    for c in &commands {
        match desks.decide(c) {
            Ok(e) => events.push((c.clone(), e)),
            Err(r) => refusals.push((c.clone(), r)),
        }
    }
    Decided { commands, events, refusals, desks }
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
            assert_eq!(e.staff, decided.desks.staff(command.role));
            crate::access::permitted(e, command.role).unwrap_or_else(|r| panic!("{command:?}: {r}"));
        }
    }
}

#[test]
fn every_command_of_a_20_000_member_club_is_decided_by_the_rules() {
    let spec = Spec::new(CLUB, 20_000, now());
    let decided = decide(&spec);
    assert_no_refusal(&decided, &spec);
    let events: usize = decided.events.iter().map(|(_, e)| e.len()).sum();
    assert!(events > 150_000, "{events} events");
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
    // Who did what: the owner set the club up, managers only what needs a manager.
    for c in &decided.commands {
        let expected = match &c.command {
            Command::Club(_) => Role::Owner,
            Command::Member(
                MemberCommand::OverrideEntry { .. }
                | MemberCommand::VoidCheckIn { .. }
                | MemberCommand::RecordPastCheckIn { .. }
                | MemberCommand::BlockMember { .. },
            ) => Role::Manager,
            Command::Member(_) => Role::FrontDesk,
            Command::Class(_) => Role::Manager,
        };
        assert_eq!(c.role, expected, "{c:?}");
        assert_eq!(c.desk == Desk::Office, c.role != Role::FrontDesk, "{c:?}");
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
    let small = generate(&Spec::new(CLUB, 100, now()));
    assert_eq!(small, generate(&Spec::new(CLUB, 100, now())));
    let large = generate(&Spec::new(CLUB, 300, now()));
    let streams = |commands: &[DemoCommand]| {
        commands.iter().map(|c| c.stream).filter(|s| s.kind == StreamKind::Member).collect::<BTreeSet<_>>()
    };
    assert!(streams(&small).is_subset(&streams(&large)));
    let other = generate(&Spec { seed: 1, ..Spec::new(CLUB, 100, now()) });
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
