//! The live stream (server-sent events) feeding the replicator every event, in order.
//!
//! gloo-net's `EventSource` is used as is: the browser reconnects by itself while the source is
//! CONNECTING (sending `Last-Event-ID`), and the subscription only reports an error once the source
//! is CLOSED, which is exactly when the replicator must hear `LiveClosed`.

use super::{Msg, SyncSender};
use futures::StreamExt;
use gloo_net::eventsource::futures::EventSource;
use shared::{replication::Input, EventEnvelope};

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
    // "open" is a plain Event, not a MessageEvent: only its name is looked at, never its fields.
    let (opened, messages) = match (source.subscribe("open"), source.subscribe("message")) {
        (Ok(opened), Ok(messages)) => (opened, messages),
        (Err(e), _) | (_, Err(e)) => return closed(e.to_string()),
    };
    let tx = tx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let mut stream = futures::stream::select(opened, messages);
        while let Some(item) = stream.next().await {
            let input = match item {
                Ok((kind, _)) if kind == "open" => Input::LiveOpened,
                Ok((_, message)) => match message.data().as_string().map(|d| serde_json::from_str::<EventEnvelope>(&d))
                {
                    Some(Ok(event)) => Input::LiveEvent(event),
                    // The replicator sees the gap at the next event and pulls it instead.
                    Some(Err(e)) => {
                        log::warn!("skipping a live message that is not an event: {e}");
                        continue;
                    }
                    None => continue,
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
