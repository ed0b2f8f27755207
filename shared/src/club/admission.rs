//! What the server checks of a device's event against the club's settings as the server holds
//! them, at append: the rules a member's stream cannot see for itself (DOMAIN.md "Memberships":
//! a sale copies the plan's terms; "Check-in": the duplicate window and grace are the club's;
//! "Time": dates are the club's). A desk decides offline with the settings it has; the server
//! holds it to the club's: a check-in may be decided under stricter rules than the club's (a
//! desk that has not heard of a relaxed setting yet), never under looser ones.

use super::{ClubSettings, Setting};
use crate::{
    calendar::{date_of, Date, Zone},
    club::ClubEvent,
    envelope::EventEnvelope,
    ids::event_id_ms,
    member::{EntryRules, MemberEvent},
    StreamKind,
};

/// Why an event does not hold against the club's settings (a sentence for staff).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotTheClubs {
    #[error(
        "decided under looser rules than the club's (duplicate window {window_min} min, payment grace {grace_days} days): \
         the desk must take the club's settings and decide again"
    )]
    LooserRules { window_min: u64, grace_days: u32 },
    #[error("dated {on}, but in the club's time zone ({zone}) it happened on {actual}")]
    WrongDay { on: Date, actual: Date, zone: String },
    #[error("sold from a plan the club does not have")]
    UnknownPlan,
    #[error("sold from the plan {name}, which is off sale")]
    PlanOffSale { name: String },
    #[error("the terms are not the plan {name}'s as the club has it now: the desk must take the club's plans and sell again")]
    TermsNotThePlans { name: String },
    #[error("the class starts on {actual} in the club's time zone ({zone}), not on {day}")]
    ClassDay { day: Date, actual: Date, zone: String },
    #[error(
        "scheduled with cutoffs other than the club's ({waitlist_min} min for the waitlist, {cancel_min} min for \
         cancelling): the desk must take the club's settings and schedule again"
    )]
    Cutoffs { waitlist_min: u32, cancel_min: u32 },
    #[error("{0:?} is not a time zone this server knows")]
    UnknownZone(String),
}

/// Checks one device event against the club's `settings` and their `zone`; `zone_exists` says
/// whether an IANA name is a known zone. Events that do not depend on the settings pass.
pub fn check(
    envelope: &EventEnvelope,
    settings: &ClubSettings,
    zone: &dyn Zone,
    zone_exists: &dyn Fn(&str) -> bool,
) -> Result<(), NotTheClubs> {
    match envelope.stream.kind {
        StreamKind::Member => {
            let Ok(event) = envelope.decode::<MemberEvent>() else { return Ok(()) };
            check_member_event(&event, event_id_ms(&envelope.id), settings, zone)
        }
        StreamKind::Class => {
            let Ok(event) = envelope.decode::<crate::class::ClassEvent>() else { return Ok(()) };
            check_class_event(&event, settings, zone)
        }
        StreamKind::Club => match envelope.decode::<ClubEvent>() {
            Ok(ClubEvent::ClubSettingChanged { setting: Setting::TimeZone(name) }) if !zone_exists(&name) => {
                Err(NotTheClubs::UnknownZone(name))
            }
            _ => Ok(()),
        },
    }
}

fn check_member_event(
    event: &MemberEvent,
    made_ms: u64,
    settings: &ClubSettings,
    zone: &dyn Zone,
) -> Result<(), NotTheClubs> {
    let day = |on: Date, at_ms: u64| {
        let actual = date_of(zone, at_ms);
        if actual == on {
            Ok(())
        } else {
            Err(NotTheClubs::WrongDay { on, actual, zone: settings.time_zone.clone() })
        }
    };
    let rules = |rules: &EntryRules| {
        let club = settings.entry_rules();
        if rules.window_ms >= club.window_ms && rules.grace_days <= club.grace_days {
            Ok(())
        } else {
            Err(NotTheClubs::LooserRules { window_min: club.window_ms / 60_000, grace_days: club.grace_days })
        }
    };
    match event {
        MemberEvent::MemberCheckedIn { at_ms, on, rules: r, .. }
        | MemberEvent::MemberEntryOverridden { at_ms, on, rules: r, .. }
        | MemberEvent::MemberCheckInBackdated { at_ms, on, rules: r, .. } => {
            rules(r)?;
            day(*on, *at_ms)
        }
        // A club that has made no plan yet sells from none: nothing to hold a sale to (its
        // memberships come from elsewhere, an import of another system's).
        MemberEvent::MembershipSold { on, .. } if settings.plans.is_empty() => day(*on, made_ms),
        MemberEvent::MembershipSold { plan, terms, on, renews, .. } => {
            let plan = settings.plans.get(plan).ok_or(NotTheClubs::UnknownPlan)?;
            if !plan.on_sale && renews.is_none() {
                return Err(NotTheClubs::PlanOffSale { name: plan.terms.name.clone() });
            }
            if plan.terms != *terms {
                return Err(NotTheClubs::TermsNotThePlans { name: plan.terms.name.clone() });
            }
            day(*on, made_ms)
        }
        MemberEvent::PaymentRecorded { on, .. }
        | MemberEvent::MembershipFrozen { on, .. }
        | MemberEvent::MembershipUnfrozen { on, .. }
        | MemberEvent::MembershipCancelled { on, .. }
        | MemberEvent::ClassVisitUsed { on, .. }
        | MemberEvent::ClassVisitReturned { on, .. } => day(*on, made_ms),
        _ => Ok(()),
    }
}

/// A class's date is its start's in the club's zone; a new class keeps the club's cutoffs.
fn check_class_event(
    event: &crate::class::ClassEvent,
    settings: &ClubSettings,
    zone: &dyn Zone,
) -> Result<(), NotTheClubs> {
    use crate::class::ClassEvent;
    let details = match event {
        ClassEvent::ClassScheduled { details, cutoffs } => {
            if *cutoffs != settings.cutoffs() {
                return Err(NotTheClubs::Cutoffs {
                    waitlist_min: settings.waitlist_cutoff_min,
                    cancel_min: settings.cancel_cutoff_min,
                });
            }
            details
        }
        ClassEvent::ClassRescheduled { details, .. } => details,
        _ => return Ok(()),
    };
    let actual = date_of(zone, details.start_ms);
    if actual != details.day {
        return Err(NotTheClubs::ClassDay { day: details.day, actual, zone: settings.time_zone.clone() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        calendar::Rules,
        club::{Length, Plan, PlanTerms, Visits},
        envelope::{EventEnvelope, Stamp},
        hlc::HlcClock,
        DeviceId, StreamId,
    };
    use uuid::Uuid;

    const PLAN: Uuid = Uuid::from_u128(7);

    fn settings() -> ClubSettings {
        let mut s = ClubSettings { time_zone: "Europe/Berlin".into(), payment_grace_days: 7, ..Default::default() };
        s.plans.insert(
            PLAN,
            Plan {
                id: PLAN,
                terms: PlanTerms {
                    name: "Monthly".into(),
                    length: Length::Months(1),
                    visits: Visits::Unlimited,
                    price_cents: 4_900,
                },
                on_sale: true,
            },
        );
        s
    }

    /// The event as a device at `now_ms` wraps it.
    fn made(event: &MemberEvent, now_ms: u64) -> EventEnvelope {
        made_in(StreamId::member(Uuid::from_u128(1)), event, now_ms)
    }

    fn made_in<E: crate::aggregate::DomainEvent>(stream: StreamId, event: &E, now_ms: u64) -> EventEnvelope {
        let device = DeviceId::new("desk").unwrap();
        let mut clock = HlcClock::default();
        let mut random = || [7u8; 10];
        EventEnvelope::wrap(
            stream,
            0,
            std::slice::from_ref(event),
            Stamp { device: &device, staff: None, now_ms, hlc: &mut clock, random: &mut random },
        )
        .remove(0)
    }

    fn berlin_check_in(at_ms: u64, on: &str, rules: EntryRules) -> MemberEvent {
        MemberEvent::MemberCheckedIn { at_ms, on: on.parse().unwrap(), membership: Uuid::from_u128(2), rules }
    }

    // 2026-12-01 23:30 UTC is 00:30 on 2 December in Berlin.
    const LATE: u64 = 1_796_167_800_000;

    #[test]
    fn a_check_in_is_dated_by_the_clubs_zone_not_utc() {
        let rules = settings().entry_rules();
        let ok = made(&berlin_check_in(LATE, "2026-12-02", rules), LATE);
        assert_eq!(check(&ok, &settings(), &Rules::CentralEurope, &|_| true), Ok(()));
        let utc_dated = made(&berlin_check_in(LATE, "2026-12-01", rules), LATE);
        assert!(matches!(
            check(&utc_dated, &settings(), &Rules::CentralEurope, &|_| true),
            Err(NotTheClubs::WrongDay { .. })
        ));
    }

    #[test]
    fn a_check_in_may_be_stricter_than_the_clubs_rules_never_looser() {
        let club = settings().entry_rules();
        let stricter = EntryRules { window_ms: club.window_ms * 2, grace_days: 0 };
        let zero_window = EntryRules { window_ms: 0, ..club };
        let long_grace = EntryRules { grace_days: 1000, ..club };
        let check_with = |rules| {
            check(&made(&berlin_check_in(LATE, "2026-12-02", rules), LATE), &settings(), &Rules::CentralEurope, &|_| {
                true
            })
        };
        assert_eq!(check_with(stricter), Ok(()));
        assert!(matches!(check_with(zero_window), Err(NotTheClubs::LooserRules { .. })));
        assert!(matches!(check_with(long_grace), Err(NotTheClubs::LooserRules { .. })));
    }

    #[test]
    fn a_sale_copies_the_plan_the_club_has_on_sale() {
        let s = settings();
        let plan = &s.plans[&PLAN];
        let sale = |plan_id, terms: PlanTerms| MemberEvent::MembershipSold {
            membership: Uuid::from_u128(3),
            plan: plan_id,
            terms,
            start: crate::member::Start::On("2026-12-02".parse().unwrap()),
            on: "2026-12-02".parse().unwrap(),
            renews: None,
        };
        let check_sale = |e: &MemberEvent, s: &ClubSettings| check(&made(e, LATE), s, &Rules::CentralEurope, &|_| true);
        assert_eq!(check_sale(&sale(PLAN, plan.terms.clone()), &s), Ok(()));
        let free = PlanTerms { price_cents: 1, ..plan.terms.clone() };
        assert!(matches!(check_sale(&sale(PLAN, free), &s), Err(NotTheClubs::TermsNotThePlans { .. })));
        assert_eq!(check_sale(&sale(Uuid::from_u128(99), plan.terms.clone()), &s), Err(NotTheClubs::UnknownPlan));
        let mut off = s.clone();
        off.plans.get_mut(&PLAN).unwrap().on_sale = false;
        assert!(matches!(check_sale(&sale(PLAN, plan.terms.clone()), &off), Err(NotTheClubs::PlanOffSale { .. })));
    }

    /// A class of 60 minutes starting at `start_ms`, dated `day`.
    fn class_details(start_ms: u64, day: &str) -> crate::class::ClassDetails {
        crate::class::ClassDetails {
            title: "Spin".into(),
            coach: crate::access::StaffId(Uuid::from_u128(5)),
            start_ms,
            day: day.parse().unwrap(),
            duration_min: 60,
            capacity: 12,
            room: "Studio 1".into(),
        }
    }

    fn check_class(event: &crate::class::ClassEvent, s: &ClubSettings) -> Result<(), NotTheClubs> {
        let stream = crate::class::stream(Uuid::from_u128(9));
        check(&made_in(stream, event, LATE - 86_400_000), s, &Rules::CentralEurope, &|_| true)
    }

    #[test]
    fn a_class_is_dated_by_the_day_it_starts_in_the_clubs_zone() {
        use crate::class::ClassEvent;
        let s = settings();
        // 23:30 UTC on 1 December starts on 2 December in Berlin.
        let scheduled = |day| ClassEvent::ClassScheduled { details: class_details(LATE, day), cutoffs: s.cutoffs() };
        assert_eq!(check_class(&scheduled("2026-12-02"), &s), Ok(()));
        assert_eq!(
            check_class(&scheduled("2026-12-01"), &s),
            Err(NotTheClubs::ClassDay {
                day: "2026-12-01".parse().unwrap(),
                actual: "2026-12-02".parse().unwrap(),
                zone: "Europe/Berlin".into()
            })
        );
        let moved = |day| ClassEvent::ClassRescheduled {
            details: class_details(LATE, day),
            at_ms: LATE,
            skipped: vec![],
            released: vec![],
        };
        assert_eq!(check_class(&moved("2026-12-02"), &s), Ok(()));
        assert!(matches!(check_class(&moved("2026-12-01"), &s), Err(NotTheClubs::ClassDay { .. })));
    }

    #[test]
    fn a_new_class_keeps_exactly_the_clubs_cutoffs() {
        use crate::class::{ClassEvent, Cutoffs};
        let mut s = settings();
        s.waitlist_cutoff_min = 60;
        s.cancel_cutoff_min = 240;
        let scheduled = |cutoffs| ClassEvent::ClassScheduled { details: class_details(LATE, "2026-12-02"), cutoffs };
        assert_eq!(check_class(&scheduled(Cutoffs { waitlist_min: 60, cancel_min: 240 }), &s), Ok(()));
        let expected = Err(NotTheClubs::Cutoffs { waitlist_min: 60, cancel_min: 240 });
        // Looser (a later waitlist cutoff, a shorter cancellation cutoff) or stricter: the club's or nothing.
        for other in [
            Cutoffs { waitlist_min: 30, cancel_min: 240 },
            Cutoffs { waitlist_min: 60, cancel_min: 60 },
            Cutoffs { waitlist_min: 120, cancel_min: 720 },
        ] {
            assert_eq!(check_class(&scheduled(other), &s), expected, "{other:?}");
        }
    }

    #[test]
    fn class_changes_that_carry_no_date_or_cutoffs_pass() {
        use crate::class::ClassEvent;
        let booked = ClassEvent::ClassBooked {
            member: Uuid::from_u128(1),
            membership: Some(Uuid::from_u128(2)),
            at_ms: LATE,
            override_reason: None,
            over_capacity: None,
        };
        assert_eq!(check_class(&booked, &settings()), Ok(()));
    }
}
