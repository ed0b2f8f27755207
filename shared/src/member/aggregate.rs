use super::{
    commands::MemberCommand,
    details::{DetailsError, MemberField},
    events::MemberEvent,
};
use crate::{aggregate::Aggregate, stream::StreamKind};
use serde::{Deserialize, Serialize};

/// A second check-in of the same member within this window (before or after the other one) is
/// refused: a double tap at the desk, or two desks admitting the same visit. DOMAIN.md "Check-in".
pub const CHECK_IN_WINDOW_MS: u64 = 10 * 60 * 1000;
/// How many of a member's latest check-ins the state keeps for the window rule: check-ins from
/// offline desks arrive out of time order, and the one nearest to a new check-in need not be the latest.
const RECENT_CHECK_INS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub registered: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub archived: bool,
    /// The latest check-in times (ms since the epoch, device clocks), ascending, at most eight.
    pub recent_check_ins_ms: Vec<u64>,
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
    #[error("nothing was changed")]
    NothingChanged,
    #[error("the {} is given twice", .0.label())]
    FieldGivenTwice(MemberField),
    #[error("{}", join(.0))]
    InvalidDetails(Vec<DetailsError>),
    #[error("{}", too_soon(*.last_ms, *.now_ms))]
    CheckInTooSoon {
        /// The check-in it is too close to.
        last_ms: u64,
        /// The time of the refused check-in.
        now_ms: u64,
    },
}

impl MemberError {
    /// For a check-in refused as too soon: the seconds until it would be allowed.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            MemberError::CheckInTooSoon { last_ms, now_ms } => {
                Some((last_ms + CHECK_IN_WINDOW_MS).saturating_sub(*now_ms).div_ceil(1000))
            }
            _ => None,
        }
    }
}

fn join(errors: &[DetailsError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The true wait, also when the other check-in carries a time ahead of this device's clock.
fn too_soon(last_ms: u64, now_ms: u64) -> String {
    let wait = (last_ms + CHECK_IN_WINDOW_MS).saturating_sub(now_ms).div_ceil(1000);
    if last_ms <= now_ms {
        format!("already checked in {} s ago; try again in {wait} s", (now_ms - last_ms) / 1000)
    } else {
        format!(
            "already checked in, at a time {} s ahead of this device's clock; try again in {wait} s",
            (last_ms - now_ms).div_ceil(1000)
        )
    }
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

    /// The latest check-in (ms since the epoch), if any.
    pub fn last_check_in_ms(&self) -> Option<u64> {
        self.recent_check_ins_ms.last().copied()
    }

    /// A check-in at `now_ms` within the window of a recorded one, before or after it. A recorded
    /// time far ahead of `now_ms` (a desk whose clock was wrong) never holds a present one back.
    fn too_soon(&self, now_ms: u64) -> Option<u64> {
        self.recent_check_ins_ms.iter().rev().copied().find(|t| t.abs_diff(now_ms) < CHECK_IN_WINDOW_MS)
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
                let [name, email, phone] =
                    [(MemberField::Name, name), (MemberField::Email, email), (MemberField::Phone, phone)]
                        .map(|(field, value)| (field, field.normalise(&value)));
                let errors: Vec<DetailsError> =
                    [&name, &email, &phone].into_iter().filter_map(|(f, v)| f.check(v).err()).collect();
                if !errors.is_empty() {
                    return Err(MemberError::InvalidDetails(errors));
                }
                Ok(vec![MemberEvent::MemberRegistered { name: name.1, email: email.1, phone: phone.1 }])
            }
            MemberCommand::ChangeMemberDetails { changes } => {
                self.active()?;
                let (mut errors, mut events, mut seen) = (vec![], vec![], vec![]);
                for (field, value) in changes {
                    if seen.contains(&field) {
                        return Err(MemberError::FieldGivenTwice(field));
                    }
                    seen.push(field);
                    let value = field.normalise(&value);
                    match field.check(&value) {
                        Err(e) => errors.push(e),
                        Ok(()) if self.field(field) != value => {
                            events.push(MemberEvent::MemberDetailsChanged { field, value })
                        }
                        Ok(()) => {}
                    }
                }
                if !errors.is_empty() {
                    return Err(MemberError::InvalidDetails(errors));
                }
                if events.is_empty() {
                    return Err(MemberError::NothingChanged);
                }
                Ok(events)
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
                if let Some(last_ms) = self.too_soon(now_ms) {
                    return Err(MemberError::CheckInTooSoon { last_ms, now_ms });
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
                let at = self.recent_check_ins_ms.partition_point(|t| t <= at_ms);
                self.recent_check_ins_ms.insert(at, *at_ms);
                if self.recent_check_ins_ms.len() > RECENT_CHECK_INS {
                    self.recent_check_ins_ms.remove(0);
                }
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
                (MemberCommand::ChangeMemberDetails { changes: vec![(field, value)] }, 0)
            }
            MemberEvent::MemberArchived {} => (MemberCommand::ArchiveMember, 0),
            MemberEvent::MemberRestored {} => (MemberCommand::RestoreMember, 0),
            MemberEvent::MemberCheckedIn { at_ms } => (MemberCommand::CheckIn, at_ms),
        }
    }
}
