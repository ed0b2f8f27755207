//! A coach takes attendance of their own classes only (DOMAIN.md "Roles"; ISSUE 13: "mark
//! attendance (coach: own classes only)"). The role allows attendance; which classes are a coach's
//! is the class's (`details.coach`), so it is checked here against the class as the server holds
//! it, before anything of the push is stored; and a class's coach must be on the club's staff.

use crate::{error::ApiError, state::AppState};
use shared::{
    access::{Permission, Role, StaffId},
    aggregate::Aggregate,
    class::{Class, ClassEvent},
    member::{Member, MemberEvent, Repeated},
    protocol::PushRequest,
    ClubId, EventEnvelope, StreamKind,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Refuses (403 `not_own_class`) a push in which a coach takes attendance of, or uses a card's
/// visit for, a class whose coach is someone else. `role_of` is the role of an event's author.
pub async fn check(
    state: &AppState,
    club: ClubId,
    request: &PushRequest,
    role_of: impl Fn(StaffId) -> Option<Role>,
) -> Result<(), ApiError> {
    let mut coaches: HashMap<Uuid, Option<StaffId>> = HashMap::new();
    for e in request.batches.iter().flat_map(|b| &b.events) {
        let Some(staff) = e.staff.filter(|s| role_of(*s) == Some(Role::Coach)) else { continue };
        let Some(class) = attendance_class(e) else { continue };
        let coach = match coaches.get(&class) {
            Some(coach) => *coach,
            None => {
                let coach = coach_of(state, club, request, class).await?;
                coaches.insert(class, coach);
                coach
            }
        };
        if coach != Some(staff) {
            let whose = match coach {
                Some(_) => "another coach's class",
                None => "a class this club does not have",
            };
            return Err(ApiError::Forbidden {
                code: "not_own_class",
                message: format!(
                    "event {}: a coach takes attendance of their own classes only, and class {class} is {whose}",
                    e.id
                ),
                stream: Some(e.stream),
                event: Some(e.id),
            });
        }
    }
    Ok(())
}

/// Refuses (422 `rule_broken`, nothing stored) a push that schedules a class, or gives one a new
/// coach, naming as its coach someone who is not on the club's staff: the coach's own view and the
/// check above go by that id, so a made-up or another club's one would leave the class without its
/// coach. A class whose coach left the club keeps them through a move that does not change coach.
pub async fn check_coaches(state: &AppState, club: ClubId, request: &PushRequest) -> Result<(), ApiError> {
    let mut staff: Option<Vec<StaffId>> = None;
    for batch in &request.batches {
        if batch.stream.kind != StreamKind::Class {
            continue;
        }
        // The coach before each event: as the batch (re)schedules it, else as the server holds it.
        let mut before: Option<Option<StaffId>> = None;
        for e in &batch.events {
            let (coach, new) = match e.decode::<ClassEvent>() {
                Ok(ClassEvent::ClassScheduled { details, .. }) => (details.coach, true),
                Ok(ClassEvent::ClassRescheduled { details, .. }) => {
                    let was = match before {
                        Some(was) => was,
                        None => stored_coach(state, club, batch.stream).await?,
                    };
                    (details.coach, was != Some(details.coach))
                }
                _ => continue,
            };
            before = Some(Some(coach));
            if !new {
                continue;
            }
            if staff.is_none() {
                staff = Some(state.accounts.staff_of(club).await?.into_iter().map(|s| s.staff).collect());
            }
            if !staff.as_ref().is_some_and(|all| all.contains(&coach)) {
                return Err(ApiError::Refused(shared::acceptance::Refusal::RuleBroken {
                    stream: batch.stream,
                    event: e.id,
                    reason: format!("the coach {coach} is not on this club's staff: choose one of the club's staff"),
                }));
            }
        }
    }
    Ok(())
}

/// The class whose attendance `e` records, when its command needs [`Permission::Attendance`]:
/// marking or submitting attendance (the class's stream), a card's visit used for it (the
/// member's stream, naming the class).
fn attendance_class(e: &EventEnvelope) -> Option<Uuid> {
    match e.stream.kind {
        StreamKind::Class => {
            let event = e.decode::<ClassEvent>().ok()?;
            let needs = match Class::command_of(&event) {
                Some((command, _)) => Class::permission(&command),
                None => Class::resolution_permission(&event)?,
            };
            (needs == Permission::Attendance).then_some(e.stream.id)
        }
        StreamKind::Member => {
            let event = e.decode::<MemberEvent>().ok()?;
            let needs = match Member::command_of(&event) {
                Some((command, _)) => Member::permission(&command),
                None => Member::resolution_permission(&event)?,
            };
            if needs != Permission::Attendance {
                return None;
            }
            match event {
                MemberEvent::ClassVisitUsed { class, .. }
                | MemberEvent::ClassVisitNotCounted { class, .. }
                | MemberEvent::ClassVisitReturned { class, .. }
                | MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class } } => Some(class),
                _ => None,
            }
        }
        StreamKind::Club => None,
    }
}

/// The coach of `class`: as the push itself (re)schedules it, if it does (a manager on the same
/// device), else as the server holds it. None: no such class in the club.
async fn coach_of(
    state: &AppState,
    club: ClubId,
    request: &PushRequest,
    class: Uuid,
) -> Result<Option<StaffId>, ApiError> {
    let stream = shared::class::stream(class);
    let pushed = request.batches.iter().filter(|b| b.stream == stream).flat_map(|b| &b.events).rev().find_map(|e| {
        match e.decode::<ClassEvent>().ok()? {
            ClassEvent::ClassScheduled { details, .. } | ClassEvent::ClassRescheduled { details, .. } => {
                Some(details.coach)
            }
            _ => None,
        }
    });
    if pushed.is_some() {
        return Ok(pushed);
    }
    stored_coach(state, club, stream).await
}

/// The coach of the class on `stream` as the server holds it (None: no such class in the club).
async fn stored_coach(state: &AppState, club: ClubId, stream: shared::StreamId) -> Result<Option<StaffId>, ApiError> {
    let Some(row) = state.store.read_stream(club, stream).await? else { return Ok(None) };
    let stored: Class = shared::projection::state_from(&row.state)
        .map_err(|e| ApiError::Internal(format!("the classes row of {stream} cannot be read: {e}")))?;
    Ok(stored.details.map(|d| d.coach))
}
