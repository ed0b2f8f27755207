//! The front desk's home (DOMAIN.md "Dashboard"): who is in the club now, today's check-ins,
//! memberships about to expire, cards nearly used up, and what waits for a person. Computed on
//! the device from the members' states in one pass, so it stays well under 200 ms with 20,000
//! members; "today" is the club's day in its zone (23 or 25 hours on DST nights).

use crate::{
    calendar::{date_of, day_start_ms, Date, Zone},
    club::ClubSettings,
    member::{Member, Membership, Status},
};
use uuid::Uuid;

/// How far ahead "expiring soon" looks: memberships whose last day is today or within this many
/// days.
pub const EXPIRING_WITHIN_DAYS: i32 = 14;
/// A card with this many visits left or fewer is "nearly used up".
pub const FEW_VISITS: u32 = 2;

/// One club-local day: its date and the instants it runs between (`start_ms` included,
/// `end_ms` not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Day {
    /// `date` in `zone`: from its first instant to the next day's.
    pub fn of(zone: &dyn Zone, date: Date) -> Day {
        Day { date, start_ms: day_start_ms(zone, date), end_ms: day_start_ms(zone, date.add_days(1)) }
    }

    /// The day `now_ms` falls on in `zone`.
    pub fn at(zone: &dyn Zone, now_ms: u64) -> Day {
        Day::of(zone, date_of(zone, now_ms))
    }

    pub fn contains(&self, ms: u64) -> bool {
        (self.start_ms..self.end_ms).contains(&ms)
    }
}

/// What waits for staff in the inbox (the device's counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Changes the server stored as something else, not yet acknowledged.
    pub corrections: u32,
    /// Changes the server refused, not yet settled.
    pub conflicts: u32,
}

/// Someone in the club now: checked in less than the automatic check-out ago.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InClub {
    pub member: Uuid,
    pub name: String,
    /// Their latest check-in that counts.
    pub since_ms: u64,
    /// When they count as gone (the automatic check-out).
    pub until_ms: u64,
}

/// A membership whose last day is near.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiring {
    pub member: Uuid,
    pub name: String,
    pub membership: Uuid,
    pub plan: String,
    /// Its last day (inclusive): the end, or the day before a cancellation takes effect.
    pub last_day: Date,
    /// Days from today to the last day (0: today is the last day).
    pub in_days: i32,
}

/// An active visit card with few visits left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FewVisits {
    pub member: Uuid,
    pub name: String,
    pub membership: Uuid,
    pub plan: String,
    pub left: u32,
}

/// The dashboard's numbers and short lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dashboard {
    /// Newest arrival first.
    pub in_club: Vec<InClub>,
    /// Check-ins that count today (voided ones left out by the caller).
    pub check_ins_today: u32,
    /// Soonest first, then by name.
    pub expiring: Vec<Expiring>,
    /// Fewest visits left first, then by name.
    pub few_visits: Vec<FewVisits>,
    pub waiting: Waiting,
}

/// What the dashboard is computed from.
pub struct Inputs<'a> {
    /// The club-local day today.
    pub today: Day,
    pub now_ms: u64,
    pub settings: &'a ClubSettings,
    pub waiting: Waiting,
}

/// Computes the dashboard in one pass over `members` (id and state), with the times of today's
/// check-ins that count (`check_ins`: the desk's list of today, voids left out; times outside
/// `today` are not counted).
pub fn compute<'m>(
    members: impl IntoIterator<Item = (Uuid, &'m Member)>,
    check_ins: impl IntoIterator<Item = u64>,
    inputs: &Inputs<'_>,
) -> Dashboard {
    let today = inputs.today;
    let stay_ms = inputs.settings.auto_check_out_min as u64 * 60_000;
    let horizon = today.date.add_days(EXPIRING_WITHIN_DAYS);
    let mut board = Dashboard {
        check_ins_today: check_ins.into_iter().filter(|t| today.contains(*t)).count() as u32,
        waiting: inputs.waiting,
        ..Dashboard::default()
    };
    for (id, member) in members {
        if !member.registered {
            continue;
        }
        // The latest check-in that is not in the future (a desk whose clock ran ahead).
        let last = member.recent_check_ins.iter().rev().map(|c| c.at_ms).find(|t| *t <= inputs.now_ms);
        if let Some(since_ms) = last.filter(|t| inputs.now_ms - t < stay_ms) {
            board.in_club.push(InClub {
                member: id,
                name: member.name.clone(),
                since_ms,
                until_ms: since_ms + stay_ms,
            });
        }
        if member.archived {
            continue;
        }
        for m in &member.memberships {
            // A membership already renewed is taken care of.
            if member.memberships.iter().any(|r| r.renews == Some(m.id) && r.cancelled.is_none()) {
                continue;
            }
            let status = m.status(today.date).0;
            if let Some(last_day) = last_day(m, status).filter(|d| (today.date..=horizon).contains(d)) {
                board.expiring.push(Expiring {
                    member: id,
                    name: member.name.clone(),
                    membership: m.id,
                    plan: m.terms.name.clone(),
                    last_day,
                    in_days: today.date.days_until(last_day),
                });
            }
            if let (Status::Active, Some(left)) = (status, m.visits_left()) {
                if left <= FEW_VISITS {
                    board.few_visits.push(FewVisits {
                        member: id,
                        name: member.name.clone(),
                        membership: m.id,
                        plan: m.terms.name.clone(),
                        left,
                    });
                }
            }
        }
    }
    board.in_club.sort_unstable_by(|a, b| b.since_ms.cmp(&a.since_ms).then_with(|| a.name.cmp(&b.name)));
    board
        .expiring
        .sort_unstable_by(|a, b| (a.last_day, &a.name, a.membership).cmp(&(b.last_day, &b.name, b.membership)));
    board.few_visits.sort_unstable_by(|a, b| (a.left, &a.name, a.membership).cmp(&(b.left, &b.name, b.membership)));
    board
}

/// The last day a membership in `status` still counts: its end, or the day before a
/// cancellation dated ahead. `None` for one that no longer counts or has no end yet (a card
/// waiting for its first visit).
fn last_day(m: &Membership, status: Status) -> Option<Date> {
    match status {
        Status::Active | Status::Frozen | Status::NotStarted => {}
        Status::Expired | Status::Cancelled | Status::NoVisitsLeft => return None,
    }
    let end = m.end()?;
    Some(match &m.cancelled {
        Some(c) => end.min(c.from.add_days(-1)),
        None => end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        aggregate::Aggregate,
        calendar::{Fixed, Rules},
        club::PlanTerms,
        member::{EntryRules, MemberEvent, PaymentMethod, Start},
    };

    const H: u64 = 3_600_000;
    const MIN: u64 = 60_000;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// The instant `hh:mm` UTC on `day`.
    fn utc(day: &str, hh: u64, mm: u64) -> u64 {
        d(day).days_since_epoch() as u64 * 24 * H + hh * H + mm * MIN
    }

    use crate::testing::members::{card_of as card, unlimited_monthly as monthly};

    /// A member built as the log builds them: registered as `name`, then `events`.
    fn member(name: &str, events: Vec<MemberEvent>) -> Member {
        let mut all =
            vec![MemberEvent::MemberRegistered { name: name.into(), email: String::new(), phone: String::new() }];
        all.extend(events);
        Member::from_events(&all)
    }

    /// `membership` of `terms` sold, paid, starting on `start`.
    fn holds(membership: u128, terms: PlanTerms, start: &str) -> Vec<MemberEvent> {
        let membership = Uuid::from_u128(membership);
        vec![
            MemberEvent::MembershipSold {
                membership,
                plan: Uuid::from_u128(0xb1),
                terms: terms.clone(),
                start: Start::On(d(start)),
                on: d(start),
                renews: None,
            },
            MemberEvent::PaymentRecorded {
                membership,
                amount_cents: terms.price_cents,
                method: PaymentMethod::Cash,
                on: d(start),
            },
        ]
    }

    fn checked_in(zone: &dyn Zone, at_ms: u64, membership: u128) -> MemberEvent {
        MemberEvent::MemberCheckedIn {
            at_ms,
            on: date_of(zone, at_ms),
            membership: Uuid::from_u128(membership),
            rules: EntryRules::default(),
        }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(0x1000 + n)
    }

    fn board(members: &[Member], check_ins: &[u64], today: Day, now_ms: u64) -> Dashboard {
        let settings = ClubSettings::default();
        let inputs = Inputs { today, now_ms, settings: &settings, waiting: Waiting::default() };
        compute(members.iter().enumerate().map(|(i, m)| (id(i as u128), m)), check_ins.iter().copied(), &inputs)
    }

    fn names<T>(list: &[T], name: impl Fn(&T) -> &str) -> Vec<&str> {
        list.iter().map(name).collect()
    }

    #[test]
    fn in_club_now_are_those_checked_in_less_than_the_automatic_check_out_ago() {
        // Given the default automatic check-out of 3 hours, at 12:00 (UTC club)
        let zone = Fixed(0);
        let now = utc("2026-03-02", 12, 0);
        let members = [
            member("Ann", [holds(1, monthly(), "2026-03-01"), vec![checked_in(&zone, now - 10 * MIN, 1)]].concat()),
            member("Bob", [holds(1, monthly(), "2026-03-01"), vec![checked_in(&zone, now - 3 * H, 1)]].concat()),
            member(
                "Cem",
                [holds(1, monthly(), "2026-03-01"), vec![checked_in(&zone, now - 2 * H - 59 * MIN, 1)]].concat(),
            ),
            member("Dee", holds(1, monthly(), "2026-03-01")),
        ];
        // When the dashboard is computed
        let board = board(&members, &[], Day::at(&zone, now), now);
        // Then those who came in under 3 hours ago are in, newest arrival first; 3 hours ago is out
        assert_eq!(names(&board.in_club, |c| &c.name), ["Ann", "Cem"]);
        assert_eq!(board.in_club[0].since_ms, now - 10 * MIN);
        assert_eq!(board.in_club[0].until_ms, now - 10 * MIN + 3 * H);
    }

    #[test]
    fn a_check_in_stamped_in_the_future_does_not_count_as_in_the_club_but_the_one_before_it_does() {
        // Given a desk whose clock ran an hour ahead recorded a check-in after Ann's real one
        let zone = Fixed(0);
        let now = utc("2026-03-02", 12, 0);
        let ann = member(
            "Ann",
            [
                holds(1, monthly(), "2026-03-01"),
                vec![checked_in(&zone, now - 30 * MIN, 1), checked_in(&zone, now + H, 1)],
            ]
            .concat(),
        );
        let bob = member("Bob", [holds(1, monthly(), "2026-03-01"), vec![checked_in(&zone, now + H, 1)]].concat());
        // When the dashboard is computed
        let board = board(&[ann, bob], &[], Day::at(&zone, now), now);
        // Then Ann is in since her real arrival, and Bob is not in yet
        assert_eq!(names(&board.in_club, |c| &c.name), ["Ann"]);
        assert_eq!(board.in_club[0].since_ms, now - 30 * MIN);
    }

    #[test]
    fn todays_check_ins_are_those_of_the_clubs_day_on_the_25_hour_night_too() {
        // Given a Berlin club on the day clocks go back (25 hours: 2026-10-24 22:00 UTC to
        // 2026-10-25 23:00 UTC)
        let zone = Rules::CentralEurope;
        let today = Day::of(&zone, d("2026-10-25"));
        assert_eq!(today.end_ms - today.start_ms, 25 * H);
        let check_ins = [
            utc("2026-10-24", 21, 59), // 23:59 on the 24th in Berlin: yesterday
            utc("2026-10-24", 22, 30), // 00:30 in Berlin: today (a check-in after midnight is the new day's)
            utc("2026-10-25", 0, 30),  // 02:30, the first time
            utc("2026-10-25", 1, 30),  // 02:30 again, after the clocks went back
            utc("2026-10-25", 22, 59), // 23:59 in Berlin
            utc("2026-10-25", 23, 0),  // 00:00 on the 26th: tomorrow
        ];
        // When the dashboard is computed at noon
        let board = board(&[], &check_ins, today, utc("2026-10-25", 11, 0));
        // Then the four check-ins of the club's day count
        assert_eq!(board.check_ins_today, 4);
    }

    #[test]
    fn in_club_now_carries_over_midnight_on_the_23_hour_night() {
        // Given a Berlin club on the night clocks go forward (2026-03-29: 01:59 is followed by 03:00),
        // Ann came in at 23:30 the day before (22:30 UTC)
        let zone = Rules::CentralEurope;
        let now = utc("2026-03-29", 0, 30); // 01:30 in Berlin, half an hour before the jump
        let arrived = utc("2026-03-28", 22, 30);
        let ann = member("Ann", [holds(1, monthly(), "2026-03-01"), vec![checked_in(&zone, arrived, 1)]].concat());
        let today = Day::at(&zone, now);
        assert_eq!(today.date, d("2026-03-29"));
        assert_eq!(today.end_ms - today.start_ms, 23 * H);
        // When the dashboard is computed two hours later
        let board = board(&[ann], &[arrived], today, now);
        // Then she is still in the club, and her check-in was yesterday's
        assert_eq!(names(&board.in_club, |c| &c.name), ["Ann"]);
        assert_eq!(board.check_ins_today, 0);
    }

    #[test]
    fn memberships_expiring_are_those_whose_last_day_is_today_or_within_14_days() {
        // Given, on 2026-03-02, memberships ending on various days
        let zone = Fixed(0);
        let now = utc("2026-03-02", 12, 0);
        let members = [
            // 1 month from 2026-02-03: last day 2026-03-02 (today)
            member("Ends today", holds(1, monthly(), "2026-02-03")),
            // from 2026-02-17: last day 2026-03-16 (in 14 days)
            member("Ends in 14 days", holds(1, monthly(), "2026-02-17")),
            // from 2026-02-18: last day 2026-03-17 (in 15 days)
            member("Ends in 15 days", holds(1, monthly(), "2026-02-18")),
            // ended yesterday
            member("Ended yesterday", holds(1, monthly(), "2026-02-02")),
            // a card ending far away
            member("Card", holds(1, card(10), "2026-02-20")),
        ];
        // When the dashboard is computed
        let board = board(&members, &[], Day::at(&zone, now), now);
        // Then today's and the one in 14 days are listed, soonest first
        assert_eq!(names(&board.expiring, |e| &e.name), ["Ends today", "Ends in 14 days"]);
        assert_eq!(board.expiring[0].in_days, 0);
        assert_eq!(board.expiring[1].last_day, d("2026-03-16"));
        assert_eq!(board.expiring[1].in_days, 14);
        assert_eq!(board.expiring[1].plan, "Monthly unlimited");
    }

    #[test]
    fn a_membership_frozen_renewed_cancelled_or_of_an_archived_member_is_listed_as_it_truly_ends() {
        let zone = Fixed(0);
        let now = utc("2026-03-02", 12, 0);
        let frozen_into_window = {
            // Ends 2026-02-28 without the freeze; frozen 2026-02-20..2026-02-24 (5 days): ends 2026-03-05.
            let mut events = holds(1, monthly(), "2026-02-01");
            events.push(MemberEvent::MembershipFrozen {
                membership: Uuid::from_u128(1),
                from: d("2026-02-20"),
                until: d("2026-02-24"),
                on: d("2026-02-19"),
            });
            member("Frozen", events)
        };
        let renewed = {
            let mut events = holds(1, monthly(), "2026-02-10");
            events.push(MemberEvent::MembershipSold {
                membership: Uuid::from_u128(2),
                plan: Uuid::from_u128(0xb1),
                terms: monthly(),
                start: Start::On(d("2026-03-10")),
                on: d("2026-03-01"),
                renews: Some(Uuid::from_u128(1)),
            });
            member("Renewed", events)
        };
        let cancelled_ahead = {
            // Runs to 2026-03-31, cancelled from 2026-03-06: its last day is 2026-03-05.
            let mut events = holds(1, monthly(), "2026-03-01");
            events.push(MemberEvent::MembershipCancelled {
                membership: Uuid::from_u128(1),
                from: d("2026-03-06"),
                reason: "moving away".into(),
                on: d("2026-03-01"),
            });
            member("Cancelled ahead", events)
        };
        let archived = {
            let mut events = holds(1, monthly(), "2026-02-10");
            events.push(MemberEvent::MemberArchived {});
            member("Archived", events)
        };
        // When the dashboard is computed
        let board = board(&[frozen_into_window, renewed, cancelled_ahead, archived], &[], Day::at(&zone, now), now);
        // Then the frozen one ends later by its frozen days, the cancelled one the day before its
        // cancellation; the renewed one and the archived member's are not listed
        let listed: Vec<(&str, Date)> = board.expiring.iter().map(|e| (e.name.as_str(), e.last_day)).collect();
        assert_eq!(listed, [("Cancelled ahead", d("2026-03-05")), ("Frozen", d("2026-03-05"))]);
    }

    #[test]
    fn cards_with_two_visits_or_fewer_left_are_listed_while_active() {
        let zone = Fixed(0);
        let now = utc("2026-03-02", 12, 0);
        let with_used = |name: &str, visits: u32, used: u32| {
            let mut events = holds(1, card(visits), "2026-02-01");
            for i in 0..used as u64 {
                events.push(checked_in(&zone, utc("2026-02-02", 0, 0) + i * 24 * H, 1));
            }
            member(name, events)
        };
        let frozen = {
            let mut events = holds(1, card(10), "2026-02-01");
            for i in 0..9u64 {
                events.push(checked_in(&zone, utc("2026-02-02", 0, 0) + i * 24 * H, 1));
            }
            events.push(MemberEvent::MembershipFrozen {
                membership: Uuid::from_u128(1),
                from: d("2026-03-01"),
                until: d("2026-03-10"),
                on: d("2026-02-20"),
            });
            member("Frozen, 1 left", events)
        };
        let members = [
            with_used("Three left", 10, 7),
            with_used("Two left", 10, 8),
            with_used("One left", 10, 9),
            with_used("None left", 10, 10),
            frozen,
            member("Unlimited", holds(1, monthly(), "2026-03-01")),
        ];
        // When the dashboard is computed
        let board = board(&members, &[], Day::at(&zone, now), now);
        // Then the active cards with 1 or 2 left are listed, fewest first
        let listed: Vec<(&str, u32)> = board.few_visits.iter().map(|c| (c.name.as_str(), c.left)).collect();
        assert_eq!(listed, [("One left", 1), ("Two left", 2)]);
    }

    #[test]
    fn corrections_and_conflicts_waiting_are_the_devices_counts() {
        let settings = ClubSettings::default();
        let now = utc("2026-03-02", 12, 0);
        let inputs = Inputs {
            today: Day::at(&Fixed(0), now),
            now_ms: now,
            settings: &settings,
            waiting: Waiting { corrections: 2, conflicts: 1 },
        };
        let board = compute(std::iter::empty(), std::iter::empty(), &inputs);
        assert_eq!(board.waiting, Waiting { corrections: 2, conflicts: 1 });
    }

    #[test]
    fn the_automatic_check_out_follows_the_clubs_setting() {
        let zone = Fixed(0);
        let now = utc("2026-03-02", 12, 0);
        let ann =
            member("Ann", [holds(1, monthly(), "2026-03-01"), vec![checked_in(&zone, now - 50 * MIN, 1)]].concat());
        let settings = ClubSettings { auto_check_out_min: 45, ..ClubSettings::default() };
        let inputs =
            Inputs { today: Day::at(&zone, now), now_ms: now, settings: &settings, waiting: Waiting::default() };
        let board = compute([(id(0), &ann)], std::iter::empty(), &inputs);
        assert!(board.in_club.is_empty(), "45 minutes after entry she counts as gone");
    }
}
