use super::backoff::Backoff;
use crate::{
    envelope::EventEnvelope,
    ids::DeviceId,
    protocol::{BatchStatus, ErrorBody, PullResponse, PushBatch, PushRequest, PushResponse},
    stream::StreamId,
};
use std::collections::{BTreeMap, VecDeque};

/// Most pending events sent in one push.
pub const PUSH_MAX_EVENTS: usize = 500;
/// Events asked for per pull page.
pub const PULL_PAGE: u32 = 1_000;
/// Live events held while waiting for a gap to be filled; past this the pull does the work.
const MAX_BUFFERED: usize = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// No usable answer (offline, connection reset, timeout, 5xx): the same request may succeed later.
    Transient(String),
    /// The server refused the request (4xx): sending it again unchanged cannot help.
    Refused { status: u16, error: ErrorBody },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The network is back (the browser's `online` event, or a start while online).
    Online,
    Offline,
    /// Events were appended locally: there is something to push.
    LocalChange,
    /// The answer to [`Output::LoadPending`]: the oldest pending events, in stream and version order.
    Pending(Vec<EventEnvelope>),
    PushAnswered(Result<PushResponse, Failure>),
    PullAnswered(Result<PullResponse, Failure>),
    LiveOpened,
    LiveEvent(EventEnvelope),
    /// The live stream ended for good (the adapter's transport gave up).
    LiveClosed,
}

#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Read up to `limit` pending events and answer with [`Input::Pending`].
    LoadPending {
        limit: usize,
    },
    Push(PushRequest),
    Pull {
        after: u64,
        limit: u32,
    },
    /// Subscribe to live events after this position.
    OpenLive {
        after: u64,
    },
    CloseLive,
    /// A change to the local store, to be made atomically before the next input.
    Store(StoreOp),
}

#[derive(Clone, Debug, PartialEq)]
pub enum StoreOp {
    /// The server stored these pushed events: they are no longer pending and now have positions.
    Confirm(Vec<EventEnvelope>),
    /// The server will not take the pending events of `stream`: every pending event of that stream
    /// is set aside as rejected (kept, never pushed again), and `server_events` are its side.
    Reject { stream: StreamId, server_events: Vec<EventEnvelope>, reason: String },
    /// Events from other devices, in position order. Each is applied exactly once: an id the store
    /// already holds only gets its position. `cursor` is saved in the same transaction.
    Apply { events: Vec<EventEnvelope>, cursor: u64 },
}

#[derive(Clone, Debug, PartialEq)]
enum Push {
    Idle,
    Loading,
    InFlight(Vec<StreamId>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Live {
    Closed,
    Opening,
    Open,
}

/// What the sync badge shows (the pending count comes from the store).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncStatus {
    pub online: bool,
    pub cursor: u64,
    pub live: bool,
    pub syncing: bool,
    pub last_sync_ms: Option<u64>,
    pub last_error: Option<String>,
    pub retry_at_ms: Option<u64>,
}

#[derive(Debug)]
pub struct Replicator {
    device: DeviceId,
    cursor: u64,
    online: bool,
    push: Push,
    push_wanted: bool,
    pull_in_flight: bool,
    pull_wanted: bool,
    caught_up: bool,
    live: Live,
    buffered: BTreeMap<u64, EventEnvelope>,
    backoff: Backoff,
    retry_at: Option<u64>,
    last_sync_ms: Option<u64>,
    last_error: Option<String>,
    out: VecDeque<Output>,
}

impl Replicator {
    /// `cursor` is the saved position of the last remote event applied; `seed` feeds the backoff jitter.
    pub fn new(device: DeviceId, cursor: u64, seed: u64) -> Self {
        Self {
            device,
            cursor,
            online: false,
            push: Push::Idle,
            push_wanted: true,
            pull_in_flight: false,
            pull_wanted: true,
            caught_up: false,
            live: Live::Closed,
            buffered: BTreeMap::new(),
            backoff: Backoff::new(1_000, 60_000, seed),
            retry_at: None,
            last_sync_ms: None,
            last_error: None,
            out: VecDeque::new(),
        }
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    pub fn status(&self) -> SyncStatus {
        SyncStatus {
            online: self.online,
            cursor: self.cursor,
            live: self.live == Live::Open,
            syncing: self.push != Push::Idle || self.pull_in_flight,
            last_sync_ms: self.last_sync_ms,
            last_error: self.last_error.clone(),
            retry_at_ms: self.retry_at,
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When `handle_timeout` should be called next (a retry after a failure).
    pub fn poll_timeout(&self) -> Option<u64> {
        self.retry_at
    }

    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.retry_at.is_some_and(|t| t <= now_ms) {
            self.retry_at = None;
            self.drive();
        }
    }

    pub fn handle_input(&mut self, now_ms: u64, input: Input) {
        match input {
            Input::Online => {
                self.online = true;
                self.backoff.reset();
                self.retry_at = None;
                self.push_wanted = true;
                self.pull_wanted = true;
            }
            Input::Offline => {
                self.online = false;
                self.retry_at = None;
                self.caught_up = false;
                if self.live != Live::Closed {
                    self.live = Live::Closed;
                    self.out.push_back(Output::CloseLive);
                }
            }
            Input::LocalChange => self.push_wanted = true,
            Input::Pending(events) => self.on_pending(events),
            Input::PushAnswered(answer) => self.on_push_answer(now_ms, answer),
            Input::PullAnswered(answer) => self.on_pull_answer(now_ms, answer),
            Input::LiveOpened => {
                if self.live == Live::Opening {
                    self.live = Live::Open;
                }
            }
            Input::LiveEvent(event) => self.on_live_event(event),
            Input::LiveClosed => {
                if self.live != Live::Closed {
                    self.live = Live::Closed;
                    // Reopen after a pause, and catch up by pull in case the new stream starts late.
                    self.pull_wanted = true;
                    self.fail(now_ms, "the live connection closed".into());
                }
            }
        }
        self.drive();
    }

    /// Starts whatever is wanted and allowed now.
    fn drive(&mut self) {
        if !self.online || self.retry_at.is_some() {
            return;
        }
        if self.push == Push::Idle && self.push_wanted {
            self.push_wanted = false;
            self.push = Push::Loading;
            self.out.push_back(Output::LoadPending { limit: PUSH_MAX_EVENTS });
        }
        if !self.pull_in_flight && self.pull_wanted {
            self.pull_wanted = false;
            self.pull_in_flight = true;
            self.out.push_back(Output::Pull { after: self.cursor, limit: PULL_PAGE });
        }
        // Live only once caught up: a fresh device bootstraps by pages, not through the live stream.
        if self.live == Live::Closed && self.caught_up {
            self.live = Live::Opening;
            self.out.push_back(Output::OpenLive { after: self.cursor });
        }
    }

    fn fail(&mut self, now_ms: u64, reason: String) {
        self.last_error = Some(reason);
        if self.online {
            self.retry_at = Some(now_ms + self.backoff.next_delay());
        }
    }

    fn succeed(&mut self, now_ms: u64) {
        self.backoff.reset();
        self.last_sync_ms = Some(now_ms);
        self.last_error = None;
    }

    fn on_pending(&mut self, mut events: Vec<EventEnvelope>) {
        if self.push != Push::Loading {
            return;
        }
        events.sort_by_key(|e| (e.stream, e.version));
        events.truncate(PUSH_MAX_EVENTS);
        let mut batches: Vec<PushBatch> = Vec::new();
        for e in events {
            match batches.last_mut() {
                Some(b) if b.stream == e.stream => {
                    // A gap would be refused whole; send the contiguous part, the rest goes next time.
                    if b.events.last().is_some_and(|l| l.version + 1 == e.version) {
                        b.events.push(e);
                    }
                }
                _ => batches.push(PushBatch { stream: e.stream, parent_version: e.version - 1, events: vec![e] }),
            }
        }
        if batches.is_empty() {
            self.push = Push::Idle;
            return;
        }
        self.push = Push::InFlight(batches.iter().map(|b| b.stream).collect());
        self.out.push_back(Output::Push(PushRequest { device: self.device.clone(), batches }));
    }

    fn on_push_answer(&mut self, now_ms: u64, answer: Result<PushResponse, Failure>) {
        let Push::InFlight(streams) = std::mem::replace(&mut self.push, Push::Idle) else { return };
        match answer {
            Ok(response) => {
                for result in response.results {
                    if !streams.contains(&result.stream) {
                        continue;
                    }
                    let op = match result.status {
                        BatchStatus::Accepted => StoreOp::Confirm(result.events),
                        BatchStatus::Rejected => StoreOp::Reject {
                            stream: result.stream,
                            server_events: result.server_events,
                            reason: "another device changed this record first; your change was not applied".into(),
                        },
                    };
                    self.out.push_back(Output::Store(op));
                }
                self.push_wanted = true;
                self.succeed(now_ms);
            }
            Err(Failure::Refused { error, .. }) => {
                // Retrying a refused push would loop forever: set the offending stream's events aside
                // (all in-flight streams when the error names none) and carry on with the rest.
                let culprits: Vec<StreamId> = match error.stream {
                    Some(s) if streams.contains(&s) => vec![s],
                    _ => streams,
                };
                for stream in culprits {
                    self.out.push_back(Output::Store(StoreOp::Reject {
                        stream,
                        server_events: vec![],
                        reason: error.message.clone(),
                    }));
                }
                self.push_wanted = true;
                self.last_error = Some(error.message);
            }
            Err(Failure::Transient(reason)) => {
                self.push_wanted = true;
                self.fail(now_ms, reason);
            }
        }
    }

    fn on_pull_answer(&mut self, now_ms: u64, answer: Result<PullResponse, Failure>) {
        if !self.pull_in_flight {
            return;
        }
        self.pull_in_flight = false;
        match answer {
            Ok(page) => {
                let after = self.cursor;
                let events: Vec<EventEnvelope> =
                    page.events.into_iter().filter(|e| e.position.is_some_and(|p| p > after)).collect();
                let last = events.last().and_then(|e| e.position).unwrap_or(0);
                let cursor = after.max(page.next).max(last);
                if !events.is_empty() || cursor != after {
                    self.cursor = cursor;
                    self.out.push_back(Output::Store(StoreOp::Apply { events, cursor }));
                }
                self.drain_buffer();
                if page.has_more || !self.buffered.is_empty() {
                    self.pull_wanted = true;
                } else {
                    self.caught_up = true;
                }
                self.succeed(now_ms);
            }
            Err(Failure::Transient(reason)) => {
                self.pull_wanted = true;
                self.fail(now_ms, reason);
            }
            Err(Failure::Refused { error, .. }) => {
                self.pull_wanted = true;
                self.fail(now_ms, error.message);
            }
        }
    }

    fn on_live_event(&mut self, event: EventEnvelope) {
        let Some(position) = event.position else { return };
        if position <= self.cursor {
            return;
        }
        if self.buffered.len() >= MAX_BUFFERED {
            self.buffered.clear();
        }
        self.buffered.insert(position, event);
        self.drain_buffer();
        if !self.buffered.is_empty() {
            // Something between the cursor and this event is missing: a pull fills the gap.
            self.pull_wanted = true;
        }
    }

    /// Applies buffered live events that continue the cursor without a gap.
    fn drain_buffer(&mut self) {
        self.buffered = self.buffered.split_off(&(self.cursor + 1));
        let mut events = Vec::new();
        while let Some(entry) = self.buffered.first_entry() {
            if *entry.key() != self.cursor + 1 {
                break;
            }
            self.cursor += 1;
            events.push(entry.remove());
        }
        if !events.is_empty() {
            self.out.push_back(Output::Store(StoreOp::Apply { events, cursor: self.cursor }));
        }
    }
}
