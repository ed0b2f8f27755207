use super::{
    commands::MemberCommand,
    details::{DetailsError, MemberField},
    events::MemberEvent,
};
use crate::{aggregate::Aggregate, stream::StreamKind};
use serde::{Deserialize, Serialize};

/// A second check-in of the same member within this window is refused: a double tap at the desk.
pub const CHECK_IN_WINDOW_MS: u64 = 10 * 60 * 1000;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub registered: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub archived: bool,
    pub last_check_in_ms: Option<u64>,
    pub check_ins: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MemberError {
    #[error("this member is already registered")]
    AlreadyRegistered,
    #[error("no such member")]
    NotRegistered,
    #[error("this member is archived")]
    Archived,
    #[error("this member is not archived")]
    NotArchived,
    #[error("the {} is already {value:?}", field.label())]
    Unchanged { field: MemberField, value: String },
    #[error(transparent)]
    Details(#[from] DetailsError),
    #[error("already checked in {since_secs} s ago; try again in {retry_after_secs} s")]
    CheckInTooSoon { since_secs: u64, retry_after_secs: u64 },
}

impl Member {
    fn active(&self) -> Result<(), MemberError> {
        if !self.registered {
            Err(MemberError::NotRegistered)
        } else if self.archived {
            Err(MemberError::Archived)
        } else {
            Ok(())
        }
    }

    pub fn field(&self, field: MemberField) -> &str {
        match field {
            MemberField::Name => &self.name,
            MemberField::Email => &self.email,
            MemberField::Phone => &self.phone,
        }
    }
}

impl Aggregate for Member {
    const KIND: StreamKind = StreamKind::Member;
    type Command = MemberCommand;
    type Event = MemberEvent;
    type Error = MemberError;

    fn decide(&self, command: MemberCommand, now_ms: u64) -> Result<Vec<MemberEvent>, MemberError> {
        match command {
            MemberCommand::RegisterMember { name, email, phone } => {
                if self.registered {
                    return Err(MemberError::AlreadyRegistered);
                }
                MemberField::Name.check(&name)?;
                MemberField::Email.check(&email)?;
                MemberField::Phone.check(&phone)?;
                Ok(vec![MemberEvent::MemberRegistered { name, email, phone }])
            }
            MemberCommand::ChangeMemberDetails { field, value } => {
                self.active()?;
                field.check(&value)?;
                if self.field(field) == value {
                    return Err(MemberError::Unchanged { field, value });
                }
                Ok(vec![MemberEvent::MemberDetailsChanged { field, value }])
            }
            MemberCommand::ArchiveMember => {
                self.active()?;
                Ok(vec![MemberEvent::MemberArchived {}])
            }
            MemberCommand::RestoreMember => {
                if !self.registered {
                    return Err(MemberError::NotRegistered);
                }
                if !self.archived {
                    return Err(MemberError::NotArchived);
                }
                Ok(vec![MemberEvent::MemberRestored {}])
            }
            MemberCommand::CheckIn => {
                self.active()?;
                if let Some(last) = self.last_check_in_ms {
                    // A clock that went backwards counts as "just now": never a way around the window.
                    let since = now_ms.saturating_sub(last);
                    if since < CHECK_IN_WINDOW_MS {
                        return Err(MemberError::CheckInTooSoon {
                            since_secs: since / 1000,
                            retry_after_secs: (CHECK_IN_WINDOW_MS - since).div_ceil(1000),
                        });
                    }
                }
                Ok(vec![MemberEvent::MemberCheckedIn { at_ms: now_ms }])
            }
        }
    }

    fn evolve(&mut self, event: &MemberEvent) {
        match event {
            MemberEvent::MemberRegistered { name, email, phone } => {
                self.registered = true;
                self.name = name.clone();
                self.email = email.clone();
                self.phone = phone.clone();
            }
            MemberEvent::MemberDetailsChanged { field, value } => match field {
                MemberField::Name => self.name = value.clone(),
                MemberField::Email => self.email = value.clone(),
                MemberField::Phone => self.phone = value.clone(),
            },
            MemberEvent::MemberArchived {} => self.archived = true,
            MemberEvent::MemberRestored {} => self.archived = false,
            MemberEvent::MemberCheckedIn { at_ms } => {
                self.last_check_in_ms = Some(self.last_check_in_ms.map_or(*at_ms, |l| l.max(*at_ms)));
                self.check_ins += 1;
            }
        }
    }

    fn command_of(event: &MemberEvent) -> (MemberCommand, u64) {
        match event.clone() {
            MemberEvent::MemberRegistered { name, email, phone } => {
                (MemberCommand::RegisterMember { name, email, phone }, 0)
            }
            MemberEvent::MemberDetailsChanged { field, value } => {
                (MemberCommand::ChangeMemberDetails { field, value }, 0)
            }
            MemberEvent::MemberArchived {} => (MemberCommand::ArchiveMember, 0),
            MemberEvent::MemberRestored {} => (MemberCommand::RestoreMember, 0),
            MemberEvent::MemberCheckedIn { at_ms } => (MemberCommand::CheckIn, at_ms),
        }
    }
}
