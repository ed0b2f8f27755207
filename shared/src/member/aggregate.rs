use super::{
    commands::MemberCommand,
    details::{DetailsError, MemberField},
    events::{MemberEvent, NotCounted, Repeated},
};
use crate::{
    aggregate::{Aggregate, EventMeta, Policy, Resolution, Unresolved},
    hlc::Hlc,
    ids::DeviceId,
    stream::StreamKind,
};
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
    /// The latest check-in time no longer in `recent_check_ins_ms` (none if none was dropped): a
    /// check-in within the window of it, or before it, cannot be checked against it, so it is not
    /// counted.
    #[serde(default)]
    pub forgotten_ms: Option<u64>,
    pub check_ins: u32,
    /// When each field (name, e-mail, phone, in [`MemberField::ALL`] order) last changed: what the
    /// merge of a concurrent change compares with.
    #[serde(default)]
    pub changed: [FieldStamp; 3],
}

/// The event that last set a field: its place in the stream and its stamp.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldStamp {
    pub version: u64,
    pub hlc: Hlc,
    pub device: Option<DeviceId>,
}

impl FieldStamp {
    fn of(meta: &EventMeta<'_>) -> Self {
        Self { version: meta.version, hlc: meta.hlc, device: Some(meta.device.clone()) }
    }

    /// Whether this stamp orders after `meta`'s: the later hybrid-clock stamp, ties broken by device id.
    fn later_than(&self, meta: &EventMeta<'_>) -> bool {
        (self.hlc, self.device.as_ref()) > (meta.hlc, Some(meta.device))
    }
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
    #[error("this check-in is from before the member's last {RECENT_CHECK_INS} check-ins and cannot be checked against them")]
    CheckInBeforeHistory,
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
    /// What records `event` when re-deciding it fails with `error` (see `Aggregate::compensate`).
    fn compensate_one(&self, event: &MemberEvent, error: &MemberError) -> Option<MemberEvent> {
        match (event, error) {
            (MemberEvent::MemberCheckedIn { at_ms }, MemberError::CheckInTooSoon { last_ms, .. }) => {
                Some(MemberEvent::MemberCheckInNotCounted {
                    at_ms: *at_ms,
                    reason: NotCounted::Duplicate { of_ms: *last_ms },
                })
            }
            (MemberEvent::MemberCheckedIn { at_ms }, MemberError::CheckInBeforeHistory) => {
                Some(MemberEvent::MemberCheckInNotCounted { at_ms: *at_ms, reason: NotCounted::BeforeHistory })
            }
            (MemberEvent::MemberArchived {}, MemberError::Archived) => {
                Some(MemberEvent::MemberChangeRepeated { change: Repeated::Archived })
            }
            (MemberEvent::MemberRestored {}, MemberError::NotArchived) => {
                Some(MemberEvent::MemberChangeRepeated { change: Repeated::Restored })
            }
            _ => None,
        }
    }

    fn active(&self) -> Result<(), MemberError> {
        if !self.registered {
            Err(MemberError::NotRegistered)
        } else if self.archived {
            Err(MemberError::Archived)
        } else {
            Ok(())
        }
    }

    /// Whether a check-in at `at_ms` falls before or within the window of a check-in this state
    /// no longer keeps.
    fn before_history(&self, at_ms: u64) -> bool {
        self.forgotten_ms.is_some_and(|forgotten| at_ms < forgotten + CHECK_IN_WINDOW_MS)
    }

    fn stamp(&self, field: MemberField) -> &FieldStamp {
        &self.changed[field as usize]
    }

    fn set(&mut self, field: MemberField, value: &str, meta: &EventMeta<'_>) {
        let slot = match field {
            MemberField::Name => &mut self.name,
            MemberField::Email => &mut self.email,
            MemberField::Phone => &mut self.phone,
        };
        *slot = value.to_owned();
        self.changed[field as usize] = FieldStamp::of(meta);
    }

    /// A value as `decide` would store it for `field`: normalised and passing the field's checks.
    fn valid_value(field: MemberField, value: &str) -> bool {
        field.normalise(value) == value && field.check(value).is_ok()
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

    fn permission(command: &MemberCommand) -> crate::access::Permission {
        use crate::access::Permission;
        match command {
            MemberCommand::CheckIn => Permission::CheckIn,
            MemberCommand::RegisterMember { .. }
            | MemberCommand::ChangeMemberDetails { .. }
            | MemberCommand::ArchiveMember
            | MemberCommand::RestoreMember => Permission::Members,
        }
    }

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
                if self.before_history(now_ms) {
                    return Err(MemberError::CheckInBeforeHistory);
                }
                Ok(vec![MemberEvent::MemberCheckedIn { at_ms: now_ms }])
            }
        }
    }

    fn evolve(&mut self, event: &MemberEvent, meta: &EventMeta<'_>) {
        match event {
            MemberEvent::MemberRegistered { name, email, phone } => {
                self.registered = true;
                for (field, value) in MemberField::ALL.into_iter().zip([name, email, phone]) {
                    self.set(field, value, meta);
                }
            }
            // In log order: the server decided, when it appended a concurrent change, which one stands.
            MemberEvent::MemberDetailsChanged { field, value }
            | MemberEvent::MemberDetailsMerged { field, value, .. } => self.set(*field, value, meta),
            MemberEvent::MemberDetailsOverwritten { .. }
            | MemberEvent::MemberCheckInNotCounted { .. }
            | MemberEvent::MemberChangeRepeated { .. } => {}
            MemberEvent::MemberArchived {} => self.archived = true,
            MemberEvent::MemberRestored {} => self.archived = false,
            MemberEvent::MemberCheckedIn { at_ms } => {
                let at = self.recent_check_ins_ms.partition_point(|t| t <= at_ms);
                self.recent_check_ins_ms.insert(at, *at_ms);
                if self.recent_check_ins_ms.len() > RECENT_CHECK_INS {
                    let dropped = self.recent_check_ins_ms.remove(0);
                    self.forgotten_ms = Some(self.forgotten_ms.map_or(dropped, |f| f.max(dropped)));
                }
                self.check_ins += 1;
            }
        }
    }

    /// Details merge field by field; check-ins, archiving and restoring are re-decided (a check-in
    /// that no longer holds is recorded as not counted, an archive or restore that no longer holds
    /// goes to the inbox); a registration cannot meet another one. The server's own resolutions,
    /// offered back after a restore, are kept where the state still admits them.
    fn policy(event: &MemberEvent) -> Policy {
        match event {
            MemberEvent::MemberRegistered { .. } => Policy::Reject,
            MemberEvent::MemberDetailsChanged { .. } => Policy::Merge,
            _ => Policy::Rebase,
        }
    }

    fn admits(&self, event: &MemberEvent, _meta: &EventMeta<'_>) -> bool {
        if !self.registered {
            return false;
        }
        match event {
            // As the merge writes them: only over a different value (the same value is a repeat).
            MemberEvent::MemberDetailsMerged { field, value, overwritten } => {
                !self.archived
                    && Self::valid_value(*field, value)
                    && self.field(*field) == overwritten
                    && value != overwritten
            }
            MemberEvent::MemberDetailsOverwritten { field, value, kept } => {
                !self.archived && Self::valid_value(*field, value) && self.field(*field) == kept && value != kept
            }
            MemberEvent::MemberCheckInNotCounted { at_ms, reason: NotCounted::Duplicate { of_ms } } => {
                self.recent_check_ins_ms.contains(of_ms) && of_ms.abs_diff(*at_ms) < CHECK_IN_WINDOW_MS
            }
            MemberEvent::MemberCheckInNotCounted { at_ms, reason: NotCounted::BeforeHistory } => {
                self.before_history(*at_ms)
            }
            MemberEvent::MemberChangeRepeated { change: Repeated::Archived } => self.archived,
            MemberEvent::MemberChangeRepeated { change: Repeated::Restored } => !self.archived,
            MemberEvent::MemberChangeRepeated { change: Repeated::Detail { field, value } } => {
                !self.archived && Self::valid_value(*field, value) && self.field(*field) == value
            }
            _ => false,
        }
    }

    /// Two desks checked the member in within the window: the later to arrive is recorded as a
    /// duplicate of the other (DOMAIN.md "Check-in"). Two desks archived (or restored) the member:
    /// the second is recorded as repeated. A check-in of a member archived meanwhile is not
    /// compensated: the visit happened, so it goes to the desk's inbox, to be applied again once
    /// the member is restored.
    /// Every member decision is one event: its compensation is one event too.
    fn compensate(&self, decision: &[MemberEvent], error: &MemberError) -> Option<Vec<MemberEvent>> {
        self.compensate_one(decision.first()?, error).map(|c| vec![c])
    }

    fn undone(stored: &MemberEvent) -> bool {
        matches!(stored, MemberEvent::MemberCheckInNotCounted { .. } | MemberEvent::MemberDetailsOverwritten { .. })
    }

    fn overruled(&self, event: &MemberEvent) -> Option<DeviceId> {
        match event {
            MemberEvent::MemberDetailsMerged { field, .. } => self.stamp(*field).device.clone(),
            _ => None,
        }
    }

    /// Per-field last writer wins: a change of a field that another desk changed too since
    /// `parent` stands if its stamp is the later one (ties broken by device id), and the other
    /// value stays visible in the timeline either way.
    fn merge(
        &self,
        event: &MemberEvent,
        meta: &EventMeta<'_>,
        parent: u64,
    ) -> Result<Resolution<MemberEvent>, Unresolved<MemberError>> {
        let MemberEvent::MemberDetailsChanged { field, value } = event else { return Err(Unresolved::Conflict) };
        // What no decision stores is refused whatever the state, as it would be at the head.
        if let Err(e) = field.check(value) {
            return Err(Unresolved::Invalid(e.to_string()));
        }
        if field.normalise(value) != *value {
            return Err(Unresolved::Invalid(format!("the {} is not written as the domain stores it", field.label())));
        }
        self.active().map_err(Unresolved::Broken)?;
        let current = self.field(*field);
        let stamp = self.stamp(*field);
        if stamp.version <= parent || stamp.device.as_ref() == Some(meta.device) {
            // Not concurrent: the device knew this field's last change (it was before the version
            // the device built on, or the device's own). A change to what the field
            // already holds (a desk that changed another field meanwhile cannot cause that) is not a
            // decision, so it is not appended as one.
            return if current == value {
                Err(Unresolved::Broken(MemberError::NothingChanged))
            } else {
                Ok(Resolution::Keep)
            };
        }
        if current == value {
            // Both desks set the field to the same value: nothing to choose, nobody to tell.
            return Ok(Resolution::Replace(MemberEvent::MemberChangeRepeated {
                change: Repeated::Detail { field: *field, value: value.clone() },
            }));
        }
        let (field, value, other) = (*field, value.clone(), current.to_owned());
        Ok(Resolution::Replace(if stamp.later_than(meta) {
            MemberEvent::MemberDetailsOverwritten { field, value, kept: other }
        } else {
            MemberEvent::MemberDetailsMerged { field, value, overwritten: other }
        }))
    }

    fn decided_at_ms(event: &MemberEvent) -> Option<u64> {
        match event {
            MemberEvent::MemberCheckedIn { at_ms } | MemberEvent::MemberCheckInNotCounted { at_ms, .. } => Some(*at_ms),
            _ => None,
        }
    }

    /// A check-in recorded as not counted, a change recorded as merged or overwritten: what the
    /// server's resolution made of the device's event.
    fn resolves(stored: &MemberEvent, sent: &MemberEvent) -> bool {
        match (stored, sent) {
            (MemberEvent::MemberCheckInNotCounted { at_ms, .. }, MemberEvent::MemberCheckedIn { at_ms: sent }) => {
                at_ms == sent
            }
            (
                MemberEvent::MemberDetailsMerged { field, value, .. }
                | MemberEvent::MemberDetailsOverwritten { field, value, .. }
                | MemberEvent::MemberChangeRepeated { change: Repeated::Detail { field, value } },
                MemberEvent::MemberDetailsChanged { field: sent_field, value: sent_value },
            ) => field == sent_field && value == sent_value,
            (MemberEvent::MemberChangeRepeated { change: Repeated::Archived }, MemberEvent::MemberArchived {})
            | (MemberEvent::MemberChangeRepeated { change: Repeated::Restored }, MemberEvent::MemberRestored {}) => {
                true
            }
            _ => false,
        }
    }

    /// A check-in not counted stands for a check-in; a merged, overwritten or repeated change for
    /// a change of the member.
    fn resolution_permission(event: &MemberEvent) -> Option<crate::access::Permission> {
        use crate::access::Permission;
        match event {
            MemberEvent::MemberCheckInNotCounted { .. } => Some(Permission::CheckIn),
            MemberEvent::MemberDetailsMerged { .. }
            | MemberEvent::MemberDetailsOverwritten { .. }
            | MemberEvent::MemberChangeRepeated { .. } => Some(Permission::Members),
            _ => None,
        }
    }

    fn command_of(event: &MemberEvent) -> Option<(MemberCommand, u64)> {
        Some(match event.clone() {
            MemberEvent::MemberRegistered { name, email, phone } => {
                (MemberCommand::RegisterMember { name, email, phone }, 0)
            }
            MemberEvent::MemberDetailsChanged { field, value } => {
                (MemberCommand::ChangeMemberDetails { changes: vec![(field, value)] }, 0)
            }
            MemberEvent::MemberArchived {} => (MemberCommand::ArchiveMember, 0),
            MemberEvent::MemberRestored {} => (MemberCommand::RestoreMember, 0),
            MemberEvent::MemberCheckedIn { at_ms } => (MemberCommand::CheckIn, at_ms),
            MemberEvent::MemberCheckInNotCounted { .. }
            | MemberEvent::MemberDetailsMerged { .. }
            | MemberEvent::MemberDetailsOverwritten { .. }
            | MemberEvent::MemberChangeRepeated { .. } => return None,
        })
    }
}

/// The member's read models: the `members` table (one row per member: this state), and a
/// `check_ins` row per check-in that counts, by time and by member ("who came in today").
impl crate::projection::Projected for Member {
    const STREAMS: &'static str = "members";
    const TABLES: &'static [crate::projection::Table] =
        &[crate::projection::Table { name: "check_ins", indexes: &[("by_at", "at_ms"), ("by_member", "member")] }];

    fn rows(envelope: &crate::EventEnvelope, event: &MemberEvent) -> Vec<crate::projection::Row> {
        match event {
            MemberEvent::MemberCheckedIn { at_ms } => vec![crate::projection::Row {
                table: "check_ins",
                key: envelope.id,
                sort: *at_ms,
                value: serde_json::json!({
                    "event_id": envelope.id,
                    "member": envelope.stream.id,
                    "at_ms": at_ms,
                }),
            }],
            _ => vec![],
        }
    }

    fn listed(&self) -> bool {
        self.registered
    }

    fn title(&self) -> String {
        self.name.clone()
    }
}
