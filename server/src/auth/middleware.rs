//! Nothing of the API without a session: the middleware finds the request's staff sessions and
//! hands them to the handlers as [`Session`].

use super::{cookie, token::token_hash, Session};
use crate::{error::ApiError, state::AppState, writer::now_ms};
use axum::{extract::State, http::Request, middleware::Next, response::Response};

/// Refuses (401 `not_signed_in`) a request whose cookie holds no session that still works; the
/// others go on with their [`Session`]. Sessions of another device or club than the newest one
/// are ignored (a cookie is only ever written with one device's and one club's).
pub async fn require_session(
    State(state): State<AppState>,
    mut request: Request<axum::body::Body>,
    next: Next,
) -> Result<Response, ApiError> {
    let session = session_of(&state, request.headers()).await?.ok_or(ApiError::NotSignedIn)?;
    request.extensions_mut().insert(session);
    Ok(next.run(request).await)
}

/// The working sessions of the cookie in `headers`, if there is one.
pub(super) async fn session_of(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Option<Session>, ApiError> {
    let tokens = cookie::tokens(headers);
    if tokens.is_empty() {
        return Ok(None);
    }
    let hashes: Vec<String> = tokens.iter().map(|t| token_hash(t)).collect();
    let mut active = state.accounts.sessions(&hashes, now_ms()).await?;
    // The last token is the newest sign-in: it says which device and club the cookie is for.
    let Some(newest) = hashes.iter().rev().find_map(|h| active.iter().find(|s| &s.token_hash == h)).cloned() else {
        return Ok(None);
    };
    active.retain(|s| s.club == newest.club && s.device == newest.device);
    Ok(Some(Session { club: newest.club, device: newest.device, active }))
}
