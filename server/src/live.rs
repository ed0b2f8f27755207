//! The live fan-out: each commit's events, serialised once, broadcast to every connected device.

use shared::EventEnvelope;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One stored event ready to send: its position (the SSE id) and its JSON.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    pub position: u64,
    pub json: Arc<str>,
}

impl LiveEvent {
    pub fn new(event: &EventEnvelope) -> Self {
        Self {
            position: event.position.expect("stored events have positions"),
            json: serde_json::to_string(event).expect("envelopes serialize").into(),
        }
    }
}

/// Cloneable handle on the broadcast. Receivers that fall behind get `Lagged` and refill from the
/// database, so a slow device never holds the others back.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<Arc<[LiveEvent]>>,
}

impl LiveHub {
    pub fn new(capacity: usize) -> Self {
        Self { sender: broadcast::channel(capacity).0 }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<[LiveEvent]>> {
        self.sender.subscribe()
    }

    /// Publishes one commit's events, in position order.
    pub fn publish(&self, events: &[EventEnvelope]) {
        if events.is_empty() {
            return;
        }
        let batch: Arc<[LiveEvent]> = events.iter().map(LiveEvent::new).collect();
        // No subscriber is not an error: nobody is listening right now.
        let _ = self.sender.send(batch);
    }

    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}
