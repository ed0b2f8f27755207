use super::{backoff::Backoff, status::Contact};
use crate::{
    envelope::EventEnvelope,
    ids::DeviceId,
    protocol::{
        BatchStatus, ErrorBody, LiveStatus, LogEpoch, PullResponse, PushBatch, PushRequest, PushResponse,
        LIVE_SILENCE_MS,
    },
    stream::StreamId,
};
use std::collections::{BTreeMap, VecDeque};

pub use super::status::SyncStatus;

/// Most pending events sent in one push.
pub const PUSH_MAX_EVENTS: usize = 500;
/// Events asked for per pull page.
pub const PULL_PAGE: u32 = 1_000;
/// Live events held while waiting for a gap to be filled; past this the pull does the work.
const MAX_BUFFERED: usize = 10_000;
/// Most remote events in one [`StoreOp::Apply`]: consecutive ones are merged up to this, so a burst
/// of live events is one store transaction per thousand, not one per event.
pub const MAX_APPLY_EVENTS: usize = 1_000;

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
    /// The live stream's first message and heartbeat: where the server's log stands.
    LiveStatus(LiveStatus),
    LiveEvent(EventEnvelope),
    /// The live connection broke and the transport is reconnecting by itself (a browser's
    /// EventSource does): no events are lost, but the server is not reachable right now.
    LiveInterrupted,
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
    /// The server stored these pushed events (`stored`, the server's copies: renumbered by a rebase
    /// or merge, a compensated one under the same id with another type): each replaces the pending
    /// event with its id, and is no longer pending. `server_events` are the other device's events the
    /// batch met, stored like pulled ones. A pending event whose stored copy has another type was
    /// corrected by the server: staff are told.
    Confirm { stored: Vec<EventEnvelope>, server_events: Vec<EventEnvelope> },
    /// The server will not take the pending events of `stream`: every pending event of that stream
    /// is set aside as rejected (kept, never pushed again), and `server_events` are its side.
    Reject { stream: StreamId, server_events: Vec<EventEnvelope>, reason: String },
    /// Events from other devices, in position order. Each is applied exactly once: an id the store
    /// already holds only gets its position. `cursor` is saved in the same transaction.
    Apply { events: Vec<EventEnvelope>, cursor: u64 },
    /// The first answer of a device that knows no epoch yet: remember this one.
    AdoptEpoch(LogEpoch),
    /// The server's log is not the one this device synced with (restored from a backup, or reset):
    /// save `epoch`, set the cursor to 0, and mark every confirmed event unconfirmed. Unconfirmed
    /// events still count on the device; a pull that brings one back confirms it again.
    Reset { epoch: LogEpoch },
    /// The first catch-up in a new epoch is done: every event still unconfirmed is one the server
    /// lost. Make them pending again (same ids, each stream's in version order) so they are pushed.
    Reoffer,
}

/// What the device saved of its replication between runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saved {
    /// The position of the last remote event applied.
    pub cursor: u64,
    pub epoch: Option<LogEpoch>,
    /// A [`StoreOp::Reset`] was carried out and its [`StoreOp::Reoffer`] not yet.
    pub resyncing: bool,
    /// The last time the server answered (ms since the epoch), kept across reloads.
    pub last_sync_ms: Option<u64>,
    /// The highest position the server was known to have: after a reload, the device still knows
    /// how much of the log it has not received (a first sync cut short, say).
    pub server_head: u64,
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

#[derive(Debug)]
pub struct Replicator {
    device: DeviceId,
    cursor: u64,
    epoch: Option<LogEpoch>,
    /// Until the first catch-up after a [`StoreOp::Reset`]: nothing is pushed (pending events may be
    /// built on events the server lost, which are offered back first).
    resyncing: bool,
    /// The last time the log was found replaced (ms), for staff.
    log_replaced_ms: Option<u64>,
    online: bool,
    push: Push,
    push_wanted: bool,
    pull_in_flight: bool,
    /// The `after` of the pull in flight: its answer's head can be no lower in the same log.
    pull_after: u64,
    pull_wanted: bool,
    caught_up: bool,
    live: Live,
    /// When a silent live stream is given up on.
    live_deadline: Option<u64>,
    /// The highest position the live connection started after or delivered: where it resumes.
    live_from: u64,
    /// Until the first status of a live connection: the position it resumed from. The server reads
    /// its head before sending anything, so in the same log that head is no lower. (Later statuses
    /// may race with events on the wire, and a pull may have moved the cursor further: only their
    /// epoch is compared.)
    live_resumed_from: Option<u64>,
    buffered: BTreeMap<u64, EventEnvelope>,
    /// The highest position the server is known to have.
    server_head: u64,
    backoff: Backoff,
    retry_at: Option<u64>,
    contact: Contact,
    out: VecDeque<Output>,
}

impl Replicator {
    /// `saved` is what the store kept of the last run; `seed` feeds the backoff jitter.
    pub fn new(device: DeviceId, saved: Saved, seed: u64) -> Self {
        Self {
            device,
            cursor: saved.cursor,
            epoch: saved.epoch,
            resyncing: saved.resyncing,
            log_replaced_ms: None,
            online: false,
            push: Push::Idle,
            push_wanted: true,
            pull_in_flight: false,
            pull_after: 0,
            pull_wanted: true,
            caught_up: false,
            live: Live::Closed,
            live_deadline: None,
            live_from: 0,
            live_resumed_from: None,
            buffered: BTreeMap::new(),
            server_head: saved.server_head.max(saved.cursor),
            backoff: Backoff::new(1_000, 60_000, seed),
            retry_at: None,
            contact: Contact::new(saved.last_sync_ms),
            out: VecDeque::new(),
        }
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    pub fn epoch(&self) -> Option<LogEpoch> {
        self.epoch
    }

    pub fn status(&self) -> SyncStatus {
        SyncStatus {
            connection: self.contact.connection(self.online),
            cursor: self.cursor,
            server_head: self.server_head.max(self.cursor),
            live: self.live == Live::Open,
            syncing: self.push != Push::Idle || self.pull_in_flight,
            resyncing: self.resyncing,
            last_sync_ms: self.contact.last_sync_ms,
            last_error: self.contact.last_error.clone(),
            retry_at_ms: self.retry_at,
            clock_skew_ms: self.contact.clock_skew_ms,
            clock_measured_ms: self.contact.clock_measured_ms,
            log_replaced_ms: self.log_replaced_ms,
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When `handle_timeout` should be called next: a retry after a failure, or the moment a silent
    /// live stream is given up on.
    pub fn poll_timeout(&self) -> Option<u64> {
        match (self.retry_at, self.live_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.live_deadline.is_some_and(|t| t <= now_ms) {
            self.close_live();
            // Catch up by pull before listening again: the silence may hide missed events.
            self.caught_up = false;
            self.pull_wanted = true;
            self.fail(now_ms, format!("no word from the server for {} s", LIVE_SILENCE_MS / 1000));
        }
        if self.retry_at.is_some_and(|t| t <= now_ms) {
            self.retry_at = None;
        }
        self.drive(now_ms);
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
                self.close_live();
            }
            Input::LocalChange => self.push_wanted = true,
            Input::Pending(events) => self.on_pending(events),
            Input::PushAnswered(answer) => self.on_push_answer(now_ms, answer),
            Input::PullAnswered(answer) => self.on_pull_answer(now_ms, answer),
            Input::LiveOpened => {
                if self.live != Live::Closed {
                    // A browser reconnecting by itself resumes after the last event it delivered.
                    self.live_resumed_from = Some(self.live_from);
                    self.live = Live::Open;
                    self.live_deadline = Some(now_ms + LIVE_SILENCE_MS);
                    self.contact.answered(now_ms, None);
                }
            }
            Input::LiveStatus(status) => self.on_live_status(now_ms, status),
            Input::LiveEvent(event) => {
                if self.live != Live::Closed {
                    self.live_deadline = Some(now_ms + LIVE_SILENCE_MS);
                    self.contact.answered(now_ms, None);
                }
                self.on_live_event(event);
            }
            Input::LiveInterrupted => {
                if self.live == Live::Open {
                    self.live = Live::Opening;
                    self.contact.failed("the connection to the server was lost; reconnecting".into());
                }
            }
            Input::LiveClosed => {
                if self.live != Live::Closed {
                    self.live = Live::Closed;
                    self.live_deadline = None;
                    // Reopen after a pause, and catch up by pull in case the new stream starts late.
                    self.pull_wanted = true;
                    self.fail(now_ms, "the live connection closed".into());
                }
            }
        }
        self.drive(now_ms);
    }

    /// Starts whatever is wanted and allowed now.
    fn drive(&mut self, now_ms: u64) {
        if !self.online || self.retry_at.is_some() {
            return;
        }
        if self.push == Push::Idle && self.push_wanted && !self.resyncing {
            self.push_wanted = false;
            self.push = Push::Loading;
            self.out.push_back(Output::LoadPending { limit: PUSH_MAX_EVENTS });
        }
        if !self.pull_in_flight && self.pull_wanted {
            self.pull_wanted = false;
            self.pull_in_flight = true;
            self.pull_after = self.cursor;
            self.out.push_back(Output::Pull { after: self.cursor, limit: PULL_PAGE });
        }
        // Live only once caught up: a fresh device bootstraps by pages, not through the live stream.
        if self.live == Live::Closed && self.caught_up {
            self.live = Live::Opening;
            self.live_deadline = Some(now_ms + LIVE_SILENCE_MS);
            self.live_from = self.cursor;
            self.live_resumed_from = Some(self.cursor);
            self.out.push_back(Output::OpenLive { after: self.cursor });
        }
    }

    fn close_live(&mut self) {
        self.live_deadline = None;
        if self.live != Live::Closed {
            self.live = Live::Closed;
            self.out.push_back(Output::CloseLive);
        }
    }

    fn fail(&mut self, now_ms: u64, reason: String) {
        self.contact.failed(reason);
        if self.online {
            self.retry_at = Some(now_ms + self.backoff.next_delay());
        }
    }

    fn succeed(&mut self, now_ms: u64, server_ms: u64) {
        self.backoff.reset();
        self.contact.answered(now_ms, Some(server_ms));
    }

    /// Applies remote events, merged with an Apply still queued so that bursts share a transaction.
    fn apply(&mut self, mut events: Vec<EventEnvelope>, cursor: u64) {
        if let Some(Output::Store(StoreOp::Apply { events: queued, cursor: queued_cursor })) = self.out.back_mut() {
            if queued.len() + events.len() <= MAX_APPLY_EVENTS {
                queued.append(&mut events);
                *queued_cursor = cursor;
                return;
            }
        }
        self.out.push_back(Output::Store(StoreOp::Apply { events, cursor }));
    }

    /// Checks that the server's log is the one this device synced with: the same epoch, and a head
    /// no lower than `seen`, a position this device knows the log had. When it is not, the device
    /// starts over from position 0 and the caller must drop what it was about to apply.
    fn same_log(&mut self, now_ms: u64, epoch: LogEpoch, head: u64, seen: u64) -> bool {
        match self.epoch {
            None if head >= seen => {
                self.epoch = Some(epoch);
                self.out.push_back(Output::Store(StoreOp::AdoptEpoch(epoch)));
                true
            }
            Some(known) if known == epoch && head >= seen => true,
            // Another epoch, or a log shorter than what this device already applied: a restore.
            _ => {
                self.epoch = Some(epoch);
                self.cursor = 0;
                self.server_head = head;
                self.buffered.clear();
                self.resyncing = true;
                self.log_replaced_ms = Some(now_ms);
                self.caught_up = false;
                self.pull_wanted = true;
                self.close_live();
                // An Apply still queued belongs to the old log: its cursor would be wrong now.
                self.out.retain(|o| !matches!(o, Output::Store(StoreOp::Apply { .. })));
                self.out.push_back(Output::Store(StoreOp::Reset { epoch }));
                false
            }
        }
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
        self.out.push_back(Output::Push(PushRequest { device: self.device.clone(), batches, epoch: self.epoch }));
    }

    fn on_push_answer(&mut self, now_ms: u64, answer: Result<PushResponse, Failure>) {
        let Push::InFlight(streams) = std::mem::replace(&mut self.push, Push::Idle) else { return };
        match answer {
            Ok(response) => {
                // The events are stored in the log the answer names; if that is not the log this
                // device knew, it starts over first, and these confirmations are of the new log.
                self.same_log(now_ms, response.epoch, 0, 0);
                for mut result in response.results {
                    if !streams.contains(&result.stream) {
                        continue;
                    }
                    let op = match result.status {
                        BatchStatus::Accepted | BatchStatus::Rebased | BatchStatus::Merged => {
                            StoreOp::Confirm { stored: result.events, server_events: result.server_events }
                        }
                        BatchStatus::Rejected => {
                            // A prefix an earlier try stored stands; the rest is refused.
                            if !result.events.is_empty() {
                                let stored = std::mem::take(&mut result.events);
                                self.out.push_back(Output::Store(StoreOp::Confirm { stored, server_events: vec![] }));
                            }
                            StoreOp::Reject {
                                stream: result.stream,
                                server_events: result.server_events,
                                reason: result.reason.unwrap_or_else(|| {
                                    "another desk changed this first; your change was not applied".into()
                                }),
                            }
                        }
                        // A newer server's answer this app cannot read: the events stay pending, and
                        // pushing them again is answered with their stored copies.
                        BatchStatus::Unknown => continue,
                    };
                    self.out.push_back(Output::Store(op));
                }
                self.push_wanted = true;
                self.succeed(now_ms, response.server_ms);
            }
            // Made against a log that was replaced since: nothing was stored. Start over on the
            // new log; what it lacks is offered back once caught up, in order (no push before).
            Err(Failure::Refused { error, .. }) if error.code == "epoch_changed" && error.epoch.is_some() => {
                if let Some(epoch) = error.epoch {
                    self.same_log(now_ms, epoch, 0, 0);
                }
                self.push_wanted = true;
                self.contact.refused(now_ms);
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
                self.contact.refused(now_ms);
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
                self.succeed(now_ms, page.server_ms);
                if !self.same_log(now_ms, page.epoch, page.head, self.pull_after) {
                    return self.drive(now_ms);
                }
                self.server_head = self.server_head.max(page.head);
                let after = self.cursor;
                let events: Vec<EventEnvelope> =
                    page.events.into_iter().filter(|e| e.position.is_some_and(|p| p > after)).collect();
                let last = events.last().and_then(|e| e.position).unwrap_or(0);
                let cursor = after.max(page.next).max(last);
                if !events.is_empty() || cursor != after {
                    self.cursor = cursor;
                    self.apply(events, cursor);
                }
                self.drain_buffer();
                if page.has_more || !self.buffered.is_empty() {
                    self.pull_wanted = true;
                } else {
                    self.caught_up = true;
                    if self.resyncing {
                        self.resyncing = false;
                        self.push_wanted = true;
                        self.out.push_back(Output::Store(StoreOp::Reoffer));
                    }
                }
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

    fn on_live_status(&mut self, now_ms: u64, status: LiveStatus) {
        if self.live == Live::Closed {
            return;
        }
        self.live_deadline = Some(now_ms + LIVE_SILENCE_MS);
        self.contact.answered(now_ms, Some(status.server_ms));
        let seen = self.live_resumed_from.take().unwrap_or(0);
        if self.same_log(now_ms, status.epoch, status.head, seen) {
            self.server_head = self.server_head.max(status.head);
        }
    }

    fn on_live_event(&mut self, event: EventEnvelope) {
        let Some(position) = event.position else { return };
        if self.live == Live::Closed {
            return;
        }
        self.server_head = self.server_head.max(position);
        self.live_from = self.live_from.max(position);
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
            self.apply(events, self.cursor);
        }
    }
}
