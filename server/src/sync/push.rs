use crate::{
    error::{ApiError, AppJson},
    state::AppState,
    writer::now_ms,
};
use axum::extract::State;
use shared::{
    acceptance::check_request,
    protocol::{PushRequest, PushResponse},
};

/// `POST /api/sync/push`: shape checks first (nothing stored on failure), then the writer plans
/// and appends each batch against the stored stream in one transaction.
pub async fn push(
    State(state): State<AppState>,
    AppJson(request): AppJson<PushRequest>,
) -> Result<AppJson<PushResponse>, ApiError> {
    check_request(&request)?;
    let events: usize = request.batches.iter().map(|b| b.events.len()).sum();
    let device = request.device.clone();
    let results = state.writer.push(request).await??;
    let head = state.store.head().await?;
    tracing::debug!(%device, events, "push handled");
    Ok(AppJson(PushResponse { results, epoch: head.epoch, server_ms: now_ms() }))
}
