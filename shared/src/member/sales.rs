//! Selling and keeping memberships: sale, renewal, payment, freeze, unfreeze, cancellation
//! (DOMAIN.md "Memberships"). Each is one event about one membership; a concurrent change of the
//! same membership on another desk is not guessed at (see `Member::merge_membership`).

use super::{
    aggregate::MemberError,
    events::MemberEvent,
    membership::{Cancellation, Freeze, Membership, PaymentMethod, Start, MAX_DAYS_AHEAD, MAX_FREEZE_DAYS},
    visits::reason,
    Member,
};
use crate::{
    aggregate::{Aggregate, EventMeta, Resolution, Unresolved, Validation},
    calendar::Date,
    club::{PlanError, PlanTerms},
    member::FieldStamp,
    text,
};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    #[error("no such membership")]
    NoSuchMembership,
    #[error("this membership was already sold")]
    AlreadySold,
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("only a visit card can start on its first visit")]
    FirstVisitOnlyForCards,
    #[error("a membership can start at most two years ahead")]
    StartTooFar,
    #[error("this membership is cancelled")]
    Cancelled,
    #[error("this membership has expired")]
    Expired,
    #[error("this card has not started yet: it starts on its first visit")]
    NotStarted,
    #[error("a freeze must start on or after the membership's first day ({start})")]
    FreezeBeforeStart { start: Date },
    #[error("a freeze must start on or before the membership's last day ({end})")]
    FreezeAfterEnd { end: Date },
    #[error("a freeze cannot end before it starts")]
    FreezeBackwards,
    #[error("the earliest return from a freeze is tomorrow: it must run at least until today")]
    ReturnTooEarly,
    #[error("a freeze is at most {MAX_FREEZE_DAYS} days")]
    FreezeTooLong,
    #[error("this freeze overlaps the one from {from} to {until}")]
    FreezeOverlaps { from: Date, until: Date },
    #[error("this membership is not frozen, and no freeze is planned")]
    NothingToUnfreeze,
    #[error("a cancellation takes effect today or later")]
    CancelInPast,
    #[error("a cancellation can be dated at most two years ahead")]
    CancelTooFar,
    #[error("a payment must be more than 0")]
    PaymentZero,
    #[error("nothing is owed on this membership")]
    NothingOwed,
    #[error("only {} is owed", text::money(*.owed_cents))]
    PaymentTooLarge { owed_cents: u64 },
}

impl Member {
    pub fn membership(&self, id: Uuid) -> Option<&Membership> {
        self.memberships.iter().find(|m| m.id == id)
    }

    fn kept(&self, id: Uuid) -> Result<&Membership, MembershipError> {
        let m = self.membership(id).ok_or(MembershipError::NoSuchMembership)?;
        if m.cancelled.is_some() {
            return Err(MembershipError::Cancelled);
        }
        Ok(m)
    }

    pub(super) fn decide_sale(
        &self,
        membership: Uuid,
        plan: Uuid,
        terms: PlanTerms,
        start: Start,
        on: Date,
        renews: Option<Uuid>,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        if self.membership(membership).is_some() {
            return Err(MembershipError::AlreadySold.into());
        }
        let terms = terms.normalised();
        terms.check().map_err(MembershipError::Plan)?;
        match start {
            Start::FirstVisit if terms.visits.count().is_none() => {
                return Err(MembershipError::FirstVisitOnlyForCards.into())
            }
            Start::On(d) if on.days_until(d) > MAX_DAYS_AHEAD => return Err(MembershipError::StartTooFar.into()),
            _ => {}
        }
        Ok(MemberEvent::MembershipSold { membership, plan, terms, start, on, renews })
    }

    /// A renewal starts the day after the renewed membership ends, or today if that has passed.
    pub(super) fn decide_renewal(
        &self,
        membership: Uuid,
        renews: Uuid,
        plan: Uuid,
        terms: PlanTerms,
        on: Date,
    ) -> Result<MemberEvent, MemberError> {
        let old = self.membership(renews).ok_or(MembershipError::NoSuchMembership)?;
        let after_old = old.end().map(|end| end.add_days(1)).filter(|_| old.cancelled.is_none());
        let start = after_old.map_or(on, |d| d.max(on));
        self.decide_sale(membership, plan, terms, Start::On(start), on, Some(renews))
    }

    pub(super) fn decide_payment(
        &self,
        membership: Uuid,
        amount_cents: u64,
        method: PaymentMethod,
        on: Date,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        let m = self.membership(membership).ok_or(MembershipError::NoSuchMembership)?;
        let owed_cents = m.outstanding_cents();
        if amount_cents == 0 {
            return Err(MembershipError::PaymentZero.into());
        }
        if owed_cents == 0 {
            return Err(MembershipError::NothingOwed.into());
        }
        if amount_cents > owed_cents {
            return Err(MembershipError::PaymentTooLarge { owed_cents }.into());
        }
        Ok(MemberEvent::PaymentRecorded { membership, amount_cents, method, on })
    }

    pub(super) fn decide_freeze(
        &self,
        membership: Uuid,
        from: Date,
        until: Date,
        on: Date,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        let m = self.kept(membership)?;
        let (Some(start), Some(end)) = (m.start, m.end()) else { return Err(MembershipError::NotStarted.into()) };
        if until < from {
            return Err(MembershipError::FreezeBackwards.into());
        }
        if until < on {
            return Err(MembershipError::ReturnTooEarly.into());
        }
        if m.status(on).0 == super::Status::Expired {
            return Err(MembershipError::Expired.into());
        }
        if from < start {
            return Err(MembershipError::FreezeBeforeStart { start }.into());
        }
        if from > end {
            return Err(MembershipError::FreezeAfterEnd { end }.into());
        }
        let freeze = Freeze { from, until };
        if freeze.days() > MAX_FREEZE_DAYS {
            return Err(MembershipError::FreezeTooLong.into());
        }
        if let Some(f) = m.freezes.iter().find(|f| f.from <= until && from <= f.until) {
            return Err(MembershipError::FreezeOverlaps { from: f.from, until: f.until }.into());
        }
        Ok(MemberEvent::MembershipFrozen { membership, from, until, on })
    }

    /// The freeze an unfreeze on `on` ends: the one running then, or else the next one planned.
    fn freeze_to_end(m: &Membership, on: Date) -> Option<Freeze> {
        m.freeze_on(on).copied().or_else(|| m.freezes.iter().filter(|f| f.from > on).min_by_key(|f| f.from).copied())
    }

    pub(super) fn decide_unfreeze(&self, membership: Uuid, on: Date) -> Result<MemberEvent, MemberError> {
        self.active()?;
        let m = self.kept(membership)?;
        if Self::freeze_to_end(m, on).is_none() {
            return Err(MembershipError::NothingToUnfreeze.into());
        }
        Ok(MemberEvent::MembershipUnfrozen { membership, on })
    }

    pub(super) fn decide_cancel(
        &self,
        membership: Uuid,
        from: Date,
        reason_in: &str,
        on: Date,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        self.kept(membership)?;
        if from < on {
            return Err(MembershipError::CancelInPast.into());
        }
        if on.days_until(from) > MAX_DAYS_AHEAD {
            return Err(MembershipError::CancelTooFar.into());
        }
        let reason = reason(reason_in)?;
        Ok(MemberEvent::MembershipCancelled { membership, from, reason, on })
    }

    /// Folds a membership event; `false` if `event` is not one.
    pub(super) fn evolve_membership(&mut self, event: &MemberEvent, meta: &EventMeta<'_>) -> bool {
        let stamp = FieldStamp::of(meta);
        match event {
            MemberEvent::MembershipSold { membership, plan, terms, start, on, renews } => {
                self.memberships.push(Membership {
                    id: *membership,
                    plan: *plan,
                    terms: terms.clone(),
                    sold_on: *on,
                    start: match start {
                        Start::On(d) => Some(*d),
                        Start::FirstVisit => None,
                    },
                    paid_cents: 0,
                    freezes: vec![],
                    cancelled: None,
                    visits_used: 0,
                    class_visits: vec![],
                    renews: *renews,
                    changed: stamp,
                });
            }
            MemberEvent::PaymentRecorded { membership, amount_cents, .. } => {
                if let Some(m) = self.memberships.iter_mut().find(|m| m.id == *membership) {
                    m.paid_cents = m.paid_cents.saturating_add(*amount_cents);
                    m.changed = stamp;
                }
            }
            MemberEvent::MembershipFrozen { membership, from, until, .. } => {
                if let Some(m) = self.memberships.iter_mut().find(|m| m.id == *membership) {
                    m.freezes.push(Freeze { from: *from, until: *until });
                    m.freezes.sort_by_key(|f| f.from);
                    m.changed = stamp;
                }
            }
            MemberEvent::MembershipUnfrozen { membership, on } => {
                if let Some(m) = self.memberships.iter_mut().find(|m| m.id == *membership) {
                    if let Some(f) = Self::freeze_to_end(m, *on) {
                        let back = f.from.max(*on);
                        m.freezes.retain(|g| *g != f);
                        if back > f.from {
                            m.freezes.push(Freeze { from: f.from, until: back.add_days(-1) });
                            m.freezes.sort_by_key(|f| f.from);
                        }
                    }
                    m.changed = stamp;
                }
            }
            MemberEvent::MembershipCancelled { membership, from, reason, .. } => {
                if let Some(m) = self.memberships.iter_mut().find(|m| m.id == *membership) {
                    m.end_freezes_at(*from);
                    m.cancelled = Some(Cancellation { from: *from, reason: reason.clone() });
                    m.changed = stamp;
                }
            }
            _ => return false,
        }
        true
    }

    /// The membership a membership event is about.
    pub(super) fn membership_of(event: &MemberEvent) -> Option<Uuid> {
        match event {
            MemberEvent::MembershipSold { membership, .. }
            | MemberEvent::PaymentRecorded { membership, .. }
            | MemberEvent::MembershipFrozen { membership, .. }
            | MemberEvent::MembershipUnfrozen { membership, .. }
            | MemberEvent::MembershipCancelled { membership, .. } => Some(*membership),
            _ => None,
        }
    }

    /// A membership change decided while the stream moved on: if another desk changed the same
    /// membership since `parent` (a freeze here, a cancellation there), a person decides (the
    /// conflict inbox); otherwise it is decided again on the newer state and kept if it holds
    /// (a check-in on another desk does not stand in the way of a payment here). A renewal also
    /// depends on the membership it renews.
    pub(super) fn merge_membership(
        &self,
        event: &MemberEvent,
        meta: &EventMeta<'_>,
        parent: u64,
    ) -> Result<Resolution<MemberEvent>, Unresolved<MemberError>> {
        let renewed = match event {
            MemberEvent::MembershipSold { renews, .. } => *renews,
            _ => None,
        };
        for id in Self::membership_of(event).into_iter().chain(renewed) {
            if let Some(m) = self.membership(id) {
                if m.changed.version > parent && m.changed.device.as_ref() != Some(meta.device) {
                    return Err(Unresolved::Conflict);
                }
            }
        }
        match self.validate(std::slice::from_ref(event), meta) {
            Ok(_) => Ok(Resolution::Keep),
            Err(Validation::Refused(e)) => Err(Unresolved::Broken(e)),
            Err(Validation::Mismatch) => Err(Unresolved::Conflict),
        }
    }
}
