//! Deterministic simulations of devices replicating through an in-memory server that runs the
//! real acceptance rules, over a network that loses requests, loses answers and duplicates and
//! reorders live events. A failing seed is printed so it can be replayed.

use super::memory::{LocalState, MemoryDevice};
use super::*;
use crate::{
    acceptance::{check_epoch, check_request, plan_batch, Plan as BatchPlan, StreamHead, StreamState},
    calendar::Date,
    club::{ClubCommand, ClubSettings, Plan, PlanTerms, Setting, Visits},
    member::{Entry, Member, MemberCommand, MemberEvent, MemberField, NotCounted, PaymentMethod, Start, Verdict},
    protocol::{
        BatchResult, BatchStatus, ErrorBody, LiveStatus, LogEpoch, PullResponse, PushBatch, PushRequest, PushResponse,
        MAX_SERVER_EVENTS,
    },
    stream::{StreamId, StreamKind},
    testing::members::{card_of, check_in, unlimited_monthly, MONTHLY},
    EventEnvelope,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The server's semantics in memory: the real acceptance rules over a log with an epoch.
struct MemoryServer {
    log: Vec<EventEnvelope>,
    epoch: LogEpoch,
}

impl Default for MemoryServer {
    fn default() -> Self {
        Self { log: vec![], epoch: LogEpoch(Uuid::from_u128(1)) }
    }
}

impl MemoryServer {
    fn stream_head(&self, stream: StreamId) -> StreamHead {
        let mut head = StreamHead::new(stream);
        head.fold(self.log.iter().filter(|e| e.stream == stream)).expect("the log folds");
        head
    }

    fn stream_state(&self, stream: StreamId) -> StreamState {
        self.stream_head(stream).state
    }

    fn member(&self, stream: StreamId) -> Member {
        match self.stream_state(stream) {
            StreamState::Member(member) => member,
            other => panic!("{stream} is not a member: {other:?}"),
        }
    }

    fn push(&mut self, request: &PushRequest, now_ms: u64) -> Result<PushResponse, Failure> {
        let refuse = |code: &str, message: String, stream| Failure::Refused {
            status: 422,
            error: ErrorBody { code: code.into(), message, stream, event: None, epoch: None },
        };
        check_request(request, now_ms).map_err(|e| refuse(e.code(), e.to_string(), e.stream()))?;
        check_epoch(request, self.epoch).map_err(|r| Failure::Refused {
            status: 409,
            error: ErrorBody {
                code: r.code().into(),
                message: r.to_string(),
                stream: None,
                event: None,
                epoch: Some(self.epoch),
            },
        })?;
        let mut plans = vec![];
        for batch in &request.batches {
            let stored: Vec<EventEnvelope> =
                self.log.iter().filter(|e| batch.events.iter().any(|b| b.id == e.id)).cloned().collect();
            let plan = plan_batch(&self.stream_head(batch.stream), &stored, batch)
                .map_err(|r| refuse(r.code(), r.to_string(), Some(batch.stream)))?;
            plans.push((batch.stream, plan));
        }
        let mut results = vec![];
        for (stream, plan) in plans {
            let after = |log: &[EventEnvelope], after_version: u64, own: &[EventEnvelope]| -> Vec<EventEnvelope> {
                log.iter()
                    .filter(|e| e.stream == stream && e.version > after_version && !own.iter().any(|o| o.id == e.id))
                    .take(MAX_SERVER_EVENTS)
                    .cloned()
                    .collect()
            };
            results.push(match plan {
                BatchPlan::Append { mut stored, new, head, status, after_version } => {
                    for mut e in new {
                        e.position = Some(self.log.len() as u64 + 1);
                        self.log.push(e.clone());
                        stored.push(e);
                    }
                    let server_events =
                        if status == BatchStatus::Accepted { vec![] } else { after(&self.log, after_version, &stored) };
                    BatchResult { stream, status, events: stored, server_events, head: head.version, reason: None }
                }
                BatchPlan::Conflict { stored, after_version, head_version, reason } => BatchResult {
                    stream,
                    status: BatchStatus::Rejected,
                    server_events: after(&self.log, after_version, &stored),
                    events: stored,
                    head: head_version,
                    reason: Some(reason),
                },
            });
        }
        Ok(PushResponse { results, epoch: self.epoch, server_ms: now_ms })
    }

    fn pull(&self, after: u64, limit: u32, now_ms: u64) -> PullResponse {
        let events: Vec<EventEnvelope> = self.log.iter().skip(after as usize).take(limit as usize).cloned().collect();
        let next = events.last().and_then(|e| e.position).unwrap_or(after);
        let head = self.log.len() as u64;
        PullResponse { has_more: next < head, events, next, head, epoch: self.epoch, server_ms: now_ms }
    }

    /// The server restored from a backup holding its first `keep` events: a new log, in a new epoch.
    fn restore(&mut self, keep: usize, epoch: u128) {
        self.log.truncate(keep);
        self.epoch = LogEpoch(Uuid::from_u128(epoch));
    }
}

/// The club the simulated desks work for: its settings' stream.
fn club() -> StreamId {
    crate::club::stream(crate::ClubId(Uuid::from_u128(0xc1ab)))
}

/// What the simulated club sells: an unlimited month, a two-visit card (its last visit is soon
/// used on two desks at once) and a day pass (it expires within a run).
fn plans() -> Vec<(Uuid, PlanTerms)> {
    let day_pass = PlanTerms {
        name: "Day pass".into(),
        length: crate::club::Length::Days(1),
        visits: Visits::Card(1),
        price_cents: 1_200,
    };
    vec![
        (Uuid::from_u128(0xb1), unlimited_monthly()),
        (Uuid::from_u128(0xb2), card_of(2)),
        (Uuid::from_u128(0xb3), day_pass),
    ]
}

/// A card never holds more used visits than it has (so never fewer than none left).
#[track_caller]
fn assert_cards_within(member: &Member, seed: u64, whose: &str) {
    for m in &member.memberships {
        if let Some(visits) = m.terms.visits.count() {
            assert!(
                m.visits_used <= visits,
                "seed {seed}: {whose}: card {} used {} of {visits} visits",
                m.id,
                m.visits_used
            );
        }
    }
}

/// xorshift, so a seed replays the same run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Sim {
    server: MemoryServer,
    devices: Vec<MemoryDevice>,
    online: Vec<bool>,
    /// Live subscriptions: the position each device's live stream has sent up to, and its inbox.
    live: Vec<Option<u64>>,
    inbox: Vec<Vec<Input>>,
    rng: Rng,
    now: u64,
    faults: bool,
    /// Percent chance per step that the server is restored from an older backup (a new epoch).
    restores: u64,
    epochs: u128,
    /// Every event any device ever held, by id: none may be lost.
    held: HashSet<Uuid>,
    /// Percent chance that an offline device stays offline when its connection would toggle:
    /// high values make long offline spells (a desk working through an outage).
    stay_offline: u64,
}

impl Sim {
    fn new(seed: u64, devices: usize) -> Self {
        let mut sim = Sim {
            server: MemoryServer::default(),
            devices: (0..devices).map(|i| MemoryDevice::new(&format!("device-{i}"), seed + i as u64)).collect(),
            online: vec![true; devices],
            live: vec![None; devices],
            inbox: vec![vec![]; devices],
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            now: 1_700_000_000_000,
            faults: true,
            restores: 0,
            epochs: 1,
            held: HashSet::new(),
            stay_offline: 0,
        };
        for d in 0..devices {
            sim.devices[d].replicator.handle_input(sim.now, Input::Online);
        }
        sim
    }

    fn step_device(&mut self, d: usize) {
        let Sim { server, devices, live, inbox, rng, faults, online, now, .. } = self;
        let is_online = online[d];
        let faults = *faults;
        let now = *now;
        devices[d].run(now, &mut |_, output| {
            let lost = |rng: &mut Rng| faults && rng.chance(15);
            match output {
                Output::Push(request) => {
                    if !is_online || lost(rng) {
                        return Some(Input::PushAnswered(Err(Failure::Transient("request lost".into()))));
                    }
                    let answer = server.push(&request, now);
                    if lost(rng) {
                        return Some(Input::PushAnswered(Err(Failure::Transient("answer lost".into()))));
                    }
                    Some(Input::PushAnswered(answer))
                }
                Output::Pull { after, limit } => {
                    if !is_online || lost(rng) {
                        return Some(Input::PullAnswered(Err(Failure::Transient("lost".into()))));
                    }
                    Some(Input::PullAnswered(Ok(server.pull(after, limit.min(7), now))))
                }
                Output::OpenLive { after } => {
                    if !is_online {
                        return Some(Input::LiveClosed);
                    }
                    live[d] = Some(after);
                    let status = LiveStatus { epoch: server.epoch, head: server.log.len() as u64, server_ms: now };
                    inbox[d] = vec![Input::LiveStatus(status)];
                    Some(Input::LiveOpened)
                }
                Output::CloseLive => {
                    live[d] = None;
                    inbox[d].clear();
                    None
                }
                Output::LoadPending { .. } | Output::Store(_) => unreachable!("handled by the device"),
            }
        });
    }

    /// The server's live fan-out: every subscribed device gets what it has not been sent yet, and
    /// a heartbeat.
    fn broadcast(&mut self) {
        let head = self.server.log.len() as u64;
        for d in 0..self.devices.len() {
            if let Some(sent) = self.live[d] {
                let new = self.server.log.iter().skip(sent as usize).cloned().map(Input::LiveEvent);
                self.inbox[d].extend(new);
                self.inbox[d].push(Input::LiveStatus(LiveStatus {
                    epoch: self.server.epoch,
                    head,
                    server_ms: self.now,
                }));
                self.live[d] = Some(head.max(sent));
            }
        }
    }

    /// The server comes back from an older backup: its live connections drop, and the browsers'
    /// reconnections find another log.
    fn restore(&mut self) {
        let keep = self.rng.below(self.server.log.len() + 1);
        self.epochs += 1;
        self.server.restore(keep, self.epochs);
        for d in 0..self.devices.len() {
            if self.live[d].is_some() {
                self.live[d] = Some(keep as u64);
                let status = LiveStatus { epoch: self.server.epoch, head: keep as u64, server_ms: self.now };
                self.inbox[d] = vec![Input::LiveInterrupted, Input::LiveOpened, Input::LiveStatus(status)];
            }
        }
    }

    fn remember_held(&mut self) {
        for device in &self.devices {
            self.held.extend(device.log.iter().map(|e| e.envelope.id));
        }
    }

    fn deliver_live(&mut self, d: usize) {
        let mut events = std::mem::take(&mut self.inbox[d]);
        if self.faults && events.len() > 1 && self.rng.chance(30) {
            let i = self.rng.below(events.len());
            let j = self.rng.below(events.len());
            events.swap(i, j);
        }
        if self.faults && !events.is_empty() && self.rng.chance(20) {
            let i = self.rng.below(events.len());
            events.push(events[i].clone());
        }
        if self.faults && !events.is_empty() && self.rng.chance(5) {
            events.truncate(events.len() - 1); // a dropped live message: only a pull can fill the gap
        }
        for input in events {
            self.devices[d].replicator.handle_input(self.now, input);
        }
    }

    /// What staff do at a desk: register, check in (on the membership the entry decision chose,
    /// or a manager's override when it denies), change a field (to one of a few values, so desks
    /// collide), archive or restore, sell, renew, pay, freeze, unfreeze and cancel memberships
    /// (small cards and short plans, so the last visit is used twice and memberships expire within
    /// a run), back-date and void check-ins, change the club's settings, and work through the
    /// conflict inbox.
    fn random_command(&mut self, d: usize, members: &mut Vec<StreamId>) {
        let now = self.now;
        let today = Date::utc_of(now);
        if members.is_empty() || self.rng.chance(12) {
            let id = Uuid::from_u128(self.rng.next() as u128);
            let stream = StreamId::member(id);
            let cmd = MemberCommand::RegisterMember {
                name: format!("Member {}", members.len()),
                email: String::new(),
                phone: String::new(),
            };
            if self.devices[d].execute::<Member>(stream, cmd, now).is_ok() {
                members.push(stream);
            }
            return;
        }
        let stream = members[self.rng.below(members.len())];
        let (member, _) = self.devices[d].load::<Member>(stream);
        let (settings, _) = self.devices[d].load::<ClubSettings>(club());
        let rules = settings.entry_rules();
        // A membership of this member, the newest more often (the one staff are looking at).
        let some_membership = |rng: &mut Rng| -> Option<&crate::member::Membership> {
            let n = member.memberships.len();
            (n > 0).then(|| &member.memberships[if rng.chance(60) { n - 1 } else { rng.below(n) }])
        };
        let command = match self.rng.below(40) {
            0..=11 => match member.entry(now, today, &rules) {
                Entry { verdict: Verdict::Allow | Verdict::Warn(_), membership: Some(m) } => {
                    MemberCommand::CheckIn { on: today, membership: m, rules }
                }
                _ if self.rng.chance(40) => {
                    MemberCommand::OverrideEntry { on: today, reason: "manager let them in".into(), rules }
                }
                _ => return,
            },
            12..=15 => {
                let field = MemberField::ALL[self.rng.below(3)];
                let value = match field {
                    MemberField::Name => ["Anna", "Björn", "Chloé"][self.rng.below(3)].to_owned(),
                    MemberField::Email => ["a@x.be", "b@x.be", ""][self.rng.below(3)].to_owned(),
                    MemberField::Phone => ["0470 11 22 33", "0470 44 55 66", ""][self.rng.below(3)].to_owned(),
                };
                MemberCommand::ChangeMemberDetails { changes: vec![(field, value)] }
            }
            16 => MemberCommand::ArchiveMember,
            17 => MemberCommand::RestoreMember,
            18..=21 => {
                let (plan, terms) = plans()[self.rng.below(plans().len())].clone();
                let start = match terms.visits {
                    Visits::Card(_) if self.rng.chance(30) => Start::FirstVisit,
                    _ => Start::On(today.add_days(self.rng.below(2) as i32)),
                };
                let membership = Uuid::from_u128(self.rng.next() as u128);
                match some_membership(&mut self.rng) {
                    Some(old) if self.rng.chance(25) => {
                        MemberCommand::RenewMembership { membership, renews: old.id, plan, terms, on: today }
                    }
                    _ => MemberCommand::SellMembership { membership, plan, terms, start, on: today },
                }
            }
            22..=24 => {
                let Some(m) = some_membership(&mut self.rng) else { return };
                // Sometimes all that is owed, sometimes part, sometimes more than is owed (refused).
                let owed = m.outstanding_cents();
                let amount_cents = match self.rng.below(3) {
                    0 => owed,
                    1 => owed / 2,
                    _ => 1_000,
                };
                MemberCommand::RecordPayment { membership: m.id, amount_cents, method: PaymentMethod::Card, on: today }
            }
            25..=27 => {
                let Some(m) = some_membership(&mut self.rng) else { return };
                let from = today.add_days(self.rng.below(3) as i32);
                let until = from.add_days(self.rng.below(4) as i32);
                MemberCommand::FreezeMembership { membership: m.id, from, until, on: today }
            }
            28 => {
                let Some(m) = some_membership(&mut self.rng) else { return };
                MemberCommand::UnfreezeMembership { membership: m.id, on: today }
            }
            29..=30 => {
                let Some(m) = some_membership(&mut self.rng) else { return };
                let from = today.add_days(self.rng.below(2) as i32);
                MemberCommand::CancelMembership { membership: m.id, from, reason: "moved away".into(), on: today }
            }
            31 => {
                let Some(visit) = member.recent_check_ins.get(self.rng.below(member.recent_check_ins.len().max(1)))
                else {
                    return;
                };
                MemberCommand::VoidCheckIn { at_ms: visit.at_ms, reason: "wrong member".into() }
            }
            32 => {
                // A manager records a visit staff forgot an hour or two ago.
                let at_ms = now - 3_600_000 * (1 + self.rng.below(2) as u64);
                let on = Date::utc_of(at_ms);
                let Some(membership) = member.entry(at_ms, on, &rules).membership else { return };
                MemberCommand::RecordPastCheckIn { at_ms, on, membership, reason: "forgot to scan".into(), rules }
            }
            33..=35 => {
                let setting = match self.rng.below(4) {
                    0 => Setting::DuplicateWindowMinutes([5, 10, 30][self.rng.below(3)]),
                    1 => Setting::PaymentGraceDays([0, 7, 14][self.rng.below(3)]),
                    2 => Setting::AutoCheckOutMinutes([60, 180][self.rng.below(2)]),
                    _ => {
                        let (id, terms) = plans()[self.rng.below(plans().len())].clone();
                        Setting::Plan(Plan { id, terms, on_sale: self.rng.chance(80) })
                    }
                };
                let _ = self.devices[d].execute::<ClubSettings>(club(), ClubCommand::ChangeSetting(setting), now);
                return;
            }
            _ => {
                let inbox: Vec<(Uuid, StreamKind)> =
                    self.devices[d].inbox().iter().map(|e| (e.envelope.id, e.envelope.stream.kind)).collect();
                if let Some(&(id, kind)) = inbox.get(self.rng.below(inbox.len().max(1))) {
                    let applied = match kind {
                        _ if self.rng.chance(50) => false,
                        StreamKind::Member => self.devices[d].apply_on_top::<Member>(id, now).is_ok(),
                        StreamKind::Club => self.devices[d].apply_on_top::<ClubSettings>(id, now).is_ok(),
                        StreamKind::Class => self.devices[d].apply_on_top::<crate::class::Class>(id, now).is_ok(),
                    };
                    // Discarded, or still refused on the stream as it is now: staff discard it.
                    if !applied {
                        self.devices[d].discard(id);
                    }
                }
                return;
            }
        };
        let _ = self.devices[d].execute::<Member>(stream, command, now);
    }

    fn run(&mut self, steps: usize) {
        let mut members = vec![];
        for _ in 0..steps {
            self.now += 1_000 + self.rng.next() % 400_000;
            let d = self.rng.below(self.devices.len());
            match self.rng.next() % 10 {
                0..=3 => self.random_command(d, &mut members),
                4 if !self.online[d] && self.rng.chance(self.stay_offline) => {}
                4 => {
                    self.online[d] = !self.online[d];
                    let input = if self.online[d] { Input::Online } else { Input::Offline };
                    self.devices[d].replicator.handle_input(self.now, input);
                }
                5 => self.deliver_live(d),
                6 if self.rng.chance(self.restores) => self.restore(),
                _ => self.devices[d].replicator.handle_timeout(self.now),
            }
            self.step_device(d);
            self.broadcast();
            self.remember_held();
        }
        // Heal: everyone online, no more faults, until nothing moves.
        self.faults = false;
        for d in 0..self.devices.len() {
            self.online[d] = true;
            self.devices[d].replicator.handle_input(self.now, Input::Online);
        }
        for _ in 0..200 {
            self.now += 30_000;
            for d in 0..self.devices.len() {
                self.devices[d].replicator.handle_timeout(self.now);
                self.step_device(d);
                self.broadcast();
                self.deliver_live(d);
                self.step_device(d);
            }
        }
    }

    fn check_converged(&self, seed: u64) {
        let log = &self.server.log;
        // At every point of the agreed log, no card went below zero.
        let mut states: HashMap<StreamId, StreamState> = HashMap::new();
        for e in log {
            let state = states.entry(e.stream).or_insert_with(|| StreamState::new(e.stream.kind));
            state.evolve(e).expect("stored events decode");
            if let StreamState::Member(member) = state {
                assert_cards_within(member, seed, &format!("the server at {}", e.id));
            }
        }
        let ids: HashSet<Uuid> = log.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), log.len(), "seed {seed}: an event id is stored twice");
        let mut versions: HashMap<StreamId, u64> = HashMap::new();
        for (i, e) in log.iter().enumerate() {
            assert_eq!(e.position, Some(i as u64 + 1), "seed {seed}: positions are dense");
            let v = versions.entry(e.stream).or_default();
            *v += 1;
            assert_eq!(e.version, *v, "seed {seed}: versions of {} are contiguous", e.stream);
        }
        for device in &self.devices {
            if self.epochs == 1 {
                let replaced = device.replicator.status().log_replaced_ms;
                assert_eq!(replaced, None, "seed {seed}: {} saw a restore that never was", device.device);
            }
            assert!(device.pending().is_empty(), "seed {seed}: {} still has pending events", device.device);
            assert_eq!(device.replicator.cursor(), log.len() as u64, "seed {seed}: {} cursor", device.device);
            let confirmed: Vec<&EventEnvelope> =
                device.log.iter().filter(|e| e.state == LocalState::Confirmed).map(|e| &e.envelope).collect();
            assert_eq!(confirmed.len(), log.len(), "seed {seed}: {} holds every event exactly once", device.device);
            for e in confirmed {
                let stored = &log[e.position.expect("confirmed events have positions") as usize - 1];
                assert!(stored.same_event(e), "seed {seed}: {} has {} as the server does", device.device, e.id);
            }
            for stream in versions.keys() {
                assert_eq!(
                    crate::notices::fold(stream.kind, device.stream(*stream)),
                    self.server.stream_state(*stream),
                    "seed {seed}: {} folds {stream} into the server's state",
                    device.device
                );
            }
            for rejected in device.log.iter().filter(|e| matches!(e.state, LocalState::Rejected(_))) {
                assert!(!ids.contains(&rejected.envelope.id), "seed {seed}: a rejected event was stored");
            }
            if self.epochs == 1 {
                // Whatever the server decided against this device's changes, its staff were told:
                // its own event stored as undone, or another desk's merge over its change.
                for (i, e) in log.iter().enumerate() {
                    let told = device.log.iter().find(|l| l.envelope.id == e.id).is_some_and(|l| l.corrected);
                    if e.device == device.device && crate::notices::undone(e) {
                        assert!(told, "seed {seed}: {} was not told of {}", device.device, e.event_type);
                    }
                    let before = log[..i].iter().filter(|b| b.stream == e.stream);
                    let mut state = crate::notices::fold(e.stream.kind, before);
                    if crate::notices::overrules(&mut state, e, &device.device) {
                        assert!(told, "seed {seed}: {} was not told its change was overwritten", device.device);
                    }
                }
            }
        }
        // Nothing any device held is lost: it is on the server (as sent, or as its compensation),
        // or in that device's inbox, or was resolved there by a person.
        let set_aside: HashSet<Uuid> = self
            .devices
            .iter()
            .flat_map(|d| {
                d.log
                    .iter()
                    .filter(|e| matches!(e.state, LocalState::Rejected(_) | LocalState::Resolved(_)))
                    .map(|e| e.envelope.id)
            })
            .collect();
        for id in &self.held {
            assert!(ids.contains(id) || set_aside.contains(id), "seed {seed}: event {id} was lost");
        }
    }
}

#[test]
fn devices_converge_despite_lost_answers_duplicates_and_offline_spells() {
    let seeds: u64 = std::env::var("FARADAY_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for seed in 1..=seeds {
        let mut sim = Sim::new(seed, 3);
        sim.run(300);
        sim.check_converged(seed);
        for e in &sim.server.log {
            *seen.entry(e.event_type.clone()).or_default() += 1;
            if let Ok(MemberEvent::MemberCheckInNotCounted { reason, .. }) = e.decode::<MemberEvent>() {
                let why = match reason {
                    NotCounted::Refused { denial, .. } => denial.code(),
                    NotCounted::Duplicate { .. } => "duplicate",
                    NotCounted::BeforeHistory => "before_history",
                };
                *seen.entry(format!("not counted: {why}")).or_default() += 1;
            }
        }
        for d in &sim.devices {
            for e in d.log.iter().filter(|e| matches!(e.state, LocalState::Resolved(_) | LocalState::Rejected(_))) {
                *seen.entry(format!("inbox: {}", e.envelope.event_type)).or_default() += 1;
            }
            let resolved = d.log.iter().filter(|e| matches!(e.state, LocalState::Resolved(_))).count();
            *seen.entry("resolved in an inbox".into()).or_default() += resolved;
        }
    }
    // The runs met every way two desks' changes are resolved, not only the easy ones: details
    // merged, check-ins rebased (duplicates, the last visit of a card used twice, a membership
    // frozen or cancelled meanwhile), membership changes rejected into the inbox, settings merged.
    for kind in [
        "MemberDetailsMerged",
        "MemberDetailsOverwritten",
        "resolved in an inbox",
        "not counted: duplicate",
        "not counted: no_visits_left",
        "not counted: frozen",
        "not counted: cancelled",
        "inbox: MembershipFrozen",
        "inbox: MembershipCancelled",
        "inbox: PaymentRecorded",
        "MembershipSold",
        "PaymentRecorded",
        "MembershipFrozen",
        "MembershipUnfrozen",
        "MembershipCancelled",
        "MemberEntryOverridden",
        "MemberCheckInBackdated",
        "MemberCheckInVoided",
        "ClubSettingMerged",
        "ClubSettingOverwritten",
    ] {
        assert!(seen.get(kind).copied().unwrap_or(0) > 0, "no run produced {kind}: {seen:#?}");
    }
}

/// Four desks that spend most of the day offline, selling, paying, freezing, cancelling and
/// checking in on two-visit cards: once they are back, every desk holds the same log, every card
/// used at most its visits, and every check-in that did not count was told to the desk that made it.
#[test]
fn desks_offline_for_long_spells_converge_and_no_card_goes_below_zero() {
    let seeds: u64 = std::env::var("FARADAY_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200) / 2;
    let mut refused = 0;
    for seed in 1..=seeds.max(1) {
        let mut sim = Sim::new(seed, 4);
        sim.stay_offline = 90;
        sim.run(400);
        sim.check_converged(seed);
        refused += sim.server.log.iter().filter(|e| e.event_type == "MemberCheckInNotCounted").count();
    }
    assert!(refused > 0, "the desks never met on one member's check-ins");
}

#[test]
fn devices_converge_and_lose_nothing_when_the_server_is_restored_from_older_backups() {
    let seeds: u64 = std::env::var("FARADAY_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut restored = 0;
    for seed in 1..=seeds {
        let mut sim = Sim::new(seed, 3);
        sim.restores = 10;
        sim.run(300);
        sim.check_converged(seed);
        restored += u64::from(sim.epochs > 1);
    }
    assert!(restored * 2 > seeds, "most runs saw a restore ({restored} of {seeds})");
}

#[test]
fn a_device_offline_from_the_start_pushes_everything_once_it_is_back() {
    let mut sim = Sim::new(7, 2);
    sim.faults = false;
    sim.online[0] = false;
    sim.devices[0].replicator.handle_input(sim.now, Input::Offline);
    let stream = StreamId::member(Uuid::from_u128(1));
    let register = MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
    let today = Date::utc_of(sim.now);
    sim.devices[0].execute::<Member>(stream, register, sim.now).unwrap();
    sim.devices[0].execute::<Member>(stream, sell_monthly(today), sim.now).unwrap();
    sim.devices[0].execute::<Member>(stream, check_in(today, MONTHLY), sim.now).unwrap();
    sim.step_device(0);
    assert!(sim.server.log.is_empty(), "nothing leaves an offline device");
    assert_eq!(sim.devices[0].pending().len(), 3);
    sim.run(0);
    assert_eq!(sim.server.log.len(), 3);
    sim.check_converged(7);
}

#[test]
fn a_lost_push_answer_is_retried_without_duplicating_events() {
    let mut device = MemoryDevice::new("desk", 3);
    let mut server = MemoryServer::default();
    device.replicator.handle_input(T, Input::Online);
    let stream = StreamId::member(Uuid::from_u128(9));
    let register = MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
    device.execute::<Member>(stream, register, T + 1_000).unwrap();
    // The server stores the push, but its answer never arrives.
    device.run(T + 1_000, &mut |_, out| match out {
        Output::Push(req) => {
            server.push(&req, T + 1_000).unwrap();
            Some(Input::PushAnswered(Err(Failure::Transient("answer lost".into()))))
        }
        Output::Pull { .. } => Some(Input::PullAnswered(Err(Failure::Transient("offline".into())))),
        _ => None,
    });
    let retry = device.replicator.poll_timeout().expect("a retry is scheduled");
    device.replicator.handle_timeout(retry);
    device.run(retry, &mut |_, out| match out {
        Output::Push(req) => Some(Input::PushAnswered(server.push(&req, retry))),
        Output::Pull { after, limit } => Some(Input::PullAnswered(Ok(server.pull(after, limit, retry)))),
        Output::OpenLive { .. } => Some(Input::LiveOpened),
        _ => None,
    });
    assert_eq!(server.log.len(), 1, "the retried push stored nothing twice");
    assert!(device.pending().is_empty());
    assert_eq!(device.replicator.cursor(), 1);
    assert_eq!(device.log.len(), 1, "the pulled copy was recognised, not applied again");
}

#[test]
fn two_offline_desks_checking_in_one_member_end_with_one_check_in_and_one_recorded_duplicate() {
    let mut server = MemoryServer::default();
    let stream = StreamId::member(Uuid::from_u128(5));
    let register = MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
    let mut a = MemoryDevice::new("a", 1);
    let today = Date::utc_of(T);
    a.execute::<Member>(stream, register, T).unwrap();
    a.execute::<Member>(stream, sell_monthly(today), T).unwrap();
    let push = server
        .push(
            &PushRequest {
                device: a.device.clone(),
                batches: vec![PushBatch { stream, parent_version: 0, events: a.pending() }],
                epoch: None,
            },
            T + 10_000,
        )
        .unwrap();
    a.apply(StoreOp::Confirm { stored: push.results[0].events.clone(), server_events: vec![] }, T);
    let mut b = MemoryDevice::new("b", 2);
    b.apply(StoreOp::Apply { events: server.log.clone(), cursor: 2 }, T);
    // Both desks check Anna in while offline; a's reaches the server first.
    a.execute::<Member>(stream, check_in(today, MONTHLY), T + 1_000).unwrap();
    b.execute::<Member>(stream, check_in(today, MONTHLY), T + 2_000).unwrap();
    let req = |d: &MemoryDevice| PushRequest {
        device: d.device.clone(),
        batches: vec![PushBatch { stream, parent_version: 2, events: d.pending() }],
        epoch: None,
    };
    assert_eq!(server.push(&req(&a), T + 10_000).unwrap().results[0].status, BatchStatus::Accepted);
    let answer = server.push(&req(&b), T + 10_000).unwrap();
    assert_eq!(answer.results[0].status, BatchStatus::Rebased);
    assert_eq!(answer.results[0].server_events.len(), 1, "a's check-in, which b had not seen");
    let stored = &answer.results[0].events[0];
    assert_eq!((stored.id, stored.version), (b.pending()[0].id, 4), "b's event, renumbered, same id");
    assert_eq!(
        stored.decode::<MemberEvent>().unwrap(),
        MemberEvent::MemberCheckInNotCounted { at_ms: T + 2_000, reason: NotCounted::Duplicate { of_ms: T + 1_000 } }
    );
    b.replicator.handle_input(T + 3_000, Input::Online);
    let mut pushed = false;
    b.run(T + 3_000, &mut |_, out| match out {
        Output::Push(_) if !pushed => {
            pushed = true;
            Some(Input::PushAnswered(Ok(answer.clone())))
        }
        Output::Pull { .. } => Some(Input::PullAnswered(Err(Failure::Transient("offline".into())))),
        _ => None,
    });
    assert!(pushed);
    assert!(b.pending().is_empty());
    assert!(b.inbox().is_empty(), "nothing for a person to decide");
    assert!(b.log.iter().any(|e| e.corrected), "b's staff are told their check-in did not count");
    assert_eq!(b.load::<Member>(stream).0.check_ins, 1, "one check-in counts, on both devices");
    assert_eq!(b.load::<Member>(stream).0, server.member(stream));
}

/// The network between one device and the server, answering at once and losing nothing.
fn wire<'a>(server: &'a mut MemoryServer, now: u64) -> impl FnMut(&MemoryDevice, Output) -> Option<Input> + 'a {
    move |_, out| match out {
        Output::Push(req) => Some(Input::PushAnswered(server.push(&req, now))),
        Output::Pull { after, limit } => Some(Input::PullAnswered(Ok(server.pull(after, limit, now)))),
        Output::OpenLive { .. } => Some(Input::LiveOpened),
        _ => None,
    }
}

/// The unlimited monthly membership [`MONTHLY`] sold on `on`, from that day.
fn sell_monthly(on: Date) -> MemberCommand {
    MemberCommand::SellMembership {
        membership: MONTHLY,
        plan: Uuid::from_u128(0xb1),
        terms: unlimited_monthly(),
        start: Start::On(on),
        on,
    }
}

fn register(name: &str) -> MemberCommand {
    MemberCommand::RegisterMember { name: name.into(), email: String::new(), phone: String::new() }
}

const T: u64 = 1_764_000_000_000;

#[test]
fn a_device_whose_server_was_restored_from_a_backup_syncs_again_and_offers_back_what_the_server_lost() {
    let mut server = MemoryServer::default();
    let mut desk = MemoryDevice::new("desk", 1);
    desk.replicator.handle_input(T, Input::Online);
    for n in 1..=3 {
        desk.execute::<Member>(StreamId::member(Uuid::from_u128(n)), register(&format!("M{n}")), T).unwrap();
    }
    desk.run(T, &mut wire(&mut server, T));
    let backup = server.log.clone();
    for n in 4..=6 {
        desk.execute::<Member>(StreamId::member(Uuid::from_u128(n)), register(&format!("M{n}")), T + 1).unwrap();
    }
    desk.run(T + 1, &mut wire(&mut server, T + 1));
    desk.replicator.handle_input(T + 2, Input::Offline);
    desk.replicator.handle_input(T + 2, Input::Online);
    desk.run(T + 2, &mut wire(&mut server, T + 2));
    assert_eq!(desk.replicator.cursor(), 6);

    // The server comes back from the backup taken at head 3; another desk writes meanwhile.
    server.log = backup;
    server.restore(3, 2);
    let mut other = MemoryDevice::new("other", 2);
    other.replicator.handle_input(T + 3, Input::Online);
    other.execute::<Member>(StreamId::member(Uuid::from_u128(7)), register("M7"), T + 3).unwrap();
    other.run(T + 3, &mut wire(&mut server, T + 3));
    assert_eq!(server.log.len(), 4);

    desk.replicator.handle_input(T + 4, Input::Offline);
    desk.replicator.handle_input(T + 4, Input::Online);
    desk.run(T + 4, &mut wire(&mut server, T + 4));
    assert_eq!(server.log.len(), 7, "the three events the server lost are back, once each");
    assert!(desk.pending().is_empty());
    assert_eq!(desk.replicator.cursor(), 4, "the cursor is of the new log");
    assert!(desk.log.iter().all(|e| e.state == LocalState::Confirmed));
    assert_eq!(desk.log.len(), 7, "the other desk's event arrived; nothing is doubled");
    assert!(desk.replicator.status().log_replaced_ms.is_some(), "staff are told");
    let on_server: HashSet<Uuid> = server.log.iter().map(|e| e.id).collect();
    assert!(desk.log.iter().all(|e| on_server.contains(&e.envelope.id)));
}

#[test]
fn a_log_shorter_than_the_cursor_is_another_log_even_under_the_same_epoch() {
    let mut server = MemoryServer::default();
    let mut desk = MemoryDevice::new("desk", 1);
    desk.replicator.handle_input(T, Input::Online);
    for n in 1..=4 {
        desk.execute::<Member>(StreamId::member(Uuid::from_u128(n)), register("M"), T).unwrap();
    }
    desk.run(T, &mut wire(&mut server, T));
    desk.replicator.handle_input(T, Input::Offline);
    desk.replicator.handle_input(T, Input::Online);
    desk.run(T, &mut wire(&mut server, T));
    assert_eq!(desk.replicator.cursor(), 4);
    // A file-level backup put back, same epoch: positions 3 and 4 are gone.
    server.log.truncate(2);
    desk.replicator.handle_input(T + 1, Input::Offline);
    desk.replicator.handle_input(T + 1, Input::Online);
    desk.run(T + 1, &mut wire(&mut server, T + 1));
    assert_eq!(server.log.len(), 4);
    assert!(desk.pending().is_empty());
    assert_eq!(desk.replicator.cursor(), 2, "the offered-back events are confirmed by push, not pulled again");
}

#[test]
fn a_burst_of_live_events_is_applied_in_few_store_transactions() {
    let mut server = MemoryServer::default();
    let mut office = MemoryDevice::new("office", 1);
    office.replicator.handle_input(T, Input::Online);
    office.run(T, &mut wire(&mut server, T));
    assert!(office.replicator.status().live);
    let mut desk = MemoryDevice::new("desk", 2);
    desk.replicator.handle_input(T, Input::Online);
    for n in 1..=2_000 {
        desk.execute::<Member>(StreamId::member(Uuid::from_u128(n)), register("M"), T).unwrap();
    }
    for _ in 0..10 {
        desk.run(T, &mut wire(&mut server, T));
    }
    assert_eq!(server.log.len(), 2_000);
    for e in server.log.clone() {
        office.replicator.handle_input(T, Input::LiveEvent(e));
    }
    let mut applies = 0;
    while let Some(out) = office.replicator.poll_output() {
        if let Output::Store(op @ StoreOp::Apply { .. }) = out {
            applies += 1;
            office.apply(op, T);
        }
    }
    assert_eq!(applies, 2, "2,000 live events, 1,000 per transaction");
    assert_eq!(office.log.len(), 2_000);
    let status = office.replicator.status();
    assert_eq!((status.cursor, status.behind()), (2_000, 0));
}

#[test]
fn online_means_the_server_answered_not_that_the_browser_has_a_network() {
    let mut server = MemoryServer::default();
    let mut desk = MemoryDevice::new("desk", 1);
    desk.replicator.handle_input(T, Input::Online);
    assert_eq!(desk.replicator.status().connection, Connection::Connecting);
    desk.run(T, &mut wire(&mut server, T));
    assert_eq!(desk.replicator.status().connection, Connection::Online);
    assert!(desk.replicator.status().live);

    // The server stops: the browser's EventSource loses its connection and retries by itself.
    desk.replicator.handle_input(T + 1_000, Input::LiveInterrupted);
    let status = desk.replicator.status();
    assert_eq!(status.connection, Connection::Unreachable);
    assert!(status.last_error.is_some(), "the reason is there to show");
    assert_eq!(status.last_sync_ms, Some(T), "the last confirmed sync stays what it was");

    // It comes back: the browser reconnects and the server's status arrives.
    desk.replicator.handle_input(T + 5_000, Input::LiveOpened);
    let hello = LiveStatus { epoch: server.epoch, head: 0, server_ms: T + 5_000 };
    desk.replicator.handle_input(T + 5_000, Input::LiveStatus(hello));
    assert_eq!(desk.replicator.status().connection, Connection::Online);
}

#[test]
fn a_live_stream_that_goes_silent_is_given_up_and_the_badge_says_so() {
    let mut server = MemoryServer::default();
    let mut desk = MemoryDevice::new("desk", 1);
    desk.replicator.handle_input(T, Input::Online);
    desk.run(T, &mut wire(&mut server, T));
    let deadline = desk.replicator.poll_timeout().expect("the live stream has a deadline");
    assert_eq!(deadline, T + crate::protocol::LIVE_SILENCE_MS);
    // A half-open connection: no heartbeat, no error.
    desk.replicator.handle_timeout(deadline);
    assert_eq!(desk.replicator.status().connection, Connection::Unreachable);
    assert_eq!(desk.replicator.poll_output(), Some(Output::CloseLive));
}

#[test]
fn a_device_knows_how_wrong_its_clock_is_from_the_servers_answers() {
    let server = MemoryServer::default();
    let mut desk = MemoryDevice::new("desk", 1);
    let fast = T + 2 * 3_600_000;
    desk.replicator.handle_input(fast, Input::Online);
    desk.run(fast, &mut |_, out| match out {
        Output::Pull { after, limit } => Some(Input::PullAnswered(Ok(server.pull(after, limit, T)))),
        _ => None,
    });
    let skew = desk.replicator.status().clock_skew_ms.expect("measured against the server's answer");
    assert_eq!(ClockOff::check(skew).unwrap_err().to_string(), "this device's clock is 2 h fast");
}

#[test]
fn the_last_confirmed_sync_survives_a_restart() {
    let saved = Saved { cursor: 3, last_sync_ms: Some(T), ..Saved::default() };
    let replicator = Replicator::new(crate::DeviceId::new("desk").unwrap(), saved, 1);
    assert_eq!(replicator.status().last_sync_ms, Some(T));
}

#[test]
fn a_device_reloaded_in_the_middle_of_its_first_sync_knows_what_it_still_lacks() {
    let saved = Saved { cursor: 5_000, server_head: 30_064, last_sync_ms: Some(T), ..Saved::default() };
    let replicator = Replicator::new(crate::DeviceId::new("desk").unwrap(), saved, 1);
    assert_eq!(replicator.status().behind(), 25_064);
}

#[test]
fn a_clock_off_by_more_than_the_bound_is_refused_both_ways() {
    use crate::replication::ClockOff;
    assert_eq!(ClockOff::check(60_000), Ok(()));
    assert_eq!(ClockOff::check(-60_000), Ok(()));
    let fast = ClockOff::check(2 * 3_600_000).unwrap_err();
    assert_eq!(fast.to_string(), "this device's clock is 2 h fast");
    assert_eq!(ClockOff::check(-2 * 3_600_000).unwrap_err().to_string(), "this device's clock is 2 h slow");
}

#[test]
fn a_change_made_offline_on_a_record_a_restore_lost_reaches_the_restored_server() {
    let mut server = MemoryServer::default();
    let mut desk = MemoryDevice::new("desk", 1);
    desk.replicator.handle_input(T, Input::Online);
    for n in 1..=3 {
        desk.execute::<Member>(StreamId::member(Uuid::from_u128(n)), register(&format!("M{n}")), T).unwrap();
    }
    desk.run(T, &mut wire(&mut server, T));
    let backup = server.log.clone();
    let m5 = StreamId::member(Uuid::from_u128(5));
    desk.execute::<Member>(m5, register("M5"), T + 1).unwrap();
    desk.execute::<Member>(m5, sell_monthly(Date::utc_of(T)), T + 1).unwrap();
    desk.run(T + 1, &mut wire(&mut server, T + 1));
    assert_eq!(server.log.len(), 5);

    // Offline, the server is restored from the backup taken before M5 (a new log), and staff
    // check M5 in: nobody else touches M5.
    desk.replicator.handle_input(T + 2, Input::Offline);
    server.log = backup;
    server.restore(3, 2);
    let later = T + 20 * 60_000;
    desk.execute::<Member>(m5, check_in(Date::utc_of(later), MONTHLY), later).unwrap();
    desk.replicator.handle_input(later, Input::Online);
    desk.run(later, &mut wire(&mut server, later));

    assert!(desk.log.iter().all(|e| !matches!(e.state, LocalState::Rejected(_))), "nothing set aside");
    let on_server: Vec<String> = server.log.iter().filter(|e| e.stream == m5).map(|e| e.event_type.clone()).collect();
    assert_eq!(on_server, ["MemberRegistered", "MembershipSold", "MemberCheckedIn"]);
}

#[test]
fn a_push_made_against_a_replaced_log_is_refused_whole_and_stores_nothing() {
    let mut server = MemoryServer::default();
    let mut desk = MemoryDevice::new("desk", 1);
    desk.replicator.handle_input(T, Input::Online);
    desk.execute::<Member>(StreamId::member(Uuid::from_u128(1)), register("Ann"), T).unwrap();
    desk.run(T, &mut wire(&mut server, T));
    let known = server.epoch;
    let mut ann = server.log[0].clone();
    ann.position = None;
    server.restore(0, 2);
    let push = PushRequest {
        device: ann.device.clone(),
        batches: vec![PushBatch { stream: ann.stream, parent_version: 0, events: vec![ann] }],
        epoch: Some(known),
    };
    let Err(Failure::Refused { status, error }) = server.push(&push, T) else { panic!("accepted") };
    assert_eq!((status, error.code.as_str(), error.epoch), (409, "epoch_changed", Some(server.epoch)));
    assert!(server.log.is_empty());
}
