//! The signed-in staff of a request: what the session middleware found in its cookie.

use crate::error::ApiError;
use axum::{extract::FromRequestParts, http::request::Parts};
use shared::{ClubId, DeviceId, Role, StaffId};

/// Who is asking: every staff member signed in on one device, all in one club (a device is bound
/// to a club). Taken by every handler behind the session middleware; a request without a valid
/// session never reaches one (401 `not_signed_in`).
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// The club whose log the request may see and change, and nothing else.
    pub club: ClubId,
    /// The device the sessions were made on: a push must name it.
    pub device: DeviceId,
    /// Every staff member signed in on the device, as their sessions are stored (role, expiry,
    /// token hash). Never empty.
    pub active: Vec<super::ActiveSession>,
}

impl Session {
    /// The role of `staff` if they are signed in on this device.
    pub fn role_of(&self, staff: StaffId) -> Option<Role> {
        self.active.iter().find(|s| s.staff == staff).map(|s| s.role)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Session>().cloned().ok_or(ApiError::NotSignedIn)
    }
}
