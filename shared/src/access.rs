//! Who may do what: staff, clubs, roles, and the permission each command needs.
//!
//! The rules come from DOMAIN.md "Roles": an owner or manager may do everything (settings,
//! overrides, back-dating, voids); the front desk keeps members, sales, payments, freezes,
//! check-ins and bookings; a coach sees their own classes (rosters and attendance). A command is
//! checked here on the device before it is decided, and every event a device pushes is checked
//! again by the server against the role the server holds for its author (`permitted`).

use crate::{
    aggregate::DecodeError,
    envelope::EventEnvelope,
    registry::{ForKind, Registered},
};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A staff account (UUIDv7, given by the server when the account is made). Every event records the
/// staff member who made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffId(pub Uuid);

/// A club: the scope of one event log (its positions, its devices, its streams).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClubId(pub Uuid);

macro_rules! display_uuid {
    ($($t:ty),+) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl std::str::FromStr for $t {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )+};
}
display_uuid!(StaffId, ClubId);

/// A staff member's role in one club. Declared from the most to the least allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything a manager may, and the club's staff accounts.
    Owner,
    /// Everything in the club: settings, overrides, back-dating, voids.
    Manager,
    /// Members, sales, payments, freezes, check-ins and bookings.
    FrontDesk,
    /// Their own classes: rosters and attendance.
    Coach,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::FrontDesk, Role::Coach];

    /// Whether this role holds `permission` (the table of DOMAIN.md "Roles").
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Manager => permission != StaffAccounts,
            Role::FrontDesk => matches!(permission, Members | CheckIn | Sales | Bookings | Attendance),
            Role::Coach => matches!(permission, Attendance),
        }
    }

    /// The name staff read ("front desk").
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::FrontDesk => "front desk",
            Role::Coach => "coach",
        }
    }

    /// The name on the command line and in the API (`front_desk`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::FrontDesk => "front_desk",
            Role::Coach => "coach",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}: use owner, manager, front_desk or coach"))
    }
}

/// What a command needs of its author's role. Each aggregate says which one each of its commands
/// needs ([`Aggregate::permission`]); [`Role::can`] is the one table that grants them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Register, change, archive and restore members.
    Members,
    /// Check members in.
    CheckIn,
    /// Sell memberships, record payments, freeze.
    Sales,
    /// Book members into classes.
    Bookings,
    /// Record something as having happened earlier than now.
    BackDate,
    /// Void a mistaken record.
    Void,
    /// Override a rule's refusal with a reason.
    Override,
    /// Change the club's settings.
    Settings,
    /// Schedule, reschedule and cancel classes.
    Timetable,
    /// Take attendance (a coach: of their own classes only, checked against the class's coach).
    Attendance,
    /// Make, change and revoke staff accounts.
    StaffAccounts,
}

impl Permission {
    /// What the permission lets staff do, for the refusal ("may not check members in").
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Members => "register or change members",
            Permission::CheckIn => "check members in",
            Permission::Sales => "sell memberships or record payments",
            Permission::Bookings => "book classes",
            Permission::BackDate => "record something as happened earlier",
            Permission::Void => "void records",
            Permission::Override => "override a refusal",
            Permission::Settings => "change the club's settings",
            Permission::Timetable => "schedule or change classes",
            Permission::Attendance => "take attendance",
            Permission::StaffAccounts => "manage staff accounts",
        }
    }
}

/// A role was asked to do what it may not.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {role} may not {}", permission.describe())]
pub struct Forbidden {
    pub role: Role,
    pub permission: Permission,
}

/// Checks that `role` holds `permission`.
pub fn check(role: Role, permission: Permission) -> Result<(), Forbidden> {
    if role.can(permission) {
        Ok(())
    } else {
        Err(Forbidden { role, permission })
    }
}

/// Who decides a command on this device: the staff member signed in, and their role in its club.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub staff: StaffId,
    pub role: Role,
}

/// Why the server does not take a pushed event from its author.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NotPermitted {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Unreadable(#[from] DecodeError),
    /// Only the server's conflict resolution writes this event type.
    #[error("{0} is written by the server's conflict resolution, never sent by a device")]
    ResolutionOnly(String),
}

/// Checks that `role` may have made `event`: its command's permission (see
/// [`Aggregate::command_of`]), or for a resolution of the server's that a device offers back, the
/// permission of the command it resolved ([`Aggregate::resolution_permission`]).
pub fn permitted(event: &EventEnvelope, role: Role) -> Result<(), NotPermitted> {
    event.stream.kind.run(Permitted { event, role })
}

struct Permitted<'a> {
    event: &'a EventEnvelope,
    role: Role,
}

impl ForKind for Permitted<'_> {
    type Output = Result<(), NotPermitted>;
    fn run<A: Registered>(self) -> Self::Output {
        let event = self.event.decode::<A::Event>()?;
        let permission = match A::command_of(&event) {
            Some((command, _)) => A::permission(&command),
            None => A::resolution_permission(&event)
                .ok_or_else(|| NotPermitted::ResolutionOnly(self.event.event_type.clone()))?,
        };
        Ok(check(self.role, permission)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_may_do_everything_and_a_manager_all_but_staff_accounts() {
        for p in [Permission::Members, Permission::Override, Permission::Void, Permission::BackDate] {
            assert!(Role::Owner.can(p) && Role::Manager.can(p));
        }
        assert!(Role::Owner.can(Permission::StaffAccounts));
        assert!(!Role::Manager.can(Permission::StaffAccounts));
    }

    #[test]
    fn the_front_desk_keeps_members_and_check_ins_but_may_not_override_void_or_back_date() {
        assert!(Role::FrontDesk.can(Permission::Members) && Role::FrontDesk.can(Permission::CheckIn));
        for p in [Permission::Override, Permission::Void, Permission::BackDate, Permission::Settings] {
            assert_eq!(check(Role::FrontDesk, p), Err(Forbidden { role: Role::FrontDesk, permission: p }));
        }
    }

    #[test]
    fn a_coach_only_takes_attendance() {
        assert!(Role::Coach.can(Permission::Attendance));
        assert!(!Role::Coach.can(Permission::Timetable) && !Role::FrontDesk.can(Permission::Timetable));
        assert!(!Role::Coach.can(Permission::Members));
        assert_eq!(
            check(Role::Coach, Permission::CheckIn).unwrap_err().to_string(),
            "a coach may not check members in"
        );
    }

    fn envelope(event: crate::member::MemberEvent) -> EventEnvelope {
        use crate::aggregate::DomainEvent;
        EventEnvelope {
            id: Uuid::from_u128(1),
            stream: crate::StreamId::member(Uuid::from_u128(2)),
            version: 1,
            event_type: event.event_type().to_owned(),
            schema_version: 1,
            data: event.encode(),
            hlc: crate::Hlc::default(),
            device: crate::DeviceId::new("d").unwrap(),
            staff: None,
            position: None,
        }
    }

    #[test]
    fn a_resolution_offered_back_needs_the_permission_of_what_it_resolved() {
        use crate::member::{MemberEvent, MemberField};
        let merged = envelope(MemberEvent::MemberDetailsMerged {
            field: MemberField::Email,
            value: "new@club.test".into(),
            overwritten: "old@club.test".into(),
        });
        assert_eq!(
            permitted(&merged, Role::Coach),
            Err(NotPermitted::Forbidden(Forbidden { role: Role::Coach, permission: Permission::Members }))
        );
        assert_eq!(permitted(&merged, Role::FrontDesk), Ok(()));
        let registered =
            envelope(MemberEvent::MemberRegistered { name: "Ann".into(), email: String::new(), phone: String::new() });
        assert!(permitted(&registered, Role::Coach).is_err());
        assert_eq!(permitted(&registered, Role::FrontDesk), Ok(()));
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
