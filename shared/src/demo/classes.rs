//! The demo club's classes: a studio's weekly timetable (the same classes every week, in every
//! room every weekday evening, mornings, lunchtimes and weekends besides), published by the
//! manager about two weeks ahead, over the days of check-ins and the coming week. Members book the
//! classes at the hours they come; evening classes fill and keep waitlists; bookings are
//! cancelled (some late), waiting members move up (by themselves before the waitlist cutoff, by the
//! front desk after it), the coach takes attendance with a few no-shows, cards pay their visits
//! (attended, a late cancel or a no-show), a manager waives a charge now and then, a class is
//! made bigger and one is cancelled.
//!
//! Played in time order beside the members' stories, following each member's state through the
//! events their story decided: the desk books a member only when [`can_attend`] says they may
//! come on the class's day at that moment (what the server checks again at append), and passes
//! over waiting members who cannot when a spot goes to the waitlist. A card's visit goes to a
//! class only when the card keeps enough visits for every check-in its story makes later, so no
//! story's check-in is turned away by a class.

use super::{Club, DemoCommand, Desk, Rng, ZONE};
use crate::{
    access::{Role, StaffId},
    aggregate::EventMeta,
    calendar::{date_of, Date},
    class::{self, can_attend, ChargeKind, Class, ClassCommand, ClassDetails, ClassEvent, Skip, Via},
    hlc::Hlc,
    ids::DeviceId,
    member::{Member, MemberCommand, MemberEvent},
    registry::Command,
    stream::StreamId,
    Aggregate,
};
use std::{
    cmp::Reverse,
    collections::{BinaryHeap, HashMap},
};
use uuid::Uuid;

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;

/// A kind of class: its title, its capacity (a range: each slot of the timetable draws its own)
/// and how long it lasts.
struct Kind {
    title: &'static str,
    capacity: (i32, i32),
    minutes: u32,
}

const fn kind(title: &'static str, capacity: (i32, i32), minutes: u32) -> Kind {
    Kind { title, capacity, minutes }
}

const STUDIO: &[Kind] = &[
    kind("Yoga Flow", (18, 24), 60),
    kind("Pilates", (12, 16), 55),
    kind("Body Pump", (24, 30), 60),
    kind("Zumba", (24, 30), 55),
    kind("HIIT", (12, 16), 45),
    kind("Boxing Fit", (14, 18), 60),
    kind("Kettlebells", (10, 14), 45),
    kind("Mobility & Stretch", (12, 18), 45),
];
const SPIN: &[Kind] = &[kind("Spinning", (16, 20), 45), kind("Spin & Core", (16, 20), 50)];
const REFORMER: &[Kind] = &[kind("Reformer Pilates", (8, 8), 50), kind("Reformer Flow", (8, 10), 50)];

/// The rooms in the order a growing club opens them, and the classes each holds.
fn room(n: usize) -> (String, &'static [Kind]) {
    match n {
        0 => ("Studio 1".into(), STUDIO),
        1 => ("Studio 2".into(), STUDIO),
        2 => ("Spin room".into(), SPIN),
        3 => ("Reformer room".into(), REFORMER),
        n => (format!("Studio {}", n - 1), STUDIO),
    }
}

/// How wanted a slot is, most wanted first: weekday evenings (Monday to Thursday), Friday's early
/// evening, weekend mornings, early mornings and lunchtimes, the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Demand {
    Evening,
    Friday,
    Weekend,
    Daytime,
    Quiet,
}

impl Demand {
    /// Requests to book, in percent of the capacity: evening classes are full with a waitlist.
    fn requests(self) -> (i32, i32) {
        match self {
            Demand::Evening => (120, 170),
            Demand::Friday => (85, 125),
            Demand::Weekend => (95, 145),
            Demand::Daytime => (45, 90),
            Demand::Quiet => (35, 70),
        }
    }
}

/// A room's week: (weekday, minute, demand). Thirty classes at most.
fn week() -> Vec<(u32, u32, Demand)> {
    let mut slots = vec![];
    for day in 0..5 {
        let evening = |late: bool| match (day, late) {
            (4, true) => Demand::Quiet,
            (4, false) => Demand::Friday,
            _ => Demand::Evening,
        };
        slots.push((day, 7 * 60, Demand::Daytime));
        slots.push((day, 12 * 60 + 15, Demand::Daytime));
        slots.push((day, 17 * 60 + 30, evening(false)));
        slots.push((day, 18 * 60 + 45, evening(false)));
        slots.push((day, 20 * 60, evening(true)));
    }
    slots.push((5, 9 * 60 + 30, Demand::Weekend));
    slots.push((5, 11 * 60, Demand::Weekend));
    slots.push((5, 12 * 60 + 30, Demand::Quiet));
    slots.push((6, 10 * 60, Demand::Weekend));
    slots.push((6, 11 * 60 + 30, Demand::Weekend));
    slots
}

/// One class of the weekly timetable.
struct Slot {
    room: String,
    weekday: u32,
    minute: u32,
    demand: Demand,
    title: &'static str,
    minutes: u32,
    capacity: u32,
    coach: usize,
}

/// The weekly timetable of `per_week` classes: the most wanted slots of as many rooms as they need,
/// each with its class, capacity and coach (coaches taking turns, so that classes at the same hour
/// have different coaches while there are enough of them).
fn timetable(per_week: usize, coaches: usize, rng: &mut Rng) -> Vec<Slot> {
    let week = week();
    let rooms = per_week.div_ceil(week.len());
    let mut chosen: Vec<(Demand, usize, u32, u32)> =
        (0..rooms).flat_map(|r| week.iter().map(move |(day, minute, demand)| (*demand, r, *day, *minute))).collect();
    chosen.sort();
    chosen.truncate(per_week);
    chosen.sort_by_key(|(_, r, day, minute)| (*day, *minute, *r));
    let mut slots: Vec<Slot> = vec![];
    for (demand, r, weekday, minute) in chosen {
        let (room, kinds) = room(r);
        // Another class than the other rooms' at that hour, as far as the room allows.
        let same_hour = |title: &str| slots.iter().any(|s| (s.weekday, s.minute, s.title) == (weekday, minute, title));
        let mut kind = rng.pick(kinds);
        for _ in 0..4 {
            if !same_hour(kind.title) {
                break;
            }
            kind = rng.pick(kinds);
        }
        slots.push(Slot {
            room,
            weekday,
            minute,
            demand,
            title: kind.title,
            minutes: kind.minutes,
            capacity: rng.range(kind.capacity.0, kind.capacity.1) as u32,
            coach: (r + (minute / 15) as usize + weekday as usize) % coaches,
        });
    }
    slots
}

/// Which part of the day a time of day (minutes) is in: morning, midday, evening.
fn hour(minute: u32) -> usize {
    match minute {
        m if m < 10 * 60 => 0,
        m if m < 16 * 60 => 1,
        _ => 2,
    }
}

/// A class on the timetable's day: its id, what it is, and who books it.
struct Planned {
    id: Uuid,
    details: ClassDetails,
    coach: u8,
    demand: Demand,
    /// The front desk its bookings are taken on.
    desk: Desk,
    /// Who takes attendance: mostly the coach, on their phone.
    taker: (Role, Desk),
    scheduled: u64,
}

/// What happens to a class at a moment; played in time order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Schedule,
    /// `member` asks the desk for a spot.
    Ask {
        member: Uuid,
    },
    CancelBooking {
        member: Uuid,
    },
    LeaveWaitlist {
        member: Uuid,
    },
    /// The desk gives a spot freed after the waitlist cutoff to the first waiting member who can come.
    Promote,
    /// The manager makes a full class bigger (a larger room, more bikes).
    Enlarge,
    CancelClass {
        reason: &'static str,
    },
    /// The coach (or the desk) takes attendance once the class has begun.
    TakeAttendance,
    Submit,
    Waive {
        member: Uuid,
    },
}

const CANCEL_REASONS: &[&str] = &["The coach is ill; we are sorry", "The studio's heating has broken down"];
const WAIVE_REASONS: &[&str] = &[
    "Stuck on the motorway after an accident",
    "Doctor's note: had the flu",
    "First time; let off this once",
    "Family emergency",
];
const TRIAL_REASON: &str = "Free trial class";
/// The longest waitlist the desk keeps (after that, people are told the class is full).
const MAX_WAITING: usize = 8;

/// A member as the desk sees them while the classes are played: their stream so far, and the
/// places they hold.
struct Person {
    member: Member,
    version: u64,
    /// Their places in classes (booked or waiting): start and end.
    places: Vec<(Uuid, u64, u64)>,
}

/// A card's visits: what its story leaves it at the end, what classes used and hold on to.
#[derive(Default)]
struct Card {
    left_at_end: u32,
    used: u32,
    held: u32,
}

impl Card {
    fn spare(&self) -> u32 {
        self.left_at_end.saturating_sub(self.used + self.held)
    }
}

struct Play<'c> {
    club: &'c Club,
    coaches: Vec<StaffId>,
    rng: Rng,
    /// Prospects who had their free trial class.
    trials: Vec<Uuid>,
    classes: Vec<(Planned, Class, u64)>,
    people: HashMap<Uuid, Person>,
    cards: HashMap<Uuid, Card>,
    actions: BinaryHeap<Reverse<(u64, u64, usize, Action)>>,
    seq: u64,
    out: Vec<DemoCommand>,
    device: DeviceId,
}

/// The classes' commands (and the card visits they use), given the members' stories (`members`:
/// every member command in time order, with the events it is decided into) and the coaches.
pub(super) fn play(
    club: &Club,
    coaches: &[StaffId],
    told: &[super::story::Told],
    members: &[(DemoCommand, Vec<MemberEvent>)],
) -> Vec<DemoCommand> {
    let spec = &club.spec;
    if coaches.is_empty() || spec.classes == 0 || told.is_empty() {
        return vec![];
    }
    let mut rng = Rng::new(spec.seed, u64::MAX - 2);
    let slots = timetable(spec.classes, coaches.len().min(u8::MAX as usize), &mut rng);
    let cards = told
        .iter()
        .flat_map(|t| &t.member.memberships)
        .filter_map(|m| Some((m.id, Card { left_at_end: m.visits_left()?, ..Card::default() })))
        .collect();
    let mut play = Play {
        club,
        coaches: coaches.to_vec(),
        rng,
        trials: vec![],
        classes: vec![],
        people: HashMap::new(),
        cards,
        actions: BinaryHeap::new(),
        seq: 0,
        out: vec![],
        device: DeviceId::new("demo").expect("a valid device id"),
    };
    play.plan(&slots, told);
    play.run(members);
    play.out
}

impl Play<'_> {
    fn at(&mut self, at_ms: u64, class: usize, action: Action) {
        self.seq += 1;
        self.actions.push(Reverse((at_ms, self.seq, class, action)));
    }

    /// The desk's hours on `day` (minutes after midnight).
    fn desk_hours(day: Date) -> (u32, u32) {
        if day.weekday() >= 5 {
            (8 * 60, 19 * 60 + 30)
        } else {
            (7 * 60, 21 * 60 + 30)
        }
    }

    /// A moment on `day` when the desk is open, within `lo..hi`, to the second.
    fn desk_on(&mut self, day: Date, lo: u64, hi: u64) -> Option<u64> {
        let (open, close) = Self::desk_hours(day);
        let lo = lo.max(self.club.at(day, open));
        let hi = hi.min(self.club.at(day, close));
        (lo + 1_000 < hi).then(|| lo + (self.rng.next() % ((hi - lo) / 1_000)) * 1_000)
    }

    /// A moment within `lo..hi` when the desk is open, on a day drawn among those it spans.
    fn desk_between(&mut self, lo: u64, hi: u64) -> Option<u64> {
        if hi <= lo {
            return None;
        }
        let (first, last) = (date_of(&ZONE, lo), date_of(&ZONE, hi));
        let span = first.days_until(last);
        for _ in 0..3 {
            let day = first.add_days(self.rng.range(0, span));
            if let Some(t) = self.desk_on(day, lo, hi) {
                return Some(t);
            }
        }
        None
    }

    /// The timetable on every day of check-ins and of the coming week, each week published on the
    /// Wednesday twelve days before its Monday; the requests to book each class, from members
    /// who come at its hour (mostly); the class that is made bigger and those cancelled.
    fn plan(&mut self, slots: &[Slot], told: &[super::story::Told]) {
        let club = self.club;
        let cutoffs = club.settings.cutoffs();
        // Who asks: members who came in the days of check-ins or may come now (the desk turns
        // away whoever cannot come on the class's day), by the hour they come at (morning,
        // midday, evening); and now and then someone without a membership, for a free trial.
        // Each with the days they are a member (as their story ends: from their first sale).
        let mut by_hour: [Vec<(Uuid, Date)>; 3] = Default::default();
        let mut everyone = vec![];
        for t in told {
            let m = &t.member;
            let member = !m.archived
                && m.memberships
                    .iter()
                    .any(|ms| ms.end().is_none_or(|end| end >= club.window_start) && ms.visits_left() != Some(0));
            let since = m.memberships.iter().map(|ms| ms.sold_on).min().unwrap_or(club.window_start);
            if member {
                by_hour[hour(t.minute as u32)].push((t.id, since));
                everyone.push((t.id, since));
            } else if m.memberships.is_empty() && !m.archived {
                everyone.push((t.id, since));
            }
        }
        let last = club.today.add_days(7);
        let mut day = club.window_start;
        while day <= last {
            let monday = day.add_days(-(day.weekday() as i32));
            let published = club.at(monday.add_days(-12), 10 * 60);
            for (i, slot) in slots.iter().enumerate().filter(|(_, s)| s.weekday == day.weekday()) {
                let start = club.at(day, slot.minute);
                let details = ClassDetails {
                    title: slot.title.into(),
                    coach: StaffId(Uuid::nil()),
                    start_ms: start,
                    day,
                    duration_min: slot.minutes,
                    capacity: slot.capacity,
                    room: slot.room.clone(),
                };
                let desk = if (i as i32 + day.days_since_epoch()) % 2 == 0 { Desk::Front1 } else { Desk::Front2 };
                let scheduled = published + i as u64 * 15_000;
                let coach = slot.coach as u8;
                let taker =
                    if self.rng.chance(0.85) { (Role::Coach, Desk::Coach(coach)) } else { (Role::FrontDesk, desk) };
                let id = self.rng.uuid();
                let planned = Planned { id, details, coach, demand: slot.demand, desk, taker, scheduled };
                let c = self.classes.len();
                self.classes.push((planned, Class::default(), 0));
                self.at(scheduled, c, Action::Schedule);
                // The requests: from members who come at the class's hour, some from anyone.
                let hour = hour(slot.minute);
                let (lo, hi) = slot.demand.requests();
                let wanted = (slot.capacity as i32 * self.rng.range(lo, hi) / 100) as usize;
                // Some cannot come (frozen, not yet paid, no visit to spare, another class then).
                let asks = (wanted * 7 / 4).min(everyone.len() / 2);
                let mut asked: Vec<Uuid> = Vec::with_capacity(asks);
                let mut tries = 0;
                while asked.len() < asks && tries < asks * 4 {
                    tries += 1;
                    let pool = if day.weekday() < 5 && self.rng.chance(0.8) { &by_hour[hour] } else { &everyone };
                    if pool.is_empty() {
                        continue;
                    }
                    let (member, since) = *self.rng.pick(pool);
                    // Booked on the day, the day before, or days ahead (the regulars of the
                    // evening classes book a week ahead).
                    let ahead = if slot.demand == Demand::Evening { 10 } else { 0 };
                    let lead = match self.rng.range(0, 99) + ahead {
                        ..=19 => 0,
                        20..=44 => 1,
                        45..=59 => 2,
                        60..=84 => self.rng.range(3, 6),
                        _ => self.rng.range(7, 12),
                    };
                    if asked.contains(&member) || day.add_days(-lead) < since {
                        continue;
                    }
                    let Some(at) = self.desk_on(day.add_days(-lead), scheduled + HOUR, start - 10 * MINUTE) else {
                        continue;
                    };
                    asked.push(member);
                    self.at(at, c, Action::Ask { member });
                }
                // A full evening class now and then gets more spots before the waitlist cutoff.
                if slot.demand == Demand::Evening && slot.capacity <= 26 && self.rng.chance(0.05) {
                    let cutoff = start - u64::from(cutoffs.waitlist_min) * MINUTE;
                    if let Some(at) = self.desk_between(start - 30 * HOUR, cutoff - 30 * MINUTE) {
                        self.at(at, c, Action::Enlarge);
                    }
                }
                // Attendance once it has begun; submitted after it ends.
                let marked = start + self.rng.range(1, 8) as u64 * MINUTE;
                self.at(marked, c, Action::TakeAttendance);
                let end = start + u64::from(slot.minutes) * MINUTE;
                let submitted = end + self.rng.range(15, 25) as u64 * MINUTE;
                self.at(submitted, c, Action::Submit);
            }
            day = day.add_days(1);
        }
        self.plan_cancellations();
    }

    /// One class of the coming days is cancelled (this morning, or yesterday when the desk has
    /// not opened yet today), and one of the days of check-ins hours before it began.
    fn plan_cancellations(&mut self) {
        let now = self.club.spec.now_ms;
        let soon = self.classes.iter().position(|(p, ..)| {
            p.demand == Demand::Evening && p.details.start_ms > now + 20 * HOUR && p.scheduled + 2 * HOUR < now
        });
        if let Some(c) = soon {
            let published = self.classes[c].0.scheduled + HOUR;
            let at = self.desk_between(now.saturating_sub(6 * HOUR).max(published), now - MINUTE).or_else(|| {
                self.desk_between(now.saturating_sub(30 * HOUR).max(published), now.saturating_sub(18 * HOUR))
            });
            if let Some(at) = at {
                let reason = CANCEL_REASONS[0];
                self.at(at, c, Action::CancelClass { reason });
            }
        }
        let third = self.club.window_start.add_days(self.club.window_start.days_until(self.club.today) / 3);
        let past = self.classes.iter().position(|(p, ..)| p.details.day >= third && p.demand == Demand::Evening);
        if let Some(c) = past.filter(|c| self.classes[*c].0.details.start_ms + HOUR < now) {
            let start = self.classes[c].0.details.start_ms;
            if let Some(at) = self.desk_between(start - 5 * HOUR, start - HOUR) {
                let reason = CANCEL_REASONS[1];
                self.at(at, c, Action::CancelClass { reason });
            }
        }
    }

    /// Plays the actions in time order, the members' stories folded in up to each.
    fn run(&mut self, members: &[(DemoCommand, Vec<MemberEvent>)]) {
        let now = self.club.spec.now_ms;
        let mut next = 0;
        while let Some(Reverse((at_ms, _, c, action))) = self.actions.pop() {
            // What an action leads to follows it within a minute (attendance excepted, which
            // stops at now): all of it before now.
            if at_ms + MINUTE > now {
                continue;
            }
            while let Some((command, events)) = members.get(next).filter(|(m, _)| m.at_ms <= at_ms) {
                let person = self.people.entry(command.stream.id).or_insert_with(|| Person {
                    member: Member::default(),
                    version: 0,
                    places: vec![],
                });
                for e in events {
                    person.version += 1;
                    let meta = EventMeta {
                        version: person.version,
                        hlc: Hlc { ms: command.at_ms, c: 0 },
                        device: &self.device,
                    };
                    person.member.evolve(e, &meta);
                }
                next += 1;
            }
            self.act(at_ms, c, action);
        }
    }

    /// Whether `member` may come to class `c` now, and on which membership: the desk's reading of
    /// their stream. A card must have started (a class does not start a card) and keep a visit
    /// spare beyond its story's check-ins and the classes it already holds.
    fn can_come(&self, member: Uuid, c: usize) -> Result<Uuid, crate::member::Denial> {
        use crate::member::Denial;
        let day = self.classes[c].0.details.day;
        let person = self.people.get(&member).ok_or(Denial::NoMembership)?;
        if !person.member.registered || person.member.archived {
            return Err(Denial::NoMembership);
        }
        let membership = can_attend(&person.member, day, &self.club.rules())?;
        if let Some(card) = self.cards.get(&membership) {
            let m = person.member.membership(membership).expect("can_attend names one of the member's");
            if m.start.is_none_or(|s| s > day) || card.spare() == 0 {
                return Err(Denial::NoVisitsLeft);
            }
        }
        Ok(membership)
    }

    /// Decides `command` on class `c` at `at_ms` and keeps its events; `None` when the rules
    /// refuse it (the play asks nothing it should not: the caller checks first).
    fn class(&mut self, at_ms: u64, c: usize, role: Role, desk: Desk, command: ClassCommand) -> Option<ClassEvent> {
        let (planned, state, head) = &mut self.classes[c];
        let events = state.decide(command.clone(), at_ms).ok()?;
        for e in &events {
            *head += 1;
            state.evolve(e, &EventMeta { version: *head, hlc: Hlc { ms: at_ms, c: 0 }, device: &self.device });
        }
        let stream = class::stream(planned.id);
        self.out.push(DemoCommand { at_ms, stream, command: Command::Class(command), role, desk });
        events.into_iter().next()
    }

    /// Decides `command` on `member`'s stream at `at_ms` and keeps its events; false when refused.
    fn member(&mut self, at_ms: u64, member: Uuid, role: Role, desk: Desk, command: MemberCommand) -> bool {
        let Some(person) = self.people.get_mut(&member) else { return false };
        let Ok(events) = person.member.decide(command.clone(), at_ms) else { return false };
        for e in &events {
            person.version += 1;
            let meta = EventMeta { version: person.version, hlc: Hlc { ms: at_ms, c: 0 }, device: &self.device };
            person.member.evolve(e, &meta);
        }
        let stream = StreamId::member(member);
        self.out.push(DemoCommand { at_ms, stream, command: Command::Member(command), role, desk });
        true
    }

    /// `member` holds a place in class `c` (booked or waiting) on `membership`.
    fn hold(&mut self, member: Uuid, c: usize, membership: Option<Uuid>) {
        let d = &self.classes[c].0.details;
        let (id, start, end) = (self.classes[c].0.id, d.start_ms, d.end_ms());
        if let Some(p) = self.people.get_mut(&member) {
            p.places.push((id, start, end));
        }
        if let Some(card) = membership.and_then(|m| self.cards.get_mut(&m)) {
            card.held += 1;
        }
    }

    /// `member`'s place in class `c` is gone; `used` when its card's visit went to the class.
    fn release(&mut self, member: Uuid, c: usize, membership: Option<Uuid>, used: bool) {
        let id = self.classes[c].0.id;
        if let Some(p) = self.people.get_mut(&member) {
            p.places.retain(|(class, ..)| *class != id);
        }
        if let Some(card) = membership.and_then(|m| self.cards.get_mut(&m)) {
            card.held = card.held.saturating_sub(1);
            if used {
                card.used += 1;
            }
        }
    }

    /// Uses a visit of the card `membership` (if it is one) for class `c`.
    fn use_visit(
        &mut self,
        at_ms: u64,
        c: usize,
        member: Uuid,
        membership: Option<Uuid>,
        charge: Option<ChargeKind>,
        by: (Role, Desk),
    ) {
        let Some(card) = membership.filter(|m| self.cards.contains_key(m)) else {
            self.release(member, c, membership, false);
            return;
        };
        let class = self.classes[c].0.id;
        let on = date_of(&ZONE, at_ms);
        let command = MemberCommand::UseClassVisit { class, membership: card, on, charge };
        let used = self.member(at_ms, member, by.0, by.1, command);
        self.release(member, c, membership, used);
    }

    /// The waiting members a spot (or `spots`) freed now passes over, as the desk finds them.
    fn skipped(&self, c: usize, spots: usize) -> Vec<Skip> {
        let mut skipped = vec![];
        let mut left = spots;
        for w in &self.classes[c].1.waitlist {
            if left == 0 {
                break;
            }
            match self.can_come_waiting(w.member, c) {
                Ok(()) => left -= 1,
                Err(denial) => skipped.push(Skip { member: w.member, denial }),
            }
        }
        skipped
    }

    /// Whether a waiting member can come now (their card's visit is already held for the class).
    fn can_come_waiting(&self, member: Uuid, c: usize) -> Result<(), crate::member::Denial> {
        use crate::member::Denial;
        let person = self.people.get(&member).ok_or(Denial::NoMembership)?;
        if person.member.archived {
            return Err(Denial::NoMembership);
        }
        can_attend(&person.member, self.classes[c].0.details.day, &self.club.rules()).map(|_| ())
    }

    /// The members a change at `version` moved up from the waitlist.
    fn promoted(&self, c: usize, version: u64) -> Vec<Uuid> {
        self.classes[c]
            .1
            .bookings
            .iter()
            .filter(|b| matches!(b.via, Via::Promoted { version: v, .. } if v == version))
            .map(|b| b.member)
            .collect()
    }

    fn act(&mut self, at_ms: u64, c: usize, action: Action) {
        let (planned, state, _) = &self.classes[c];
        let (start, end, desk) = (planned.details.start_ms, planned.details.end_ms(), planned.desk);
        let open = state.is_scheduled() && state.cancelled.is_none();
        if !open && action != Action::Schedule {
            return;
        }
        let front = (Role::FrontDesk, desk);
        let office = (Role::Manager, Desk::Office);
        let coach = planned.coach;
        match action {
            Action::Schedule => {
                let cutoffs = self.club.settings.cutoffs();
                let mut details = planned.details.clone();
                details.coach = self.coach_id(coach);
                self.class(at_ms, c, office.0, office.1, ClassCommand::ScheduleClass { details, cutoffs });
            }
            Action::Ask { member } => self.ask(at_ms, c, member),
            Action::CancelBooking { member } => {
                if self.classes[c].1.booking(member).is_none() {
                    return;
                }
                let membership = self.classes[c].1.booking(member).and_then(|b| b.membership);
                let promotes = self.classes[c].1.promotes_at(at_ms);
                let skipped = if promotes { self.skipped(c, 1) } else { vec![] };
                let command = ClassCommand::CancelBooking { member, skipped };
                let Some(ClassEvent::BookingCancelled { late, .. }) = self.class(at_ms, c, front.0, front.1, command)
                else {
                    return;
                };
                let version = self.classes[c].2;
                for promoted in self.promoted(c, version) {
                    self.may_cancel(at_ms, c, promoted, 0.05);
                }
                if late {
                    self.use_visit(at_ms + 2_000, c, member, membership, Some(ChargeKind::LateCancel), front);
                    if self.rng.chance(0.15) {
                        if let Some(t) = self.desk_between(at_ms + 2 * HOUR, at_ms + 30 * HOUR) {
                            self.at(t, c, Action::Waive { member });
                        }
                    }
                } else {
                    self.release(member, c, membership, false);
                }
                let class = &self.classes[c].1;
                if !promotes && class.free() > 0 && !class.waitlist.is_empty() && self.rng.chance(0.8) {
                    if let Some(t) =
                        self.desk_between(at_ms + 5 * MINUTE, (at_ms + 90 * MINUTE).min(start - 5 * MINUTE))
                    {
                        self.at(t, c, Action::Promote);
                    }
                }
            }
            Action::LeaveWaitlist { member } => {
                let Some(membership) = self.classes[c].1.waiting(member).map(|w| w.membership) else { return };
                if self.class(at_ms, c, front.0, front.1, ClassCommand::LeaveWaitlist { member }).is_some() {
                    self.release(member, c, membership, false);
                }
            }
            Action::Promote => {
                if at_ms >= start || self.classes[c].1.free() == 0 {
                    return;
                }
                let first =
                    self.classes[c].1.waitlist.iter().map(|w| w.member).find(|m| self.can_come_waiting(*m, c).is_ok());
                if let Some(member) = first {
                    self.class(at_ms, c, front.0, front.1, ClassCommand::Promote { member, over_capacity: None });
                }
            }
            Action::Enlarge => {
                let class = &self.classes[c].1;
                if class.waitlist.is_empty() || !class.promotes_at(at_ms) {
                    return;
                }
                let mut details = class.details.clone().expect("scheduled");
                let more = (30 - details.capacity.min(30)).min(4);
                if more == 0 {
                    return;
                }
                details.capacity += more;
                let skipped = self.skipped(c, more as usize);
                self.class(
                    at_ms,
                    c,
                    office.0,
                    office.1,
                    ClassCommand::RescheduleClass { details, skipped, released: vec![] },
                );
                let version = self.classes[c].2;
                for promoted in self.promoted(c, version) {
                    self.may_cancel(at_ms, c, promoted, 0.05);
                }
            }
            Action::CancelClass { reason } => {
                let class = &self.classes[c].1;
                let places: Vec<(Uuid, Option<Uuid>)> = class
                    .bookings
                    .iter()
                    .map(|b| (b.member, b.membership))
                    .chain(class.waitlist.iter().map(|w| (w.member, w.membership)))
                    .collect();
                let command = ClassCommand::CancelClass { reason: reason.into() };
                if self.class(at_ms, c, office.0, office.1, command).is_some() {
                    for (member, membership) in places {
                        self.release(member, c, membership, false);
                    }
                }
            }
            Action::TakeAttendance => {
                // Nobody moves up once the class has begun.
                let waiting: Vec<(Uuid, Option<Uuid>)> =
                    self.classes[c].1.waitlist.iter().map(|w| (w.member, w.membership)).collect();
                for (member, membership) in waiting {
                    self.release(member, c, membership, false);
                }
                let by = self.classes[c].0.taker;
                let booked: Vec<(Uuid, Option<Uuid>)> =
                    self.classes[c].1.bookings.iter().map(|b| (b.member, b.membership)).collect();
                let mut t = at_ms;
                for (member, membership) in booked {
                    t += self.rng.range(8, 25) as u64 * 1_000;
                    if t + 2_000 > self.club.spec.now_ms {
                        break;
                    }
                    if !self.rng.chance(0.88) {
                        continue;
                    }
                    let command = ClassCommand::MarkAttendance { member, attended: true };
                    if self.class(t, c, by.0, by.1, command).is_some() {
                        self.use_visit(t + 2_000, c, member, membership, None, by);
                    }
                }
            }
            Action::Submit => {
                let by = self.classes[c].0.taker;
                let Some(ClassEvent::AttendanceSubmitted { no_shows, .. }) =
                    self.class(at_ms, c, by.0, by.1, ClassCommand::SubmitAttendance)
                else {
                    return;
                };
                for (i, member) in no_shows.into_iter().enumerate() {
                    let membership = self.classes[c].1.booking(member).and_then(|b| b.membership);
                    let t = at_ms + 1_000 * (i as u64 + 1);
                    self.use_visit(t, c, member, membership, Some(ChargeKind::NoShow), by);
                    if self.rng.chance(0.12) {
                        if let Some(t) = self.desk_between(end + 12 * HOUR, end + 48 * HOUR) {
                            self.at(t, c, Action::Waive { member });
                        }
                    }
                }
            }
            Action::Waive { member } => {
                let reason = (*self.rng.pick(WAIVE_REASONS)).to_owned();
                let charge = self.classes[c].1.charges.iter().find(|ch| ch.member == member && ch.waived.is_none());
                let Some(membership) = charge.map(|ch| ch.membership) else { return };
                let command = ClassCommand::WaiveCharge { member, reason: reason.clone() };
                if self.class(at_ms, c, office.0, office.1, command).is_none() {
                    return;
                }
                let class = self.classes[c].0.id;
                let used = self
                    .people
                    .get(&member)
                    .and_then(|p| membership.and_then(|m| p.member.membership(m)))
                    .is_some_and(|m| m.class_visits.contains(&class));
                if let (true, Some(card)) = (used, membership) {
                    let on = date_of(&ZONE, at_ms);
                    let command = MemberCommand::ReturnClassVisit { class, membership: card, on, reason };
                    if self.member(at_ms + 20_000, member, office.0, office.1, command) {
                        if let Some(card) = self.cards.get_mut(&card) {
                            card.used = card.used.saturating_sub(1);
                        }
                    }
                }
            }
        }
    }

    /// The demo's `n`th coach (their id is filled in when the class is scheduled).
    fn coach_id(&self, n: u8) -> StaffId {
        self.coaches[n as usize]
    }

    /// `member` asks the desk for a spot in class `c`: booked, or put on the waitlist if they
    /// want, when they may come (a prospect's free trial is a manager's override), unless they
    /// already hold a place at that hour.
    fn ask(&mut self, at_ms: u64, c: usize, member: Uuid) {
        let (planned, class, _) = &self.classes[c];
        let (start, end) = (planned.details.start_ms, planned.details.end_ms());
        if at_ms >= start || class.booking(member).is_some() || class.waiting(member).is_some() {
            return;
        }
        let busy = self.people.get(&member).is_some_and(|p| p.places.iter().any(|(_, s, e)| *s < end && start < *e));
        if busy {
            return;
        }
        let full = class.free() == 0;
        let waitlist = class.waitlist.len();
        if full && (waitlist >= MAX_WAITING || !self.rng.chance(0.65)) {
            return;
        }
        let desk = self.classes[c].0.desk;
        match self.can_come(member, c) {
            Ok(membership) => {
                let command = ClassCommand::Book {
                    member,
                    membership: Some(membership),
                    override_reason: None,
                    over_capacity: None,
                };
                match self.class(at_ms, c, Role::FrontDesk, desk, command) {
                    Some(ClassEvent::ClassBooked { .. }) => {
                        self.hold(member, c, Some(membership));
                        self.may_cancel(at_ms, c, member, 0.12);
                    }
                    Some(ClassEvent::ClassWaitlisted { .. }) => {
                        self.hold(member, c, Some(membership));
                        if self.rng.chance(0.15) {
                            if let Some(t) = self.desk_between(at_ms + 30 * MINUTE, start - 30 * MINUTE) {
                                self.at(t, c, Action::LeaveWaitlist { member });
                            }
                        }
                    }
                    _ => {}
                }
            }
            Err(crate::member::Denial::NoMembership) => {
                let prospect = self
                    .people
                    .get(&member)
                    .is_some_and(|p| p.member.registered && !p.member.archived && p.member.memberships.is_empty());
                if !full && prospect && !self.trials.contains(&member) && self.rng.chance(0.25) {
                    let command = ClassCommand::Book {
                        member,
                        membership: None,
                        override_reason: Some(TRIAL_REASON.into()),
                        over_capacity: None,
                    };
                    if self.class(at_ms, c, Role::Manager, Desk::Office, command).is_some() {
                        self.trials.push(member);
                        self.hold(member, c, None);
                    }
                }
            }
            Err(_) => {}
        }
    }

    /// With probability `p`, `member` (booked at `at_ms`) cancels later: a third of them late,
    /// inside the cancellation cutoff.
    fn may_cancel(&mut self, at_ms: u64, c: usize, member: Uuid, p: f64) {
        if !self.rng.chance(p) {
            return;
        }
        let start = self.classes[c].0.details.start_ms;
        let cutoff = start.saturating_sub(u64::from(self.classes[c].1.cutoffs.cancel_min) * MINUTE);
        let t = if self.rng.chance(0.35) {
            self.desk_between((at_ms + 5 * MINUTE).max(cutoff), start - 10 * MINUTE)
        } else {
            self.desk_between(at_ms + 30 * MINUTE, cutoff.saturating_sub(MINUTE))
        };
        if let Some(t) = t {
            self.at(t, c, Action::CancelBooking { member });
        }
    }
}
