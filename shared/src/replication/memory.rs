//! An in-memory device: the local event log, the repository and the store operations, with the
//! same semantics the browser's IndexedDB store implements. Used by simulations and by the
//! server's end-to-end tests to drive the real replicator natively.

use super::replicator::{Input, Output, Replicator, Saved, StoreOp};
use crate::{
    aggregate::{Aggregate, EventMeta},
    envelope::{EventEnvelope, Stamp},
    hlc::HlcClock,
    ids::DeviceId,
    notices,
    stream::StreamId,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalState {
    Pending,
    Confirmed,
    /// Confirmed in an earlier epoch of the server's log, not (yet) seen in the current one.
    Unconfirmed,
    /// The server did not take it (its conflict inbox entry, with the reason).
    Rejected(String),
    /// Rejected, then staff chose "discard mine" or "apply mine on top" (which decided anew).
    Resolved(String),
}

#[derive(Clone, Debug)]
pub struct LocalEvent {
    pub envelope: EventEnvelope,
    pub state: LocalState,
    /// Pushed as one thing, stored by the server as another (a check-in recorded as a duplicate, a
    /// change overwritten by a merge): staff are told until they acknowledge it.
    pub corrected: bool,
}

pub struct MemoryDevice {
    pub device: DeviceId,
    pub replicator: Replicator,
    pub log: Vec<LocalEvent>,
    pub clock: HlcClock,
    /// The staff member its commands are stamped with (None: a simulation without accounts).
    pub staff: Option<crate::access::StaffId>,
    rng: u64,
}

impl MemoryDevice {
    pub fn new(device: &str, seed: u64) -> Self {
        let device = DeviceId::new(device).expect("valid device id");
        // splitmix64, so that nearby seeds give unrelated streams (a plain `seed | 1` would merge 2 and 3).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let rng = (z ^ (z >> 31)).max(1);
        Self {
            replicator: Replicator::new(device.clone(), Saved::default(), seed),
            device,
            log: vec![],
            clock: HlcClock::default(),
            staff: None,
            rng,
        }
    }

    fn random(&mut self) -> [u8; 10] {
        let mut out = [0; 10];
        for b in &mut out {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            *b = self.rng as u8;
        }
        out
    }

    /// The events of a stream that count locally: confirmed (or once confirmed) ones by version,
    /// then pending ones on top.
    pub fn stream(&self, stream: StreamId) -> Vec<&EventEnvelope> {
        let mut confirmed: Vec<&EventEnvelope> = self
            .log
            .iter()
            .filter(|e| {
                e.envelope.stream == stream && matches!(e.state, LocalState::Confirmed | LocalState::Unconfirmed)
            })
            .map(|e| &e.envelope)
            .collect();
        confirmed.sort_by_key(|e| e.version);
        let pending = self.log.iter().filter(|e| e.envelope.stream == stream && e.state == LocalState::Pending);
        confirmed.extend(pending.map(|e| &e.envelope));
        confirmed
    }

    pub fn load<A: Aggregate>(&self, stream: StreamId) -> (A, u64) {
        let events = self.stream(stream);
        let head = events.iter().map(|e| e.version).max().unwrap_or(0);
        let mut state = A::default();
        for e in events {
            state.evolve(&e.decode().expect("local events decode"), &EventMeta::of(e));
        }
        (state, head)
    }

    /// The repository: load, decide, append as pending, tell the replicator.
    pub fn execute<A: Aggregate>(
        &mut self,
        stream: StreamId,
        command: A::Command,
        now_ms: u64,
    ) -> Result<(), A::Error> {
        let (state, head) = self.load::<A>(stream);
        let events = state.decide(command, now_ms)?;
        let mut clock = self.clock;
        let mut randoms = (0..events.len()).map(|_| self.random()).collect::<Vec<_>>().into_iter();
        let mut next = || randoms.next().expect("one per event");
        let envelopes = EventEnvelope::wrap(
            stream,
            head,
            &events,
            Stamp { device: &self.device, staff: self.staff, now_ms, hlc: &mut clock, random: &mut next },
        );
        self.clock = clock;
        self.log.extend(envelopes.into_iter().map(|envelope| LocalEvent {
            envelope,
            state: LocalState::Pending,
            corrected: false,
        }));
        self.replicator.handle_input(now_ms, Input::LocalChange);
        Ok(())
    }

    /// The conflict inbox: rejected events staff have not resolved yet.
    pub fn inbox(&self) -> Vec<&LocalEvent> {
        self.log.iter().filter(|e| matches!(e.state, LocalState::Rejected(_))).collect()
    }

    /// A correction was seen by staff: it leaves the inbox.
    pub fn acknowledge(&mut self, id: uuid::Uuid) {
        if let Some(e) = self.log.iter_mut().find(|e| e.envelope.id == id) {
            e.corrected = false;
        }
    }

    /// "Discard mine": the rejected event leaves the inbox (kept, marked resolved).
    pub fn discard(&mut self, id: uuid::Uuid) {
        if let Some(e) = self.log.iter_mut().find(|e| e.envelope.id == id) {
            if let LocalState::Rejected(reason) = &e.state {
                e.state = LocalState::Resolved(reason.clone());
            }
        }
    }

    /// "Apply mine on top": the rejected event's command decided anew on the stream as it now is
    /// (at the time it was first decided); on success the inbox entry is resolved.
    pub fn apply_on_top<A: Aggregate>(&mut self, id: uuid::Uuid, now_ms: u64) -> Result<(), Option<A::Error>> {
        let Some(rejected) = self.inbox().into_iter().find(|e| e.envelope.id == id).map(|e| e.envelope.clone()) else {
            return Err(None);
        };
        let event: A::Event = rejected.decode().map_err(|_| None)?;
        let Some((command, at_ms)) = A::command_of(&event) else { return Err(None) };
        let at_ms = if at_ms == 0 { now_ms } else { at_ms.min(now_ms) };
        self.execute::<A>(rejected.stream, command, at_ms).map_err(Some)?;
        self.discard(id);
        Ok(())
    }

    pub fn pending(&self) -> Vec<EventEnvelope> {
        self.log.iter().filter(|e| e.state == LocalState::Pending).map(|e| e.envelope.clone()).collect()
    }

    /// Carries out one store operation, as the IndexedDB store does in one transaction.
    pub fn apply(&mut self, op: StoreOp, now_ms: u64) {
        match op {
            StoreOp::Confirm { mut stored, server_events } => {
                let mut events = server_events;
                events.append(&mut stored);
                self.insert_remote(events, now_ms);
            }
            StoreOp::Reject { stream, server_events, reason } => {
                // The server's side first: pending events it already holds (stored by an earlier
                // try whose answer was lost) are confirmed, not rejected.
                self.insert_remote(server_events, now_ms);
                for local in
                    self.log.iter_mut().filter(|e| e.envelope.stream == stream && e.state == LocalState::Pending)
                {
                    local.state = LocalState::Rejected(reason.clone());
                }
            }
            StoreOp::Apply { events, .. } => self.insert_remote(events, now_ms),
            StoreOp::AdoptEpoch(_) => {}
            StoreOp::Reset { .. } => {
                for local in self.log.iter_mut().filter(|e| e.state == LocalState::Confirmed) {
                    local.envelope.position = None;
                    local.state = LocalState::Unconfirmed;
                }
            }
            StoreOp::Reoffer => {
                // Pending events go out in log order; each stream's own must come in version
                // order, the offered-back ones below the pending ones built on them.
                let (mut offered, rest): (Vec<LocalEvent>, Vec<LocalEvent>) = std::mem::take(&mut self.log)
                    .into_iter()
                    .partition(|e| matches!(e.state, LocalState::Unconfirmed | LocalState::Pending));
                offered.sort_by_key(|e| (e.envelope.stream, e.envelope.version));
                for e in &mut offered {
                    e.state = LocalState::Pending;
                }
                self.log = rest;
                self.log.extend(offered);
            }
        }
    }

    fn insert_remote(&mut self, events: Vec<EventEnvelope>, now_ms: u64) {
        let mut arrived = vec![];
        for remote in events {
            self.clock.observe(remote.hlc, now_ms);
            match self.log.iter_mut().find(|e| e.envelope.id == remote.id) {
                // The server holds it, so it stands, whatever this device thought of it; if it says
                // this device's pending event did not take effect, staff are told.
                Some(local) => {
                    local.corrected |=
                        local.state == LocalState::Pending && notices::corrects(&local.envelope, &remote);
                    local.envelope = remote;
                    local.state = LocalState::Confirmed;
                }
                None => {
                    arrived.push(remote.id);
                    self.log.push(LocalEvent { envelope: remote, state: LocalState::Confirmed, corrected: false })
                }
            }
        }
        // Another desk's change that overwrote one of this device's, when it first arrives: staff
        // are told of it too.
        for id in arrived {
            let Some(event) = self.log.iter().find(|e| e.envelope.id == id).map(|e| e.envelope.clone()) else {
                continue;
            };
            if event.device == self.device {
                continue;
            }
            let mut before: Vec<&EventEnvelope> = self
                .log
                .iter()
                .filter(|e| {
                    e.envelope.stream == event.stream
                        && e.envelope.version < event.version
                        && matches!(e.state, LocalState::Confirmed | LocalState::Unconfirmed)
                })
                .map(|e| &e.envelope)
                .collect();
            before.sort_by_key(|e| e.version);
            let mut state = notices::fold(event.stream.kind, before);
            if notices::overrules(&mut state, &event, &self.device) {
                if let Some(local) = self.log.iter_mut().find(|e| e.envelope.id == id) {
                    local.corrected = true;
                }
            }
        }
    }

    /// Drains the replicator, carrying out store operations at once and handing every network
    /// output to `net`, which answers with the input to feed back (or `None` when the answer is lost
    /// or comes later).
    pub fn run(&mut self, now_ms: u64, net: &mut dyn FnMut(&MemoryDevice, Output) -> Option<Input>) {
        while let Some(output) = self.replicator.poll_output() {
            match output {
                Output::Store(op) => self.apply(op, now_ms),
                Output::LoadPending { limit } => {
                    let mut pending = self.pending();
                    pending.truncate(limit);
                    self.replicator.handle_input(now_ms, Input::Pending(pending));
                }
                other => {
                    if let Some(input) = net(self, other) {
                        self.replicator.handle_input(now_ms, input);
                    }
                }
            }
        }
    }
}
