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
    check_request(&request, now_ms())?;
    let events: usize = request.batches.iter().map(|b| b.events.len()).sum();
    let device = request.device.clone();
    let response = state.writer.push(request).await??;
    tracing::debug!(%device, events, "push handled");
    Ok(AppJson(response))
}
