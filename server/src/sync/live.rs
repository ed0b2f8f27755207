use super::{
    digits::{parse_digits, Digits},
    outbox::{outbox, Outbox, Refused},
    pull::check_position,
};
use crate::{
    auth::Session,
    error::ApiError,
    live::{LiveEvent, LiveHub, LiveUpdate},
    state::AppState,
    store::{EventStore, LogHead},
    writer::now_ms,
};
use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::HeaderMap,
    response::sse::{Event, Sse},
};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use shared::{
    protocol::{LiveStatus, LIVE_STATUS_EVENT},
    ClubId,
};
use std::{convert::Infallible, sync::Arc, time::Duration};
use tokio::sync::{
    broadcast::{self, error::RecvError},
    oneshot,
};
use tokio_util::sync::CancellationToken;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveParams {
    after: Option<Digits>,
}

/// Most events per database page when a connection catches up; fewer when they are large, so that
/// a page is about one outbox's worth.
const CATCH_UP_PAGE: usize = 500;
/// The first page, before anything is known about the events' size.
const FIRST_CATCH_UP_PAGE: usize = 16;
/// What a device refused for the live cap is told to wait before asking again.
const RETRY_AFTER_SECS: u64 = 10;

/// `GET /api/sync/live`: server-sent events of the session's club's log. First a `status` event
/// (where the club's log stands, the server's clock), again every heartbeat; then one event per
/// stored event, `id:` = position, `data:` = the envelope. Starts after `Last-Event-ID` (a browser
/// reconnecting) or `?after=`, else at the current head; replays the gap from the database, then
/// follows the club's broadcast.
pub async fn live(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    params: Result<Query<LiveParams>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Dropped>>>, ApiError> {
    let Query(params) = params?;
    let resume = resume_point(&headers, params.after.map(|Digits(p)| p))?;
    let seat = state
        .live
        .take_seat(state.limits.max_live_connections)
        .ok_or(ApiError::TooManyLiveConnections { retry_after_secs: RETRY_AFTER_SECS })?;
    // Subscribe before reading the head so that nothing committed in between is missed.
    let updates = state.live.subscribe(session.club);
    let head = state.store.head(session.club).await?;
    let (outbox, messages) = outbox(state.limits.live_buffer_bytes, state.live.buffered_counter());
    let follower = Follower {
        store: state.store.clone(),
        club: session.club,
        signed_in: SignedIn {
            accounts: state.accounts.clone(),
            token_hashes: session.active.iter().map(|s| s.token_hash.clone()).collect(),
            expires_ms: session.active.iter().map(|s| s.expires_ms).max().unwrap_or(0),
            sign_outs: state.sign_outs.subscribe(),
        },
        updates,
        outbox,
        heartbeat: state.heartbeat,
        send_timeout: state.limits.live_send_timeout,
        shutdown: state.shutdown.clone(),
    };
    let end = follower.spawn(resume.unwrap_or(head.position), head, state.live.clone());
    let stream = messages.map(|message: Message| Ok(message.into_sse())).chain(end).map(move |item| {
        // The seat is given back when the response ends, with the connection.
        let _seat = &seat;
        item
    });
    Ok(Sse::new(stream))
}

/// Where a connection starts: after `Last-Event-ID` (a browser reconnecting), else after `?after=`;
/// None for the current head. Both must be positions the log can hold.
fn resume_point(headers: &HeaderMap, after: Option<u64>) -> Result<Option<u64>, ApiError> {
    let mut values = headers.get_all("last-event-id").iter();
    let last_event_id = match (values.next(), values.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => return Err(ApiError::BadRequest("Last-Event-ID must be sent once".into())),
        (Some(value), None) => {
            let position = value.to_str().ok().and_then(parse_digits).ok_or_else(|| {
                ApiError::BadRequest("Last-Event-ID must be a position: a whole number in ASCII digits".into())
            })?;
            Some(check_position("Last-Event-ID", position)?)
        }
    };
    let after = after.map(|p| check_position("after", p)).transpose()?;
    Ok(last_event_id.or(after))
}

/// Why the server ended a live response early (the error only hyper sees).
#[derive(Debug, thiserror::Error)]
pub enum Dropped {
    #[error("the subscriber did not read its messages in time")]
    TooSlow,
    #[error("the database failed")]
    DatabaseFailed,
}

/// One message of the stream, with its JSON made once.
enum Message {
    Event(LiveEvent),
    /// A [`LiveStatus`] as JSON.
    Status(String),
}

impl Message {
    fn status(head: LogHead) -> Self {
        let status = LiveStatus { epoch: head.epoch, head: head.position, server_ms: now_ms() };
        Message::Status(serde_json::to_string(&status).expect("a status serializes"))
    }

    fn bytes(&self) -> usize {
        match self {
            Message::Event(e) => e.json.len(),
            Message::Status(json) => json.len(),
        }
    }

    fn into_sse(self) -> Event {
        match self {
            Message::Event(e) => Event::default().id(e.position.to_string()).data(&*e.json),
            // No id: a status must never move the browser's Last-Event-ID.
            Message::Status(json) => Event::default().event(LIVE_STATUS_EVENT).data(json),
        }
    }
}

/// Why a connection's feed ended.
/// The sessions a live stream was opened with, checked again at every heartbeat, at every sign-out
/// on this server, and when the last of them would have expired: a stream never outlives them.
struct SignedIn {
    accounts: Arc<dyn crate::auth::Accounts>,
    token_hashes: Vec<String>,
    /// The latest expiry among them (ms since the epoch).
    expires_ms: u64,
    sign_outs: tokio::sync::watch::Receiver<u64>,
}

impl SignedIn {
    async fn check(&mut self) -> Result<(), Stop> {
        let working = self.accounts.sessions(&self.token_hashes, now_ms()).await.map_err(failed)?;
        match working.iter().map(|s| s.expires_ms).max() {
            Some(expires_ms) => {
                self.expires_ms = expires_ms;
                Ok(())
            }
            // The device reconnects, and is told it is signed out.
            None => Err(Stop::Gone),
        }
    }
}

enum Stop {
    /// The connection closed, or the server is shutting down.
    Gone,
    /// Its outbox stayed full beyond the send timeout.
    Slow,
    /// The database failed; the device reconnects with Last-Event-ID.
    Failed,
}

impl From<Refused> for Stop {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Closed => Stop::Gone,
            Refused::Full => Stop::Slow,
        }
    }
}

/// Feeds one connection: its status, its club's log from `after` up to now, then the club's broadcast.
/// Positions are dense, so a jump means something was missed (lag, or a commit while catching
/// up): refill then.
struct Follower {
    store: Arc<dyn EventStore>,
    /// The only log it reads.
    club: ClubId,
    /// Whose sessions it streams for: it ends when none of them works any more.
    signed_in: SignedIn,
    updates: broadcast::Receiver<LiveUpdate>,
    outbox: Outbox<Message>,
    heartbeat: Duration,
    send_timeout: Duration,
    shutdown: CancellationToken,
}

impl Follower {
    /// Starts feeding the connection from `after`. Returns how its response ends: quietly when the
    /// connection closed or the server stops; in an error when the server dropped it, so that hyper
    /// closes the connection instead of keeping it for another request (the browser reconnects with
    /// Last-Event-ID either way).
    fn spawn(self, after: u64, head: LogHead, live: LiveHub) -> impl Stream<Item = Result<Event, Dropped>> {
        let (end_tx, end) = oneshot::channel();
        tokio::spawn(async move {
            let Err(stop) = self.run(after, head).await;
            if let Stop::Slow = stop {
                live.count_dropped_slow();
                tracing::debug!("a live subscriber did not read in time and was dropped");
            }
            let _ = end_tx.send(stop);
        });
        futures::stream::once(end).filter_map(|stop| {
            futures::future::ready(match stop {
                Ok(Stop::Slow) => Some(Err(Dropped::TooSlow)),
                Ok(Stop::Failed) => Some(Err(Dropped::DatabaseFailed)),
                Ok(Stop::Gone) | Err(_) => None,
            })
        })
    }

    async fn run(mut self, after: u64, head: LogHead) -> Result<Infallible, Stop> {
        self.send(Message::status(head)).await?;
        let mut sent = self.catch_up(after).await?;
        let start = tokio::time::Instant::now() + self.heartbeat;
        let mut heartbeat = tokio::time::interval_at(start, self.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let update = tokio::select! {
                _ = self.shutdown.cancelled() => return Err(Stop::Gone),
                _ = self.outbox.closed() => return Err(Stop::Gone),
                // A sign-out on this server: the stream ends at once if it was the last session.
                _ = self.signed_in.sign_outs.changed() => {
                    self.signed_in.check().await?;
                    continue;
                }
                _ = heartbeat.tick() => {
                    // Revoked elsewhere (`faraday user revoke`, another server) or expired.
                    self.signed_in.check().await?;
                    let head = self.store.head(self.club).await.map_err(failed)?;
                    self.send(Message::status(head)).await?;
                    continue;
                }
                update = self.updates.recv() => update,
            };
            if now_ms() >= self.signed_in.expires_ms {
                self.signed_in.check().await?;
            }
            sent = match update {
                Ok(LiveUpdate::Events(batch)) => self.forward(&batch, sent).await?,
                Ok(LiveUpdate::Head(head)) if head > sent => self.catch_up(sent).await?,
                Ok(LiveUpdate::Head(_)) => sent,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "live subscriber lagged; refilling from the database");
                    self.catch_up(sent).await?
                }
                Err(RecvError::Closed) => return Err(Stop::Gone),
            };
        }
    }

    /// Sends a commit's events after `sent`; the new last position.
    async fn forward(&mut self, batch: &[LiveEvent], mut sent: u64) -> Result<u64, Stop> {
        for e in batch {
            if e.position <= sent {
                continue;
            }
            if e.position > sent + 1 {
                sent = self.catch_up(sent).await?;
                if e.position <= sent {
                    continue;
                }
            }
            self.send(Message::Event(e.clone())).await?;
            sent = e.position;
        }
        Ok(sent)
    }

    /// Sends everything after `sent` from the database, page by page, each page about an outbox's
    /// worth of bytes; the new last position.
    async fn catch_up(&mut self, mut sent: u64) -> Result<u64, Stop> {
        let mut page = FIRST_CATCH_UP_PAGE;
        loop {
            let events = self.store.pull(self.club, sent, page as u32).await.map_err(failed)?;
            let full = events.len() == page;
            let mut largest = 1;
            // Each envelope is dropped once serialised: a page is never held twice.
            for event in events {
                let event = LiveEvent::new(&event);
                largest = largest.max(event.json.len());
                let position = event.position;
                self.send(Message::Event(event)).await?;
                sent = position;
            }
            if !full {
                return Ok(sent);
            }
            page = (self.outbox.capacity() / largest).clamp(1, CATCH_UP_PAGE);
        }
    }

    async fn send(&self, message: Message) -> Result<(), Stop> {
        let bytes = message.bytes();
        tokio::select! {
            _ = self.shutdown.cancelled() => Err(Stop::Gone),
            sent = self.outbox.send(message, bytes, self.send_timeout) => Ok(sent?),
        }
    }
}

fn failed(e: crate::store::StoreError) -> Stop {
    tracing::warn!(error = %e, "live stream: the database failed; the device reconnects");
    Stop::Failed
}
