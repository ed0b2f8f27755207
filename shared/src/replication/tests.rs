//! Deterministic simulations of devices replicating through an in-memory server that runs the
//! real acceptance rules, over a network that loses requests, loses answers and duplicates and
//! reorders live events. A failing seed is printed so it can be replayed.

use super::memory::{LocalState, MemoryDevice};
use super::*;
use crate::{
    acceptance::{
        check_after_parent, check_epoch, check_request, plan_batch, Plan as BatchPlan, Refusal, StreamHead, StreamState,
    },
    calendar::Date,
    class::{
        booking_stands, can_attend,
        recheck::{correct, recheck_event, visit_checked, visits_to_check, Correction},
        ChargeKind, Class, ClassCommand, ClassDetails, ClassEvent, Refused, Skip,
    },
    club::{ClubCommand, ClubSettings, Plan, PlanTerms, Setting, Visits},
    member::{
        Denial, Entry, EntryRules, Member, MemberCommand, MemberEvent, MemberField, NotCounted, PaymentMethod, Start,
        Verdict,
    },
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
            let parent = self.log.iter().find(|e| e.stream == batch.stream && e.version == batch.parent_version);
            let plan = check_after_parent(parent, batch)
                .and_then(|()| plan_batch(&self.stream_head(batch.stream), &stored, batch))
                .map_err(|r| refuse(r.code(), r.to_string(), Some(batch.stream)))?;
            plans.push((batch.stream, plan));
        }
        self.recheck(&mut plans).map_err(|(stream, r)| refuse(r.code(), r.to_string(), Some(stream)))?;
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

    /// The server's re-check of a device's class bookings at append (as server/src/store/recheck.rs
    /// does it): every member a class batch gave a spot or a waitlist entry is asked of
    /// `can_attend` as the server reads their stream (this push's own batch of it first, so a sale
    /// pushed beside the booking counts), and the batch is corrected until nobody is left who
    /// cannot attend. A corrected batch is answered `Rebased`.
    fn recheck(&self, plans: &mut [(StreamId, BatchPlan)]) -> Result<(), (StreamId, Refusal)> {
        let planned = |plans: &[(StreamId, BatchPlan)], stream: StreamId| -> Option<StreamState> {
            plans.iter().find_map(|(s, p)| match p {
                BatchPlan::Append { head, .. } if *s == stream => Some(head.state.clone()),
                _ => None,
            })
        };
        let rules = match planned(plans, club()).unwrap_or_else(|| self.stream_state(club())) {
            StreamState::Club(settings) => settings.entry_rules(),
            _ => EntryRules::default(),
        };
        for i in 0..plans.len() {
            let stream = plans[i].0;
            let BatchPlan::Append { new, after_version, .. } = &plans[i].1 else { continue };
            if stream.kind != StreamKind::Class || new.is_empty() {
                continue;
            }
            let parent = *after_version;
            let before = self.stream_head(stream);
            let mut events = new.clone();
            let mut corrected = None;
            // Each member's stream, read once per push.
            let mut members: HashMap<StreamId, StreamState> = HashMap::new();
            for _ in 0..10_000 {
                // Each event is asked about right after it (a booking the batch cancels again is
                // checked too).
                let mut wanted = vec![];
                let mut unknown = None;
                let mut state = before.state.clone();
                for e in &events {
                    let prior = state.clone();
                    state.evolve(e).expect("planned events fold");
                    let (StreamState::Class(prior), StreamState::Class(class)) = (&prior, &state) else { break };
                    let Some(day) = class.details.as_ref().map(|d| d.day) else { continue };
                    let event: ClassEvent = e.decode().expect("planned events decode");
                    wanted.extend(recheck_event(prior, class, &event, e.version, &mut |member, membership| {
                        let member_stream = StreamId::member(member);
                        let read = members.entry(member_stream).or_insert_with(|| {
                            planned(plans, member_stream).unwrap_or_else(|| self.stream_state(member_stream))
                        });
                        match read {
                            StreamState::Member(m) if m.registered => {
                                booking_stands(&m.before_class(stream.id), membership, day, &rules)
                            }
                            _ => {
                                unknown.get_or_insert(e.id);
                                Err(Denial::NoMembership)
                            }
                        }
                    }));
                }
                if let Some(event) = unknown {
                    let reason = "not a member of this club".to_owned();
                    return Err((stream, Refusal::RuleBroken { stream, event, reason }));
                }
                let Some(rewritten) = corrected_events(&events, &wanted) else { break };
                let (refolded, after) = refold(&before, rewritten, parent).map_err(|r| (stream, r))?;
                events = refolded.clone();
                corrected = Some((refolded, after));
            }
            if let Some((events, after)) = corrected {
                let BatchPlan::Append { new, head, status, .. } = &mut plans[i].1 else { unreachable!() };
                *new = events;
                **head = after;
                *status = BatchStatus::Rebased;
            }
        }
        // Then each card visit a member batch uses is held to its class as this push leaves it.
        for i in 0..plans.len() {
            let stream = plans[i].0;
            let BatchPlan::Append { new, after_version, .. } = &plans[i].1 else { continue };
            if stream.kind != StreamKind::Member {
                continue;
            }
            let decoded: Vec<MemberEvent> = new.iter().map(|e| e.decode().expect("planned events decode")).collect();
            let asked = visits_to_check(&decoded);
            let mut rewritten = new.clone();
            let mut changed = false;
            for (e, event) in rewritten.iter_mut().zip(&decoded) {
                let MemberEvent::ClassVisitUsed { class: id, .. } = event else { continue };
                if !asked.contains(id) {
                    continue;
                }
                let class_stream = crate::class::stream(*id);
                let state = planned(plans, class_stream).unwrap_or_else(|| self.stream_state(class_stream));
                let class = match &state {
                    StreamState::Class(c) if c.is_scheduled() => Some(c),
                    _ => None,
                };
                if let Some(fixed) = visit_checked(event, stream.id, class) {
                    use crate::aggregate::DomainEvent;
                    e.event_type = fixed.event_type().to_owned();
                    e.data = fixed.encode();
                    changed = true;
                }
            }
            if changed {
                let (events, after) =
                    refold(&self.stream_head(stream), rewritten, *after_version).map_err(|r| (stream, r))?;
                let BatchPlan::Append { new, head, status, .. } = &mut plans[i].1 else { unreachable!() };
                *new = events;
                **head = after;
                *status = BatchStatus::Rebased;
            }
        }
        Ok(())
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

/// `events` with the re-check's `wanted` corrections applied (each to the event at its version),
/// or None when none changes anything (correcting again would not end).
fn corrected_events(events: &[EventEnvelope], wanted: &[Correction]) -> Option<Vec<EventEnvelope>> {
    use crate::aggregate::DomainEvent;
    let mut out = events.to_vec();
    let mut changed = false;
    for correction in wanted {
        let Some(e) = out.iter_mut().find(|e| e.version == correction.version()) else { continue };
        let Ok(event) = e.decode::<ClassEvent>() else { continue };
        let Some(fixed) = correct(&event, correction).filter(|f| *f != event) else { continue };
        e.event_type = fixed.event_type().to_owned();
        e.schema_version = fixed.schema_version();
        e.data = fixed.encode();
        changed = true;
    }
    changed.then_some(out)
}

/// Folds a class batch's corrected events onto the stream `before` it again: each as it is when it
/// still holds, else resolved as a concurrent change is.
fn refold(
    before: &StreamHead,
    events: Vec<EventEnvelope>,
    parent: u64,
) -> Result<(Vec<EventEnvelope>, StreamHead), Refusal> {
    let stream = before.stream;
    let mut head = before.clone();
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let version = e.version;
        if head.state.accept(std::slice::from_ref(&e)).is_ok() {
            out.push(e);
        } else {
            let resolved = head.state.resolve(std::slice::from_ref(&e), parent, version).map_err(|(event, why)| {
                let reason = match why {
                    crate::acceptance::Unjoinable::Conflict(r) | crate::acceptance::Unjoinable::Invalid(r) => r,
                };
                Refusal::RuleBroken { stream, event, reason }
            })?;
            out.extend(resolved.into_iter().map(|r| r.envelope));
        }
        head.version = version;
    }
    Ok((out, head))
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

/// A class never holds more members than its capacity, but for those booked beyond it with a reason.
#[track_caller]
fn assert_within_capacity(class: &Class, seed: u64, whose: &str) {
    let capacity = class.details.as_ref().map_or(0, |d| d.capacity as usize);
    assert!(
        class.bookings.len() <= capacity + class.over_capacity(),
        "seed {seed}: {whose}: {} booked, capacity {capacity}, {} beyond it with a reason",
        class.bookings.len(),
        class.over_capacity()
    );
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
    /// Percent of staff's commands that are about classes.
    class_share: u64,
    /// The members registered so far (on some device).
    members: Vec<StreamId>,
    /// The classes scheduled so far (on some device).
    classes: Vec<StreamId>,
    /// The type each device's event had when the device decided it, by id: the server may store
    /// another (a booking stored as a waitlist entry), which the device must be told of.
    sent: HashMap<Uuid, EventEnvelope>,
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
            class_share: 0,
            members: vec![],
            classes: vec![],
            sent: HashMap::new(),
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

    /// What each device decided, as it decided it (before the server's answer replaces it).
    fn remember_sent(&mut self) {
        for device in &self.devices {
            for e in device.log.iter().filter(|e| e.state == LocalState::Pending) {
                self.sent.entry(e.envelope.id).or_insert_with(|| e.envelope.clone());
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
        if !members.is_empty() && self.rng.chance(self.class_share) {
            return self.class_command(d, members);
        }
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

    /// What staff do with classes, as the class pages do it: a manager schedules (a few hours
    /// ahead, for one to three members, so classes fill, start and end within a run), reschedules
    /// (another capacity, now and then another start) and rarely cancels; the desk books on the
    /// membership `can_attend` finds (a manager's override when there is none; beyond the capacity
    /// with a reason now and then), cancels bookings and waitlist entries and promotes; a coach or
    /// the desk marks attendance and submits it; a manager waives charges. The waiting members the
    /// device finds unable to attend are passed over; a card's visit is used right after an
    /// attendance, a late cancel or a no-show, and given back after a waiver.
    fn class_command(&mut self, d: usize, members: &[StreamId]) {
        let now = self.now;
        let today = Date::utc_of(now);
        let (settings, _) = self.devices[d].load::<ClubSettings>(club());
        let rules = settings.entry_rules();
        let device = &self.devices[d];
        // The classes this device knows that are not over yet.
        let open: Vec<(StreamId, Class)> = self
            .classes
            .iter()
            .map(|c| (*c, device.load::<Class>(*c).0))
            .filter(|(_, class)| class.details.as_ref().is_some_and(|det| det.end_ms() > now))
            .collect();
        if self.rng.chance(3) {
            // A manager changes the cutoffs (the classes scheduled after it keep the new ones).
            let setting = if self.rng.chance(50) {
                Setting::WaitlistCutoffMinutes([30, 60, 120][self.rng.below(3)])
            } else {
                Setting::CancelCutoffMinutes([60, 180, 720][self.rng.below(3)])
            };
            let _ = self.devices[d].execute::<ClubSettings>(club(), ClubCommand::ChangeSetting(setting), now);
            return;
        }
        if (open.is_empty() && self.rng.chance(50)) || self.rng.chance(1) {
            let start_ms = now + (60 + self.rng.below(420) as u64) * 60_000;
            let details = ClassDetails {
                title: "Spin".into(),
                coach: crate::access::StaffId(Uuid::from_u128(0xc0ac4)),
                start_ms,
                day: Date::utc_of(start_ms),
                duration_min: 45,
                capacity: 1 + self.rng.below(2) as u32,
                room: String::new(),
            };
            let stream = crate::class::stream(Uuid::from_u128(self.rng.next() as u128));
            let schedule = ClassCommand::ScheduleClass { details, cutoffs: settings.cutoffs() };
            if self.devices[d].execute::<Class>(stream, schedule, now).is_ok() {
                self.classes.push(stream);
            }
            return;
        }
        let Some((stream, class)) = open.get(self.rng.below(open.len().max(1))).cloned() else { return };
        let details = class.details.clone().expect("open classes are scheduled");
        // Whether `member` holds `membership` as a card, on this device.
        let card = |sim: &Sim, member: Uuid, membership: Option<Uuid>| -> Option<Uuid> {
            let membership = membership?;
            let (m, _) = sim.devices[d].load::<Member>(StreamId::member(member));
            m.membership(membership).filter(|m| m.terms.visits.count().is_some()).map(|m| m.id)
        };
        // Why this device finds `member` unable to attend on `day`, if it does.
        let unable = |sim: &Sim, member: Uuid, day: Date| -> Option<crate::member::Denial> {
            let (m, _) = sim.devices[d].load::<Member>(StreamId::member(member));
            can_attend(&m, day, &rules).err()
        };
        // The waiting members this device finds unable to attend on `day` (a manager's override stands).
        let skipped_on = |sim: &Sim, day: Date| -> Vec<Skip> {
            class
                .waitlist
                .iter()
                .filter(|w| w.override_reason.is_none())
                .filter_map(|w| unable(sim, w.member, day).map(|denial| Skip { member: w.member, denial }))
                .collect()
        };
        let skipped = |sim: &Sim| skipped_on(sim, details.day);
        let booked: Vec<Uuid> = class.bookings.iter().map(|b| b.member).collect();
        let waiting: Vec<Uuid> = class.waitlist.iter().map(|w| w.member).collect();
        let some = |rng: &mut Rng, list: &[Uuid]| (!list.is_empty()).then(|| list[rng.below(list.len())]);
        let reason = |rng: &mut Rng, percent| rng.chance(percent).then(|| "staff decided".to_owned());
        let mut then_visit: Option<(Uuid, Uuid, Option<ChargeKind>)> = None;
        let mut then_return: Option<(Uuid, Uuid)> = None;
        let command = match self.rng.below(20) {
            0..=7 => {
                // The desk looks a few members up; one who can attend, most of the time.
                let mut found = None;
                for _ in 0..4 {
                    let member = members[self.rng.below(members.len())].id;
                    let (m, _) = self.devices[d].load::<Member>(StreamId::member(member));
                    found = Some((member, can_attend(&m, details.day, &rules)));
                    if found.as_ref().is_some_and(|(_, can)| can.is_ok()) {
                        break;
                    }
                }
                let Some((member, can)) = found else { return };
                let (membership, override_reason) = match can {
                    Ok(membership) => (Some(membership), None),
                    Err(_) if self.rng.chance(40) => (None, Some("trial class".to_owned())),
                    Err(_) => return,
                };
                let over_capacity = reason(&mut self.rng, 10);
                ClassCommand::Book { member, membership, override_reason, over_capacity }
            }
            8..=10 => {
                let Some(member) = some(&mut self.rng, &booked) else { return };
                if class.late_at(now) {
                    let b = class.booking(member).expect("booked");
                    then_visit = card(self, member, b.membership).map(|c| (member, c, Some(ChargeKind::LateCancel)));
                }
                ClassCommand::CancelBooking { member, skipped: skipped(self) }
            }
            11 => ClassCommand::LeaveWaitlist { member: some(&mut self.rng, &waiting).unwrap_or(Uuid::nil()) },
            12..=13 => {
                let Some(member) = some(&mut self.rng, &waiting) else { return };
                ClassCommand::Promote { member, over_capacity: reason(&mut self.rng, 30) }
            }
            14 => {
                let mut new = ClassDetails { capacity: 1 + self.rng.below(4) as u32, ..details.clone() };
                if self.rng.chance(30) {
                    new.start_ms = (new.start_ms + self.rng.below(60) as u64 * 60_000).saturating_sub(30 * 60_000);
                    new.day = Date::utc_of(new.start_ms);
                } else if self.rng.chance(30) {
                    // To the next day: the booked members this device finds unable then are released.
                    new.start_ms += 24 * 60 * 60_000;
                    new.day = Date::utc_of(new.start_ms);
                }
                let released = if new.day == details.day {
                    vec![]
                } else {
                    class.released_by_move(|member| unable(self, member, new.day))
                };
                let skipped = skipped_on(self, new.day);
                ClassCommand::RescheduleClass { details: new, skipped, released }
            }
            15 if self.rng.chance(30) => ClassCommand::CancelClass { reason: "coach ill".into() },
            15..=17 => {
                let Some(member) = some(&mut self.rng, &booked) else { return };
                let b = class.booking(member).expect("booked");
                let attended = !b.attended;
                if attended {
                    then_visit = card(self, member, b.membership).map(|c| (member, c, None));
                }
                ClassCommand::MarkAttendance { member, attended }
            }
            18 => ClassCommand::SubmitAttendance,
            _ => {
                let charged: Vec<Uuid> =
                    class.charges.iter().filter(|c| c.waived.is_none()).map(|c| c.member).collect();
                let Some(member) = some(&mut self.rng, &charged) else { return };
                let charge = class.charges.iter().find(|c| c.member == member && c.waived.is_none()).expect("charged");
                then_return = card(self, member, charge.membership).map(|c| (member, c));
                ClassCommand::WaiveCharge { member, reason: "sick note".into() }
            }
        };
        let submitted = matches!(command, ClassCommand::SubmitAttendance);
        if self.devices[d].execute::<Class>(stream, command, now).is_err() {
            return;
        }
        let mut visits: Vec<(Uuid, MemberCommand)> = vec![];
        let use_visit =
            |membership, charge| MemberCommand::UseClassVisit { class: stream.id, membership, on: today, charge };
        if let Some((member, membership, charge)) = then_visit {
            visits.push((member, use_visit(membership, charge)));
        }
        if submitted {
            for b in class.bookings.iter().filter(|b| !b.attended) {
                if let Some(membership) = card(self, b.member, b.membership) {
                    visits.push((b.member, use_visit(membership, Some(ChargeKind::NoShow))));
                }
            }
        }
        if let Some((member, membership)) = then_return {
            let give_back =
                MemberCommand::ReturnClassVisit { class: stream.id, membership, on: today, reason: "waived".into() };
            visits.push((member, give_back));
        }
        for (member, command) in visits {
            let _ = self.devices[d].execute::<Member>(StreamId::member(member), command, now);
        }
    }

    /// The club before the day starts: `n` members holding a paid membership each (an unlimited
    /// month, a two-visit card or a day pass, in turn), registered on one device and known to all.
    fn open_the_club(&mut self, n: usize) {
        let today = Date::utc_of(self.now);
        for i in 0..n {
            let stream = StreamId::member(Uuid::from_u128(self.rng.next() as u128));
            let (plan, terms) = plans()[i % plans().len()].clone();
            let membership = Uuid::from_u128(self.rng.next() as u128);
            let amount_cents = terms.price_cents;
            for command in [
                register(&format!("Member {i}")),
                MemberCommand::SellMembership { membership, plan, terms, start: Start::On(today), on: today },
                MemberCommand::RecordPayment { membership, amount_cents, method: PaymentMethod::Card, on: today },
            ] {
                self.devices[0].execute::<Member>(stream, command, self.now).expect("the club opens");
            }
            self.members.push(stream);
        }
        self.remember_sent();
        self.remember_held();
        let faults = std::mem::replace(&mut self.faults, false);
        self.settle(40);
        self.faults = faults;
    }

    /// `rounds` of every device syncing, 30 s apart.
    fn settle(&mut self, rounds: usize) {
        for _ in 0..rounds {
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

    fn run(&mut self, steps: usize) {
        let mut members = std::mem::take(&mut self.members);
        for _ in 0..steps {
            self.now += 1_000 + self.rng.next() % 400_000;
            let d = self.rng.below(self.devices.len());
            match self.rng.next() % 10 {
                0..=3 => {
                    self.random_command(d, &mut members);
                    self.remember_sent();
                }
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
        self.settle(200);
        self.members = members;
    }

    fn check_converged(&self, seed: u64) {
        let log = &self.server.log;
        // At every point of the agreed log, no card went below zero.
        let mut states: HashMap<StreamId, StreamState> = HashMap::new();
        for e in log {
            let state = states.entry(e.stream).or_insert_with(|| StreamState::new(e.stream.kind));
            state.evolve(e).expect("stored events decode");
            match state {
                StreamState::Member(member) => assert_cards_within(member, seed, &format!("the server at {}", e.id)),
                StreamState::Class(class) => assert_within_capacity(class, seed, &format!("the server at {}", e.id)),
                _ => {}
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
                    // Stored as something else than sent, and that means it did not take effect (a
                    // booking stored as a waitlist entry or refused, a check-in not counted, a move
                    // releasing other bookings). A waitlist entry the device itself decided is no
                    // news to it.
                    let sent = self.sent.get(&e.id);
                    if e.device == device.device && sent.is_some_and(|s| crate::notices::corrects(s, e)) {
                        assert!(
                            told,
                            "seed {seed}: {} was not told of its {} stored as {}",
                            device.device,
                            sent.map_or("event", |s| s.event_type.as_str()),
                            e.event_type
                        );
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

/// Three devices (two desks and a coach's phone) that spend long spells offline, booking the same
/// few spots, cancelling, waitlisting, overriding the capacity, promoting, taking attendance and
/// using card visits: once they are back, every device holds the same rosters and waitlists, no
/// class was ever over its capacity without a recorded reason, no card went below zero, and every
/// booking the server stored as something else (waitlisted, refused) was told to the device that
/// made it.
#[test]
fn devices_booking_classes_offline_converge_within_capacity_and_every_refusal_is_told() {
    // Half the other runs' default: a run here holds more (members, classes, the re-check).
    let seeds: u64 = std::env::var("FARADAY_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for seed in 1..=seeds {
        let mut sim = Sim::new(seed, 3);
        sim.class_share = 70;
        sim.stay_offline = 60;
        sim.open_the_club(9);
        sim.run(300);
        sim.check_converged(seed);
        for e in &sim.server.log {
            *seen.entry(e.event_type.clone()).or_default() += 1;
            match e.decode::<ClassEvent>() {
                Ok(ClassEvent::BookingRefused { reason, .. }) => {
                    let why = match reason {
                        Refused::Denied { denial } => denial.code(),
                        Refused::ClassCancelled => "class_cancelled",
                        Refused::ClassStarted => "class_started",
                        Refused::AlreadyBooked => "already_booked",
                        Refused::NotPromoted => "not_promoted",
                    };
                    *seen.entry(format!("refused: {why}")).or_default() += 1;
                }
                Ok(ClassEvent::BookingCancelled { late: true, .. }) => {
                    *seen.entry("late cancel".into()).or_default() += 1
                }
                Ok(ClassEvent::ClassBooked { over_capacity: Some(_), .. }) => {
                    *seen.entry("booked beyond the capacity".into()).or_default() += 1
                }
                Ok(ClassEvent::ClassRescheduled { released, .. }) if !released.is_empty() => {
                    *seen.entry("a booking released by a move to another day".into()).or_default() += 1
                }
                _ => {}
            }
            if let Some(sent) = sim.sent.get(&e.id).filter(|sent| sent.event_type != e.event_type) {
                *seen.entry(format!("{} stored as {}", sent.event_type, e.event_type)).or_default() += 1;
            }
            if sim
                .sent
                .get(&e.id)
                .is_some_and(|sent| sent.event_type == e.event_type && crate::notices::corrects(sent, e))
            {
                *seen.entry("a move's releases changed by the server".into()).or_default() += 1;
            }
        }
        for stream in sim.classes.iter() {
            let StreamState::Class(class) = sim.server.stream_state(*stream) else { continue };
            for b in &class.bookings {
                if let crate::class::Via::Promoted { automatic, .. } = b.via {
                    *seen.entry(format!("promoted (automatic: {automatic})")).or_default() += 1;
                }
            }
            if class.waitlist.iter().any(|w| w.skipped.is_some()) {
                *seen.entry("a waiting member skipped".into()).or_default() += 1;
            }
        }
        for d in &sim.devices {
            for e in d.log.iter().filter(|e| matches!(e.state, LocalState::Resolved(_) | LocalState::Rejected(_))) {
                *seen.entry(format!("inbox: {}", e.envelope.event_type)).or_default() += 1;
            }
        }
    }
    // The runs met every way a class's events are resolved: the last spot booked on two devices,
    // a booking of a class cancelled or moved meanwhile, a member who can no longer attend, a
    // change made on two devices, a card's last visit used twice.
    for kind in [
        "ClassScheduled",
        "ClassRescheduled",
        "ClassCancelled",
        "ClassWaitlisted",
        "WaitlistLeft",
        "WaitlistPromoted",
        "AttendanceMarked",
        "AttendanceSubmitted",
        "ChargeWaived",
        "ClassChangeRepeated",
        "ClassVisitUsed",
        "ClassVisitReturned",
        "ClassVisitNotCounted",
        "late cancel",
        "booked beyond the capacity",
        "ClassBooked stored as ClassWaitlisted",
        "ClassBooked stored as BookingRefused",
        "refused: class_cancelled",
        "refused: already_booked",
        "refused: not_promoted",
        "promoted (automatic: true)",
        "promoted (automatic: false)",
        "a waiting member skipped",
        "a booking released by a move to another day",
        "a move's releases changed by the server",
    ] {
        assert!(seen.get(kind).copied().unwrap_or(0) > 0, "no run produced {kind}: {seen:#?}");
    }
}

#[test]
fn devices_converge_and_lose_nothing_when_the_server_is_restored_from_older_backups() {
    let seeds: u64 = std::env::var("FARADAY_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut restored = 0;
    for seed in 1..=seeds {
        let mut sim = Sim::new(seed, 3);
        sim.restores = 10;
        sim.class_share = 25;
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

/// Two desks online with a member (`membership` sold from today) and a class starting at
/// `start_ms` for two, both known to both desks.
fn a_class_and_a_member(
    server: &mut MemoryServer,
    terms: PlanTerms,
    start_ms: u64,
) -> (MemoryDevice, MemoryDevice, StreamId, StreamId) {
    let (member, class) = (StreamId::member(Uuid::from_u128(0x1001)), crate::class::stream(Uuid::from_u128(0xc1a55)));
    let today = Date::utc_of(T);
    let mut a = MemoryDevice::new("desk-a", 1);
    let mut b = MemoryDevice::new("desk-b", 2);
    let price = terms.price_cents;
    for command in [
        register("Ann"),
        MemberCommand::SellMembership {
            membership: MONTHLY,
            plan: Uuid::from_u128(0xb1),
            terms,
            start: Start::On(today),
            on: today,
        },
        MemberCommand::RecordPayment {
            membership: MONTHLY,
            amount_cents: price,
            method: PaymentMethod::Cash,
            on: today,
        },
    ] {
        a.execute::<Member>(member, command, T).unwrap();
    }
    let details = ClassDetails { start_ms, day: Date::utc_of(start_ms), ..crate::testing::classes::details(2) };
    let schedule = ClassCommand::ScheduleClass { details, cutoffs: crate::class::Cutoffs::default() };
    a.execute::<Class>(class, schedule, T).unwrap();
    for d in [&mut a, &mut b] {
        d.replicator.handle_input(T, Input::Online);
        d.run(T, &mut wire(server, T));
    }
    assert_eq!((a.log.len(), b.log.len()), (4, 4));
    (a, b, member, class)
}

/// A class starting in 30 minutes and Ann on a monthly membership, both on desks a and b; desk b
/// freezes her membership from today for three days and pushes it. Desk a (not told yet), Ann,
/// the class and today.
fn frozen_by_the_other_desk(server: &mut MemoryServer) -> (MemoryDevice, StreamId, StreamId, Date) {
    let (a, mut b, member, class) = a_class_and_a_member(server, unlimited_monthly(), T + 30 * 60_000);
    let today = Date::utc_of(T);
    let freeze =
        MemberCommand::FreezeMembership { membership: MONTHLY, from: today, until: today.add_days(3), on: today };
    b.execute::<Member>(member, freeze, T + 1_000).unwrap();
    b.run(T + 1_000, &mut wire(server, T + 1_000));
    (a, member, class, today)
}

#[test]
fn a_booking_the_server_refuses_offline_is_told_with_the_attendance_taken_of_it_and_the_class_stands() {
    let mut server = MemoryServer::default();
    // Desk b freezes Ann's membership; desk a, offline, books her and marks her attended.
    let (mut a, member, class, today) = frozen_by_the_other_desk(&mut server);
    a.replicator.handle_input(T + 1_000, Input::Offline);
    a.execute::<Class>(class, crate::testing::classes::book(member.id), T + 2_000).unwrap();
    let mark = ClassCommand::MarkAttendance { member: member.id, attended: true };
    a.execute::<Class>(class, mark, T + 3_000).unwrap();
    a.replicator.handle_input(T + 4_000, Input::Online);
    a.run(T + 4_000, &mut wire(&mut server, T + 4_000));

    let stored: Vec<&str> = server.log.iter().filter(|e| e.stream == class).map(|e| e.event_type.as_str()).collect();
    assert_eq!(stored, ["ClassScheduled", "BookingRefused", "BookingRefused"], "the class stands; neither did");
    assert!(a.inbox().is_empty(), "nothing for a person to decide");
    let told: Vec<&str> = a.log.iter().filter(|e| e.corrected).map(|e| e.envelope.event_type.as_str()).collect();
    assert_eq!(told, ["BookingRefused", "BookingRefused"], "desk a's staff are told, with the reason");
    let StreamState::Class(on_server) = server.stream_state(class) else { panic!("a class") };
    assert_eq!(on_server.refused[0].1, Refused::Denied { denial: Denial::Frozen { until: today.add_days(3) } });
    assert_eq!(a.load::<Class>(class).0, on_server);
}

#[test]
fn a_card_booked_and_attended_offline_keeps_its_booking_though_the_attendance_used_its_last_visit() {
    let mut server = MemoryServer::default();
    let start = T + 30 * 60_000;
    let (mut a, _, member, class) = a_class_and_a_member(&mut server, card_of(1), start);
    let today = Date::utc_of(T);
    a.replicator.handle_input(T + 1_000, Input::Offline);
    a.execute::<Class>(class, crate::testing::classes::book(member.id), T + 2_000).unwrap();
    a.execute::<Class>(class, ClassCommand::MarkAttendance { member: member.id, attended: true }, T + 3_000).unwrap();
    let visit = MemberCommand::UseClassVisit { class: class.id, membership: MONTHLY, on: today, charge: None };
    a.execute::<Member>(member, visit, T + 3_000).unwrap();
    a.replicator.handle_input(T + 4_000, Input::Online);
    a.run(T + 4_000, &mut wire(&mut server, T + 4_000));

    let of = |stream| -> Vec<&str> {
        server.log.iter().skip(4).filter(|e| e.stream == stream).map(|e| e.event_type.as_str()).collect()
    };
    assert_eq!((of(class), of(member)), (vec!["ClassBooked", "AttendanceMarked"], vec!["ClassVisitUsed"]));
    assert!(a.log.iter().all(|e| !e.corrected) && a.inbox().is_empty());
    let card = server.member(member).membership(MONTHLY).cloned().unwrap();
    assert_eq!(card.visits_left(), Some(0));
}

/// Proposed with the plan.rs fix: a push whose answer was lost stored a booking as refused; the
/// retry carries the attendance taken of it since. The stored prefix is not in the form the desk
/// sent, so the rest is resolved as concurrent (the attendance refused too), not refused whole.
#[test]
fn a_retried_push_whose_stored_booking_was_refused_resolves_what_was_decided_on_it_since() {
    let mut server = MemoryServer::default();
    let (mut a, member, class, _) = frozen_by_the_other_desk(&mut server);
    a.execute::<Class>(class, crate::testing::classes::book(member.id), T + 2_000).unwrap();
    // Stored, but the answer is lost.
    a.run(T + 2_000, &mut |_, out| match out {
        Output::Push(req) => {
            server.push(&req, T + 2_000).unwrap();
            Some(Input::PushAnswered(Err(Failure::Transient("answer lost".into()))))
        }
        _ => None,
    });
    a.execute::<Class>(class, ClassCommand::MarkAttendance { member: member.id, attended: true }, T + 3_000).unwrap();
    let retry = a.replicator.poll_timeout().expect("a retry is scheduled");
    a.replicator.handle_timeout(retry);
    a.run(retry, &mut wire(&mut server, retry));
    let stored: Vec<&str> = server.log.iter().filter(|e| e.stream == class).map(|e| e.event_type.as_str()).collect();
    assert_eq!(stored, ["ClassScheduled", "BookingRefused", "BookingRefused"]);
    assert!(a.inbox().is_empty(), "nothing set aside");
    assert_eq!(a.log.iter().filter(|e| e.corrected).count(), 2, "both told");
}
