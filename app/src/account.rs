//! Who works on this device: the staff signed in here, which of them is at the desk now, and what
//! their role lets them do. The device keeps each session (never a password) so that staff keep
//! working offline until it ends; the runtime persists it, the pages read it from [`ClientState`].
//!
//! [`ClientState`]: crate::client::ClientState

use serde::{Deserialize, Serialize};
use shared::{
    access::{Actor, ClubId, Role, StaffId},
    protocol::SessionInfo,
    Command,
};

/// One staff member signed in on this device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalSession {
    /// What the server said at sign-in.
    pub info: SessionInfo,
    /// When the session ends by this device's clock: the server's `expires_ms` moved by how far
    /// this device's clock was from the server's at sign-in, so a device whose clock is off neither
    /// works past the server's end of the session nor stops before it.
    pub expires_ms: u64,
}

impl LocalSession {
    /// `info` as the server answered it, received at `now_ms` by this device's clock.
    pub fn new(info: SessionInfo, now_ms: u64) -> Self {
        let expires_ms = now_ms.saturating_add(info.expires_ms.saturating_sub(info.server_ms));
        Self { info, expires_ms }
    }

    pub fn staff(&self) -> StaffId {
        self.info.staff
    }

    pub fn actor(&self) -> Actor {
        Actor { staff: self.info.staff, role: self.info.role }
    }

    pub fn valid_at(&self, now_ms: u64) -> bool {
        self.expires_ms > now_ms
    }
}

/// The staff signed in on this device (a shared desk: several, one at a time at the keyboard).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sessions {
    /// In the order they signed in.
    pub staff: Vec<LocalSession>,
    /// Who is at the desk: what commands are stamped with. Always one of `staff`, or `None`.
    pub active: Option<StaffId>,
}

impl Sessions {
    /// The staff member at the desk, if signed in and their session has not ended.
    pub fn active_at(&self, now_ms: u64) -> Option<&LocalSession> {
        let active = self.active?;
        self.staff.iter().find(|s| s.staff() == active && s.valid_at(now_ms))
    }

    /// The session of `staff`, whether it ended or not.
    pub fn of(&self, staff: StaffId) -> Option<&LocalSession> {
        self.staff.iter().find(|s| s.staff() == staff)
    }

    /// Adds (or renews) a session and makes its staff member the active one.
    pub fn signed_in(&mut self, session: LocalSession) {
        let staff = session.staff();
        match self.staff.iter_mut().find(|s| s.staff() == staff) {
            Some(known) => *known = session,
            None => self.staff.push(session),
        }
        self.active = Some(staff);
    }

    /// Forgets `staff`; if they were at the desk, nobody is until someone picks who is.
    pub fn signed_out(&mut self, staff: StaffId) {
        self.staff.retain(|s| s.staff() != staff);
        if self.active == Some(staff) {
            self.active = None;
        }
    }

    /// Forgets every session that ended by `now_ms`; whether any was.
    pub fn drop_ended(&mut self, now_ms: u64) -> bool {
        let before = self.staff.len();
        self.staff.retain(|s| s.valid_at(now_ms));
        if self.active.is_some_and(|a| !self.staff.iter().any(|s| s.staff() == a)) {
            self.active = None;
        }
        self.staff.len() != before
    }
}

/// The club whose data this device holds: set by the first sign-in, kept until the device is wiped,
/// so that a device never mixes two clubs' members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceClub {
    pub club: ClubId,
    pub name: String,
}

/// Why signing in did not work, for the sign-in page to say.
#[derive(Clone, Debug, PartialEq)]
pub enum SignInError {
    /// Wrong e-mail or password (the server's words).
    Refused(String),
    /// Too many attempts: wait before trying again.
    TooManyAttempts(String),
    /// No answer from the server: a first sign-in on a device needs one.
    Offline,
    /// The account works in another club than the one whose data this device holds.
    OtherClub { device_club: String },
    /// Anything else (the server failed, the local store failed): said as it is.
    Failed(String),
}

/// What signing a staff member out would cost, asked before doing it: the changes that could not
/// be sent first.
#[derive(Clone, Debug, PartialEq)]
pub struct SignOutCheck {
    /// Changes not on the server: lost if the device is wiped, or waiting for this staff member
    /// to sign in here again otherwise.
    pub unsent: u32,
    /// Whether this is the last staff member signed in: the device's data is then deleted.
    pub last: bool,
    /// Why they could not be sent (offline, refused…), when some are left.
    pub why: Option<String>,
}

/// Whether `role` may give `command`: pages offer only what the role can do (the store refuses
/// the rest anyway).
pub fn may(role: Role, command: &Command) -> bool {
    role.can(command.permission())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{access::Permission, member::MemberCommand};
    use uuid::Uuid;

    const HOUR: u64 = 3_600_000;

    fn info(staff: u128, role: Role, server_ms: u64, expires_ms: u64) -> SessionInfo {
        SessionInfo {
            staff: StaffId(Uuid::from_u128(staff)),
            name: format!("Staff {staff}"),
            email: format!("{staff}@club.example"),
            role,
            club: ClubId(Uuid::from_u128(100)),
            club_name: "Club".into(),
            expires_ms,
            server_ms,
        }
    }

    #[test]
    fn a_session_lasts_as_long_on_a_device_whose_clock_is_off_as_the_server_gives_it() {
        // The server gives 12 h; this device's clock is 2 h behind the server's.
        let session = LocalSession::new(info(1, Role::FrontDesk, 10 * HOUR, 22 * HOUR), 8 * HOUR);
        assert!(session.valid_at(20 * HOUR - 1));
        assert!(!session.valid_at(20 * HOUR));
    }

    #[test]
    fn the_staff_member_at_the_desk_is_nobody_once_their_session_ended() {
        let mut sessions = Sessions::default();
        sessions.signed_in(LocalSession::new(info(1, Role::FrontDesk, 0, HOUR), 0));
        sessions.signed_in(LocalSession::new(info(2, Role::Manager, 0, 2 * HOUR), 0));
        assert_eq!(sessions.active_at(0).map(LocalSession::staff), Some(StaffId(Uuid::from_u128(2))));
        sessions.active = Some(StaffId(Uuid::from_u128(1)));
        assert!(sessions.active_at(HOUR).is_none(), "not someone else instead");
        assert!(sessions.drop_ended(HOUR));
        assert_eq!(sessions.staff.len(), 1);
        assert_eq!(sessions.active, None);
    }

    #[test]
    fn signing_in_again_renews_the_session_and_signing_out_forgets_it() {
        let mut sessions = Sessions::default();
        sessions.signed_in(LocalSession::new(info(1, Role::Coach, 0, HOUR), 0));
        sessions.signed_in(LocalSession::new(info(1, Role::Coach, 0, 3 * HOUR), 0));
        assert_eq!(sessions.staff.len(), 1);
        assert!(sessions.active_at(2 * HOUR).is_some());
        sessions.signed_out(StaffId(Uuid::from_u128(1)));
        assert_eq!(sessions, Sessions::default());
    }

    #[test]
    fn what_a_command_needs_comes_from_its_aggregate() {
        let check_in = Command::Member(MemberCommand::CheckIn {
            on: "2026-03-01".parse().unwrap(),
            membership: Uuid::nil(),
            rules: Default::default(),
        });
        assert_eq!(check_in.permission(), Permission::CheckIn);
        assert!(may(Role::FrontDesk, &check_in));
        assert!(!may(Role::Coach, &check_in));
        assert!(!may(Role::Coach, &Command::Member(MemberCommand::ArchiveMember)));
    }
}
