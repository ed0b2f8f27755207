//! DOMAIN.md "Memberships" and "Check-in", rule by rule, as given / when / then.

use super::*;
use crate::{
    access::{Permission, Role},
    aggregate::{Aggregate, EventMeta, Resolution},
    calendar::Date,
    club::{Length, PlanTerms, Visits},
    hlc::Hlc,
    testing::given,
};
use proptest::prelude::*;
use uuid::Uuid;

const H: u64 = 3_600_000;
const MIN: u64 = 60_000;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

/// 10:00 UTC on `day` (the club is on UTC in these tests unless a test says otherwise).
fn at(day: &str) -> u64 {
    d(day).days_since_epoch() as u64 * 24 * H + 10 * H
}

fn rules() -> EntryRules {
    EntryRules::default()
}

const PLAN: Uuid = Uuid::from_u128(0x9a);
const M1: Uuid = Uuid::from_u128(0x1);
const M2: Uuid = Uuid::from_u128(0x2);

use crate::testing::members::{card_of as card, unlimited_monthly as monthly};

fn registered() -> MemberEvent {
    MemberEvent::MemberRegistered { name: "Zoë Martin".into(), email: String::new(), phone: String::new() }
}

fn sold(id: Uuid, terms: PlanTerms, start: Start, on: &str) -> MemberEvent {
    MemberEvent::MembershipSold { membership: id, plan: PLAN, terms, start, on: d(on), renews: None }
}

fn paid(id: Uuid, amount_cents: u64, on: &str) -> MemberEvent {
    MemberEvent::PaymentRecorded { membership: id, amount_cents, method: PaymentMethod::Card, on: d(on) }
}

/// A registered member with a paid membership of `terms` starting on `start`.
fn holding(terms: PlanTerms, start: &str) -> Vec<MemberEvent> {
    let price = terms.price_cents;
    vec![registered(), sold(M1, terms, Start::On(d(start)), start), paid(M1, price, start)]
}

fn checked_in(day: &str, membership: Uuid) -> MemberEvent {
    MemberEvent::MemberCheckedIn { at_ms: at(day), on: d(day), membership, rules: rules() }
}

fn check_in(day: &str, membership: Uuid) -> MemberCommand {
    MemberCommand::CheckIn { on: d(day), membership, rules: rules() }
}

fn state(events: &[MemberEvent]) -> Member {
    Member::from_events(events)
}

fn denial(events: &[MemberEvent], day: &str) -> Verdict {
    state(events).entry(at(day), d(day), &rules()).verdict
}

// --- Selling -------------------------------------------------------------------------------

#[test]
fn a_sale_copies_the_plans_terms_into_the_members_stream() {
    let command = MemberCommand::SellMembership {
        membership: M1,
        plan: PLAN,
        terms: PlanTerms { name: "  Monthly   unlimited ".into(), ..monthly() },
        start: Start::On(d("2026-03-02")),
        on: d("2026-03-02"),
    };
    given::<Member>(vec![registered()]).when(command).then_expect(vec![sold(
        M1,
        monthly(),
        Start::On(d("2026-03-02")),
        "2026-03-02",
    )]);
    // What the member holds is the copy: whatever the plan becomes, this membership keeps its terms.
    let m = state(&holding(monthly(), "2026-03-02"));
    assert_eq!(m.memberships[0].terms, monthly());
    assert_eq!(m.memberships[0].end(), Some(d("2026-04-01")));
}

#[test]
fn only_a_visit_card_starts_on_its_first_visit() {
    let sell = |terms| MemberCommand::SellMembership {
        membership: M1,
        plan: PLAN,
        terms,
        start: Start::FirstVisit,
        on: d("2026-03-02"),
    };
    given::<Member>(vec![registered()])
        .when(sell(monthly()))
        .then_expect_error(MemberError::Membership(MembershipError::FirstVisitOnlyForCards));
    given::<Member>(vec![registered()]).when(sell(card(10))).then_expect(vec![sold(
        M1,
        card(10),
        Start::FirstVisit,
        "2026-03-02",
    )]);
}

#[test]
fn a_card_activates_on_its_first_visit_and_runs_its_validity_from_then() {
    let events = vec![registered(), sold(M1, card(10), Start::FirstVisit, "2026-03-02"), paid(M1, 9_000, "2026-03-02")];
    assert_eq!(state(&events).memberships[0].status(d("2026-03-05")).0, Status::NotStarted);
    assert_eq!(denial(&events, "2026-03-05"), Verdict::Warn(Warning::Activates));
    given::<Member>(events.clone())
        .when_at(check_in("2026-03-05", M1), at("2026-03-05"))
        .then_expect(vec![checked_in("2026-03-05", M1)]);
    let mut after = events;
    after.push(checked_in("2026-03-05", M1));
    let m = &state(&after).memberships[0];
    assert_eq!(m.start, Some(d("2026-03-05")));
    assert_eq!(m.end(), Some(d("2026-09-04")));
    assert_eq!(m.visits_left(), Some(9));
}

#[test]
fn a_sale_dated_before_today_is_back_dating() {
    let sale = |start: &str| MemberCommand::SellMembership {
        membership: M1,
        plan: PLAN,
        terms: monthly(),
        start: Start::On(d(start)),
        on: d("2026-03-02"),
    };
    assert_eq!(Member::permission(&sale("2026-03-02")), Permission::Sales);
    assert_eq!(Member::permission(&sale("2026-03-09")), Permission::Sales);
    assert_eq!(Member::permission(&sale("2026-02-20")), Permission::BackDate);
    assert!(!Role::FrontDesk.can(Permission::BackDate) && Role::Manager.can(Permission::BackDate));
}

// --- Payments ------------------------------------------------------------------------------

#[test]
fn a_payment_is_recorded_up_to_what_is_owed() {
    let events = vec![registered(), sold(M1, monthly(), Start::On(d("2026-03-02")), "2026-03-02")];
    let pay = |cents| MemberCommand::RecordPayment {
        membership: M1,
        amount_cents: cents,
        method: PaymentMethod::Cash,
        on: d("2026-03-02"),
    };
    given::<Member>(events.clone()).when(pay(2_000)).then_expect(vec![MemberEvent::PaymentRecorded {
        membership: M1,
        amount_cents: 2_000,
        method: PaymentMethod::Cash,
        on: d("2026-03-02"),
    }]);
    given::<Member>(events.clone())
        .when(pay(5_000))
        .then_expect_error(MemberError::Membership(MembershipError::PaymentTooLarge { owed_cents: 4_900 }));
    given::<Member>(events.clone())
        .when(pay(0))
        .then_expect_error(MemberError::Membership(MembershipError::PaymentZero));
    let mut all_paid = events;
    all_paid.push(paid(M1, 4_900, "2026-03-02"));
    given::<Member>(all_paid).when(pay(1)).then_expect_error(MemberError::Membership(MembershipError::NothingOwed));
}

#[test]
fn an_unpaid_membership_admits_with_a_warning_during_the_grace_days_then_denies() {
    let events = vec![registered(), sold(M1, monthly(), Start::On(d("2026-03-02")), "2026-03-02")];
    assert_eq!(
        denial(&events, "2026-03-16"),
        Verdict::Warn(Warning::UnpaidWithinGrace { owed_cents: 4_900, until: d("2026-03-16") })
    );
    assert_eq!(denial(&events, "2026-03-17"), Verdict::Deny(Denial::Unpaid { owed_cents: 4_900 }));
}

// --- Freezes -------------------------------------------------------------------------------

fn freeze(from: &str, until: &str, on: &str) -> MemberCommand {
    MemberCommand::FreezeMembership { membership: M1, from: d(from), until: d(until), on: d(on) }
}

fn frozen(from: &str, until: &str, on: &str) -> MemberEvent {
    MemberEvent::MembershipFrozen { membership: M1, from: d(from), until: d(until), on: d(on) }
}

#[test]
fn a_freeze_moves_the_end_date_by_the_frozen_days_inclusive() {
    let events = holding(monthly(), "2026-03-01");
    given::<Member>(events.clone()).when(freeze("2026-03-10", "2026-03-16", "2026-03-05")).then_expect(vec![frozen(
        "2026-03-10",
        "2026-03-16",
        "2026-03-05",
    )]);
    let mut after = events;
    after.push(frozen("2026-03-10", "2026-03-16", "2026-03-05"));
    assert_eq!(state(&after).memberships[0].end(), Some(d("2026-04-07")), "31 March + 7 days");
}

#[test]
fn freezes_may_not_overlap() {
    let mut events = holding(monthly(), "2026-03-01");
    events.push(frozen("2026-03-10", "2026-03-16", "2026-03-05"));
    given::<Member>(events).when(freeze("2026-03-16", "2026-03-20", "2026-03-05")).then_expect_error(
        MemberError::Membership(MembershipError::FreezeOverlaps { from: d("2026-03-10"), until: d("2026-03-16") }),
    );
}

#[test]
fn a_freeze_starting_in_the_past_needs_a_manager() {
    assert_eq!(Member::permission(&freeze("2026-03-03", "2026-03-10", "2026-03-05")), Permission::BackDate);
    assert_eq!(Member::permission(&freeze("2026-03-05", "2026-03-10", "2026-03-05")), Permission::Sales);
    // The rules themselves allow it: the role decides.
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when(freeze("2026-03-03", "2026-03-10", "2026-03-05"))
        .then_expect(vec![frozen("2026-03-03", "2026-03-10", "2026-03-05")]);
}

#[test]
fn the_earliest_return_from_a_freeze_is_tomorrow() {
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when(freeze("2026-03-02", "2026-03-04", "2026-03-05"))
        .then_expect_error(MemberError::Membership(MembershipError::ReturnTooEarly));
    // Frozen until today inclusive: back tomorrow.
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when(freeze("2026-03-05", "2026-03-05", "2026-03-05"))
        .then_expect(vec![frozen("2026-03-05", "2026-03-05", "2026-03-05")]);
}

#[test]
fn a_freeze_stays_inside_the_membership() {
    given::<Member>(holding(monthly(), "2026-03-10"))
        .when(freeze("2026-03-05", "2026-03-12", "2026-03-05"))
        .then_expect_error(MemberError::Membership(MembershipError::FreezeBeforeStart { start: d("2026-03-10") }));
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when(freeze("2026-04-01", "2026-04-05", "2026-03-05"))
        .then_expect_error(MemberError::Membership(MembershipError::FreezeAfterEnd { end: d("2026-03-31") }));
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when(freeze("2026-03-10", "2026-03-09", "2026-03-05"))
        .then_expect_error(MemberError::Membership(MembershipError::FreezeBackwards));
}

#[test]
fn an_early_unfreeze_moves_the_end_date_back_accordingly() {
    let mut events = holding(monthly(), "2026-03-01");
    events.push(frozen("2026-03-10", "2026-03-19", "2026-03-05"));
    assert_eq!(state(&events).memberships[0].end(), Some(d("2026-04-10")));
    let unfreeze = MemberCommand::UnfreezeMembership { membership: M1, on: d("2026-03-13") };
    let unfrozen = MemberEvent::MembershipUnfrozen { membership: M1, on: d("2026-03-13") };
    given::<Member>(events.clone()).when(unfreeze).then_expect(vec![unfrozen.clone()]);
    events.push(unfrozen);
    let m = &state(&events).memberships[0];
    assert_eq!(m.freezes, vec![Freeze { from: d("2026-03-10"), until: d("2026-03-12") }]);
    assert_eq!(m.end(), Some(d("2026-04-03")), "3 frozen days instead of 10");
    assert_eq!(m.status(d("2026-03-13")).0, Status::Active, "back today");
}

#[test]
fn unfreezing_with_no_freeze_running_or_planned_is_refused() {
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when(MemberCommand::UnfreezeMembership { membership: M1, on: d("2026-03-13") })
        .then_expect_error(MemberError::Membership(MembershipError::NothingToUnfreeze));
}

#[test]
fn a_frozen_member_is_denied_and_a_manager_may_override_with_a_reason() {
    let mut events = holding(monthly(), "2026-03-01");
    events.push(frozen("2026-03-10", "2026-03-19", "2026-03-05"));
    assert_eq!(denial(&events, "2026-03-12"), Verdict::Deny(Denial::Frozen { until: d("2026-03-19") }));
    given::<Member>(events.clone())
        .when_at(check_in("2026-03-12", M1), at("2026-03-12"))
        .then_expect_error(MemberError::EntryDenied(Denial::Frozen { until: d("2026-03-19") }));
    let override_entry = MemberCommand::OverrideEntry {
        on: d("2026-03-12"),
        reason: "back early, paperwork follows".into(),
        rules: rules(),
    };
    assert_eq!(Member::permission(&override_entry), Permission::Override);
    assert!(!Role::FrontDesk.can(Permission::Override));
    given::<Member>(events).when_at(override_entry, at("2026-03-12")).then_expect(vec![
        MemberEvent::MemberEntryOverridden {
            at_ms: at("2026-03-12"),
            on: d("2026-03-12"),
            denied: Denial::Frozen { until: d("2026-03-19") },
            membership: Some(M1),
            reason: "back early, paperwork follows".into(),
            rules: rules(),
        },
    ]);
}

// --- Cancelling and renewing -----------------------------------------------------------------

fn cancelled(from: &str, on: &str) -> MemberEvent {
    MemberEvent::MembershipCancelled { membership: M1, from: d(from), reason: "moved away".into(), on: d(on) }
}

#[test]
fn a_cancellation_needs_a_reason_and_takes_effect_today_or_later() {
    let cancel = |from: &str, reason: &str| MemberCommand::CancelMembership {
        membership: M1,
        from: d(from),
        reason: reason.into(),
        on: d("2026-03-05"),
    };
    let events = holding(monthly(), "2026-03-01");
    given::<Member>(events.clone()).when(cancel("2026-03-05", " ")).then_expect_error(MemberError::ReasonMissing);
    given::<Member>(events.clone())
        .when(cancel("2026-03-04", "moved away"))
        .then_expect_error(MemberError::Membership(MembershipError::CancelInPast));
    given::<Member>(events)
        .when(cancel("2026-03-20", "moved away"))
        .then_expect(vec![cancelled("2026-03-20", "2026-03-05")]);
}

#[test]
fn a_cancellation_is_not_reversible_and_selling_again_reinstates() {
    let mut events = holding(monthly(), "2026-03-01");
    events.push(cancelled("2026-03-05", "2026-03-05"));
    assert_eq!(denial(&events, "2026-03-06"), Verdict::Deny(Denial::Cancelled));
    given::<Member>(events.clone())
        .when(MemberCommand::CancelMembership {
            membership: M1,
            from: d("2026-03-06"),
            reason: "again".into(),
            on: d("2026-03-06"),
        })
        .then_expect_error(MemberError::Membership(MembershipError::Cancelled));
    given::<Member>(events.clone())
        .when(MemberCommand::UnfreezeMembership { membership: M1, on: d("2026-03-06") })
        .then_expect_error(MemberError::Membership(MembershipError::Cancelled));
    events.push(sold(M2, monthly(), Start::On(d("2026-03-06")), "2026-03-06"));
    events.push(paid(M2, 4_900, "2026-03-06"));
    assert_eq!(state(&events).entry(at("2026-03-06"), d("2026-03-06"), &rules()).membership, Some(M2));
}

#[test]
fn cancelling_during_a_freeze_ends_the_freeze() {
    let mut events = holding(monthly(), "2026-03-01");
    events.push(frozen("2026-03-10", "2026-03-19", "2026-03-05"));
    events.push(cancelled("2026-03-12", "2026-03-12"));
    let m = &state(&events).memberships[0];
    assert_eq!(m.freezes, vec![Freeze { from: d("2026-03-10"), until: d("2026-03-11") }]);
    assert_eq!(m.status(d("2026-03-12")).0, Status::Cancelled);
}

#[test]
fn a_renewal_starts_the_day_after_the_renewed_membership_ends() {
    let events = holding(monthly(), "2026-03-01");
    let renew = |on: &str| MemberCommand::RenewMembership {
        membership: M2,
        renews: M1,
        plan: PLAN,
        terms: monthly(),
        on: d(on),
    };
    let renewed = |start: &str, on: &str| MemberEvent::MembershipSold {
        membership: M2,
        plan: PLAN,
        terms: monthly(),
        start: Start::On(d(start)),
        on: d(on),
        renews: Some(M1),
    };
    given::<Member>(events.clone()).when(renew("2026-03-25")).then_expect(vec![renewed("2026-04-01", "2026-03-25")]);
    // Renewed after it ran out: from today.
    given::<Member>(events).when(renew("2026-04-10")).then_expect(vec![renewed("2026-04-10", "2026-04-10")]);
}

// --- Status --------------------------------------------------------------------------------

#[test]
fn every_status_is_derived_with_the_date_it_next_changes() {
    let mut events = holding(monthly(), "2026-03-10");
    events.push(frozen("2026-03-20", "2026-03-24", "2026-03-05"));
    let m = state(&events).memberships[0].clone();
    assert_eq!(m.status(d("2026-03-05")), (Status::NotStarted, Some(d("2026-03-10"))));
    assert_eq!(m.status(d("2026-03-10")), (Status::Active, Some(d("2026-03-20"))));
    assert_eq!(m.status(d("2026-03-20")), (Status::Frozen, Some(d("2026-03-25"))));
    assert_eq!(m.status(d("2026-03-25")), (Status::Active, Some(d("2026-04-15"))));
    assert_eq!(m.status(d("2026-04-15")), (Status::Expired, None));
}

#[test]
fn a_member_holding_several_memberships_enters_on_the_best_valid_one() {
    // A card and an unlimited monthly: the monthly is used, no visit of the card is spent.
    let mut events = holding(card(10), "2026-03-01");
    events.push(sold(M2, monthly(), Start::On(d("2026-03-01")), "2026-03-01"));
    events.push(paid(M2, 4_900, "2026-03-01"));
    let entry = state(&events).entry(at("2026-03-05"), d("2026-03-05"), &rules());
    assert_eq!(entry, Entry { verdict: Verdict::Allow, membership: Some(M2) });
    // Once the monthly has expired, the card.
    let entry = state(&events).entry(at("2026-04-05"), d("2026-04-05"), &rules());
    assert_eq!(entry, Entry { verdict: Verdict::Allow, membership: Some(M1) });
}

// --- The entry decision's closed list ----------------------------------------------------------

#[test]
fn every_denial_names_its_reason() {
    let base = holding(monthly(), "2026-03-10");
    let cases: Vec<(Vec<MemberEvent>, &str, Denial)> = vec![
        (vec![registered()], "2026-03-12", Denial::NoMembership),
        (base.clone(), "2026-03-05", Denial::NotStarted { starts: Some(d("2026-03-10")) }),
        (base.clone(), "2026-04-10", Denial::Expired { ended: Some(d("2026-04-09")) }),
        (
            [base.clone(), vec![frozen("2026-03-12", "2026-03-14", "2026-03-11")]].concat(),
            "2026-03-13",
            Denial::Frozen { until: d("2026-03-14") },
        ),
        ([base.clone(), vec![cancelled("2026-03-12", "2026-03-11")]].concat(), "2026-03-13", Denial::Cancelled),
        (
            [base.clone(), vec![MemberEvent::MemberBlocked { reason: "unpaid locker".into() }]].concat(),
            "2026-03-13",
            Denial::Blocked,
        ),
        (
            [base.clone(), vec![checked_in("2026-03-13", M1)]].concat(),
            "2026-03-13",
            Denial::AlreadyCheckedIn { at_ms: at("2026-03-13") },
        ),
    ];
    for (events, day, expected) in cases {
        assert_eq!(denial(&events, day), Verdict::Deny(expected), "{expected:?}");
    }
}

#[test]
fn a_check_in_on_a_membership_that_does_not_admit_is_refused_with_the_reason() {
    given::<Member>(holding(monthly(), "2026-03-10"))
        .when_at(check_in("2026-03-05", M1), at("2026-03-05"))
        .then_expect_error(MemberError::EntryDenied(Denial::NotStarted { starts: Some(d("2026-03-10")) }));
    given::<Member>(vec![registered()])
        .when_at(check_in("2026-03-05", M1), at("2026-03-05"))
        .then_expect_error(MemberError::EntryDenied(Denial::NoMembership));
}

#[test]
fn a_check_in_dated_on_another_day_than_its_instant_is_refused() {
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when_at(check_in("2026-03-12", M1), at("2026-03-05"))
        .then_expect_error(MemberError::WrongDay { on: d("2026-03-12") });
}

#[test]
fn an_override_is_only_for_a_denial() {
    given::<Member>(holding(monthly(), "2026-03-01"))
        .when_at(
            MemberCommand::OverrideEntry { on: d("2026-03-05"), reason: "vip".into(), rules: rules() },
            at("2026-03-05"),
        )
        .then_expect_error(MemberError::NothingToOverride);
}

// --- Visits --------------------------------------------------------------------------------

#[test]
fn a_visit_card_uses_one_visit_per_check_in_and_the_last_one_warns() {
    let mut events = holding(card(2), "2026-03-01");
    assert_eq!(denial(&events, "2026-03-02"), Verdict::Allow);
    events.push(checked_in("2026-03-02", M1));
    assert_eq!(state(&events).memberships[0].visits_left(), Some(1));
    assert_eq!(denial(&events, "2026-03-03"), Verdict::Warn(Warning::LastVisit));
    events.push(checked_in("2026-03-03", M1));
    assert_eq!(state(&events).memberships[0].visits_left(), Some(0));
    assert_eq!(denial(&events, "2026-03-04"), Verdict::Deny(Denial::NoVisitsLeft));
}

#[test]
fn a_duplicate_inside_the_window_is_refused_and_uses_nothing() {
    let mut events = holding(card(10), "2026-03-01");
    events.push(checked_in("2026-03-02", M1));
    let err = given::<Member>(events.clone()).when_at(check_in("2026-03-02", M1), at("2026-03-02") + 4 * MIN).error();
    assert_eq!(
        err,
        MemberError::CheckInTooSoon {
            last_ms: at("2026-03-02"),
            now_ms: at("2026-03-02") + 4 * MIN,
            window_ms: 10 * MIN
        }
    );
    assert_eq!(state(&events).memberships[0].visits_used, 1);
}

#[test]
fn the_duplicate_window_is_the_clubs_setting() {
    let mut events = holding(card(10), "2026-03-01");
    events.push(checked_in("2026-03-02", M1));
    let one_minute = EntryRules { window_ms: MIN, ..rules() };
    let later = at("2026-03-02") + 2 * MIN;
    given::<Member>(events.clone())
        .when_at(MemberCommand::CheckIn { on: d("2026-03-02"), membership: M1, rules: one_minute }, later)
        .then_expect(vec![MemberEvent::MemberCheckedIn {
            at_ms: later,
            on: d("2026-03-02"),
            membership: M1,
            rules: one_minute,
        }]);
}

/// Two offline desks used the card's last visit: the second to reach the server is re-decided
/// there, refused (no visits left), and recorded as a check-in that did not count.
#[test]
fn the_last_visit_used_twice_becomes_a_correction_never_a_negative_card() {
    let mut server = holding(card(1), "2026-03-01");
    server.push(checked_in("2026-03-02", M1));
    let state = state(&server);
    let device = crate::DeviceId::new("desk-2").unwrap();
    let late = MemberEvent::MemberCheckedIn {
        at_ms: at("2026-03-02") + 30 * MIN,
        on: d("2026-03-02"),
        membership: M1,
        rules: rules(),
    };
    let meta = EventMeta { version: 4, hlc: Hlc { ms: at("2026-03-02") + 30 * MIN, c: 0 }, device: &device };
    let resolved = state.resolve(std::slice::from_ref(&late), &meta, 3).unwrap();
    let not_counted = MemberEvent::MemberCheckInNotCounted {
        at_ms: at("2026-03-02") + 30 * MIN,
        reason: NotCounted::Refused {
            denial: Denial::NoVisitsLeft,
            on: d("2026-03-02"),
            membership: M1,
            grace_days: 14,
        },
    };
    assert_eq!(resolved, vec![Resolution::Replace(not_counted.clone())]);
    assert!(Member::undone(&not_counted), "staff are told");
    assert!(state.admits(&not_counted, &meta), "an exported log holding it imports again");
    let mut after = state.clone();
    after.evolve(&not_counted, &meta);
    assert_eq!(after.memberships[0].visits_used, 1);
}

// --- Voids and back-dating ----------------------------------------------------------------------

#[test]
fn a_mistaken_check_in_is_voided_with_a_reason_and_its_visit_given_back() {
    let mut events = holding(card(10), "2026-03-01");
    events.push(checked_in("2026-03-02", M1));
    let void = MemberCommand::VoidCheckIn { at_ms: at("2026-03-02"), reason: "wrong member".into() };
    assert_eq!(Member::permission(&void), Permission::Void);
    assert!(!Role::FrontDesk.can(Permission::Void) && Role::Manager.can(Permission::Void));
    let voided = MemberEvent::MemberCheckInVoided { at_ms: at("2026-03-02"), reason: "wrong member".into() };
    given::<Member>(events.clone()).when(void).then_expect(vec![voided.clone()]);
    events.push(voided);
    let m = state(&events);
    assert_eq!(m.memberships[0].visits_used, 0);
    assert_eq!(m.check_ins, 0);
    assert_eq!(m.last_check_in_ms(), None);
    given::<Member>(events)
        .when(MemberCommand::VoidCheckIn { at_ms: at("2026-03-02"), reason: "again".into() })
        .then_expect_error(MemberError::NoSuchCheckIn);
}

#[test]
fn back_dating_a_check_in_is_a_managers_and_keeps_when_it_was_recorded() {
    let events = holding(card(10), "2026-03-01");
    let when = at("2026-03-02");
    let now = at("2026-03-03");
    let command = MemberCommand::RecordPastCheckIn {
        at_ms: when,
        on: d("2026-03-02"),
        membership: M1,
        reason: "paper list during the outage".into(),
        rules: rules(),
    };
    assert_eq!(Member::permission(&command), Permission::BackDate);
    given::<Member>(events.clone()).when_at(command.clone(), now).then_expect(vec![
        MemberEvent::MemberCheckInBackdated {
            at_ms: when,
            recorded_ms: now,
            on: d("2026-03-02"),
            membership: M1,
            reason: "paper list during the outage".into(),
            rules: rules(),
        },
    ]);
    // Not in the future, not beyond 31 days.
    given::<Member>(events.clone())
        .when_at(command.clone(), when - MIN)
        .then_expect_error(MemberError::BackdateOutOfRange);
    given::<Member>(events).when_at(command, when + 32 * 24 * H).then_expect_error(MemberError::BackdateOutOfRange);
}

#[test]
fn a_blocked_member_is_denied_until_unblocked() {
    let mut events = holding(monthly(), "2026-03-01");
    given::<Member>(events.clone())
        .when(MemberCommand::BlockMember { reason: "aggressive".into() })
        .then_expect(vec![MemberEvent::MemberBlocked { reason: "aggressive".into() }]);
    events.push(MemberEvent::MemberBlocked { reason: "aggressive".into() });
    given::<Member>(events.clone())
        .when_at(check_in("2026-03-05", M1), at("2026-03-05"))
        .then_expect_error(MemberError::EntryDenied(Denial::Blocked));
    events.push(MemberEvent::MemberUnblocked {});
    assert_eq!(denial(&events, "2026-03-05"), Verdict::Allow);
}

// --- Properties ----------------------------------------------------------------------------

/// A random day's command at the desk, decided on whatever the state is then.
#[derive(Clone, Debug)]
enum Step {
    CheckIn { day: i32, minute: u64 },
    Override { day: i32 },
    Void { nth: usize },
    Freeze { from: i32, days: i32 },
    Unfreeze { day: i32 },
    Cancel { day: i32 },
    Pay { cents: u64 },
    SellCard { visits: u32, day: i32 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..90i32, 0..600u64).prop_map(|(day, minute)| Step::CheckIn { day, minute }),
        1 => (0..90i32).prop_map(|day| Step::Override { day }),
        1 => (0..8usize).prop_map(|nth| Step::Void { nth }),
        1 => (0..90i32, 1..20i32).prop_map(|(from, days)| Step::Freeze { from, days }),
        1 => (0..90i32).prop_map(|day| Step::Unfreeze { day }),
        1 => (0..120i32).prop_map(|day| Step::Cancel { day }),
        1 => (0..10_000u64).prop_map(|cents| Step::Pay { cents }),
        1 => (1..5u32, 0..60i32).prop_map(|(visits, day)| Step::SellCard { visits, day }),
    ]
}

fn day0() -> Date {
    d("2026-03-01")
}

fn command_of(step: &Step, member: &Member) -> Option<(MemberCommand, u64)> {
    let day = |n: i32| day0().add_days(n);
    let instant = |n: i32, minute: u64| day(n).days_since_epoch() as u64 * 24 * H + 6 * H + minute * MIN;
    let latest = member.memberships.last().map(|m| m.id)?;
    Some(match step.clone() {
        Step::CheckIn { day: n, minute } => {
            let entry = member.entry(instant(n, minute), day(n), &rules());
            (
                MemberCommand::CheckIn { on: day(n), membership: entry.membership.unwrap_or(latest), rules: rules() },
                instant(n, minute),
            )
        }
        Step::Override { day: n } => {
            (MemberCommand::OverrideEntry { on: day(n), reason: "ok".into(), rules: rules() }, instant(n, 700))
        }
        Step::Void { nth } => {
            let at_ms = member.recent_check_ins.get(nth)?.at_ms;
            (MemberCommand::VoidCheckIn { at_ms, reason: "mistake".into() }, 0)
        }
        Step::Freeze { from, days } => (
            MemberCommand::FreezeMembership {
                membership: latest,
                from: day(from),
                until: day(from + days),
                on: day(from),
            },
            0,
        ),
        Step::Unfreeze { day: n } => (MemberCommand::UnfreezeMembership { membership: latest, on: day(n) }, 0),
        Step::Cancel { day: n } => (
            MemberCommand::CancelMembership { membership: latest, from: day(n), reason: "leaves".into(), on: day(n) },
            0,
        ),
        Step::Pay { cents } => (
            MemberCommand::RecordPayment {
                membership: latest,
                amount_cents: cents,
                method: PaymentMethod::Cash,
                on: day0(),
            },
            0,
        ),
        Step::SellCard { visits, day: n } => (
            MemberCommand::SellMembership {
                membership: Uuid::from_u128(100 + member.memberships.len() as u128),
                plan: PLAN,
                terms: PlanTerms { price_cents: 0, ..card(visits) },
                start: Start::On(day(n)),
                on: day(n),
            },
            0,
        ),
    })
}

proptest! {
    /// Whatever staff do, in whatever order, a card's used visits are exactly its counted,
    /// unvoided check-ins, and never more than the card holds.
    #[test]
    fn visits_never_go_below_zero_or_beyond_the_card(steps in proptest::collection::vec(step(), 1..60)) {
        let mut member = Member::from_events(&[registered(), sold(M1, card(3), Start::On(day0()), "2026-03-01"), paid(M1, 9_000, "2026-03-01")]);
        let device = crate::DeviceId::new("desk").unwrap();
        for (i, s) in steps.iter().enumerate() {
            let Some((command, now)) = command_of(s, &member) else { continue };
            if let Ok(events) = member.decide(command, now) {
                for e in &events {
                    let meta = EventMeta { version: i as u64 + 4, hlc: Hlc { ms: now, c: i as u32 }, device: &device };
                    member.evolve(e, &meta);
                }
            }
            for m in &member.memberships {
                if let Some(n) = m.terms.visits.count() {
                    prop_assert!(m.visits_used <= n, "{m:?}");
                }
            }
        }
    }

    /// Every membership has a status on every day, and the date it names as the next change
    /// is exactly when it changes.
    #[test]
    fn every_status_is_derivable_at_every_day(
        start in 0..40i32,
        months in 1..4u32,
        freezes in proptest::collection::vec((0..120i32, 0..15i32), 0..3),
        cancel in proptest::option::of(0..150i32),
        visits in proptest::option::of((1..5u32, 0..6u32)),
    ) {
        let mut m = Membership {
            id: M1,
            plan: PLAN,
            terms: PlanTerms {
                name: "P".into(),
                length: Length::Months(months),
                visits: visits.map_or(Visits::Unlimited, |(n, _)| Visits::Card(n)),
                price_cents: 0,
            },
            sold_on: day0(),
            start: Some(day0().add_days(start)),
            paid_cents: 0,
            freezes: vec![],
            cancelled: None,
            visits_used: visits.map_or(0, |(n, used)| used.min(n)),
            class_visits: vec![],
            renews: None,
            changed: Default::default(),
        };
        for (from, len) in freezes {
            let f = Freeze { from: day0().add_days(from), until: day0().add_days(from + len) };
            if !m.freezes.iter().any(|g| g.from <= f.until && f.from <= g.until) {
                m.freezes.push(f);
            }
        }
        if let Some(c) = cancel {
            m.end_freezes_at(day0().add_days(c));
            m.cancelled = Some(Cancellation { from: day0().add_days(c), reason: "x".into() });
        }
        for offset in -5..200 {
            let day = day0().add_days(offset);
            let (status, next) = m.status(day);
            if let Some(next) = next {
                prop_assert!(next > day);
                let mut between = day.add_days(1);
                while between < next {
                    prop_assert_eq!(m.status(between).0, status, "between {} and {}", day, next);
                    between = between.add_days(1);
                }
                prop_assert_ne!(m.status(next).0, status, "the status changes on {}", next);
            } else {
                prop_assert_eq!(m.status(day.add_days(400)).0, status);
            }
        }
    }

    /// The entry decision has an answer for every state, and the desk's check-in follows it:
    /// allowed means the check-in on the named membership is accepted; denied means none is.
    #[test]
    fn an_entry_decision_for_every_state(steps in proptest::collection::vec(step(), 0..40), day in 0..100i32, minute in 0..600u64) {
        let mut member = Member::from_events(&[registered(), sold(M1, card(3), Start::On(day0()), "2026-03-01")]);
        let device = crate::DeviceId::new("desk").unwrap();
        for (i, s) in steps.iter().enumerate() {
            let Some((command, now)) = command_of(s, &member) else { continue };
            if let Ok(events) = member.decide(command, now) {
                for e in &events {
                    member.evolve(e, &EventMeta { version: i as u64 + 3, hlc: Hlc { ms: now, c: 0 }, device: &device });
                }
            }
        }
        let on = day0().add_days(day);
        let now = on.days_since_epoch() as u64 * 24 * H + 6 * H + minute * MIN;
        let entry = member.entry(now, on, &rules());
        match entry.verdict {
            Verdict::Allow | Verdict::Warn(_) => {
                let membership = entry.membership.expect("an allowed entry names its membership");
                let decided = member.decide(MemberCommand::CheckIn { on, membership, rules: rules() }, now);
                prop_assert!(decided.is_ok(), "{:?}", decided);
            }
            Verdict::Deny(_) => {
                for m in &member.memberships {
                    let decided = member.decide(MemberCommand::CheckIn { on, membership: m.id, rules: rules() }, now);
                    prop_assert!(decided.is_err(), "{:?}", decided);
                }
            }
        }
    }
}

/// A manager let a member in on one desk while another desk sold them a membership: once the
/// desks' events meet, the override no longer decides the same (there is nothing to override
/// now), but the member was let in, so it stands as sent.
#[test]
fn an_override_stands_when_another_desk_changed_the_member_meanwhile() {
    let override_entry = MemberEvent::MemberEntryOverridden {
        at_ms: at("2026-03-02"),
        on: d("2026-03-02"),
        denied: Denial::NoMembership,
        membership: None,
        reason: "trial day".into(),
        rules: rules(),
    };
    let server = state(&holding(monthly(), "2026-03-01"));
    let device = crate::DeviceId::new("desk-2").unwrap();
    let meta = EventMeta { version: 2, hlc: Hlc { ms: at("2026-03-02"), c: 0 }, device: &device };
    assert_eq!(server.resolve(std::slice::from_ref(&override_entry), &meta, 1).unwrap(), vec![Resolution::Keep]);
}
