//! given / when / then for aggregates, in the style of cqrs-es's `TestFramework`.

use crate::aggregate::{Aggregate, EventMeta};

/// Metadata for an event in a test that does not look at it.
pub fn meta(device: &crate::DeviceId) -> EventMeta<'_> {
    EventMeta { version: 1, hlc: crate::Hlc::default(), device }
}

pub fn given<A: Aggregate>(events: Vec<A::Event>) -> Given<A> {
    Given { state: A::from_events(&events) }
}

pub struct Given<A: Aggregate> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    pub fn when(self, command: A::Command) -> When<A> {
        self.when_at(command, 0)
    }

    pub fn when_at(self, command: A::Command, now_ms: u64) -> When<A> {
        let result = self.state.decide(command, now_ms);
        When { state: self.state, result }
    }
}

pub struct When<A: Aggregate> {
    state: A,
    result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> When<A> {
    #[track_caller]
    pub fn then_expect(self, expected: Vec<A::Event>) {
        let events = self.result.expect("the command should have been accepted");
        assert_eq!(events, expected);
        // Whatever decide produces must pass the server's validation of the same events.
        let mut state = self.state;
        let device = crate::DeviceId::new("then").expect("a valid device id");
        let meta = meta(&device);
        let mut i = 0;
        while i < events.len() {
            // As the server reads a batch: decision by decision, each re-decided as a whole (a
            // form's changes of several fields are one decision to staff, one per field to it).
            let spans = state.validate(&events[i..], &meta);
            let spans = spans.unwrap_or_else(|e| panic!("the decided events {events:?} fail validation at {i}: {e}"));
            for e in &events[i..i + spans] {
                state.evolve(e, &meta);
            }
            i += spans;
        }
    }

    #[track_caller]
    pub fn then_expect_error(self, expected: A::Error) {
        assert_eq!(self.result, Err(expected));
    }

    /// The refusal, for a closer look at it.
    #[track_caller]
    pub fn error(self) -> A::Error {
        match self.result {
            Err(e) => e,
            Ok(events) => panic!("the command should have been refused, but decided {events:?}"),
        }
    }
}

/// Members with memberships, for tests whose subject is not the membership itself (the duplicate
/// window, conflicts, replication): a member must hold one to be let in.
pub mod members {
    use crate::{
        calendar::Date,
        club::{Length, PlanTerms, Visits},
        member::{EntryRules, MemberCommand, MemberEvent, PaymentMethod, Start},
    };
    use uuid::Uuid;

    pub const MIN: u64 = 60_000;

    /// The tests' club day: Monday 2026-03-02 (the club's zone is UTC unless a test says otherwise).
    pub fn monday() -> Date {
        Date::from_ymd(2026, 3, 2).expect("a real date")
    }

    /// `minutes` after midnight of [`monday`] (UTC), in ms since the epoch.
    pub fn at(minutes: u64) -> u64 {
        monday().days_since_epoch() as u64 * 86_400_000 + minutes * MIN
    }

    /// The club-local date of `at_ms` in a UTC club.
    pub fn day_of(at_ms: u64) -> Date {
        Date::utc_of(at_ms)
    }

    /// The membership the helpers sell unless told otherwise.
    pub const MONTHLY: Uuid = Uuid::from_u128(0xa1);
    /// A visit card the helpers sell.
    pub const CARD: Uuid = Uuid::from_u128(0xc1);
    pub const MONTHLY_PLAN: Uuid = Uuid::from_u128(0xb1);
    pub const CARD_PLAN: Uuid = Uuid::from_u128(0xb2);

    pub fn unlimited_monthly() -> PlanTerms {
        PlanTerms {
            name: "Monthly unlimited".into(),
            length: Length::Months(1),
            visits: Visits::Unlimited,
            price_cents: 4_900,
        }
    }

    /// A card of `visits` visits within 6 months.
    pub fn card_of(visits: u32) -> PlanTerms {
        PlanTerms {
            name: format!("{visits}-visit card"),
            length: Length::Months(6),
            visits: Visits::Card(visits),
            price_cents: 9_000,
        }
    }

    pub fn registered(name: &str) -> MemberEvent {
        MemberEvent::MemberRegistered { name: name.into(), email: String::new(), phone: String::new() }
    }

    /// `membership` of `terms` sold on `on`, starting that day.
    pub fn sold(membership: Uuid, plan: Uuid, terms: PlanTerms, on: Date) -> MemberEvent {
        MemberEvent::MembershipSold { membership, plan, terms, start: Start::On(on), on, renews: None }
    }

    /// All that `membership` costs, paid in cash on `on`.
    pub fn paid(membership: Uuid, cents: u64, on: Date) -> MemberEvent {
        MemberEvent::PaymentRecorded { membership, amount_cents: cents, method: PaymentMethod::Cash, on }
    }

    /// A member registered as `name`, with an unlimited monthly membership ([`MONTHLY`]) sold,
    /// paid and running from [`monday`].
    pub fn with_unlimited(name: &str) -> Vec<MemberEvent> {
        vec![
            registered(name),
            sold(MONTHLY, MONTHLY_PLAN, unlimited_monthly(), monday()),
            paid(MONTHLY, unlimited_monthly().price_cents, monday()),
        ]
    }

    /// A member registered as `name` holding a paid card of `visits` visits ([`CARD`]) from [`monday`].
    pub fn with_card(name: &str, visits: u32) -> Vec<MemberEvent> {
        vec![registered(name), sold(CARD, CARD_PLAN, card_of(visits), monday()), paid(CARD, 9_000, monday())]
    }

    /// The desk checks the member in on `membership`, on the club-local date `on`, with the
    /// default settings' rules.
    pub fn check_in(on: Date, membership: Uuid) -> MemberCommand {
        MemberCommand::CheckIn { on, membership, rules: EntryRules::default() }
    }

    /// A check-in at `at_ms` on `membership`, as the desk records it in a UTC club.
    pub fn checked_in(at_ms: u64, membership: Uuid) -> MemberEvent {
        MemberEvent::MemberCheckedIn { at_ms, on: day_of(at_ms), membership, rules: EntryRules::default() }
    }
}

/// A class and its bookings, for tests of classes and of what spans classes and members (card
/// visits, the server's re-check, replication).
pub mod classes {
    use super::members::{self, MIN, MONTHLY};
    use crate::{
        access::StaffId,
        class::{ClassCommand, ClassDetails, ClassEvent, Cutoffs},
    };
    use uuid::Uuid;

    /// The class the helpers schedule.
    pub const CLASS: Uuid = Uuid::from_u128(0xc1a55);
    /// Its coach.
    pub const COACH: StaffId = StaffId(Uuid::from_u128(0xc0ac4));

    /// When the class starts: Monday 18:00 (UTC), [`members::monday`].
    pub fn start() -> u64 {
        members::at(18 * 60)
    }

    /// `minutes` before the class starts.
    pub fn before(minutes: u64) -> u64 {
        start() - minutes * MIN
    }

    /// `minutes` after the class starts.
    pub fn after(minutes: u64) -> u64 {
        start() + minutes * MIN
    }

    /// Member `n` of the tests (their stream is `member-<id>`).
    pub fn member(n: u128) -> Uuid {
        Uuid::from_u128(0x1000 + n)
    }

    /// An hour of spinning with [`COACH`] in Studio 1 at [`start`], for `capacity` members.
    pub fn details(capacity: u32) -> ClassDetails {
        ClassDetails {
            title: "Evening spin".into(),
            coach: COACH,
            start_ms: start(),
            day: members::monday(),
            duration_min: 60,
            capacity,
            room: "Studio 1".into(),
        }
    }

    /// The class of [`details`] scheduled with the club's default cutoffs (the waitlist moves up
    /// until 2 h before, a cancellation within 12 h is late).
    pub fn scheduled(capacity: u32) -> ClassEvent {
        ClassEvent::ClassScheduled { details: details(capacity), cutoffs: Cutoffs::default() }
    }

    /// The desk books `member` on their monthly membership ([`MONTHLY`]).
    pub fn book(member: Uuid) -> ClassCommand {
        ClassCommand::Book { member, membership: Some(MONTHLY), override_reason: None, over_capacity: None }
    }

    pub fn booked(member: Uuid, at_ms: u64) -> ClassEvent {
        ClassEvent::ClassBooked { member, membership: Some(MONTHLY), at_ms, override_reason: None, over_capacity: None }
    }

    /// `member` booked on [`MONTHLY`] beyond the capacity, for `reason`.
    pub fn booked_beyond(member: Uuid, at_ms: u64, reason: &str) -> ClassEvent {
        ClassEvent::ClassBooked {
            member,
            membership: Some(MONTHLY),
            at_ms,
            override_reason: None,
            over_capacity: Some(reason.into()),
        }
    }

    pub fn waitlisted(member: Uuid, at_ms: u64) -> ClassEvent {
        ClassEvent::ClassWaitlisted { member, membership: Some(MONTHLY), at_ms, override_reason: None }
    }

    /// The desk cancels `member`'s booking, passing over nobody.
    pub fn cancel_booking(member: Uuid) -> ClassCommand {
        ClassCommand::CancelBooking { member, skipped: vec![] }
    }

    pub fn booking_cancelled(member: Uuid, at_ms: u64, late: bool) -> ClassEvent {
        ClassEvent::BookingCancelled { member, at_ms, late, skipped: vec![] }
    }

    /// A class of `capacity` with members 1 to `booked` booked and the next `waiting` on the
    /// waitlist, one a minute, from a day before the start.
    pub fn with(capacity: u32, booked: u128, waiting: u128) -> Vec<ClassEvent> {
        let mut events = vec![scheduled(capacity)];
        for n in 1..=booked + waiting {
            let at_ms = before(24 * 60) + n as u64 * MIN;
            events.push(if n <= booked { self::booked(member(n), at_ms) } else { waitlisted(member(n), at_ms) });
        }
        events
    }
}
