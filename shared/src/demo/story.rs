//! One member's story: who they are (a persona: a monthly regular, a card holder who used every
//! visit, someone who froze their membership, …), what the desk did for them and when, and the
//! visits they made. Planned as an agenda of acts in time order, then played: each act is decided
//! on the member's state at its time, as the desk would (a check-in uses the membership the entry
//! decision names; a member turned away leaves no trace unless a manager lets them in).

use super::{names, Club, DemoCommand, Desk, PlanKey, Rng, ZONE};
use crate::{
    access::Role,
    aggregate::EventMeta,
    calendar::{date_of, Date},
    hlc::Hlc,
    ids::DeviceId,
    member::{Denial, Member, MemberCommand, MemberEvent, MemberField, PaymentMethod, Start, Verdict},
    registry::Command,
    stream::StreamId,
    Aggregate,
};
use uuid::Uuid;

/// Who a member is at the club; each gives the memberships (and their statuses) the story makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Persona {
    /// Monthly, renewed every month since joining.
    Monthly,
    /// The off-peak monthly plan, visiting between 10:00 and 16:00.
    OffPeak,
    /// Monthly for a while, then stopped renewing: expired.
    Lapsed,
    /// Yearly, renewed when a year is up.
    Yearly,
    /// Bought the intro offer; half of them went on monthly.
    Intro,
    /// A 10-visit card that starts on the first visit; most buy another when it is used up.
    Card10,
    /// A 10-visit card used up, not (yet) replaced: no visits left.
    CardUsedUp,
    /// A 20-visit card.
    Card20,
    /// A card bought and not used yet: not started.
    CardWaiting,
    /// A card never used within its validity: expired.
    CardExpiredUnused,
    /// Bought a membership that starts on a later date: not started.
    StartsLater,
    /// Yearly, frozen today.
    Frozen,
    /// Yearly, a freeze planned for later.
    FreezePlanned,
    /// Yearly, came back from a freeze early.
    UnfrozenEarly,
    /// Yearly, cancelled (in effect).
    Cancelled,
    /// Yearly, cancelled from a later date.
    CancelsLater,
    /// Joined recently and has not paid (all) yet: admitted with a warning.
    UnpaidInGrace,
    /// Has not paid beyond the grace days: denied (once let in by a manager).
    UnpaidBeyondGrace,
    /// Registered, no membership (some came for a free trial).
    Prospect,
    /// Blocked by a manager.
    Blocked,
    /// Left long ago; archived.
    Archived,
}

/// How often each persona occurs (per thousand).
const PERSONAS: [(Persona, u32); 21] = [
    (Persona::Monthly, 200),
    (Persona::OffPeak, 60),
    (Persona::Lapsed, 70),
    (Persona::Yearly, 140),
    (Persona::Intro, 20),
    (Persona::Card10, 90),
    (Persona::CardUsedUp, 25),
    (Persona::Card20, 40),
    (Persona::CardWaiting, 20),
    (Persona::CardExpiredUnused, 10),
    (Persona::StartsLater, 20),
    (Persona::Frozen, 40),
    (Persona::FreezePlanned, 10),
    (Persona::UnfrozenEarly, 10),
    (Persona::Cancelled, 40),
    (Persona::CancelsLater, 10),
    (Persona::UnpaidInGrace, 30),
    (Persona::UnpaidBeyondGrace, 20),
    (Persona::Prospect, 30),
    (Persona::Blocked, 3),
    (Persona::Archived, 15),
];

/// The first members are one of each persona, so that even a small club shows every status.
pub(crate) fn persona(n: usize, rng: &mut Rng) -> Persona {
    if let Some((p, _)) = PERSONAS.get(n) {
        return *p;
    }
    let total: u32 = PERSONAS.iter().map(|(_, w)| w).sum();
    let mut x = (rng.next() % u64::from(total)) as u32;
    for (p, w) in PERSONAS {
        if x < w {
            return p;
        }
        x -= w;
    }
    unreachable!("the weights add up to the total")
}

const CANCEL_REASONS: &[&str] = &[
    "Moving to another city",
    "Knee injury; doctor's advice",
    "Too expensive at the moment",
    "Joined a club closer to work",
    "No time with the new job",
];
const BLOCK_REASONS: &[&str] =
    &["Let a friend in on their card twice", "Damaged the rowing machine; talk to the manager first"];
const VOID_REASONS: &[&str] = &["Checked in the wrong member by mistake", "Tapped twice on the wrong name"];
const BACKDATE_REASON: &str = "The desk was offline; copied from the paper sign-in list";
const TRIAL_REASON: &str = "Free trial session";
const UNPAID_REASON: &str = "Says they paid by bank transfer yesterday; check on Monday";

/// What the desk (or the member, by coming in) does.
#[derive(Clone, Debug)]
enum Act {
    Register,
    Sell {
        id: Uuid,
        plan: PlanKey,
        start: Start,
    },
    Renew {
        id: Uuid,
        renews: Uuid,
        plan: PlanKey,
    },
    Pay {
        id: Uuid,
        part: Part,
        method: PaymentMethod,
    },
    Freeze {
        id: Uuid,
        from: Date,
        until: Date,
    },
    Unfreeze {
        id: Uuid,
    },
    Cancel {
        id: Uuid,
        from: Date,
    },
    ChangePhone,
    Block,
    Archive,
    /// The member comes in.
    Visit,
    /// A manager records at this time the check-in made at `at_ms` (on the paper list).
    RecordPast {
        at_ms: u64,
        membership: Uuid,
    },
    /// A manager voids the check-in made at `at_ms`.
    Void {
        at_ms: u64,
    },
}

#[derive(Clone, Copy, Debug)]
enum Part {
    Full,
    Half,
}

/// What a manager does when this member is denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Override {
    None,
    /// Let in once for a free trial (no membership).
    Trial,
    /// Let in once although unpaid beyond the grace days.
    Unpaid,
}

/// When a member comes: around `minute` on weekdays with probability `p` a day, around
/// `weekend_minute` on weekends with probability `p * weekend`.
#[derive(Clone, Copy, Debug)]
struct Habit {
    minute: i32,
    spread: i32,
    weekend_minute: i32,
    p: f64,
    weekend: f64,
    /// Off-peak members come only between 10:00 and 16:00.
    off_peak: bool,
}

struct Story<'c> {
    club: &'c Club,
    n: usize,
    rng: Rng,
    stream: StreamId,
    member: Member,
    version: u64,
    device: DeviceId,
    /// Acts still to play, latest first; `(at_ms, order given)`.
    agenda: Vec<(u64, u32, Act)>,
    seq: u32,
    habit: Habit,
    /// Buys another card when the last one is used up.
    rebuys: bool,
    override_plan: Override,
    /// Stops coming after being turned away this many times.
    gives_up_after: u32,
    /// The day the member registered.
    joined: Option<Date>,
    denials: u32,
    out: Vec<(DemoCommand, Vec<MemberEvent>)>,
}

/// What a member's story leaves: the commands given for them, each with the events it is decided
/// into (so the timetable can follow the member's state through time), the member as the story
/// ends, and the time of day they come on weekdays (minutes after midnight).
pub(crate) struct Told {
    pub(crate) id: Uuid,
    pub(crate) commands: Vec<(DemoCommand, Vec<MemberEvent>)>,
    pub(crate) member: Member,
    pub(crate) minute: i32,
}

pub(super) fn tell(club: &Club, n: usize) -> Told {
    let mut rng = Rng::new(club.spec.seed, n as u64);
    let persona = persona(n, &mut rng);
    let stream = StreamId::member(rng.uuid());
    let habit = habit(&mut rng, persona);
    let mut story = Story {
        club,
        n,
        rng,
        stream,
        member: Member::default(),
        version: 0,
        device: DeviceId::new("demo").expect("a valid device id"),
        agenda: vec![],
        seq: 0,
        habit,
        rebuys: false,
        override_plan: Override::None,
        gives_up_after: 3,
        joined: None,
        denials: 0,
        out: vec![],
    };
    story.plan(persona);
    story.play();
    Told { id: stream.id, commands: story.out, member: story.member, minute: story.habit.minute }
}

fn habit(rng: &mut Rng, persona: Persona) -> Habit {
    let p = match persona {
        Persona::CardUsedUp => 0.7,
        Persona::Card10 | Persona::Card20 => f64::from(rng.range(15, 40)) / 100.0,
        _ => f64::from(rng.range(18, 55)) / 100.0,
    };
    let (minute, spread, weekend) = match rng.range(0, 9) {
        0 | 1 => (rng.range(6 * 60 + 15, 7 * 60 + 45), 25, 0.3),
        2 => (rng.range(12 * 60, 13 * 60), 30, 0.4),
        3..=6 => (rng.range(17 * 60, 18 * 60 + 45), 45, 0.5),
        7 | 8 => (rng.range(19 * 60 + 15, 20 * 60 + 45), 40, 0.4),
        _ => (rng.range(18 * 60, 20 * 60), 60, 2.0),
    };
    let off_peak = persona == Persona::OffPeak;
    let minute = if off_peak { rng.range(10 * 60 + 30, 15 * 60) } else { minute };
    Habit { minute, spread, weekend_minute: rng.range(9 * 60 + 30, 13 * 60), p, weekend, off_peak }
}

impl Story<'_> {
    fn today(&self) -> Date {
        self.club.today
    }

    /// `k` days before today.
    fn ago(&self, k: i32) -> Date {
        self.club.today.add_days(-k)
    }

    /// A day `lo` to `hi` days before today.
    fn some_day_ago(&mut self, lo: i32, hi: i32) -> Date {
        let k = self.rng.range(lo, hi);
        self.ago(k)
    }

    /// [`Self::some_day_ago`], no earlier than the day after the club opened.
    fn open_ago(&mut self, (lo, hi): (i32, i32)) -> Date {
        let day = self.some_day_ago(lo, hi);
        self.open(day)
    }

    /// A day no earlier than the day after the club opened.
    fn open(&self, day: Date) -> Date {
        day.max(self.club.opened.add_days(1))
    }

    fn schedule(&mut self, at_ms: u64, act: Act) {
        self.seq += 1;
        let key = (at_ms, self.seq);
        let i = self.agenda.partition_point(|(a, s, _)| (*a, *s) > key);
        self.agenda.insert(i, (at_ms, self.seq, act));
    }

    /// A time the desk is staffed on `day` (before today, so always in the past).
    fn desk_time(&mut self, day: Date) -> u64 {
        let last = if day.weekday() >= 5 { 17 * 60 + 59 } else { 19 * 60 + 59 };
        let minute = self.rng.range(9 * 60, last) as u32;
        self.club.at(day, minute) + self.rng.range(0, 59) as u64 * 1_000
    }

    /// Registers the member on `day`; the time, after which the first sale follows.
    fn join(&mut self, day: Date) -> u64 {
        let t = self.desk_time(day);
        self.schedule(t, Act::Register);
        self.joined = Some(day);
        t
    }

    /// A payment of a sale made at `t` on `day`: at once by card or cash, later by bank transfer,
    /// or half now and the rest later (never after today: what is not paid yet is owed).
    fn pay(&mut self, id: Uuid, day: Date, t: u64) {
        let roll = self.rng.range(0, 99);
        let later = |story: &mut Self, from: i32, to: i32| {
            let d = day.add_days(story.rng.range(from, to));
            (d < story.today()).then(|| story.desk_time(d))
        };
        if roll < 65 {
            let method = if roll < 45 { PaymentMethod::Card } else { PaymentMethod::Cash };
            self.schedule(t + 60_000, Act::Pay { id, part: Part::Full, method });
        } else if roll < 95 {
            if let Some(at) = later(self, 1, 9) {
                self.schedule(at, Act::Pay { id, part: Part::Full, method: PaymentMethod::BankTransfer });
            }
        } else {
            self.schedule(t + 60_000, Act::Pay { id, part: Part::Half, method: PaymentMethod::Cash });
            if let Some(at) = later(self, 3, 12) {
                self.schedule(at, Act::Pay { id, part: Part::Full, method: PaymentMethod::BankTransfer });
            }
        }
    }

    /// Sells `first` from `start` (the member joined at `t` that day), paid, and renews it with
    /// `then` a few days before each end while the renewal day is before today and before `stop`.
    /// The last membership and its end.
    fn chain(&mut self, first: PlanKey, then: PlanKey, start: Date, t: u64, stop: Option<Date>) -> (Uuid, Date) {
        let mut id = self.rng.uuid();
        self.schedule(t + 2 * 60_000, Act::Sell { id, plan: first, start: Start::On(start) });
        self.pay(id, start, t + 2 * 60_000);
        let (mut plan, mut from) = (first, start);
        loop {
            let end = self.club.terms(plan, from).length.last_day(from);
            let renewal = end.add_days(-self.rng.range(0, 4)).max(from.add_days(1));
            if renewal >= self.today() || stop.is_some_and(|s| renewal >= s) {
                return (id, end);
            }
            let at = self.desk_time(renewal);
            let renewed = self.rng.uuid();
            self.schedule(at, Act::Renew { id: renewed, renews: id, plan: then });
            self.pay(renewed, renewal, at);
            (id, plan, from) = (renewed, then, end.add_days(1));
        }
    }

    /// Sells one membership of `plan` starting `start` at `t` (+2 min), paid unless `paid` is false.
    fn sell(&mut self, plan: PlanKey, start: Start, day: Date, t: u64, paid: bool) -> Uuid {
        let id = self.rng.uuid();
        self.schedule(t + 2 * 60_000, Act::Sell { id, plan, start });
        if paid {
            self.pay(id, day, t + 2 * 60_000);
        }
        id
    }

    /// The member's visits from `from` to `until` (both included), within the days of check-ins
    /// and before now, at their habitual hours.
    fn visits(&mut self, from: Date, until: Date) {
        let first = from.max(self.club.window_start);
        let last = until.min(self.today());
        let mut day = first;
        while day <= last {
            let weekend = day.weekday() >= 5;
            let p = if weekend { self.habit.p * self.habit.weekend } else { self.habit.p };
            if self.rng.chance(p) {
                let (center, spread) =
                    if weekend { (self.habit.weekend_minute, 60) } else { (self.habit.minute, self.habit.spread) };
                let (open, close) = match (self.habit.off_peak, weekend) {
                    (true, _) => (10 * 60, 15 * 60 + 50),
                    (false, false) => (6 * 60, 22 * 60 + 15),
                    (false, true) => (8 * 60, 19 * 60 + 15),
                };
                let minute = (center + self.rng.range(-spread, spread)).clamp(open, close) as u32;
                let at = self.club.at(day, minute) + self.rng.range(0, 59) as u64 * 1_000;
                if at + 60_000 < self.club.spec.now_ms {
                    self.schedule(at, Act::Visit);
                }
            }
            day = day.add_days(1);
        }
    }

    /// The first visit, right after joining at `t` on `day`.
    fn first_visit(&mut self, day: Date, t: u64) {
        if day >= self.club.window_start && self.rng.chance(0.8) {
            self.schedule(t + 8 * 60_000, Act::Visit);
        }
    }

    fn plan(&mut self, persona: Persona) {
        let today = self.today();
        match persona {
            Persona::Monthly | Persona::OffPeak | Persona::Blocked => {
                let plan = if persona == Persona::OffPeak { PlanKey::OffPeak } else { PlanKey::Monthly };
                let earliest = if persona == Persona::Blocked { 60 } else { 1 };
                let joined = self.open_ago((earliest, 400));
                let t = self.join(joined);
                let (_, end) = self.chain(plan, plan, joined, t, None);
                self.first_visit(joined, t);
                self.visits(joined.add_days(1), end);
                if persona == Persona::Blocked {
                    let day = self.some_day_ago(2, 20).max(joined.add_days(1));
                    let at = self.desk_time(day);
                    self.schedule(at, Act::Block);
                    self.gives_up_after = 1;
                }
            }
            Persona::Lapsed => {
                let stop = self.some_day_ago(40, 200);
                let joined = {
                    let back = self.rng.range(0, 200);
                    self.open(stop.add_days(-back))
                };
                let t = self.join(joined);
                let (_, end) = self.chain(PlanKey::Monthly, PlanKey::Monthly, joined, t, Some(stop));
                self.first_visit(joined, t);
                self.visits(joined.add_days(1), end);
            }
            Persona::Yearly => {
                let joined = self.open_ago((1, 429));
                let t = self.join(joined);
                let (_, end) = self.chain(PlanKey::Yearly, PlanKey::Yearly, joined, t, None);
                self.first_visit(joined, t);
                self.visits(joined.add_days(1), end);
            }
            Persona::Intro => {
                let (from, until) = self.club.intro;
                let bought = from.add_days(self.rng.range(0, from.days_until(until) - 1));
                let t = self.join(bought);
                let stays = self.rng.chance(0.5);
                let stop = if stays { None } else { Some(bought) };
                let (_, end) = self.chain(PlanKey::Intro, PlanKey::Monthly, bought, t, stop);
                self.first_visit(bought, t);
                self.visits(bought.add_days(1), end);
            }
            Persona::Card10 | Persona::CardUsedUp => {
                let bought = if persona == Persona::CardUsedUp {
                    self.club.window_start.add_days(-self.rng.range(0, 5)).min(self.ago(1))
                } else {
                    self.some_day_ago(1, 40)
                };
                let bought = self.open(bought);
                let t = self.join(bought);
                self.sell(PlanKey::Card10, Start::FirstVisit, bought, t, true);
                self.rebuys = persona == Persona::Card10 && self.rng.chance(0.6);
                self.gives_up_after = 1;
                self.first_visit(bought, t);
                self.visits(bought.add_days(1), today);
            }
            Persona::Card20 => {
                let bought = self.open_ago((1, 200));
                let t = self.join(bought);
                self.sell(PlanKey::Card20, Start::On(bought), bought, t, true);
                self.gives_up_after = 1;
                self.first_visit(bought, t);
                self.visits(bought.add_days(1), today);
            }
            Persona::CardWaiting => {
                let bought = self.open_ago((1, 20));
                let t = self.join(bought);
                self.sell(PlanKey::Card10, Start::FirstVisit, bought, t, true);
            }
            Persona::CardExpiredUnused => {
                let bought = self.open_ago((190, 300));
                let t = self.join(bought);
                self.sell(PlanKey::Card10, Start::FirstVisit, bought, t, true);
            }
            Persona::StartsLater => {
                let bought = self.open_ago((1, 7));
                let t = self.join(bought);
                let plan = if self.rng.chance(0.6) { PlanKey::Monthly } else { PlanKey::Yearly };
                let starts = today.add_days(self.rng.range(1, 21));
                self.sell(plan, Start::On(starts), bought, t, true);
            }
            Persona::Frozen | Persona::FreezePlanned | Persona::UnfrozenEarly => {
                let joined = self.open_ago((60, 300));
                let t = self.join(joined);
                let id = self.sell(PlanKey::Yearly, Start::On(joined), joined, t, true);
                self.first_visit(joined, t);
                match persona {
                    Persona::Frozen => {
                        let from = self.some_day_ago(1, 25);
                        let until = today.add_days(self.rng.range(1, 40));
                        let decided = from.add_days(-self.rng.range(0, 3));
                        let at = self.desk_time(decided);
                        self.schedule(at, Act::Freeze { id, from, until });
                        self.visits(joined.add_days(1), from.add_days(-1));
                    }
                    Persona::FreezePlanned => {
                        let decided = self.some_day_ago(1, 5);
                        let from = today.add_days(self.rng.range(3, 20));
                        let until = from.add_days(self.rng.range(6, 27));
                        let at = self.desk_time(decided);
                        self.schedule(at, Act::Freeze { id, from, until });
                        self.visits(joined.add_days(1), today);
                    }
                    _ => {
                        let from = self.some_day_ago(20, 40);
                        let until = from.add_days(self.rng.range(20, 45));
                        let back = from.add_days(self.rng.range(3, 12)).min(self.ago(1));
                        let at = self.desk_time(from);
                        self.schedule(at, Act::Freeze { id, from, until });
                        let at = self.desk_time(back);
                        self.schedule(at, Act::Unfreeze { id });
                        self.visits(joined.add_days(1), from.add_days(-1));
                        self.visits(back.add_days(1), today);
                    }
                }
            }
            Persona::Cancelled | Persona::CancelsLater => {
                let joined = self.open_ago((45, 300));
                let t = self.join(joined);
                let id = self.sell(PlanKey::Yearly, Start::On(joined), joined, t, true);
                self.first_visit(joined, t);
                let decided = self.some_day_ago(1, 20);
                let from = if persona == Persona::Cancelled { decided } else { today.add_days(self.rng.range(5, 60)) };
                let at = self.desk_time(decided);
                self.schedule(at, Act::Cancel { id, from });
                self.visits(joined.add_days(1), from.add_days(-1));
            }
            Persona::UnpaidInGrace | Persona::UnpaidBeyondGrace => {
                let grace = self.club.settings.payment_grace_days as i32;
                let bought = if persona == Persona::UnpaidInGrace {
                    self.some_day_ago(1, (grace - 2).max(1))
                } else {
                    self.some_day_ago(grace + 2, grace + 12)
                };
                let bought = self.open(bought);
                let t = self.join(bought);
                let id = self.sell(PlanKey::Monthly, Start::On(bought), bought, t, false);
                if self.rng.chance(0.4) {
                    self.schedule(t + 3 * 60_000, Act::Pay { id, part: Part::Half, method: PaymentMethod::Cash });
                }
                if persona == Persona::UnpaidBeyondGrace && self.rng.chance(0.6) {
                    self.override_plan = Override::Unpaid;
                }
                self.first_visit(bought, t);
                self.visits(bought.add_days(1), today);
            }
            Persona::Prospect => {
                let came = self.open_ago((1, 60));
                let t = self.join(came);
                if came >= self.club.window_start && self.rng.chance(0.6) {
                    self.override_plan = Override::Trial;
                    self.schedule(t + 6 * 60_000, Act::Visit);
                }
            }
            Persona::Archived => {
                let joined = self.open_ago((330, 429));
                let t = self.join(joined);
                let (_, end) = self.chain(PlanKey::Monthly, PlanKey::Monthly, joined, t, Some(joined));
                let day = end.add_days(self.rng.range(30, 150)).min(self.ago(1));
                let at = self.desk_time(day);
                self.schedule(at, Act::Archive);
            }
        }
        // Some members give the desk a new phone number later (an archived one never comes back).
        let joined = self.joined.expect("every story registers its member");
        let days = joined.days_until(today);
        if persona != Persona::Archived && days >= 2 && self.rng.chance(0.04) {
            let day = joined.add_days(self.rng.range(1, days - 1));
            let at = self.desk_time(day);
            self.schedule(at, Act::ChangePhone);
        }
    }

    fn play(&mut self) {
        while let Some((at_ms, _, act)) = self.agenda.pop() {
            self.act(at_ms, act);
        }
    }

    /// Gives `command` at `at_ms` with `role`'s account, on a front desk or in the office.
    fn give(&mut self, at_ms: u64, role: Role, command: MemberCommand) {
        let desk = match role {
            Role::FrontDesk if (self.n as i64 + i64::from(date_of(&ZONE, at_ms).days_since_epoch())) % 2 == 0 => {
                Desk::Front1
            }
            Role::FrontDesk => Desk::Front2,
            _ => Desk::Office,
        };
        // Folded here only to choose the next acts as the desk would; a refusal is the
        // generator's bug, which deciding them again (`Desks`) reports.
        let events = self.member.decide(command.clone(), at_ms).unwrap_or_default();
        for e in &events {
            self.version += 1;
            let meta = EventMeta { version: self.version, hlc: Hlc { ms: at_ms, c: 0 }, device: &self.device };
            self.member.evolve(e, &meta);
        }
        self.out
            .push((DemoCommand { at_ms, stream: self.stream, command: Command::Member(command), role, desk }, events));
    }

    fn act(&mut self, at_ms: u64, act: Act) {
        let on = date_of(&ZONE, at_ms);
        let desk = Role::FrontDesk;
        match act {
            Act::Register => {
                let (name, email, phone) = self.person();
                self.give(at_ms, desk, MemberCommand::RegisterMember { name, email, phone });
            }
            Act::Sell { id, plan, start } => {
                let (plan_id, terms) = (self.club.plan(plan), self.club.terms(plan, on));
                self.give(
                    at_ms,
                    desk,
                    MemberCommand::SellMembership { membership: id, plan: plan_id, terms, start, on },
                );
            }
            Act::Renew { id, renews, plan } => {
                let (plan_id, terms) = (self.club.plan(plan), self.club.terms(plan, on));
                self.give(
                    at_ms,
                    desk,
                    MemberCommand::RenewMembership { membership: id, renews, plan: plan_id, terms, on },
                );
            }
            Act::Pay { id, part, method } => {
                let owed = self.member.membership(id).map_or(0, |m| m.outstanding_cents());
                let amount_cents = match part {
                    Part::Full => owed,
                    Part::Half => owed / 2,
                };
                if amount_cents > 0 {
                    self.give(at_ms, desk, MemberCommand::RecordPayment { membership: id, amount_cents, method, on });
                }
            }
            Act::Freeze { id, from, until } => {
                self.give(at_ms, desk, MemberCommand::FreezeMembership { membership: id, from, until, on })
            }
            Act::Unfreeze { id } => self.give(at_ms, desk, MemberCommand::UnfreezeMembership { membership: id, on }),
            Act::Cancel { id, from } => {
                let reason = (*self.rng.pick(CANCEL_REASONS)).to_owned();
                self.give(at_ms, desk, MemberCommand::CancelMembership { membership: id, from, reason, on });
            }
            Act::ChangePhone => {
                let phone = loop {
                    let phone = phone(&mut self.rng);
                    if !phone.is_empty() && phone != self.member.phone {
                        break phone;
                    }
                };
                let changes = vec![(MemberField::Phone, phone)];
                self.give(at_ms, desk, MemberCommand::ChangeMemberDetails { changes });
            }
            Act::Block => {
                let reason = (*self.rng.pick(BLOCK_REASONS)).to_owned();
                self.give(at_ms, Role::Manager, MemberCommand::BlockMember { reason });
            }
            Act::Archive => self.give(at_ms, desk, MemberCommand::ArchiveMember),
            Act::Visit => self.visit(at_ms, on),
            Act::RecordPast { at_ms: came, membership } => {
                let command = MemberCommand::RecordPastCheckIn {
                    at_ms: came,
                    on: date_of(&ZONE, came),
                    membership,
                    reason: BACKDATE_REASON.into(),
                    rules: self.club.rules(),
                };
                self.give(at_ms, Role::Manager, command);
            }
            Act::Void { at_ms: came } => {
                let reason = (*self.rng.pick(VOID_REASONS)).to_owned();
                self.give(at_ms, Role::Manager, MemberCommand::VoidCheckIn { at_ms: came, reason });
            }
        }
    }

    /// The member at the door: the entry decision, then a check-in on the membership it names,
    /// another card bought first, a manager's override, or nothing (turned away).
    fn visit(&mut self, at_ms: u64, on: Date) {
        if self.denials >= self.gives_up_after {
            return;
        }
        let rules = self.club.rules();
        let entry = self.member.entry(at_ms, on, &rules);
        match entry.verdict {
            Verdict::Allow | Verdict::Warn(_) => {
                let membership = entry.membership.expect("an entry that admits names its membership");
                let now = self.club.spec.now_ms;
                if on < self.today() && self.rng.chance(0.003) {
                    // The desk was offline: a manager copies the paper list in after closing.
                    let recorded = self.club.at(on, 22 * 60 + 40).max(at_ms + 60_000);
                    self.schedule(recorded, Act::RecordPast { at_ms, membership });
                    return;
                }
                self.give(at_ms, Role::FrontDesk, MemberCommand::CheckIn { on, membership, rules });
                let voided = at_ms + self.rng.range(2, 12) as u64 * 60_000;
                if self.rng.chance(0.003) && voided < now {
                    self.schedule(voided, Act::Void { at_ms });
                }
            }
            Verdict::Deny(Denial::NoVisitsLeft) if self.rebuys => {
                let card = self.rng.uuid();
                let (plan, terms) = (self.club.plan(PlanKey::Card10), self.club.terms(PlanKey::Card10, on));
                let start = Start::FirstVisit;
                let sold = at_ms - 4 * 60_000;
                let sale = MemberCommand::SellMembership { membership: card, plan, terms, start, on };
                self.give(sold, Role::FrontDesk, sale);
                let owed = self.member.membership(card).map_or(0, |m| m.outstanding_cents());
                let payment = MemberCommand::RecordPayment {
                    membership: card,
                    amount_cents: owed,
                    method: PaymentMethod::Card,
                    on,
                };
                self.give(sold + 60_000, Role::FrontDesk, payment);
                self.visit(at_ms, on);
            }
            Verdict::Deny(denial) => {
                let reason = match (self.override_plan, denial) {
                    (Override::Trial, Denial::NoMembership) => Some(TRIAL_REASON),
                    (Override::Unpaid, Denial::Unpaid { .. }) => Some(UNPAID_REASON),
                    _ => None,
                };
                if let Some(reason) = reason {
                    self.override_plan = Override::None;
                    let command = MemberCommand::OverrideEntry { on, reason: reason.into(), rules };
                    self.give(at_ms, Role::Manager, command);
                } else {
                    self.denials += 1;
                }
            }
        }
    }

    /// An invented person: name, e-mail (sometimes none), phone (sometimes none).
    fn person(&mut self) -> (String, String, String) {
        let (first, first_plain) = *self.rng.pick(names::FIRST);
        let (last, last_plain) = *self.rng.pick(names::LAST);
        let name = format!("{first} {last}");
        let domain = self.rng.pick(names::DOMAINS);
        let year = self.rng.range(55, 105) % 100;
        let email = match self.rng.range(0, 9) {
            0..=3 => format!("{first_plain}.{last_plain}@{domain}"),
            4..=6 => format!("{first_plain}{last_plain}{year:02}@{domain}"),
            7 | 8 => format!("{}.{last_plain}{year:02}@{domain}", &first_plain[..1]),
            _ => String::new(),
        };
        let phone = if self.rng.chance(0.95) { phone(&mut self.rng) } else { String::new() };
        (name, email, phone)
    }
}

/// A German phone number as people write it: mostly mobiles, some Berlin landlines.
fn phone(rng: &mut Rng) -> String {
    let digits = |rng: &mut Rng, n: usize| (0..n).map(|_| char::from(b'0' + rng.range(0, 9) as u8)).collect::<String>();
    match rng.range(0, 9) {
        0..=3 => format!(
            "+49 {} {} {}",
            rng.pick(&["151", "152", "157", "160", "170", "176"]),
            digits(rng, 4),
            digits(rng, 4)
        ),
        4..=7 => format!("0{} {}", rng.pick(&["151", "152", "157", "162", "172", "176", "179"]), digits(rng, 8)),
        _ => format!("030 {}", digits(rng, 7)),
    }
}
