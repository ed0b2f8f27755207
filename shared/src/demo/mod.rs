//! A living demo club (`faraday demo`, the browser benchmarks): a believable club in
//! `Europe/Berlin` with its plans, members with invented names, memberships in every status
//! (active, frozen, expired, cancelled, not started, cards used up, unpaid within and beyond the
//! payment grace), payments, freezes, renewals, check-ins over the last days at the hours people
//! come to a gym, and a studio's timetable of classes over those days and the coming week, full
//! every evening (bookings, waitlists, cancellations, promotions, attendance, card visits).
//!
//! Pure and deterministic: the same [`Spec`] gives the same commands; time comes in as `now_ms`
//! and randomness from the seed. Each member's story is drawn from its own seed, so the first 500
//! members of a 20,000-member club are the 500-member club. [`generate`] yields commands in time
//! order, each with the demo staff role that gives it and the desk it is given on; [`Desks`]
//! decides them with the real aggregates, as the desks would, into the envelopes a push carries.
//! A command the rules refuse is a bug of this generator, never something to skip.

mod classes;
mod names;
mod story;
#[cfg(test)]
mod tests;

use crate::{
    access::{self, ClubId, Forbidden, Role, StaffId},
    aggregate::EventMeta,
    calendar::{date_of, day_start_ms, Date, Rules, Zone},
    club::{self, ClubCommand, ClubSettings, Length, Plan, PlanTerms, Setting, Visits},
    envelope::{EventEnvelope, Stamp},
    hlc::HlcClock,
    ids::DeviceId,
    registry::{Command, ForState, Registered, RuleError, StreamState},
    stream::StreamId,
    Aggregate,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The demo club's time zone, and the rules it has followed since 1996.
pub const TIME_ZONE: &str = "Europe/Berlin";
pub const ZONE: Rules = Rules::CentralEurope;

/// The seed `faraday demo` uses: every demo club has the same members.
pub const SEED: u64 = 0x0fa1_ada7;

/// What to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub club: ClubId,
    /// How many members (500 for a club you can look around; 20,000 for the benchmarks).
    pub members: usize,
    /// Days of check-ins, ending today (today's up to `now_ms`).
    pub days: u32,
    /// The present (ms since the epoch): nothing happens later.
    pub now_ms: u64,
    pub seed: u64,
    /// Classes a week (the same timetable every week), over the days of check-ins and the coming
    /// week; none without a coach.
    pub classes: usize,
}

impl Spec {
    /// `faraday demo`'s club: [`SEED`], 30 days of check-ins, [`classes_per_week`] classes.
    pub fn new(club: ClubId, members: usize, now_ms: u64) -> Self {
        Self { club, members, days: 30, now_ms, seed: SEED, classes: classes_per_week(members) }
    }
}

/// The classes a week of a club of `members`: about 70 at 500 members (every evening full in
/// three rooms), 500 at 20,000 (a larger club has more rooms and more coaches, but its members
/// do not each take as many classes).
pub fn classes_per_week(members: usize) -> usize {
    if members == 0 {
        return 0;
    }
    (70.0 * (members as f64 / 500.0).powf(0.533)).round().max(1.0) as usize
}

/// The club's devices the demo staff work on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Desk {
    /// The two front-desk computers.
    Front1,
    Front2,
    /// The manager's and the owner's.
    Office,
    /// The phone of the demo's `n`th coach (0 first, in the order [`Desks::new`] is given them),
    /// on which they take attendance of their classes.
    Coach(u8),
}

impl Desk {
    pub fn device(self) -> DeviceId {
        let id = match self {
            Desk::Front1 => "demo-front-desk-1".to_owned(),
            Desk::Front2 => "demo-front-desk-2".to_owned(),
            Desk::Office => "demo-office".to_owned(),
            Desk::Coach(n) => format!("demo-coach-phone-{}", n as u32 + 1),
        };
        DeviceId::new(&id).expect("a valid device id")
    }
}

/// One thing a member of the demo staff did: when, on which stream, with which role, on which desk.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoCommand {
    pub at_ms: u64,
    pub stream: StreamId,
    pub command: Command,
    /// The demo staff account's role: the owner sets the club up, a manager overrides, back-dates,
    /// voids, blocks, schedules classes and waives charges, a coach takes attendance of their own
    /// classes (on [`Desk::Coach`]), the front desk does everything else.
    pub role: Role,
    pub desk: Desk,
}

/// Every command of the demo club, in time order (commands at the same millisecond in the order
/// they were given). `staff` are the demo's accounts, as [`Desks::new`] takes them: its coaches
/// (in that order) teach the classes; without one the club has none.
pub fn generate(spec: &Spec, staff: &[(Role, StaffId)]) -> Vec<DemoCommand> {
    let club = Club::new(spec);
    let mut told: Vec<story::Told> = (0..spec.members).map(|n| story::tell(&club, n)).collect();
    let mut members: Vec<(DemoCommand, Vec<crate::member::MemberEvent>)> =
        told.iter_mut().flat_map(|t| std::mem::take(&mut t.commands)).collect();
    members.sort_by_key(|(c, _)| c.at_ms);
    let coaches: Vec<StaffId> = staff.iter().filter(|(r, _)| *r == Role::Coach).map(|(_, s)| *s).collect();
    let classes = classes::play(&club, &coaches, &told, &members);
    let mut commands = club.settings_commands();
    commands.extend(members.into_iter().map(|(c, _)| c));
    commands.extend(classes);
    commands.sort_by_key(|c| c.at_ms);
    commands
}

/// The plans the demo club sells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PlanKey {
    Monthly,
    Yearly,
    Card10,
    Card20,
    OffPeak,
    Intro,
}

impl PlanKey {
    const ALL: [PlanKey; 6] =
        [PlanKey::Monthly, PlanKey::Yearly, PlanKey::Card10, PlanKey::Card20, PlanKey::OffPeak, PlanKey::Intro];

    fn terms(self, price_cents: u64) -> PlanTerms {
        let (name, length, visits) = match self {
            PlanKey::Monthly => ("Monthly", Length::Months(1), Visits::Unlimited),
            PlanKey::Yearly => ("Yearly", Length::Months(12), Visits::Unlimited),
            PlanKey::Card10 => ("10-visit card", Length::Months(6), Visits::Card(10)),
            PlanKey::Card20 => ("20-visit card", Length::Months(12), Visits::Card(20)),
            PlanKey::OffPeak => ("Unlimited off-peak (10:00–16:00)", Length::Months(1), Visits::Unlimited),
            PlanKey::Intro => ("Intro offer: 3 months", Length::Months(3), Visits::Unlimited),
        };
        PlanTerms { name: name.into(), length, visits, price_cents }
    }
}

/// The club as the stories see it: its days, its settings over time, the time of day.
pub(crate) struct Club {
    pub(crate) spec: Spec,
    pub(crate) today: Date,
    /// The first day of check-ins.
    pub(crate) window_start: Date,
    /// The day the club opened (its settings were made): before every member's story.
    pub(crate) opened: Date,
    /// The monthly price went up on this day (sales before it keep the old price).
    pub(crate) price_rise: Date,
    /// The intro offer was on sale from `.0` to the day before `.1`.
    pub(crate) intro: (Date, Date),
    plan_ids: HashMap<PlanKey, Uuid>,
    /// The settings once every settings command is decided: the entry rules check-ins use.
    pub(crate) settings: ClubSettings,
}

const MONTHLY_BEFORE: u64 = 4_500;
const MONTHLY_NOW: u64 = 4_900;

impl Club {
    fn new(spec: &Spec) -> Self {
        let today = date_of(&ZONE, spec.now_ms);
        let days = spec.days.max(1) as i32;
        let opened = today.add_days(-(430.max(days + 30)));
        let mut rng = Rng::new(spec.seed, u64::MAX);
        let plan_ids = PlanKey::ALL.iter().map(|k| (*k, rng.uuid())).collect();
        let mut club = Self {
            spec: *spec,
            today,
            window_start: today.add_days(1 - days),
            opened,
            price_rise: today.add_days(-180),
            intro: (today.add_days(-150), today.add_days(-90)),
            plan_ids,
            settings: ClubSettings::default(),
        };
        for c in club.settings_commands() {
            let Command::Club(command) = c.command else { continue };
            if let Ok(events) = club.settings.decide(command, c.at_ms) {
                for e in &events {
                    club.settings
                        .evolve(e, &EventMeta { version: 0, hlc: Default::default(), device: &c.desk.device() });
                }
            }
        }
        club
    }

    pub(crate) fn plan(&self, key: PlanKey) -> Uuid {
        self.plan_ids[&key]
    }

    /// The plan's terms as a sale on `day` copies them.
    pub(crate) fn terms(&self, key: PlanKey, day: Date) -> PlanTerms {
        let price = match key {
            PlanKey::Monthly if day < self.price_rise => MONTHLY_BEFORE,
            PlanKey::Monthly => MONTHLY_NOW,
            PlanKey::Yearly => 49_000,
            PlanKey::Card10 => 12_000,
            PlanKey::Card20 => 22_000,
            PlanKey::OffPeak => 3_500,
            PlanKey::Intro => 9_900,
        };
        key.terms(price)
    }

    pub(crate) fn rules(&self) -> crate::member::EntryRules {
        self.settings.entry_rules()
    }

    /// The instant the club's wall clock reads `minute` (after midnight) on `day`, DST nights
    /// included.
    pub(crate) fn at(&self, day: Date, minute: u32) -> u64 {
        let start = day_start_ms(&ZONE, day);
        let guess = start + u64::from(minute) * 60_000;
        let moved = ZONE.offset_ms(guess) - ZONE.offset_ms(start);
        (guess as i64 - moved) as u64
    }

    /// The owner sets the club up on its first day; later the monthly price rises and an intro
    /// offer comes and goes.
    fn settings_commands(&self) -> Vec<DemoCommand> {
        let stream = club::stream(self.spec.club);
        let owner = |at_ms: u64, setting: Setting| DemoCommand {
            at_ms,
            stream,
            command: Command::Club(ClubCommand::ChangeSetting(setting)),
            role: Role::Owner,
            desk: Desk::Office,
        };
        let plan = |key: PlanKey, day: Date, on_sale: bool| {
            Setting::Plan(Plan { id: self.plan(key), terms: self.terms(key, day), on_sale })
        };
        let start = self.at(self.opened, 8 * 60);
        let mut commands = vec![owner(start, Setting::TimeZone(TIME_ZONE.into()))];
        for (i, key) in [PlanKey::Monthly, PlanKey::Yearly, PlanKey::Card10, PlanKey::Card20, PlanKey::OffPeak]
            .into_iter()
            .enumerate()
        {
            commands.push(owner(start + (i as u64 + 1) * 60_000, plan(key, self.opened, true)));
        }
        let morning = |day: Date| self.at(day, 7 * 60 + 45);
        commands.push(owner(morning(self.price_rise), plan(PlanKey::Monthly, self.price_rise, true)));
        commands.push(owner(morning(self.intro.0), plan(PlanKey::Intro, self.intro.0, true)));
        commands.push(owner(morning(self.intro.1), plan(PlanKey::Intro, self.intro.1, false)));
        commands
    }
}

/// splitmix64: small, fast, and good enough to invent a club.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The stream of numbers for `n` (a member's number) under `seed`: unrelated for neighbours.
    pub(crate) fn new(seed: u64, n: u64) -> Self {
        let mut rng = Rng(seed ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        rng
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i32, hi: i32) -> i32 {
        debug_assert!(lo <= hi);
        lo + (self.next() % (hi - lo + 1) as u64) as i32
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    pub(crate) fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    fn bytes10(&mut self) -> [u8; 10] {
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&self.next().to_le_bytes());
        out[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        out
    }
}

/// Why a demo command was not decided: always a bug of the generator.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Forbidden(#[from] Forbidden),
    #[error("{0}")]
    Rule(#[from] RuleError),
}

/// The club's desks deciding the demo's commands with the real aggregates, as the app does on a
/// device: the role checked, the command decided on the stream's state, the events stamped with
/// the desk's device, its hybrid clock and the staff member, and folded in. Feed it the commands
/// in the order [`generate`] gives them.
pub struct Desks {
    staff: Vec<(Role, StaffId)>,
    clocks: HashMap<Desk, HlcClock>,
    streams: HashMap<StreamId, (StreamState, u64)>,
    rng: Rng,
}

impl Desks {
    /// `staff`: the demo staff account of each role the commands name.
    pub fn new(seed: u64, staff: Vec<(Role, StaffId)>) -> Self {
        Self { staff, clocks: HashMap::new(), streams: HashMap::new(), rng: Rng::new(seed, u64::MAX - 1) }
    }

    /// The staff account that gives commands of `role` (the first coach's for a coach).
    pub fn staff(&self, role: Role) -> Option<StaffId> {
        self.staff.iter().find(|(r, _)| *r == role).map(|(_, s)| *s)
    }

    /// The staff account working on `desk` with `role`: a coach's phone is theirs.
    pub fn staff_on(&self, desk: Desk, role: Role) -> Option<StaffId> {
        match desk {
            Desk::Coach(n) => self.staff.iter().filter(|(r, _)| *r == Role::Coach).nth(n as usize).map(|(_, s)| *s),
            _ => self.staff(role),
        }
    }

    /// Decides one command; its events, ready to push.
    pub fn decide(&mut self, command: &DemoCommand) -> Result<Vec<EventEnvelope>, Refused> {
        access::check(command.role, command.command.permission())?;
        let staff = self.staff_on(command.desk, command.role);
        let (state, head) =
            self.streams.entry(command.stream).or_insert_with(|| (StreamState::new(command.stream.kind), 0));
        let clock = self.clocks.entry(command.desk).or_default();
        let rng = &mut self.rng;
        let mut random = || rng.bytes10();
        let device = command.desk.device();
        let stamp = Stamp { device: &device, staff, now_ms: command.at_ms, hlc: clock, random: &mut random };
        let envelopes = state.visit(DecideOn {
            stream: command.stream,
            head: *head,
            command: command.command.clone(),
            now_ms: command.at_ms,
            stamp,
        })?;
        *head += envelopes.len() as u64;
        Ok(envelopes)
    }

    /// The streams decided so far, with their states and head versions.
    pub fn streams(&self) -> impl Iterator<Item = (&StreamId, &StreamState, u64)> {
        self.streams.iter().map(|(id, (state, head))| (id, state, *head))
    }

    /// One stream's state so far, if it has events.
    pub fn state(&self, stream: &StreamId) -> Option<&StreamState> {
        self.streams.get(stream).map(|(state, _)| state)
    }
}

struct DecideOn<'a> {
    stream: StreamId,
    head: u64,
    command: Command,
    now_ms: u64,
    stamp: Stamp<'a>,
}

impl ForState for DecideOn<'_> {
    type Output = Result<Vec<EventEnvelope>, RuleError>;
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        let command = A::command(self.command).expect("the demo gives each stream commands of its kind");
        let events = state.decide(command, self.now_ms).map_err(A::into_error)?;
        let envelopes = EventEnvelope::wrap(self.stream, self.head, &events, self.stamp);
        for (event, envelope) in events.iter().zip(&envelopes) {
            state.evolve(event, &EventMeta::of(envelope));
        }
        Ok(envelopes)
    }
}
