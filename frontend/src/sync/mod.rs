//! The adapter that drives the sans-IO `shared::replication::Replicator` in the browser.
//!
//! One task owns the replicator and reads one channel (see `driver.rs`). Network requests run as
//! their own tasks and come back as inputs through the channel, tagged so that a stale answer can
//! never reach a replicator that did not ask for it.

mod authors;
mod driver;
mod http;
pub mod kept;
mod live;
mod progress;

use crate::{browser, clock::DeviceClock, store::Store};
use app::client::ClientState;
use driver::Driver;
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use leptos::{ev, prelude::*};
use shared::replication::{Input, Saved};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;

pub enum Msg {
    /// From the browser (online/offline) or the runtime (a local change): good for any replicator.
    Local(Input),
    /// The answer to a request made by replicator number `run`.
    Answer { run: u64, input: Input },
    /// From live connection `id`.
    Live { id: u64, input: Input },
    /// The timer of generation `n` fired.
    Tick(u64),
    /// Start again after a store failure (only if still replicator number `run`).
    Resume(u64),
    /// The store was handed over to another tab: stop for good.
    Stop,
}

pub type SyncSender = UnboundedSender<Msg>;

pub fn channel() -> (SyncSender, UnboundedReceiver<Msg>) {
    unbounded()
}

/// Starts replicating; `tx` must be the sender of `rx` (the runtime keeps a clone for local changes).
pub fn spawn(store: Rc<Store>, state: ClientState, clock: Rc<DeviceClock>, tx: SyncSender, rx: UnboundedReceiver<Msg>) {
    spawn_local(async move {
        let saved = store.saved().await;
        let loaded = saved.is_ok();
        let saved = Saved {
            last_sync_ms: kept::last_sync(),
            server_head: kept::server_head(),
            ..saved.inspect_err(|e| log::error!("sync cannot read where it stood yet: {e}")).unwrap_or_default()
        };
        let mut driver = Driver::new(store, state, clock, tx.clone(), saved);
        listen_connectivity(&tx);
        if loaded {
            driver.input(connectivity()).await;
        } else {
            driver.store_failed("where sync stood could not be read".into());
        }
        driver.run(rx).await;
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
