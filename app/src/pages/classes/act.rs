//! Running a command on a class's stream, and what follows it on members' streams: a card's visit
//! is used by attendance, a late cancel or a no-show (DOMAIN.md "Classes"), given back when a
//! manager waives the charge, and never used by a booking or a waitlist place.

use crate::{
    client::{Client, ClientApi, ClientError, ClientState, MemberRow},
    sentences,
};
use leptos::{prelude::*, task::spawn_local};
use shared::{
    access::StaffId,
    calendar::Date,
    class::{can_attend, ChargeKind, Class, ClassCommand, ClassDetails, Cutoffs, Skip},
    member::{EntryRules, Member, MemberCommand, MemberError},
    Command, RuleError, StreamId,
};
use std::{collections::HashMap, rc::Rc};
use uuid::Uuid;

/// The class's stream and this device's runtime, copyable into every handler.
#[derive(Clone, Copy)]
pub struct ClassAct {
    api: StoredValue<Rc<dyn ClientApi>, LocalStorage>,
    pub id: Uuid,
}

impl ClassAct {
    pub fn new(client: &Client, id: Uuid) -> Self {
        Self { api: StoredValue::new_local(client.api()), id }
    }

    /// Decides and stores `command` on the class, then each of `then` on its member's stream (a
    /// card's visit); `done` runs when the class command was stored, else its refusal goes to
    /// `problem`. A follow-up that fails is said in `problem` too (the class change stands).
    pub fn run(
        self,
        command: ClassCommand,
        then: Vec<(Uuid, MemberCommand)>,
        problem: RwSignal<Option<String>>,
        done: impl FnOnce() + 'static,
    ) {
        problem.set(None);
        let api = self.api.get_value();
        let stream = shared::class::stream(self.id);
        spawn_local(async move {
            if let Err(e) = api.execute(stream, Command::Class(command)).await {
                problem.set(Some(sentences::refusal(&e)));
                return;
            }
            done();
            let mut failed = vec![];
            for (member, command) in then {
                match api.execute(StreamId::member(member), Command::Member(command)).await {
                    // Another device (the coach's phone, the other desk) used it already: once is right.
                    Ok(()) | Err(ClientError::Rule(RuleError::Member(MemberError::ClassVisitAlreadyUsed))) => {}
                    Err(e) => failed.push(sentences::refusal(&e)),
                }
            }
            if !failed.is_empty() {
                problem.set(Some(format!("Saved, but the card's visit was not recorded: {}", failed.join(" "))));
            }
        });
    }

    /// Decides `command` in `member`'s stream alone (a card's visit given back).
    pub fn run_member(
        self,
        member: Uuid,
        command: MemberCommand,
        problem: RwSignal<Option<String>>,
        done: impl FnOnce() + 'static,
    ) {
        problem.set(None);
        let api = self.api.get_value();
        spawn_local(async move {
            match api.execute(StreamId::member(member), Command::Member(command)).await {
                Ok(()) => done(),
                Err(e) => problem.set(Some(sentences::refusal(&e))),
            }
        });
    }
}

/// The card visit a class uses of `member`'s booking on `membership` (attended when `charge` is
/// none), if that membership is a card and this class has not used one of it yet.
pub fn card_visit(
    class: Uuid,
    member: &Member,
    membership: Option<Uuid>,
    on: Date,
    charge: Option<ChargeKind>,
) -> Option<MemberCommand> {
    let m = member.membership(membership?)?;
    (m.terms.visits.count().is_some() && !m.class_visits.contains(&class)).then_some(MemberCommand::UseClassVisit {
        class,
        membership: m.id,
        on,
        charge,
    })
}

/// The booked members a move of `class` to `day` releases, as this device knows them: those whose
/// booking is `releasable` and who cannot attend on that day (a member it does not hold counts as
/// able: the server re-checks).
pub fn released(class: &Class, day: Date, people: &HashMap<Uuid, MemberRow>, rules: &EntryRules) -> Vec<Skip> {
    class.released_by_move(|member| people.get(&member).and_then(|p| can_attend(&p.member, day, rules).err()))
}

/// The waiting members a change freeing spots passes over, in line order: those ahead of the ones
/// who get the `free` spots and who cannot attend on the class's day, as this device knows them
/// (a member it does not hold counts as able: the server re-checks). Nobody is passed over once
/// the waitlist no longer moves up by itself.
pub fn skipped(
    class: &Class,
    free: usize,
    at_ms: u64,
    people: &HashMap<Uuid, MemberRow>,
    rules: &EntryRules,
) -> Vec<Skip> {
    let Some(day) = class.details.as_ref().map(|d| d.day) else { return vec![] };
    if !class.promotes_at(at_ms) {
        return vec![];
    }
    let mut out = vec![];
    let mut placed = 0;
    for w in &class.waitlist {
        if placed >= free {
            break;
        }
        match people.get(&w.member).map(|p| can_attend(&p.member, day, rules)) {
            Some(Err(denial)) if w.override_reason.is_none() => out.push(Skip { member: w.member, denial }),
            _ => placed += 1,
        }
    }
    out
}

/// The members of `ids` this device holds, by id (one pass over every member).
pub fn people(state: ClientState, ids: &[Uuid]) -> HashMap<Uuid, MemberRow> {
    state.members.with(|all| all.iter().filter(|m| ids.contains(&m.id)).map(|m| (m.id, m.clone())).collect())
}

/// Details for commands that stand for a permission only.
fn any_details() -> ClassDetails {
    ClassDetails {
        title: String::new(),
        coach: StaffId(Uuid::nil()),
        start_ms: 0,
        day: Date::from_ymd(2000, 1, 1).expect("a valid date"),
        duration_min: 0,
        capacity: 0,
        room: String::new(),
    }
}

/// Scheduling, rescheduling and cancelling classes (managers).
pub fn timetabling(state: ClientState) -> Memo<bool> {
    state.permits(Command::Class(ClassCommand::ScheduleClass { details: any_details(), cutoffs: Cutoffs::default() }))
}

/// Booking, cancelling bookings, the waitlist (front desk and up).
pub fn booking(state: ClientState) -> Memo<bool> {
    state.permits(Command::Class(ClassCommand::Book {
        member: Uuid::nil(),
        membership: None,
        override_reason: None,
        over_capacity: None,
    }))
}

/// Booking a member without a valid membership (managers).
pub fn overriding(state: ClientState) -> Memo<bool> {
    state.permits(Command::Class(ClassCommand::Book {
        member: Uuid::nil(),
        membership: None,
        override_reason: Some(String::new()),
        over_capacity: None,
    }))
}

/// Taking attendance (front desk, and a coach of their own classes).
pub fn attendance(state: ClientState) -> Memo<bool> {
    state.permits(Command::Class(ClassCommand::SubmitAttendance))
}

/// Waiving a late cancel or a no-show (managers).
pub fn waiving(state: ClientState) -> Memo<bool> {
    state.permits(Command::Class(ClassCommand::WaiveCharge { member: Uuid::nil(), reason: String::new() }))
}

/// Whether the staff member at the desk takes attendance of a class `coach` gives: a coach only
/// of their own classes (the server refuses the rest too), other roles by their permission.
pub fn takes_attendance(state: ClientState, may: Memo<bool>, coach: StaffId) -> bool {
    may.get() && state.active().is_some_and(|s| s.info.role != shared::access::Role::Coach || s.staff() == coach)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{
        aggregate::{Aggregate, EventMeta},
        class::ClassEvent,
        club::{Length, PlanTerms, Visits},
        member::{MemberEvent, Start},
        DeviceId,
    };

    const DAY_MS: u64 = 86_400_000;

    fn monday() -> Date {
        Date::from_ymd(2026, 3, 2).unwrap()
    }

    fn start() -> u64 {
        monday().days_since_epoch() as u64 * DAY_MS + 18 * 3_600_000
    }

    fn member_id(n: u128) -> Uuid {
        Uuid::from_u128(0x1000 + n)
    }

    /// A member with a card of `visits` (already `used`) running from Monday, or nothing sold.
    fn member(n: u128, card: Option<(u32, u32)>) -> MemberRow {
        let device = DeviceId::new("desk").unwrap();
        let mut m = Member::default();
        let mut events = vec![MemberEvent::MemberRegistered {
            name: format!("Member {n}"),
            email: String::new(),
            phone: String::new(),
        }];
        if let Some((visits, used)) = card {
            let terms = PlanTerms {
                name: "Card".into(),
                length: Length::Months(6),
                visits: Visits::Card(visits),
                price_cents: 0,
            };
            events.push(MemberEvent::MembershipSold {
                membership: Uuid::from_u128(0xca4d),
                plan: Uuid::from_u128(0xb2),
                terms,
                start: Start::On(monday()),
                on: monday(),
                renews: None,
            });
            for i in 0..used {
                events.push(MemberEvent::ClassVisitUsed {
                    class: Uuid::from_u128(0x900 + i as u128),
                    membership: Uuid::from_u128(0xca4d),
                    on: monday(),
                    charge: None,
                });
            }
        }
        for (i, e) in events.iter().enumerate() {
            m.evolve(e, &EventMeta { version: i as u64 + 1, hlc: Default::default(), device: &device });
        }
        MemberRow::new(member_id(n), &m, 0)
    }

    /// A class for `capacity` with members 1..=booked booked and the next `waiting` waiting.
    fn class(capacity: u32, booked: u128, waiting: u128) -> Class {
        let device = DeviceId::new("desk").unwrap();
        let details = ClassDetails {
            title: "Spin".into(),
            coach: StaffId(Uuid::from_u128(0xc0)),
            start_ms: start(),
            day: monday(),
            duration_min: 60,
            capacity,
            room: String::new(),
        };
        let mut events = vec![ClassEvent::ClassScheduled { details, cutoffs: Cutoffs::default() }];
        for n in 1..=booked + waiting {
            let (member, membership, at_ms) = (member_id(n), Some(Uuid::from_u128(0xca4d)), n as u64);
            events.push(if n <= booked {
                ClassEvent::ClassBooked { member, membership, at_ms, override_reason: None, over_capacity: None }
            } else {
                ClassEvent::ClassWaitlisted { member, membership, at_ms, override_reason: None }
            });
        }
        let mut c = Class::default();
        for (i, e) in events.iter().enumerate() {
            c.evolve(e, &EventMeta { version: i as u64 + 1, hlc: Default::default(), device: &device });
        }
        c
    }

    #[test]
    fn the_waiting_members_who_cannot_attend_ahead_of_the_next_who_can_are_passed_over() {
        // Members 3 (no membership) and 4 (card used up) wait ahead of 5 (card with visits).
        let class = class(2, 2, 4);
        let people: HashMap<Uuid, MemberRow> = [member(3, None), member(4, Some((2, 2))), member(5, Some((10, 0)))]
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let early = start() - 10 * 3_600_000;

        let skips = skipped(&class, 1, early, &people, &EntryRules::default());

        assert_eq!(skips.iter().map(|s| s.member).collect::<Vec<_>>(), [member_id(3), member_id(4)]);
        assert_eq!(skips[1].denial, shared::member::Denial::NoVisitsLeft);
        // Member 6 is behind the one who gets the spot: not passed over.
        assert!(!skips.iter().any(|s| s.member == member_id(6)));
    }

    #[test]
    fn nobody_is_passed_over_after_the_waitlist_cutoff_nor_when_unknown_here() {
        let class = class(2, 2, 2);
        let people: HashMap<Uuid, MemberRow> = [(member_id(3), member(3, None))].into_iter().collect();
        let late = start() - 30 * 60_000;
        assert!(skipped(&class, 1, late, &people, &EntryRules::default()).is_empty());
        // Member 3 is not on this device: the device lets the server decide.
        assert!(skipped(&class, 1, start() - 10 * 3_600_000, &HashMap::new(), &EntryRules::default()).is_empty());
    }

    #[test]
    fn a_card_visit_is_used_once_per_class_and_only_of_a_card() {
        let with_card = member(1, Some((10, 0)));
        let card = Uuid::from_u128(0xca4d);
        let class_id = Uuid::from_u128(0x77);
        assert_eq!(
            card_visit(class_id, &with_card.member, Some(card), monday(), None),
            Some(MemberCommand::UseClassVisit { class: class_id, membership: card, on: monday(), charge: None })
        );
        // This class already used one of it (ids 0x900.. are the classes `member` used).
        let used = member(2, Some((10, 1)));
        assert_eq!(card_visit(Uuid::from_u128(0x900), &used.member, Some(card), monday(), None), None);
        // Booked by override: no membership, no visit.
        assert_eq!(card_visit(class_id, &with_card.member, None, monday(), None), None);
    }
}
