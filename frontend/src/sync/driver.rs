//! The replicator's run loop: after every input it drains `poll_output()` to `None`, carrying out
//! each output in order. Store operations are awaited right there (so the next input always sees
//! them done); requests and the live stream answer through the channel.

use super::{authors, connectivity, http, kept, live, progress::CatchUp, Msg, SyncSender};
use crate::{browser, clock::DeviceClock, runtime, store::Store};
use app::client::{ClientState, SyncView};
use futures::{channel::mpsc::UnboundedReceiver, StreamExt};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use shared::replication::{Input, Output, Replicator, Saved, StoreOp, MAX_APPLY_EVENTS};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;

pub struct Driver {
    store: Rc<Store>,
    state: ClientState,
    clock: Rc<DeviceClock>,
    tx: SyncSender,
    replicator: Replicator,
    /// Bumped whenever the replicator is replaced: answers to older requests are dropped.
    run: u64,
    /// After a store failure, until `Resume`: nothing is carried out.
    paused: bool,
    store_error: Option<String>,
    store_failures: u32,
    live: Option<live::Live>,
    /// The id of the live connection whose messages count (bumped at every open and close).
    live_id: u64,
    /// Generation of the timer: ticks of an older one are ignored.
    timer: u64,
    timer_at: Option<u64>,
    catch_up: CatchUp,
    kept: kept::Written,
    /// Kept over a replicator's replacement, so staff still read what happened.
    log_replaced_ms: Option<u64>,
    reoffered: Option<u32>,
    /// A message taken from the channel while collecting live messages, handled next.
    stashed: Option<Msg>,
}

impl Driver {
    pub fn new(store: Rc<Store>, state: ClientState, clock: Rc<DeviceClock>, tx: SyncSender, saved: Saved) -> Self {
        let device = store.device().clone();
        Self {
            catch_up: CatchUp::new(saved.cursor),
            replicator: Replicator::new(device, saved, browser::random_u64()),
            store,
            state,
            clock,
            tx,
            run: 0,
            paused: false,
            store_error: None,
            store_failures: 0,
            live: None,
            live_id: 0,
            timer: 0,
            timer_at: None,
            kept: kept::Written::default(),
            log_replaced_ms: None,
            reoffered: None,
            stashed: None,
        }
    }

    pub async fn run(&mut self, mut rx: UnboundedReceiver<Msg>) {
        loop {
            let msg = match self.stashed.take() {
                Some(msg) => msg,
                None => match rx.next().await {
                    Some(msg) => msg,
                    None => return,
                },
            };
            match msg {
                Msg::Stop => return self.stop(),
                Msg::Resume(run) if run == self.run && self.paused => self.resume().await,
                _ if self.paused => {}
                Msg::Local(input) => self.input(input).await,
                Msg::Answer { run, input } if run == self.run => self.input(input).await,
                Msg::Live { id, input } if id == self.live_id => {
                    self.feed_live(input);
                    self.feed_waiting_live(&mut rx);
                    self.drain().await;
                }
                Msg::Tick(timer) if timer == self.timer => {
                    self.timer_at = None;
                    self.replicator.handle_timeout(browser::now_ms());
                    self.drain().await;
                }
                _ => {}
            }
        }
    }

    pub async fn input(&mut self, input: Input) {
        self.replicator.handle_input(browser::now_ms(), input);
        self.drain().await;
    }

    fn feed_live(&mut self, input: Input) {
        if input == Input::LiveClosed {
            self.live = None;
        }
        self.replicator.handle_input(browser::now_ms(), input);
    }

    /// Feeds every live message already waiting before anything is carried out: the replicator
    /// merges consecutive applies, so a burst of 2,000 live events is two store transactions, not
    /// 2,000.
    fn feed_waiting_live(&mut self, rx: &mut UnboundedReceiver<Msg>) {
        for _ in 1..MAX_APPLY_EVENTS {
            match rx.try_recv() {
                Ok(Msg::Live { id, input }) if id == self.live_id => self.feed_live(input),
                // From a connection closed since.
                Ok(Msg::Live { .. }) => {}
                Ok(other) => {
                    self.stashed = Some(other);
                    return;
                }
                // Nothing waiting (or the channel closed, which the run loop notices next).
                Err(_) => return,
            }
        }
    }

    /// Carries out every output of the replicator, in order, then shows the status and arms the timer.
    async fn drain(&mut self) {
        while !self.paused {
            let Some(output) = self.replicator.poll_output() else { break };
            match output {
                Output::LoadPending { limit } => match self.store.pending(limit).await {
                    Ok(events) => {
                        let events = self.ready_to_push(events);
                        self.replicator.handle_input(browser::now_ms(), Input::Pending(events))
                    }
                    Err(e) => self.store_failed(e),
                },
                Output::Push(request) => {
                    let (tx, run, state) = (self.tx.clone(), self.run, self.state);
                    spawn_local(async move {
                        let answer = http::push(&request).await;
                        heard(state, answer.heard);
                        let input = Input::PushAnswered(answer.result);
                        let _ = tx.unbounded_send(Msg::Answer { run, input });
                    });
                }
                Output::Pull { after, limit } => {
                    let (tx, run, state) = (self.tx.clone(), self.run, self.state);
                    spawn_local(async move {
                        let answer = http::pull(after, limit).await;
                        heard(state, answer.heard);
                        let input = Input::PullAnswered(answer.result);
                        let _ = tx.unbounded_send(Msg::Answer { run, input });
                    });
                }
                Output::OpenLive { after } => {
                    self.live = None;
                    self.live_id += 1;
                    self.live = live::open(self.live_id, after, &self.tx);
                }
                Output::CloseLive => {
                    self.live_id += 1;
                    self.live = None;
                }
                Output::Store(op) => self.carry_out(op).await,
            }
        }
        self.show_status();
        self.arm_timer();
    }

    /// The pending events the staff signed in here can send now, stamped with their authors.
    fn ready_to_push(&self, pending: Vec<shared::EventEnvelope>) -> Vec<shared::EventEnvelope> {
        let now = browser::now_ms();
        let (signed_in, active) = self.state.sessions.with_untracked(|s| {
            let signed_in: Vec<_> = s.staff.iter().filter(|o| o.valid_at(now)).map(|o| o.staff()).collect();
            (signed_in, s.active_at(now).map(|a| a.staff()))
        });
        authors::ready_to_push(pending, self.store.device(), &signed_in, active)
    }

    async fn carry_out(&mut self, op: StoreOp) {
        // Staff see where a long catch-up stands before each of its transactions.
        self.show_status();
        let applied = match &op {
            StoreOp::Apply { cursor, .. } => Some(*cursor),
            _ => None,
        };
        let restarts = matches!(op, StoreOp::Reset { .. });
        match self.store.apply(op, browser::now_ms(), self.replicator.epoch()).await {
            Ok(changes) => {
                self.store_error = None;
                self.store_failures = 0;
                if let Some(cursor) = applied {
                    self.catch_up.applied(cursor);
                }
                if restarts {
                    self.catch_up.restart();
                    self.reoffered = None;
                }
                if changes.reoffered.is_some() {
                    self.reoffered = changes.reoffered;
                }
                runtime::publish(&self.state, &changes);
            }
            Err(e) => self.store_failed(e),
        }
    }

    /// A store operation failed: the replicator's idea of the store is now wrong (its cursor may be
    /// past what was saved), so it is dropped with its remaining outputs and, after a pause that
    /// grows with repeated failures, replaced by one starting from what was saved. Nothing is
    /// skipped: whatever was not saved is pulled again, and stored ids are never stored twice.
    pub fn store_failed(&mut self, error: String) {
        log::error!("sync paused after a store failure: {error}");
        self.paused = true;
        self.run += 1;
        self.live_id += 1;
        self.live = None;
        self.store_error = Some(error);
        self.store_failures = self.store_failures.saturating_add(1);
        let delay = 1_000u32 << self.store_failures.min(6);
        let (tx, run) = (self.tx.clone(), self.run);
        spawn_local(async move {
            TimeoutFuture::new(delay).await;
            let _ = tx.unbounded_send(Msg::Resume(run));
        });
        self.show_status();
    }

    async fn resume(&mut self) {
        match self.store.saved().await {
            Ok(saved) => {
                let status = self.replicator.status();
                let saved = Saved { last_sync_ms: status.last_sync_ms, server_head: status.server_head, ..saved };
                self.catch_up = CatchUp::new(saved.cursor);
                self.replicator = Replicator::new(self.store.device().clone(), saved, browser::random_u64());
                self.paused = false;
                self.timer += 1;
                self.timer_at = None;
                self.input(connectivity()).await;
            }
            Err(e) => self.store_failed(e),
        }
    }

    /// The store belongs to another tab's newer version now: let go of everything.
    fn stop(&mut self) {
        self.paused = true;
        self.run += 1;
        self.live_id += 1;
        self.live = None;
        self.timer += 1;
    }

    fn show_status(&mut self) {
        let mut status = self.replicator.status();
        self.clock.measured(&status);
        match status.log_replaced_ms {
            Some(ms) => self.log_replaced_ms = Some(ms),
            None => status.log_replaced_ms = self.log_replaced_ms,
        }
        self.kept.save(status.last_sync_ms, status.server_head);
        if let (Some(skew_ms), Some(wall_ms)) = (status.clock_skew_ms, status.clock_measured_ms) {
            self.kept.save_server_time((wall_ms as i64 - skew_ms).max(0) as u64);
        }
        let progress = self.catch_up.progress(&status, browser::now_ms());
        let (store_error, reoffered) = (self.store_error.clone(), self.reoffered);
        let changed = self.state.sync.with_untracked(|current| {
            current.status != status
                || current.store_error != store_error
                || current.progress != progress
                || current.reoffered != reoffered
        });
        if changed {
            self.state.sync.update(|view| {
                *view = SyncView { status, store_error, progress, reoffered, ..view.clone() };
            });
        }
    }

    /// Arms one timer for the replicator's next deadline (a retry, or the live stream's silence
    /// watchdog, which moves with every message). A timer due no later than needed is kept: when
    /// it fires early, `handle_timeout` does what is due, if anything, and the timer is armed again.
    fn arm_timer(&mut self) {
        let at = if self.paused { None } else { self.replicator.poll_timeout() };
        match (self.timer_at, at) {
            (Some(armed), Some(at)) if armed <= at => return,
            (armed, at) if armed == at => return,
            _ => {}
        }
        self.timer += 1;
        self.timer_at = at;
        if let Some(at) = at {
            let delay = u32::try_from(at.saturating_sub(browser::now_ms())).unwrap_or(u32::MAX);
            let (tx, timer) = (self.tx.clone(), self.timer);
            spawn_local(async move {
                TimeoutFuture::new(delay).await;
                let _ = tx.unbounded_send(Msg::Tick(timer));
            });
        }
    }
}

/// Shows whether the server still takes this device's session: a 401 puts up "sign in again"
/// (local work goes on), any answer takes it down.
fn heard(state: ClientState, heard: http::Heard) {
    let signed_out = match heard {
        http::Heard::SignedOut => true,
        http::Heard::SignedIn => false,
        http::Heard::Nothing => return,
    };
    if state.sync.with_untracked(|s| s.signed_out) != signed_out {
        state.sync.update(|s| s.signed_out = signed_out);
    }
}
