//! The sync API: plain axum routes (not server functions), so their URLs never change under a
//! client that the service worker cached. The contract is docs/PROTOCOL.md.

mod digits;
mod framing;
mod live;
mod outbox;
mod own_classes;
mod pull;
mod push;
mod read;

use crate::{error::ApiError, state::AppState};
use axum::{
    extract::DefaultBodyLimit,
    http::{Method, Uri},
    middleware,
    routing::{any, get, post},
    Router,
};
use shared::protocol::MAX_PUSH_BYTES;

/// A sign-in is an address and a password: anything larger is not one.
const MAX_LOGIN_BYTES: usize = 4 * 1024;

/// The API. Only the health check and sign-in answer without a session; everything else needs one
/// (401 `not_signed_in`) and sees its club's log only.
pub fn routes(state: &AppState) -> Router<AppState> {
    let (sign_in, auth) = crate::auth::routes();
    let protected = Router::new()
        .route("/api/sync/push", post(push::push).layer(DefaultBodyLimit::max(MAX_PUSH_BYTES)))
        .route("/api/sync/pull", get(pull::pull))
        .route("/api/sync/live", get(live::live))
        .route("/api/read/{table}", get(read::read_table))
        .route("/api/read/{table}/{id}", get(read::read_one))
        .merge(auth)
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::auth::require_session));
    Router::new()
        .merge(protected)
        .merge(sign_in.layer(DefaultBodyLimit::max(MAX_LOGIN_BYTES)))
        .route("/api/health", get(|| async { "ok" }))
        // `{*rest}` matches one character at least: `/api` and `/api/` need their own routes, or the
        // app would answer them with its HTML page.
        .route("/api", any(no_endpoint))
        .route("/api/", any(no_endpoint))
        .route("/api/{*rest}", any(no_endpoint))
        // Applies to the routes above only: every later one would answer an empty 405.
        .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
            ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
        })
        .layer(middleware::from_fn(framing::refuse_unreadable_bodies))
}

async fn no_endpoint(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().to_owned())
}
