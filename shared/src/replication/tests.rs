//! Deterministic simulations of devices replicating through an in-memory server that runs the
//! real acceptance rules, over a network that loses requests, loses answers and duplicates and
//! reorders live events. A failing seed is printed so it can be replayed.

use super::memory::{LocalState, MemoryDevice};
use super::*;
use crate::{
    acceptance::{check_request, plan_batch, KnownId, Plan},
    aggregate::Aggregate,
    member::{Member, MemberCommand},
    protocol::{BatchResult, BatchStatus, ErrorBody, PullResponse, PushRequest, PushResponse},
    stream::StreamId,
    EventEnvelope,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[derive(Default)]
struct MemoryServer {
    log: Vec<EventEnvelope>,
}

impl MemoryServer {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, Failure> {
        let refuse = |code: &str, message: String, stream| Failure::Refused {
            status: 422,
            error: ErrorBody { code: code.into(), message, stream, event: None },
        };
        check_request(request).map_err(|e| refuse(e.code(), e.to_string(), e.stream()))?;
        let mut plans = vec![];
        for batch in &request.batches {
            let history: Vec<EventEnvelope> = self.log.iter().filter(|e| e.stream == batch.stream).cloned().collect();
            let known: Vec<KnownId> = self
                .log
                .iter()
                .filter(|e| batch.events.iter().any(|b| b.id == e.id))
                .map(|e| KnownId { id: e.id, stream: e.stream, version: e.version })
                .collect();
            let plan =
                plan_batch(&history, &known, batch).map_err(|r| refuse(r.code(), r.to_string(), Some(batch.stream)))?;
            plans.push((batch.stream, plan));
        }
        let mut results = vec![];
        for (stream, plan) in plans {
            results.push(match plan {
                Plan::Append { mut stored, new } => {
                    for mut e in new {
                        e.position = Some(self.log.len() as u64 + 1);
                        self.log.push(e.clone());
                        stored.push(e);
                    }
                    BatchResult { stream, status: BatchStatus::Accepted, events: stored, server_events: vec![] }
                }
                Plan::Conflict { server_events } => {
                    BatchResult { stream, status: BatchStatus::Rejected, events: vec![], server_events }
                }
            });
        }
        Ok(PushResponse { results })
    }

    fn pull(&self, after: u64, limit: u32) -> PullResponse {
        let events: Vec<EventEnvelope> = self.log.iter().skip(after as usize).take(limit as usize).cloned().collect();
        let next = events.last().and_then(|e| e.position).unwrap_or(after);
        PullResponse { has_more: (next as usize) < self.log.len(), events, next }
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
    inbox: Vec<Vec<EventEnvelope>>,
    rng: Rng,
    now: u64,
    faults: bool,
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
        devices[d].run(*now, &mut |_, output| {
            let lost = |rng: &mut Rng| faults && rng.chance(15);
            match output {
                Output::Push(request) => {
                    if !is_online || lost(rng) {
                        return Some(Input::PushAnswered(Err(Failure::Transient("request lost".into()))));
                    }
                    let answer = server.push(&request);
                    if lost(rng) {
                        return Some(Input::PushAnswered(Err(Failure::Transient("answer lost".into()))));
                    }
                    Some(Input::PushAnswered(answer))
                }
                Output::Pull { after, limit } => {
                    if !is_online || lost(rng) {
                        return Some(Input::PullAnswered(Err(Failure::Transient("lost".into()))));
                    }
                    Some(Input::PullAnswered(Ok(server.pull(after, limit.min(7)))))
                }
                Output::OpenLive { after } => {
                    if !is_online {
                        return Some(Input::LiveClosed);
                    }
                    live[d] = Some(after);
                    inbox[d].clear();
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

    /// The server's live fan-out: every subscribed device gets what it has not been sent yet.
    fn broadcast(&mut self) {
        for d in 0..self.devices.len() {
            if let Some(sent) = self.live[d] {
                let new: Vec<EventEnvelope> = self.server.log.iter().skip(sent as usize).cloned().collect();
                self.live[d] = Some(self.server.log.len() as u64);
                self.inbox[d].extend(new);
            }
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
        for e in events {
            self.devices[d].replicator.handle_input(self.now, Input::LiveEvent(e));
        }
    }

    fn random_command(&mut self, d: usize, members: &mut Vec<StreamId>) {
        let now = self.now;
        if members.is_empty() || self.rng.chance(25) {
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
        } else {
            let stream = members[self.rng.below(members.len())];
            let _ = self.devices[d].execute::<Member>(stream, MemberCommand::CheckIn, now);
        }
    }

    fn run(&mut self, steps: usize) {
        let mut members = vec![];
        for _ in 0..steps {
            self.now += 1_000 + self.rng.next() % 400_000;
            let d = self.rng.below(self.devices.len());
            match self.rng.next() % 10 {
                0..=3 => self.random_command(d, &mut members),
                4 => {
                    self.online[d] = !self.online[d];
                    let input = if self.online[d] { Input::Online } else { Input::Offline };
                    self.devices[d].replicator.handle_input(self.now, input);
                }
                5 => self.deliver_live(d),
                _ => self.devices[d].replicator.handle_timeout(self.now),
            }
            self.step_device(d);
            self.broadcast();
        }
        // Heal: everyone online, no more faults, until nothing moves.
        self.faults = false;
        for d in 0..self.devices.len() {
            self.online[d] = true;
            self.devices[d].replicator.handle_input(self.now, Input::Online);
        }
        for _ in 0..200 {
            self.now += 61_000;
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
                let server: Vec<_> = log.iter().filter(|e| e.stream == *stream).map(|e| e.decode().unwrap()).collect();
                assert_eq!(device.load::<Member>(*stream).0, Member::from_events(&server), "seed {seed}");
            }
            for rejected in device.log.iter().filter(|e| matches!(e.state, LocalState::Rejected(_))) {
                assert!(!ids.contains(&rejected.envelope.id), "seed {seed}: a rejected event was stored");
            }
        }
    }
}

#[test]
fn devices_converge_despite_lost_answers_duplicates_and_offline_spells() {
    let seeds: u64 = std::env::var("FARADAY_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    for seed in 1..=seeds {
        let mut sim = Sim::new(seed, 3);
        sim.run(300);
        sim.check_converged(seed);
    }
}

#[test]
fn a_device_offline_from_the_start_pushes_everything_once_it_is_back() {
    let mut sim = Sim::new(7, 2);
    sim.faults = false;
    sim.online[0] = false;
    sim.devices[0].replicator.handle_input(sim.now, Input::Offline);
    let stream = StreamId::member(Uuid::from_u128(1));
    let register = MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
    sim.devices[0].execute::<Member>(stream, register, sim.now).unwrap();
    sim.devices[0].execute::<Member>(stream, MemberCommand::CheckIn, sim.now).unwrap();
    sim.step_device(0);
    assert!(sim.server.log.is_empty(), "nothing leaves an offline device");
    assert_eq!(sim.devices[0].pending().len(), 2);
    sim.run(0);
    assert_eq!(sim.server.log.len(), 2);
    sim.check_converged(7);
}

#[test]
fn a_lost_push_answer_is_retried_without_duplicating_events() {
    let mut device = MemoryDevice::new("desk", 3);
    let mut server = MemoryServer::default();
    device.replicator.handle_input(0, Input::Online);
    let stream = StreamId::member(Uuid::from_u128(9));
    let register = MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
    device.execute::<Member>(stream, register, 1_000).unwrap();
    // The server stores the push, but its answer never arrives.
    device.run(1_000, &mut |_, out| match out {
        Output::Push(req) => {
            server.push(&req).unwrap();
            Some(Input::PushAnswered(Err(Failure::Transient("answer lost".into()))))
        }
        Output::Pull { .. } => Some(Input::PullAnswered(Err(Failure::Transient("offline".into())))),
        _ => None,
    });
    let retry = device.replicator.poll_timeout().expect("a retry is scheduled");
    device.replicator.handle_timeout(retry);
    device.run(retry, &mut |_, out| match out {
        Output::Push(req) => Some(Input::PushAnswered(server.push(&req))),
        Output::Pull { after, limit } => Some(Input::PullAnswered(Ok(server.pull(after, limit)))),
        Output::OpenLive { .. } => Some(Input::LiveOpened),
        _ => None,
    });
    assert_eq!(server.log.len(), 1, "the retried push stored nothing twice");
    assert!(device.pending().is_empty());
    assert_eq!(device.replicator.cursor(), 1);
    assert_eq!(device.log.len(), 1, "the pulled copy was recognised, not applied again");
}

#[test]
fn a_conflicting_push_sets_the_local_change_aside_and_adopts_the_server_side() {
    let mut server = MemoryServer::default();
    let stream = StreamId::member(Uuid::from_u128(5));
    let register = MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
    let mut a = MemoryDevice::new("a", 1);
    a.execute::<Member>(stream, register, 0).unwrap();
    let push = server
        .push(&PushRequest {
            device: a.device.clone(),
            batches: vec![crate::protocol::PushBatch { stream, parent_version: 0, events: a.pending() }],
        })
        .unwrap();
    a.apply(StoreOp::Confirm(push.results[0].events.clone()), 0);
    let mut b = MemoryDevice::new("b", 2);
    b.apply(StoreOp::Apply { events: server.log.clone(), cursor: 1 }, 0);
    // Both desks check Anna in while offline; a's reaches the server first.
    a.execute::<Member>(stream, MemberCommand::CheckIn, 1_000).unwrap();
    b.execute::<Member>(stream, MemberCommand::CheckIn, 2_000).unwrap();
    let req = |d: &MemoryDevice| PushRequest {
        device: d.device.clone(),
        batches: vec![crate::protocol::PushBatch { stream, parent_version: 1, events: d.pending() }],
    };
    assert_eq!(server.push(&req(&a)).unwrap().results[0].status, BatchStatus::Accepted);
    let answer = server.push(&req(&b)).unwrap();
    assert_eq!(answer.results[0].status, BatchStatus::Rejected);
    assert_eq!(answer.results[0].server_events.len(), 1);
    b.replicator.handle_input(3_000, Input::Online);
    let mut pushed = false;
    b.run(3_000, &mut |_, out| match out {
        Output::Push(_) if !pushed => {
            pushed = true;
            Some(Input::PushAnswered(Ok(answer.clone())))
        }
        Output::Pull { .. } => Some(Input::PullAnswered(Err(Failure::Transient("offline".into())))),
        _ => None,
    });
    assert!(pushed);
    assert!(b.pending().is_empty());
    assert!(b.log.iter().any(|e| matches!(e.state, LocalState::Rejected(_))));
    assert_eq!(b.load::<Member>(stream).0.check_ins, 1, "the server's check-in counts, once");
}
