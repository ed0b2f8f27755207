//! The live stream (server-sent events) feeding the replicator every event, in order, and the
//! server's status (its first message and heartbeat).
//!
//! gloo-net's `EventSource` is used as is: the browser reconnects by itself while the source is
//! CONNECTING (sending `Last-Event-ID`), and a subscription only reports an error once the source
//! is CLOSED (`LiveClosed`). The `error` events while it reconnects are subscribed to by name, so
//! that the replicator hears `LiveInterrupted` as soon as the server stops answering, not only
//! after its silence watchdog.

use super::{Msg, SyncSender};
use futures::StreamExt;
use gloo_net::eventsource::futures::EventSource;
use shared::{
    protocol::{LiveStatus, LIVE_STATUS_EVENT},
    replication::Input,
    EventEnvelope,
};
use wasm_bindgen::JsCast;

/// An open live connection; dropping it closes the connection.
pub struct Live {
    _source: EventSource,
}

/// Opens the live stream after `after`. Every message it produces is tagged with `id`, so that
/// messages from a connection closed since are recognised and dropped.
pub fn open(id: u64, after: u64, tx: &SyncSender) -> Option<Live> {
    let closed = |reason: String| {
        log::warn!("live updates unavailable: {reason}");
        let _ = tx.unbounded_send(Msg::Live { id, input: Input::LiveClosed });
        None
    };
    let mut source = match EventSource::new(&format!("/api/sync/live?after={after}")) {
        Ok(source) => source,
        Err(e) => return closed(e.to_string()),
    };
    // "open" and "error" are plain Events, not MessageEvents: only their name and target are read.
    let mut subscriptions = Vec::new();
    for name in ["open", "error", LIVE_STATUS_EVENT, "message"] {
        match source.subscribe(name) {
            Ok(subscription) => subscriptions.push(subscription),
            Err(e) => return closed(e.to_string()),
        }
    }
    let tx = tx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let mut stream = futures::stream::select_all(subscriptions);
        while let Some(item) = stream.next().await {
            let input = match item {
                Ok((kind, event)) => match kind.as_str() {
                    "open" => Input::LiveOpened,
                    // Read as soon as the event was dispatched (this task runs in the microtasks
                    // right after it), so the state is the one the error was about.
                    "error" if reconnecting(&event) => Input::LiveInterrupted,
                    // A closed source: its subscriptions end with an error just below.
                    "error" => continue,
                    LIVE_STATUS_EVENT => match parse::<LiveStatus>(&event) {
                        Some(status) => Input::LiveStatus(status),
                        None => continue,
                    },
                    // The replicator sees the gap at the next event and pulls it instead.
                    _ => match parse::<EventEnvelope>(&event) {
                        Some(envelope) => Input::LiveEvent(envelope),
                        None => continue,
                    },
                },
                Err(_) => {
                    let _ = tx.unbounded_send(Msg::Live { id, input: Input::LiveClosed });
                    break;
                }
            };
            if tx.unbounded_send(Msg::Live { id, input }).is_err() {
                break;
            }
        }
    });
    Some(Live { _source: source })
}

/// Whether the source that fired `event` is trying to reconnect by itself.
fn reconnecting(event: &web_sys::MessageEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::EventSource>().ok())
        .is_some_and(|source| source.ready_state() == web_sys::EventSource::CONNECTING)
}

fn parse<T: serde::de::DeserializeOwned>(event: &web_sys::MessageEvent) -> Option<T> {
    let data = event.data().as_string()?;
    serde_json::from_str(&data).inspect_err(|e| log::warn!("skipping a live message that cannot be read: {e}")).ok()
}
