use super::digits::Digits;
use crate::{
    auth::Session,
    error::{ApiError, AppJson},
    state::AppState,
    writer::now_ms,
};
use axum::extract::{rejection::QueryRejection, Query, State};
use serde::Deserialize;
use shared::protocol::{PullResponse, DEFAULT_PULL_LIMIT, MAX_POSITION, MAX_PULL_LIMIT};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullParams {
    after: Option<Digits>,
    limit: Option<Digits>,
}

/// `GET /api/sync/pull?after=P&limit=N`: a page of the session's club's log, one keyset query
/// over its (club, position) index.
pub async fn pull(
    State(state): State<AppState>,
    session: Session,
    params: Result<Query<PullParams>, QueryRejection>,
) -> Result<AppJson<PullResponse>, ApiError> {
    let Query(params) = params?;
    let after = check_position("after", params.after.map_or(0, |Digits(p)| p))?;
    let limit = params.limit.map_or(u64::from(DEFAULT_PULL_LIMIT), |Digits(n)| n);
    let limit = match u32::try_from(limit) {
        Ok(limit) if (1..=MAX_PULL_LIMIT).contains(&limit) => limit,
        _ => return Err(ApiError::BadRequest(format!("limit must be between 1 and {MAX_PULL_LIMIT}, got {limit}"))),
    };
    // One more than asked tells whether another page follows, without a count query.
    let mut events = state.store.pull(session.club, after, limit + 1).await?;
    // Read after the page, so the head is never below a position the page holds.
    let head = state.store.head(session.club).await?;
    let has_more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next = events.last().and_then(|e| e.position).unwrap_or(after);
    Ok(AppJson(PullResponse { events, next, has_more, head: head.position, epoch: head.epoch, server_ms: now_ms() }))
}

/// Positions are stored as signed 64-bit integers: a larger one is refused, never narrowed.
pub fn check_position(name: &str, value: u64) -> Result<u64, ApiError> {
    if value > MAX_POSITION {
        return Err(ApiError::BadRequest(format!(
            "{name} must be a position between 0 and {MAX_POSITION}, got {value}"
        )));
    }
    Ok(value)
}
