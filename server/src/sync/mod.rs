//! The sync API: plain axum routes (not server functions), so their URLs never change under a
//! client that the service worker cached. The contract is docs/PROTOCOL.md.

mod live;
mod pull;
mod push;

use crate::{error::ApiError, state::AppState};
use axum::{
    extract::DefaultBodyLimit,
    routing::{get, post},
    Router,
};
use shared::protocol::MAX_PUSH_BYTES;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sync/push", post(push::push).layer(DefaultBodyLimit::max(MAX_PUSH_BYTES)))
        .route("/api/sync/pull", get(pull::pull))
        .route("/api/sync/live", get(live::live))
        .route("/api/health", get(|| async { "ok" }))
        .route(
            "/api/{*rest}",
            axum::routing::any(|uri: axum::http::Uri| async move { ApiError::NotFound(uri.path().to_owned()) }),
        )
}
