//! The live fan-out: each commit's events, serialised once, broadcast to every connected device;
//! and the watch that tells them about commits made by other processes.

use crate::store::EventStore;
use shared::EventEnvelope;
use std::{
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How often the log's head is read to find commits this process did not make (an import, another
/// server on the same PostgreSQL database).
pub const HEAD_WATCH_INTERVAL: Duration = Duration::from_millis(500);

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

/// What subscribers hear.
#[derive(Clone, Debug)]
pub enum LiveUpdate {
    /// One commit of this process, in position order.
    Events(Arc<[LiveEvent]>),
    /// The log reached this position through a commit of another process: read it from the database.
    Head(u64),
}

/// Cloneable handle on the broadcast. Receivers that fall behind get `Lagged` and refill from the
/// database, so a slow device never holds the others back.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<LiveUpdate>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    /// The highest position announced to subscribers.
    published: AtomicU64,
    /// Live connections open (each holds a [`LiveSeat`]).
    seats: AtomicUsize,
    /// Bytes queued for live connections and not yet taken by their sockets, all together.
    buffered: Arc<AtomicUsize>,
    /// Subscribers dropped because they did not take their messages in time.
    dropped_slow: AtomicU64,
}

impl LiveHub {
    pub fn new(capacity: usize) -> Self {
        Self { sender: broadcast::channel(capacity).0, counters: Arc::default() }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveUpdate> {
        self.sender.subscribe()
    }

    /// Publishes one commit's events, in position order.
    pub fn publish(&self, events: &[&EventEnvelope]) {
        let Some(last) = events.last().and_then(|e| e.position) else { return };
        self.counters.published.fetch_max(last, Ordering::SeqCst);
        if self.sender.receiver_count() == 0 {
            // Nobody to serialise for: a subscriber arriving later catches up from the database.
            return;
        }
        let batch: Arc<[LiveEvent]> = events.iter().map(|e| LiveEvent::new(e)).collect();
        // No subscriber is not an error: nobody is listening right now.
        let _ = self.sender.send(LiveUpdate::Events(batch));
    }

    /// Tells subscribers that the log reached `head` without this process publishing it, so that
    /// they catch up from the database. Nothing when it was published already.
    pub fn nudge(&self, head: u64) {
        if self.counters.published.fetch_max(head, Ordering::SeqCst) < head {
            let _ = self.sender.send(LiveUpdate::Head(head));
        }
    }

    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// A seat for one live connection, if fewer than `max` are taken; given back when dropped.
    pub fn take_seat(&self, max: usize) -> Option<LiveSeat> {
        let seats = &self.counters.seats;
        seats.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1)).ok()?;
        Some(LiveSeat { counters: self.counters.clone() })
    }

    /// Live connections open now.
    pub fn connections(&self) -> usize {
        self.counters.seats.load(Ordering::SeqCst)
    }

    /// The counter of bytes queued for live connections (shared with their outboxes).
    pub fn buffered_counter(&self) -> Arc<AtomicUsize> {
        self.counters.buffered.clone()
    }

    /// Bytes queued for all live connections now, not yet taken by their sockets.
    pub fn buffered_bytes(&self) -> usize {
        self.counters.buffered.load(Ordering::SeqCst)
    }

    pub fn count_dropped_slow(&self) {
        self.counters.dropped_slow.fetch_add(1, Ordering::SeqCst);
    }

    /// Subscribers dropped so far for not taking their messages in time.
    pub fn dropped_slow(&self) -> u64 {
        self.counters.dropped_slow.load(Ordering::SeqCst)
    }
}

/// One live connection's place under the cap.
pub struct LiveSeat {
    counters: Arc<Counters>,
}

impl Drop for LiveSeat {
    fn drop(&mut self) {
        self.counters.seats.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Reads the log's head every `every` while anyone listens, and nudges the subscribers when it is
/// past what this process published: another process committed. Ends on `shutdown`.
pub async fn watch_head(store: Arc<dyn EventStore>, hub: LiveHub, every: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if hub.subscribers() == 0 {
            continue;
        }
        match store.head().await {
            Ok(head) => {
                failing = false;
                hub.nudge(head.position);
            }
            // Once per outage, not twice a second.
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot read the log's head; live devices may miss other servers' commits");
            }
            Err(_) => {}
        }
    }
}
