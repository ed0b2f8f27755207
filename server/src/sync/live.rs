use crate::{error::ApiError, live::LiveEvent, state::AppState, store::EventStore};
use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream;
use serde::Deserialize;
use std::{convert::Infallible, sync::Arc};
use tokio::sync::{
    broadcast::{self, error::RecvError},
    mpsc,
};
use tokio_stream::{wrappers::ReceiverStream, StreamExt};
use tokio_util::sync::CancellationToken;

#[derive(Deserialize)]
pub struct LiveParams {
    after: Option<u64>,
}

/// Events per database page when a connection catches up.
const CATCH_UP_PAGE: u32 = 1_000;

/// `GET /api/sync/live`: server-sent events, `id:` = position, `data:` = the envelope. Starts after
/// `Last-Event-ID` (a browser reconnecting) or `?after=`, else at the current head; replays the gap
/// from the database, then follows the broadcast.
pub async fn live(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<LiveParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(params) = params?;
    let last_event_id = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| ApiError::BadRequest("Last-Event-ID must be a position (a whole number)".into()))?,
        ),
        None => None,
    };
    // Subscribe before reading the head so that nothing committed in between is missed.
    let updates = state.live.subscribe();
    let after = match last_event_id.or(params.after) {
        Some(p) => p,
        None => state.store.head().await?.position,
    };
    let (tx, rx) = mpsc::channel::<LiveEvent>(256);
    let store = state.store.clone();
    let shutdown = state.shutdown.clone();
    tokio::spawn(follow(store, updates, tx, after, shutdown));
    let stream = ReceiverStream::new(rx).map(|e| Ok(Event::default().id(e.position.to_string()).data(&*e.json)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.heartbeat).text("heartbeat")))
}

/// Feeds one connection: the database from `after` up to now, then the broadcast. Positions are
/// dense, so a jump means something was missed (lag, or a commit while catching up): refill then.
async fn follow(
    store: Arc<dyn EventStore>,
    mut updates: broadcast::Receiver<Arc<[LiveEvent]>>,
    tx: mpsc::Sender<LiveEvent>,
    after: u64,
    shutdown: CancellationToken,
) {
    let Some(mut sent) = catch_up(&*store, &tx, after).await else { return };
    loop {
        let update = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tx.closed() => return,
            update = updates.recv() => update,
        };
        match update {
            Ok(batch) => {
                for e in batch.iter() {
                    if e.position <= sent {
                        continue;
                    }
                    if e.position > sent + 1 {
                        let Some(p) = catch_up(&*store, &tx, sent).await else { return };
                        sent = p;
                        if e.position <= sent {
                            continue;
                        }
                    }
                    if tx.send(e.clone()).await.is_err() {
                        return;
                    }
                    sent = e.position;
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "live subscriber lagged; refilling from the database");
                let Some(p) = catch_up(&*store, &tx, sent).await else { return };
                sent = p;
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Sends everything after `sent` from the database; the new last position, or None when the
/// connection is gone or the database failed (the browser then reconnects with Last-Event-ID).
async fn catch_up(store: &dyn EventStore, tx: &mpsc::Sender<LiveEvent>, mut sent: u64) -> Option<u64> {
    loop {
        let page = match store.pull(sent, CATCH_UP_PAGE).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "live catch-up failed");
                return None;
            }
        };
        let Some(last) = page.last().and_then(|e| e.position) else { return Some(sent) };
        for e in &page {
            tx.send(LiveEvent::new(e)).await.ok()?;
        }
        sent = last;
    }
}
