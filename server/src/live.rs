//! The live fan-out: each commit's events, serialised once, broadcast to every device connected
//! to the club whose log they are in (one channel per club: a device never hears another club);
//! and the watch that tells them about commits made by other processes.

use crate::store::EventStore;
use shared::{ClubId, EventEnvelope};
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How often the clubs' heads are read to find commits this process did not make (an import, another
/// server on the same PostgreSQL database).
pub const HEAD_WATCH_INTERVAL: Duration = Duration::from_millis(500);
/// The same when commits are announced (PostgreSQL): a safety net only.
pub const LISTENING_POLL: Duration = Duration::from_secs(5);

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

/// What a club's subscribers hear.
#[derive(Clone, Debug)]
pub enum LiveUpdate {
    /// One commit of this process to the club's log, in position order.
    Events(Arc<[LiveEvent]>),
    /// The club's log reached this position through a commit of another process: read it from
    /// the database.
    Head(u64),
}

/// Cloneable handle on the clubs' broadcasts. Receivers that fall behind get `Lagged` and refill
/// from the database, so a slow device never holds the others back.
#[derive(Clone)]
pub struct LiveHub {
    clubs: Arc<Mutex<HashMap<ClubId, ClubChannel>>>,
    /// Updates a club's channel holds for its slowest subscriber.
    capacity: usize,
    counters: Arc<Counters>,
}

/// One club's broadcast.
#[derive(Default)]
struct ClubChannel {
    /// While anyone of the club listens; dropped with the last receiver (a channel holds
    /// `capacity` slots), made again by the next subscriber.
    sender: Option<broadcast::Sender<LiveUpdate>>,
    /// The highest position of the club's log announced to its subscribers.
    published: u64,
}

impl ClubChannel {
    /// The sender, if anyone listens; forgets it when nobody does any more.
    fn listened(&mut self) -> Option<broadcast::Sender<LiveUpdate>> {
        if self.sender.as_ref().is_some_and(|s| s.receiver_count() == 0) {
            self.sender = None;
        }
        self.sender.clone()
    }
}

#[derive(Default)]
struct Counters {
    /// Live connections open (each holds a [`LiveSeat`]).
    seats: AtomicUsize,
    /// Bytes queued for live connections and not yet taken by their sockets, all together.
    buffered: Arc<AtomicUsize>,
    /// Subscribers dropped because they did not take their messages in time.
    dropped_slow: AtomicU64,
}

impl LiveHub {
    /// A hub whose clubs' channels hold `capacity` updates each.
    pub fn new(capacity: usize) -> Self {
        Self { clubs: Arc::default(), capacity, counters: Arc::default() }
    }

    fn clubs(&self) -> std::sync::MutexGuard<'_, HashMap<ClubId, ClubChannel>> {
        self.clubs.lock().expect("not poisoned")
    }

    /// Everything published to `club` from now on.
    pub fn subscribe(&self, club: ClubId) -> broadcast::Receiver<LiveUpdate> {
        let mut clubs = self.clubs();
        let channel = clubs.entry(club).or_default();
        channel.sender.get_or_insert_with(|| broadcast::channel(self.capacity).0).subscribe()
    }

    /// Publishes one commit's events to `club`'s log, in position order.
    pub fn publish(&self, club: ClubId, events: &[&EventEnvelope]) {
        let Some(last) = events.last().and_then(|e| e.position) else { return };
        let sender = {
            let mut clubs = self.clubs();
            let channel = clubs.entry(club).or_default();
            channel.published = channel.published.max(last);
            channel.listened()
        };
        // Nobody to serialise for: a subscriber arriving later catches up from the database.
        let Some(sender) = sender else { return };
        let batch: Arc<[LiveEvent]> = events.iter().map(|e| LiveEvent::new(e)).collect();
        // No subscriber is not an error: the last one just left.
        let _ = sender.send(LiveUpdate::Events(batch));
    }

    /// Tells `club`'s subscribers that its log reached `head` without this process publishing it,
    /// so that they catch up from the database. Nothing when it was published already.
    pub fn nudge(&self, club: ClubId, head: u64) {
        let mut clubs = self.clubs();
        let channel = clubs.entry(club).or_default();
        if channel.published < head {
            channel.published = head;
            if let Some(sender) = channel.listened() {
                let _ = sender.send(LiveUpdate::Head(head));
            }
        }
    }

    /// Subscribers of every club together.
    pub fn subscribers(&self) -> usize {
        self.clubs().values().filter_map(|c| c.sender.as_ref()).map(|s| s.receiver_count()).sum()
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

/// Finds commits other processes made (an import, another server on the same PostgreSQL) and
/// nudges the club's subscribers when its head is past what this process published. With
/// PostgreSQL every commit is announced (NOTIFY), and the club's head is read when it is; every
/// head is still read every `poll` while anyone listens (one query), which is the only way on
/// SQLite and the safety net for announcements lost while the listening connection was down.
/// `poll` defaults to [`HEAD_WATCH_INTERVAL`], or [`LISTENING_POLL`] when commits are announced.
/// Ends on `shutdown`.
pub async fn watch_head(store: Arc<dyn EventStore>, hub: LiveHub, poll: Option<Duration>, shutdown: CancellationToken) {
    let mut commits = match store.listen_commits().await {
        Ok(commits) => commits,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for other servers' commits; reading the heads instead");
            None
        }
    };
    let every = poll.unwrap_or(if commits.is_some() { LISTENING_POLL } else { HEAD_WATCH_INTERVAL });
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        let announced = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => None,
            commit = next_commit(&mut commits) => match commit {
                Ok(club) => Some(club),
                Err(e) => {
                    tracing::warn!(error = %e, "announcements of commits may have been missed; reading every head");
                    None
                }
            },
        };
        if hub.subscribers() == 0 {
            continue;
        }
        let heads = match announced {
            Some(club) => store.head(club).await.map(|head| vec![(club, head)]),
            None => store.heads().await,
        };
        match heads {
            Ok(heads) => {
                failing = false;
                for (club, head) in heads {
                    hub.nudge(club, head.position);
                }
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

/// The next announced commit; never, once there are no announcements.
async fn next_commit(
    commits: &mut Option<crate::store::CommitStream>,
) -> Result<shared::ClubId, crate::store::StoreError> {
    use futures::StreamExt;
    if let Some(stream) = commits.as_mut() {
        if let Some(commit) = stream.next().await {
            return commit;
        }
    }
    *commits = None;
    std::future::pending().await
}
