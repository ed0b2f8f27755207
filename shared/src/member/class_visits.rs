//! A card's visits used by classes (DOMAIN.md "Classes": a card visit is consumed by attendance,
//! or by a late cancel or no-show unless a manager waives it; never by a booking or a waitlist
//! entry). The class's stream records the attendance; the member's stream records the visit, once
//! per class, so a coach's phone and a desk marking the same member use one visit between them.

use super::{
    aggregate::{Member, MemberError},
    events::MemberEvent,
};
use crate::{calendar::Date, class::ChargeKind};
use std::borrow::Cow;
use uuid::Uuid;

impl Member {
    pub(super) fn decide_class_visit(
        &self,
        class: Uuid,
        membership: Uuid,
        on: Date,
        charge: Option<ChargeKind>,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        let m = self.membership(membership).ok_or(MemberError::Membership(super::MembershipError::NoSuchMembership))?;
        if m.terms.visits.count().is_none() {
            return Err(MemberError::NotACard);
        }
        if m.class_visits.contains(&class) {
            return Err(MemberError::ClassVisitAlreadyUsed);
        }
        if m.visits_left() == Some(0) {
            return Err(MemberError::EntryDenied(super::Denial::NoVisitsLeft));
        }
        Ok(MemberEvent::ClassVisitUsed { class, membership, on, charge })
    }

    pub(super) fn decide_class_visit_return(
        &self,
        class: Uuid,
        membership: Uuid,
        on: Date,
        reason: &str,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        let reason = super::visits::reason(reason)?;
        let m = self.membership(membership).ok_or(MemberError::Membership(super::MembershipError::NoSuchMembership))?;
        if !m.class_visits.contains(&class) {
            return Err(MemberError::ClassVisitNotUsed);
        }
        Ok(MemberEvent::ClassVisitReturned { class, membership, on, reason })
    }

    /// The member as a booking of `class` is judged on (`crate::class::can_attend`): with the
    /// visit `class` itself used given back. Its attendance (or late cancel) may reach the server
    /// in the push that books it; the visit it uses does not make the member unable to attend it.
    pub fn before_class(&self, class: Uuid) -> Cow<'_, Member> {
        if !self.memberships.iter().any(|m| m.class_visits.contains(&class)) {
            return Cow::Borrowed(self);
        }
        let mut before = self.clone();
        for m in &mut before.memberships {
            if let Some(i) = m.class_visits.iter().position(|c| *c == class) {
                m.class_visits.remove(i);
                m.visits_used = m.visits_used.saturating_sub(1);
            }
        }
        Cow::Owned(before)
    }

    pub(super) fn use_class_visit(&mut self, class: Uuid, membership: Uuid, on: Date) {
        if let Some(m) = self.memberships.iter_mut().find(|m| m.id == membership) {
            if !m.class_visits.contains(&class) && m.visits_left().is_some_and(|n| n > 0) {
                m.class_visits.push(class);
                m.visits_used += 1;
                if m.start.is_none() {
                    m.start = Some(on);
                }
            }
        }
    }

    pub(super) fn return_class_visit(&mut self, class: Uuid, membership: Uuid) {
        if let Some(m) = self.memberships.iter_mut().find(|m| m.id == membership) {
            if let Some(i) = m.class_visits.iter().position(|c| *c == class) {
                m.class_visits.remove(i);
                m.visits_used = m.visits_used.saturating_sub(1);
            }
        }
    }
}
