//! The adapter that drives the sans-IO `shared::replication::Replicator` in the browser.
//!
//! One task owns the replicator and reads one channel. After every input it drains `poll_output()`
//! to `None`, carrying out each output in order: store operations are awaited right there (so the
//! next input always sees them done), network requests run as their own tasks and come back as
//! inputs through the channel, tagged with the replicator's epoch so that a stale answer can never
//! reach a replicator that did not ask for it.

mod http;
mod live;

use crate::{browser, runtime, store::Store};
use app::client::ClientState;
use futures::{
    channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender},
    StreamExt,
};
use gloo_timers::future::TimeoutFuture;
use leptos::{ev, prelude::*};
use shared::replication::{Input, Output, Replicator};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;

pub enum Msg {
    /// From the browser (online/offline) or the runtime (a local change): good for any replicator.
    Local(Input),
    /// The answer to a request made by the replicator of `epoch`.
    Answer { epoch: u64, input: Input },
    /// From live connection `id`.
    Live { id: u64, input: Input },
    /// The retry timer of generation `n` fired.
    Tick(u64),
    /// Start again after a store failure (only if still in that `epoch`).
    Resume(u64),
}

pub type SyncSender = UnboundedSender<Msg>;

pub fn channel() -> (SyncSender, UnboundedReceiver<Msg>) {
    unbounded()
}

/// Starts replicating; `tx` must be the sender of `rx` (the runtime keeps a clone for local changes).
pub fn spawn(store: Rc<Store>, state: ClientState, tx: SyncSender, rx: UnboundedReceiver<Msg>) {
    spawn_local(async move {
        let cursor = match store.cursor().await {
            Ok(cursor) => Some(cursor),
            Err(e) => {
                log::error!("sync cannot read its cursor yet: {e}");
                None
            }
        };
        let device = store.device().clone();
        let mut sync = Sync {
            replicator: Replicator::new(device, cursor.unwrap_or(0), browser::random_u64()),
            store,
            state,
            tx,
            epoch: 0,
            paused: false,
            store_error: None,
            store_failures: 0,
            live: None,
            live_id: 0,
            timer: 0,
            timer_at: None,
        };
        listen_connectivity(&sync.tx);
        match cursor {
            Some(_) => sync.input(connectivity()).await,
            None => sync.store_failed("the sync position could not be read".into()),
        }
        sync.run(rx).await;
    });
}

fn connectivity() -> Input {
    if browser::is_online() {
        Input::Online
    } else {
        Input::Offline
    }
}

fn listen_connectivity(tx: &SyncSender) {
    let online = tx.clone();
    // The handles are dropped on purpose: the listeners stay for the page's lifetime.
    let _ = window_event_listener(ev::online, move |_| {
        let _ = online.unbounded_send(Msg::Local(Input::Online));
    });
    let offline = tx.clone();
    let _ = window_event_listener(ev::offline, move |_| {
        let _ = offline.unbounded_send(Msg::Local(Input::Offline));
    });
}

struct Sync {
    store: Rc<Store>,
    state: ClientState,
    tx: SyncSender,
    replicator: Replicator,
    /// Bumped whenever the replicator is replaced: answers to older requests are dropped.
    epoch: u64,
    /// After a store failure, until `Resume`: nothing is carried out.
    paused: bool,
    store_error: Option<String>,
    store_failures: u32,
    live: Option<live::Live>,
    /// The id of the live connection whose messages count (bumped at every open and close).
    live_id: u64,
    /// Generation of the retry timer: ticks of an older one are ignored.
    timer: u64,
    timer_at: Option<u64>,
}

impl Sync {
    async fn run(&mut self, mut rx: UnboundedReceiver<Msg>) {
        while let Some(msg) = rx.next().await {
            match msg {
                Msg::Resume(epoch) if epoch == self.epoch && self.paused => self.resume().await,
                _ if self.paused => {}
                Msg::Local(input) => self.input(input).await,
                Msg::Answer { epoch, input } if epoch == self.epoch => self.input(input).await,
                Msg::Live { id, input } if id == self.live_id => {
                    if input == Input::LiveClosed {
                        self.live = None;
                    }
                    self.input(input).await;
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

    async fn input(&mut self, input: Input) {
        self.replicator.handle_input(browser::now_ms(), input);
        self.drain().await;
    }

    /// Carries out every output of the replicator, in order, then shows the status and arms the timer.
    async fn drain(&mut self) {
        while !self.paused {
            let Some(output) = self.replicator.poll_output() else { break };
            match output {
                Output::LoadPending { limit } => match self.store.pending(limit).await {
                    Ok(events) => self.replicator.handle_input(browser::now_ms(), Input::Pending(events)),
                    Err(e) => self.store_failed(e),
                },
                Output::Push(request) => {
                    let (tx, epoch) = (self.tx.clone(), self.epoch);
                    spawn_local(async move {
                        let input = Input::PushAnswered(http::push(&request).await);
                        let _ = tx.unbounded_send(Msg::Answer { epoch, input });
                    });
                }
                Output::Pull { after, limit } => {
                    let (tx, epoch) = (self.tx.clone(), self.epoch);
                    spawn_local(async move {
                        let input = Input::PullAnswered(http::pull(after, limit).await);
                        let _ = tx.unbounded_send(Msg::Answer { epoch, input });
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
                Output::Store(op) => match self.store.apply(op, browser::now_ms()).await {
                    Ok(changes) => {
                        self.store_error = None;
                        self.store_failures = 0;
                        runtime::publish(&self.state, &changes);
                    }
                    Err(e) => self.store_failed(e),
                },
            }
        }
        self.show_status();
        self.arm_timer();
    }

    /// A store operation failed: the replicator's idea of the store is now wrong (its cursor may be
    /// past what was saved), so it is dropped with its remaining outputs and, after a pause that
    /// grows with repeated failures, replaced by one starting from the saved cursor. Nothing is
    /// skipped: whatever was not saved is pulled again, and stored ids are never stored twice.
    fn store_failed(&mut self, error: String) {
        log::error!("sync paused after a store failure: {error}");
        self.paused = true;
        self.epoch += 1;
        self.live_id += 1;
        self.live = None;
        self.store_error = Some(error);
        self.store_failures = self.store_failures.saturating_add(1);
        let delay = 1_000u32 << self.store_failures.min(6);
        let (tx, epoch) = (self.tx.clone(), self.epoch);
        spawn_local(async move {
            TimeoutFuture::new(delay).await;
            let _ = tx.unbounded_send(Msg::Resume(epoch));
        });
        self.show_status();
    }

    async fn resume(&mut self) {
        match self.store.cursor().await {
            Ok(cursor) => {
                self.replicator = Replicator::new(self.store.device().clone(), cursor, browser::random_u64());
                self.paused = false;
                self.timer += 1;
                self.timer_at = None;
                self.input(connectivity()).await;
            }
            Err(e) => self.store_failed(e),
        }
    }

    fn show_status(&self) {
        let status = self.replicator.status();
        let current = self.state.sync.get_untracked();
        let mut next = current.clone();
        next.online = status.online;
        next.live = status.live;
        next.last_sync_ms = status.last_sync_ms;
        next.last_error = self.store_error.clone().or(status.last_error);
        if next != current {
            self.state.sync.set(next);
        }
    }

    /// Arms one timer for the replicator's next retry; a re-armed timer makes older ticks stale.
    fn arm_timer(&mut self) {
        let at = if self.paused { None } else { self.replicator.poll_timeout() };
        if at == self.timer_at {
            return;
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
