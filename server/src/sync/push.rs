use crate::auth::Session;
use crate::{
    error::{ApiError, AppJson},
    state::AppState,
    store::{ClubRefusal, PushRefusal},
    writer::now_ms,
};
use axum::extract::State;
use shared::{
    acceptance::check_request,
    access::NotPermitted,
    protocol::{PushRequest, PushResponse},
};

/// `POST /api/sync/push`: shape checks first (nothing stored on failure), then the writer plans
/// and appends each batch against the stored stream in one transaction.
pub async fn push(
    State(state): State<AppState>,
    session: Session,
    AppJson(request): AppJson<PushRequest>,
) -> Result<AppJson<PushResponse>, ApiError> {
    check_request(&request, now_ms())?;
    check_authors(&session, &request)?;
    // A coach's attendance is of their own classes: read from the store, before anything is stored.
    super::own_classes::check(&state, session.club, &request, |staff| session.role_of(staff)).await?;
    super::own_classes::check_coaches(&state, session.club, &request).await?;
    let events: usize = request.batches.iter().map(|b| b.events.len()).sum();
    let device = request.device.clone();
    // Into the session's club's log only: a push naming another club's stream or event id is
    // refused whole there, in the writer's transaction (403 `other_club`, nothing stored).
    let response = state.writer.push(session.club, request).await?.map_err(refused)?;
    tracing::debug!(%device, events, "push handled");
    Ok(AppJson(response))
}

/// Every event of a push must be made on the signed-in device by a staff member signed in on it,
/// whose role (as the server holds it now) allows the event's command (403, nothing stored).
fn check_authors(session: &Session, request: &PushRequest) -> Result<(), ApiError> {
    if request.device != session.device {
        return Err(ApiError::Forbidden {
            code: "device_mismatch",
            message: format!("this session belongs to device {}, not {}", session.device, request.device),
            stream: None,
            event: None,
        });
    }
    for e in request.batches.iter().flat_map(|b| &b.events) {
        // Naming the event lets the device set that change aside instead of retrying it.
        let refuse = |code: &'static str, message: String| ApiError::Forbidden {
            code,
            message,
            stream: Some(e.stream),
            event: Some(e.id),
        };
        if e.device != session.device {
            return Err(refuse("device_mismatch", format!("event {} was made on another device ({})", e.id, e.device)));
        }
        let Some(staff) = e.staff else {
            return Err(refuse("staff_mismatch", format!("event {} does not name the staff member who made it", e.id)));
        };
        let Some(role) = session.role_of(staff) else {
            return Err(refuse(
                "staff_mismatch",
                format!("event {} was made by staff member {staff}, who is not signed in on this device", e.id),
            ));
        };
        match shared::access::permitted(e, role) {
            Ok(()) => {}
            Err(NotPermitted::Forbidden(f)) => return Err(refuse("forbidden", format!("event {}: {f}", e.id))),
            Err(NotPermitted::ResolutionOnly(t)) => {
                return Err(refuse("forbidden", format!("event {}: {t} is written by the server only", e.id)))
            }
            Err(NotPermitted::Unreadable(d)) => return Err(ApiError::BadRequest(format!("event {}: {d}", e.id))),
        }
    }
    Ok(())
}

/// A refused push as the API answers it: the domain's refusals as they are; another club's stream
/// or event id as 403 `other_club`.
fn refused(refusal: PushRefusal) -> ApiError {
    match refusal {
        PushRefusal::Rules(r) => ApiError::Refused(r),
        PushRefusal::Club(c) => {
            let ClubRefusal::OtherClub { stream, event } = &c;
            let (stream, event) = (Some(*stream), *event);
            ApiError::Forbidden { code: "other_club", message: c.to_string(), stream, event }
        }
    }
}
