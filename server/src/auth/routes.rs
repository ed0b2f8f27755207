//! `/api/auth/*`: sign in, see who is signed in, sign out, and the club's staff.

use super::{
    accounts::{normalise_email, ActiveSession},
    cookie, password,
    token::{new_token, token_hash},
    Session,
};
use crate::{
    error::{ApiError, AppJson},
    state::AppState,
    writer::now_ms,
};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use shared::{
    protocol::{LoginRequest, SessionInfo, StaffMember, MAX_ACCOUNT_TEXT},
    StaffId,
};
use std::{net::SocketAddr, time::Instant};

/// Sign-in is open; the rest needs a session (the caller layers `require_session` on `protected`).
pub fn routes() -> (Router<AppState>, Router<AppState>) {
    let open = Router::new().route("/api/auth/login", post(login));
    let protected = Router::new()
        .route("/api/auth/session", get(who))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/staff", get(staff));
    (open, protected)
}

fn info(s: &ActiveSession, server_ms: u64) -> SessionInfo {
    SessionInfo {
        staff: s.staff,
        name: s.name.clone(),
        email: s.email.clone(),
        role: s.role,
        club: s.club,
        club_name: s.club_name.clone(),
        expires_ms: s.expires_ms,
        server_ms,
    }
}

/// `POST /api/auth/login`: 200 with the [`SessionInfo`] and the cookie holding this device's
/// sessions plus the new one; 401 `login_failed` whatever was wrong (no account discovery);
/// 429 `too_many_attempts`; 409 `other_club` when this device is signed in to another club.
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(request): AppJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let email = normalise_email(&request.email);
    if email.chars().count() > MAX_ACCOUNT_TEXT {
        return Err(ApiError::LoginFailed);
    }
    let address = peer.ip().to_string();
    let limiter = state.auth.limiter.clone();
    // Counted as a failure before the (slow) password check, so parallel guesses all count.
    limiter
        .attempt(&email, &address, Instant::now())
        .map_err(|retry_after_secs| ApiError::TooManyAttempts { retry_after_secs })?;
    // No address holds control characters (a NUL would not even reach PostgreSQL as text).
    if email.chars().any(char::is_control) {
        return Err(ApiError::LoginFailed);
    }
    let account = state.accounts.account(&email).await?;
    let hash = account.as_ref().map_or_else(|| password::decoy().to_owned(), |a| a.password_hash.clone());
    let given = request.password.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify(&given, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(account) = account.filter(|a| matches && !a.disabled) else {
        tracing::info!(%address, "a sign-in failed");
        return Err(ApiError::LoginFailed);
    };
    let roles = state.accounts.roles(account.staff).await?;
    let Some(&(club, _)) = roles.iter().find(|(c, _)| request.club.is_none_or(|wanted| *c == wanted)) else {
        return Err(ApiError::Forbidden {
            code: "no_role",
            message: "this account has no role in that club: ask the club's owner".to_owned(),
            stream: None,
            event: None,
        });
    };
    limiter.succeeded(&email, &address);

    // The device's other sessions stay, if they are this device's and this club's.
    let now = now_ms();
    let earlier = super::middleware::session_of(&state, &headers).await?;
    let mut kept: Vec<ActiveSession> = Vec::new();
    if let Some(stale) = earlier.as_ref().filter(|e| e.device != request.device) {
        // Sessions this browser made under a device id it no longer has (its store was deleted,
        // its cookie kept): they can never push again, so they end here rather than linger.
        for s in &stale.active {
            state.accounts.revoke(&s.token_hash, now).await?;
        }
        state.sign_outs.send_modify(|n| *n += 1);
    }
    if let Some(earlier) = earlier.filter(|e| e.device == request.device) {
        if earlier.club != club {
            return Err(ApiError::OtherClub(format!(
                "this device is signed in to {}: sign everyone out of it before signing in to another club",
                earlier.active.first().map_or("another club", |s| s.club_name.as_str())
            )));
        }
        for s in earlier.active {
            if s.staff == account.staff {
                // Signing in again replaces the earlier session of the same person here.
                state.accounts.revoke(&s.token_hash, now).await?;
                state.sign_outs.send_modify(|n| *n += 1);
            } else {
                kept.push(s);
            }
        }
    }
    let token = new_token();
    let expires_ms = now + state.auth.session_lifetime.as_millis() as u64;
    state.accounts.open_session(&token_hash(&token), account.staff, club, &request.device, now, expires_ms).await?;
    let sessions = state.accounts.sessions(&[token_hash(&token)], now).await?;
    let mine = sessions.first().ok_or_else(|| ApiError::Internal("a new session was not found".to_owned()))?;
    tracing::info!(staff = %account.staff, %club, device = %request.device, "signed in");

    // Tokens we cannot read back from hashes: keep the cookie's own, in order, newest last.
    let kept_hashes: Vec<&str> = kept.iter().map(|s| s.token_hash.as_str()).collect();
    let mut tokens: Vec<String> =
        cookie::tokens(&headers).into_iter().filter(|t| kept_hashes.contains(&token_hash(t).as_str())).collect();
    if tokens.len() >= cookie::MAX_SESSIONS_PER_DEVICE {
        // The oldest sign-in of a full desk makes room, and ends.
        let oldest = tokens.remove(0);
        state.accounts.revoke(&token_hash(&oldest), now).await?;
        state.sign_outs.send_modify(|n| *n += 1);
    }
    tokens.push(token);
    let set = cookie::set(&tokens, state.auth.session_lifetime, state.auth.secure_cookie);
    Ok(([(header::SET_COOKIE, set)], AppJson(info(mine, now))).into_response())
}

/// `GET /api/auth/session`: everyone signed in on this device.
async fn who(session: Session) -> AppJson<Vec<SessionInfo>> {
    let now = now_ms();
    AppJson(session.active.iter().map(|s| info(s, now)).collect())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Logout {
    staff: StaffId,
}

/// `POST /api/auth/logout` `{"staff"}`: ends that person's session on this device (204); the
/// others stay signed in.
async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    AppJson(request): AppJson<Logout>,
) -> Result<Response, ApiError> {
    let Some(ending) = session.active.iter().find(|s| s.staff == request.staff) else {
        return Err(ApiError::Forbidden {
            code: "not_signed_in_here",
            message: "that staff member is not signed in on this device".to_owned(),
            stream: None,
            event: None,
        });
    };
    state.accounts.revoke(&ending.token_hash, now_ms()).await?;
    state.sign_outs.send_modify(|n| *n += 1);
    let tokens: Vec<String> =
        cookie::tokens(&headers).into_iter().filter(|t| token_hash(t) != ending.token_hash).collect();
    let set = cookie::set(&tokens, state.auth.session_lifetime, state.auth.secure_cookie);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, set)]).into_response())
}

/// `GET /api/auth/staff`: the club's staff, to show who made each event.
async fn staff(State(state): State<AppState>, session: Session) -> Result<AppJson<Vec<StaffMember>>, ApiError> {
    Ok(AppJson(state.accounts.staff_of(session.club).await?))
}
