use super::{
    commands::MemberCommand,
    details::{DetailsError, MemberField},
    entry::Denial,
    events::{MemberEvent, NotCounted, Repeated, VisitNotCounted},
    membership::Membership,
};
use crate::{
    aggregate::{Aggregate, EventMeta, Policy, Resolution, Unresolved},
    hlc::Hlc,
    ids::DeviceId,
    stream::StreamKind,
};
use serde::{Deserialize, Serialize};

/// The duplicate window when the club has not set one: a second check-in of the same member
/// within it (before or after the other one) is refused. DOMAIN.md "Check-in".
pub const CHECK_IN_WINDOW_MS: u64 = crate::club::DEFAULT_DUPLICATE_WINDOW_MIN as u64 * 60_000;
/// The widest duplicate window a club may set (6 h).
pub(super) const MAX_WINDOW_MS: u64 = 6 * 3_600_000;
/// How many of a member's latest check-ins the state keeps for the window rule and for voids:
/// check-ins from offline desks arrive out of time order, and the one nearest to a new check-in
/// need not be the latest.
pub(super) const RECENT_CHECK_INS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub registered: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub archived: bool,
    /// The latest check-ins that count, ascending by time, at most eight.
    pub recent_check_ins: Vec<RecentCheckIn>,
    /// The latest check-in time no longer in `recent_check_ins` (none if none was dropped): a
    /// check-in within the window of it, or before it, cannot be checked against it, so it is not
    /// counted.
    #[serde(default)]
    pub forgotten_ms: Option<u64>,
    /// Check-ins that count (overridden and back-dated ones included, voided ones not).
    pub check_ins: u32,
    /// When each field (name, e-mail, phone, in [`MemberField::ALL`] order) last changed: what the
    /// merge of a concurrent change compares with.
    #[serde(default)]
    pub changed: [FieldStamp; 3],
    /// Every membership sold to the member, in order of sale.
    #[serde(default)]
    pub memberships: Vec<Membership>,
    /// Why staff blocked the member from entering, while they are.
    #[serde(default)]
    pub blocked: Option<String>,
}

/// A check-in the state keeps: when, and the membership whose visit it used (none for an override).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentCheckIn {
    pub at_ms: u64,
    pub membership: Option<uuid::Uuid>,
}

/// The event that last set a field: its place in the stream and its stamp.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldStamp {
    pub version: u64,
    pub hlc: Hlc,
    pub device: Option<DeviceId>,
}

impl FieldStamp {
    pub(crate) fn of(meta: &EventMeta<'_>) -> Self {
        Self { version: meta.version, hlc: meta.hlc, device: Some(meta.device.clone()) }
    }

    /// Whether this stamp orders after `meta`'s: the later hybrid-clock stamp, ties broken by device id.
    pub(crate) fn later_than(&self, meta: &EventMeta<'_>) -> bool {
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
    #[error("{}", too_soon(*.last_ms, *.now_ms, *.window_ms))]
    CheckInTooSoon {
        /// The check-in it is too close to.
        last_ms: u64,
        /// The time of the refused check-in.
        now_ms: u64,
        /// The duplicate window it was decided with.
        window_ms: u64,
    },
    #[error("entry denied: {}", .0.describe())]
    EntryDenied(Denial),
    #[error("entry is allowed: there is nothing to override")]
    NothingToOverride,
    #[error("a reason is required")]
    ReasonMissing,
    #[error("a reason is at most {} characters", super::visits::MAX_REASON)]
    ReasonTooLong,
    #[error("the reason contains an invisible or control character")]
    ReasonForbiddenCharacter,
    #[error("the date {on} is not the day this was recorded on")]
    WrongDay { on: crate::calendar::Date },
    #[error("a back-dated check-in must be in the past, at most {} days ago", super::visits::MAX_BACKDATE_DAYS)]
    BackdateOutOfRange,
    #[error("there is no check-in at that time to void (only the latest {RECENT_CHECK_INS} can be)")]
    NoSuchCheckIn,
    #[error("this member is already blocked")]
    AlreadyBlocked,
    #[error("this member is not blocked")]
    NotBlocked,
    #[error(transparent)]
    Membership(#[from] super::sales::MembershipError),
    #[error("only a visit card's visits are used by classes")]
    NotACard,
    #[error("this class already used a visit of this card")]
    ClassVisitAlreadyUsed,
    #[error("this class used no visit of this card")]
    ClassVisitNotUsed,
}

impl MemberError {
    /// For a check-in refused as too soon: the seconds until it would be allowed.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            MemberError::CheckInTooSoon { last_ms, now_ms, window_ms } => {
                Some((last_ms + window_ms).saturating_sub(*now_ms).div_ceil(1000))
            }
            _ => None,
        }
    }
}

fn join(errors: &[DetailsError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The true wait, also when the other check-in carries a time ahead of this device's clock.
fn too_soon(last_ms: u64, now_ms: u64, window_ms: u64) -> String {
    let wait = (last_ms + window_ms).saturating_sub(now_ms).div_ceil(1000);
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
            (
                MemberEvent::MemberCheckedIn { at_ms, .. } | MemberEvent::MemberCheckInBackdated { at_ms, .. },
                MemberError::CheckInTooSoon { last_ms, .. },
            ) => Some(MemberEvent::MemberCheckInNotCounted {
                at_ms: *at_ms,
                reason: NotCounted::Duplicate { of_ms: *last_ms },
            }),
            (
                MemberEvent::MemberCheckedIn { at_ms, .. } | MemberEvent::MemberCheckInBackdated { at_ms, .. },
                MemberError::CheckInBeforeHistory,
            ) => Some(MemberEvent::MemberCheckInNotCounted { at_ms: *at_ms, reason: NotCounted::BeforeHistory }),
            // The member came in: the visit is recorded as not counting, and staff are told why.
            (
                MemberEvent::MemberCheckedIn { at_ms, on, membership, rules }
                | MemberEvent::MemberCheckInBackdated { at_ms, on, membership, rules, .. },
                MemberError::EntryDenied(denial),
            ) => Some(MemberEvent::MemberCheckInNotCounted {
                at_ms: *at_ms,
                reason: NotCounted::Refused {
                    denial: *denial,
                    on: *on,
                    membership: *membership,
                    grace_days: rules.grace_days,
                },
            }),
            (
                MemberEvent::ClassVisitUsed { class, .. } | MemberEvent::ClassVisitReturned { class, .. },
                MemberError::ClassVisitAlreadyUsed | MemberError::ClassVisitNotUsed,
            ) => Some(MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class: *class } }),
            (
                MemberEvent::ClassVisitUsed { class, membership, on, .. },
                MemberError::EntryDenied(Denial::NoVisitsLeft),
            ) => Some(MemberEvent::ClassVisitNotCounted {
                class: *class,
                membership: *membership,
                on: *on,
                reason: VisitNotCounted::NoVisitsLeft,
            }),
            (MemberEvent::MemberArchived {}, MemberError::Archived) => {
                Some(MemberEvent::MemberChangeRepeated { change: Repeated::Archived })
            }
            (MemberEvent::MemberRestored {}, MemberError::NotArchived) => {
                Some(MemberEvent::MemberChangeRepeated { change: Repeated::Restored })
            }
            _ => None,
        }
    }

    pub(super) fn active(&self) -> Result<(), MemberError> {
        if !self.registered {
            Err(MemberError::NotRegistered)
        } else if self.archived {
            Err(MemberError::Archived)
        } else {
            Ok(())
        }
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
        self.recent_check_ins.last().map(|c| c.at_ms)
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
            MemberCommand::CheckIn { .. } => Permission::CheckIn,
            MemberCommand::RegisterMember { .. }
            | MemberCommand::ChangeMemberDetails { .. }
            | MemberCommand::ArchiveMember
            | MemberCommand::RestoreMember => Permission::Members,
            MemberCommand::OverrideEntry { .. } | MemberCommand::BlockMember { .. } | MemberCommand::UnblockMember => {
                Permission::Override
            }
            MemberCommand::RecordPastCheckIn { .. } => Permission::BackDate,
            MemberCommand::UseClassVisit { .. } => Permission::Attendance,
            MemberCommand::ReturnClassVisit { .. } => Permission::Override,
            MemberCommand::VoidCheckIn { .. } => Permission::Void,
            // Starting something before today is back-dating (DOMAIN.md: no freeze starting in
            // the past unless a manager).
            MemberCommand::FreezeMembership { from, on, .. } if from < on => Permission::BackDate,
            MemberCommand::SellMembership { start: crate::member::Start::On(start), on, .. } if start < on => {
                Permission::BackDate
            }
            MemberCommand::SellMembership { .. }
            | MemberCommand::RenewMembership { .. }
            | MemberCommand::RecordPayment { .. }
            | MemberCommand::FreezeMembership { .. }
            | MemberCommand::UnfreezeMembership { .. }
            | MemberCommand::CancelMembership { .. } => Permission::Sales,
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
            MemberCommand::CheckIn { on, membership, rules } => {
                self.decide_check_in(on, membership, rules, now_ms).map(|e| vec![e])
            }
            MemberCommand::OverrideEntry { on, reason, rules } => {
                self.decide_override(on, &reason, rules, now_ms).map(|e| vec![e])
            }
            MemberCommand::RecordPastCheckIn { at_ms, on, membership, reason, rules } => {
                self.decide_backdated(at_ms, on, membership, &reason, rules, now_ms).map(|e| vec![e])
            }
            MemberCommand::VoidCheckIn { at_ms, reason } => self.decide_void(at_ms, &reason).map(|e| vec![e]),
            MemberCommand::BlockMember { reason } => self.decide_block(&reason).map(|e| vec![e]),
            MemberCommand::UnblockMember => self.decide_unblock().map(|e| vec![e]),
            MemberCommand::UseClassVisit { class, membership, on, charge } => {
                self.decide_class_visit(class, membership, on, charge).map(|e| vec![e])
            }
            MemberCommand::ReturnClassVisit { class, membership, on, reason } => {
                self.decide_class_visit_return(class, membership, on, &reason).map(|e| vec![e])
            }
            MemberCommand::SellMembership { membership, plan, terms, start, on } => {
                self.decide_sale(membership, plan, terms, start, on, None).map(|e| vec![e])
            }
            MemberCommand::RenewMembership { membership, renews, plan, terms, on } => {
                self.decide_renewal(membership, renews, plan, terms, on).map(|e| vec![e])
            }
            MemberCommand::RecordPayment { membership, amount_cents, method, on } => {
                self.decide_payment(membership, amount_cents, method, on).map(|e| vec![e])
            }
            MemberCommand::FreezeMembership { membership, from, until, on } => {
                self.decide_freeze(membership, from, until, on).map(|e| vec![e])
            }
            MemberCommand::UnfreezeMembership { membership, on } => {
                self.decide_unfreeze(membership, on).map(|e| vec![e])
            }
            MemberCommand::CancelMembership { membership, from, reason, on } => {
                self.decide_cancel(membership, from, &reason, on).map(|e| vec![e])
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
            MemberEvent::MemberCheckedIn { at_ms, on, membership, .. }
            | MemberEvent::MemberCheckInBackdated { at_ms, on, membership, .. } => {
                self.record_visit(*at_ms, Some(*membership), *on)
            }
            MemberEvent::MemberEntryOverridden { at_ms, on, .. } => self.record_visit(*at_ms, None, *on),
            MemberEvent::MemberCheckInVoided { at_ms, .. } => self.void_visit(*at_ms),
            MemberEvent::MemberBlocked { reason } => self.blocked = Some(reason.clone()),
            MemberEvent::MemberUnblocked {} => self.blocked = None,
            MemberEvent::ClassVisitUsed { class, membership, on, .. } => self.use_class_visit(*class, *membership, *on),
            MemberEvent::ClassVisitReturned { class, membership, .. } => self.return_class_visit(*class, *membership),
            MemberEvent::ClassVisitNotCounted { .. } => {}
            membership_event => {
                self.evolve_membership(membership_event, meta);
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
            // Membership changes go to the inbox when another desk changed the same membership
            // (see `merge_membership`): a freeze here and a cancellation there are not guessed at.
            e if Self::membership_of(e).is_some() => Policy::Merge,
            _ => Policy::Rebase,
        }
    }

    fn admits(&self, event: &MemberEvent, _meta: &EventMeta<'_>) -> bool {
        if !self.registered {
            return false;
        }
        match event {
            // A manager let the member in: that happened, whatever another desk did meanwhile (a
            // membership sold, another check-in). Re-deciding it could only lose a visit staff
            // allowed, so once it no longer decides the same it stands as sent.
            MemberEvent::MemberEntryOverridden { at_ms, on, reason, .. } => {
                !self.archived
                    && super::visits::same_day(*on, *at_ms).is_ok()
                    && super::visits::reason(reason).as_deref() == Ok(reason.as_str())
            }
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
                self.recent_check_ins.iter().any(|c| c.at_ms == *of_ms) && of_ms.abs_diff(*at_ms) < MAX_WINDOW_MS
            }
            MemberEvent::MemberCheckInNotCounted { at_ms, reason: NotCounted::BeforeHistory } => {
                self.before_history(*at_ms, MAX_WINDOW_MS)
            }
            // Some membership of the member denied entry for this reason on that day.
            MemberEvent::MemberCheckInNotCounted {
                at_ms,
                reason: NotCounted::Refused { denial, on, membership, grace_days },
            } => {
                let rules = super::EntryRules { grace_days: *grace_days, ..Default::default() };
                super::visits::same_day(*on, *at_ms).is_ok()
                    && match denial {
                        Denial::Blocked => self.blocked.is_some(),
                        _ => self.membership_entry(*membership, *on, &rules).err().as_ref() == Some(denial),
                    }
            }
            MemberEvent::ClassVisitNotCounted { membership, reason: VisitNotCounted::NoVisitsLeft, .. } => {
                self.membership(*membership).is_some_and(|m| m.visits_left() == Some(0))
            }
            // What the class's stream records is the server's to judge (`server::store::recheck`):
            // the member's stream only holds the card (this event changes nothing in it).
            MemberEvent::ClassVisitNotCounted { class, membership, reason: VisitNotCounted::NotInClass, .. } => {
                self.membership(*membership).is_some_and(|m| m.terms.visits.count().is_some())
                    && !self.memberships.iter().any(|m| m.class_visits.contains(class))
            }
            MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { .. } } => true,
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
        matches!(
            stored,
            MemberEvent::MemberCheckInNotCounted { .. }
                | MemberEvent::MemberDetailsOverwritten { .. }
                | MemberEvent::ClassVisitNotCounted { .. }
        )
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
        if Self::membership_of(event).is_some() {
            return self.merge_membership(event, meta, parent);
        }
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
            MemberEvent::MemberCheckedIn { at_ms, .. }
            | MemberEvent::MemberEntryOverridden { at_ms, .. }
            | MemberEvent::MemberCheckInNotCounted { at_ms, .. } => Some(*at_ms),
            MemberEvent::MemberCheckInBackdated { recorded_ms, .. } => Some(*recorded_ms),
            _ => None,
        }
    }

    /// The day a check-in, an override or a membership change was made on. A back-dated check-in's
    /// date is the day it happened (up to a month before it was recorded): its decision checks it
    /// against the time it records.
    fn club_date(event: &MemberEvent) -> Option<crate::calendar::Date> {
        match event {
            MemberEvent::MemberCheckedIn { on, .. }
            | MemberEvent::MemberEntryOverridden { on, .. }
            | MemberEvent::MemberCheckInNotCounted { reason: NotCounted::Refused { on, .. }, .. }
            | MemberEvent::MembershipSold { on, .. }
            | MemberEvent::PaymentRecorded { on, .. }
            | MemberEvent::MembershipFrozen { on, .. }
            | MemberEvent::MembershipUnfrozen { on, .. }
            | MemberEvent::MembershipCancelled { on, .. }
            | MemberEvent::ClassVisitUsed { on, .. }
            | MemberEvent::ClassVisitReturned { on, .. }
            | MemberEvent::ClassVisitNotCounted { on, .. } => Some(*on),
            _ => None,
        }
    }

    /// A check-in recorded as not counted, a change recorded as merged or overwritten: what the
    /// server's resolution made of the device's event.
    fn resolves(stored: &MemberEvent, sent: &MemberEvent) -> bool {
        match (stored, sent) {
            (
                MemberEvent::MemberCheckInNotCounted { at_ms, .. },
                MemberEvent::MemberCheckedIn { at_ms: sent, .. }
                | MemberEvent::MemberCheckInBackdated { at_ms: sent, .. },
            ) => at_ms == sent,
            (
                MemberEvent::MemberDetailsMerged { field, value, .. }
                | MemberEvent::MemberDetailsOverwritten { field, value, .. }
                | MemberEvent::MemberChangeRepeated { change: Repeated::Detail { field, value } },
                MemberEvent::MemberDetailsChanged { field: sent_field, value: sent_value },
            ) => field == sent_field && value == sent_value,
            (
                MemberEvent::ClassVisitNotCounted { class, .. }
                | MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class } },
                MemberEvent::ClassVisitUsed { class: sent, .. },
            )
            | (
                MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class } },
                MemberEvent::ClassVisitReturned { class: sent, .. },
            ) => class == sent,
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
            MemberEvent::ClassVisitNotCounted { .. }
            | MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { .. } } => Some(Permission::Attendance),
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
            MemberEvent::MemberCheckedIn { at_ms, on, membership, rules } => {
                (MemberCommand::CheckIn { on, membership, rules }, at_ms)
            }
            MemberEvent::MemberEntryOverridden { at_ms, on, reason, rules, .. } => {
                (MemberCommand::OverrideEntry { on, reason, rules }, at_ms)
            }
            MemberEvent::MemberCheckInBackdated { at_ms, recorded_ms, on, membership, reason, rules } => {
                (MemberCommand::RecordPastCheckIn { at_ms, on, membership, reason, rules }, recorded_ms)
            }
            MemberEvent::MemberCheckInVoided { at_ms, reason } => (MemberCommand::VoidCheckIn { at_ms, reason }, 0),
            MemberEvent::MemberBlocked { reason } => (MemberCommand::BlockMember { reason }, 0),
            MemberEvent::MemberUnblocked {} => (MemberCommand::UnblockMember, 0),
            MemberEvent::MembershipSold { membership, plan, terms, start, on, renews: None } => {
                (MemberCommand::SellMembership { membership, plan, terms, start, on }, 0)
            }
            MemberEvent::MembershipSold { membership, plan, terms, on, renews: Some(renews), .. } => {
                (MemberCommand::RenewMembership { membership, renews, plan, terms, on }, 0)
            }
            MemberEvent::PaymentRecorded { membership, amount_cents, method, on } => {
                (MemberCommand::RecordPayment { membership, amount_cents, method, on }, 0)
            }
            MemberEvent::MembershipFrozen { membership, from, until, on } => {
                (MemberCommand::FreezeMembership { membership, from, until, on }, 0)
            }
            MemberEvent::MembershipUnfrozen { membership, on } => {
                (MemberCommand::UnfreezeMembership { membership, on }, 0)
            }
            MemberEvent::MembershipCancelled { membership, from, reason, on } => {
                (MemberCommand::CancelMembership { membership, from, reason, on }, 0)
            }
            MemberEvent::ClassVisitUsed { class, membership, on, charge } => {
                (MemberCommand::UseClassVisit { class, membership, on, charge }, 0)
            }
            MemberEvent::ClassVisitReturned { class, membership, on, reason } => {
                (MemberCommand::ReturnClassVisit { class, membership, on, reason }, 0)
            }
            MemberEvent::MemberCheckInNotCounted { .. }
            | MemberEvent::ClassVisitNotCounted { .. }
            | MemberEvent::MemberDetailsMerged { .. }
            | MemberEvent::MemberDetailsOverwritten { .. }
            | MemberEvent::MemberChangeRepeated { .. } => return None,
        })
    }
}

/// The member's read models: the `members` table (one row per member: this state), and a
/// `check_ins` row per check-in that counts, by time and by member ("who came in today").
/// The member's read models: the `members` table (one row per member: this state); a
/// `check_ins` row per visit that counted when it was recorded (check-ins, overridden entries,
/// back-dated check-ins), by time and by member ("who came in today"); a `voids` row per voided
/// check-in, by the voided check-in's time, which lists subtract.
impl crate::projection::Projected for Member {
    const STREAMS: &'static str = "members";
    const TABLES: &'static [crate::projection::Table] = &[
        crate::projection::Table { name: "check_ins", indexes: &[("by_at", "at_ms"), ("by_member", "member")] },
        crate::projection::Table { name: "voids", indexes: &[("by_at", "at_ms")] },
    ];

    fn rows(envelope: &crate::EventEnvelope, event: &MemberEvent) -> Vec<crate::projection::Row> {
        let row = |table, at_ms: u64, extra: serde_json::Value| {
            let mut value = serde_json::json!({
                "event_id": envelope.id,
                "member": envelope.stream.id,
                "at_ms": at_ms,
            });
            if let (Some(v), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
                v.extend(extra);
            }
            vec![crate::projection::Row { table, key: envelope.id, sort: at_ms, value }]
        };
        match event {
            MemberEvent::MemberCheckedIn { at_ms, membership, .. } => {
                row("check_ins", *at_ms, serde_json::json!({ "membership": membership, "how": "checked_in" }))
            }
            MemberEvent::MemberCheckInBackdated { at_ms, membership, .. } => {
                row("check_ins", *at_ms, serde_json::json!({ "membership": membership, "how": "backdated" }))
            }
            MemberEvent::MemberEntryOverridden { at_ms, membership, .. } => {
                row("check_ins", *at_ms, serde_json::json!({ "membership": membership, "how": "overridden" }))
            }
            MemberEvent::MemberCheckInVoided { at_ms, .. } => row("voids", *at_ms, serde_json::json!({})),
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
