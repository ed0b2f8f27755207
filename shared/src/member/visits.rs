//! Check-ins and what surrounds them: the entry decision applied, overrides, back-dated
//! check-ins, voids, blocks (DOMAIN.md "Check-in").

use super::{
    aggregate::{MemberError, RecentCheckIn, MAX_WINDOW_MS, RECENT_CHECK_INS},
    entry::{Denial, EntryRules, Verdict},
    events::MemberEvent,
    Member,
};
use crate::{calendar::Date, text};
use uuid::Uuid;

/// The longest reason staff give (an override, a void, a block, a cancellation).
pub const MAX_REASON: usize = 200;
/// How far back a manager may record a check-in.
pub const MAX_BACKDATE_DAYS: u64 = 31;

/// A reason as the domain stores it: normalised, required, short, printable.
pub(super) fn reason(text_in: &str) -> Result<String, MemberError> {
    let reason = text::normalise(text_in);
    if reason.is_empty() {
        Err(MemberError::ReasonMissing)
    } else if reason.chars().count() > MAX_REASON {
        Err(MemberError::ReasonTooLong)
    } else if text::first_forbidden(&reason).is_some() {
        Err(MemberError::ReasonForbiddenCharacter)
    } else {
        Ok(reason)
    }
}

/// A club-local date can be a day off the UTC date of the same instant, never more (offsets run
/// from −12 h to +14 h).
pub(super) fn same_day(on: Date, at_ms: u64) -> Result<(), MemberError> {
    if Date::utc_of(at_ms).days_until(on).abs() <= 1 {
        Ok(())
    } else {
        Err(MemberError::WrongDay { on })
    }
}

impl Member {
    /// The recorded check-in a check-in at `now_ms` falls within the window of, before or after
    /// it. A recorded time far ahead of `now_ms` (a desk whose clock was wrong) never holds a
    /// present one back.
    pub(super) fn too_soon(&self, now_ms: u64, window_ms: u64) -> Option<u64> {
        self.recent_check_ins.iter().rev().map(|c| c.at_ms).find(|t| t.abs_diff(now_ms) < window_ms)
    }

    /// Whether a check-in at `at_ms` falls before or within the window of a check-in this state
    /// no longer keeps.
    pub(super) fn before_history(&self, at_ms: u64, window_ms: u64) -> bool {
        self.forgotten_ms.is_some_and(|forgotten| at_ms < forgotten + window_ms)
    }

    fn window(&self, at_ms: u64, rules: &EntryRules) -> Result<(), MemberError> {
        let window_ms = rules.window_ms.min(MAX_WINDOW_MS);
        if let Some(last_ms) = self.too_soon(at_ms, window_ms) {
            return Err(MemberError::CheckInTooSoon { last_ms, now_ms: at_ms, window_ms });
        }
        if self.before_history(at_ms, window_ms) {
            return Err(MemberError::CheckInBeforeHistory);
        }
        Ok(())
    }

    fn admitted(&self, membership: Uuid, on: Date, rules: &EntryRules) -> Result<(), MemberError> {
        if self.blocked.is_some() {
            return Err(MemberError::EntryDenied(Denial::Blocked));
        }
        self.membership_entry(membership, on, rules).map(|_| ()).map_err(MemberError::EntryDenied)
    }

    pub(super) fn decide_check_in(
        &self,
        on: Date,
        membership: Uuid,
        rules: EntryRules,
        now_ms: u64,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        same_day(on, now_ms)?;
        if self.blocked.is_some() {
            return Err(MemberError::EntryDenied(Denial::Blocked));
        }
        self.window(now_ms, &rules)?;
        self.admitted(membership, on, &rules)?;
        Ok(MemberEvent::MemberCheckedIn { at_ms: now_ms, on, membership, rules })
    }

    pub(super) fn decide_override(
        &self,
        on: Date,
        reason_in: &str,
        rules: EntryRules,
        now_ms: u64,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        same_day(on, now_ms)?;
        let reason = reason(reason_in)?;
        let entry = self.entry(now_ms, on, &rules);
        match entry.verdict {
            Verdict::Deny(denied) => Ok(MemberEvent::MemberEntryOverridden {
                at_ms: now_ms,
                on,
                denied,
                membership: entry.membership,
                reason,
                rules,
            }),
            _ => Err(MemberError::NothingToOverride),
        }
    }

    pub(super) fn decide_backdated(
        &self,
        at_ms: u64,
        on: Date,
        membership: Uuid,
        reason_in: &str,
        rules: EntryRules,
        now_ms: u64,
    ) -> Result<MemberEvent, MemberError> {
        self.active()?;
        if at_ms >= now_ms || now_ms - at_ms > MAX_BACKDATE_DAYS * 86_400_000 {
            return Err(MemberError::BackdateOutOfRange);
        }
        same_day(on, at_ms)?;
        let reason = reason(reason_in)?;
        self.window(at_ms, &rules)?;
        self.admitted(membership, on, &rules)?;
        Ok(MemberEvent::MemberCheckInBackdated { at_ms, recorded_ms: now_ms, on, membership, reason, rules })
    }

    pub(super) fn decide_void(&self, at_ms: u64, reason_in: &str) -> Result<MemberEvent, MemberError> {
        if !self.registered {
            return Err(MemberError::NotRegistered);
        }
        let reason = reason(reason_in)?;
        if !self.recent_check_ins.iter().any(|c| c.at_ms == at_ms) {
            return Err(MemberError::NoSuchCheckIn);
        }
        Ok(MemberEvent::MemberCheckInVoided { at_ms, reason })
    }

    pub(super) fn decide_block(&self, reason_in: &str) -> Result<MemberEvent, MemberError> {
        self.active()?;
        if self.blocked.is_some() {
            return Err(MemberError::AlreadyBlocked);
        }
        Ok(MemberEvent::MemberBlocked { reason: reason(reason_in)? })
    }

    pub(super) fn decide_unblock(&self) -> Result<MemberEvent, MemberError> {
        self.active()?;
        if self.blocked.is_none() {
            return Err(MemberError::NotBlocked);
        }
        Ok(MemberEvent::MemberUnblocked {})
    }

    /// A visit that counts: kept among the recent ones, a card's visit used (and a card waiting
    /// for its first visit started on `on`).
    pub(super) fn record_visit(&mut self, at_ms: u64, membership: Option<Uuid>, on: Date) {
        let at = self.recent_check_ins.partition_point(|c| c.at_ms <= at_ms);
        self.recent_check_ins.insert(at, RecentCheckIn { at_ms, membership });
        if self.recent_check_ins.len() > RECENT_CHECK_INS {
            let dropped = self.recent_check_ins.remove(0).at_ms;
            self.forgotten_ms = Some(self.forgotten_ms.map_or(dropped, |f| f.max(dropped)));
        }
        self.check_ins += 1;
        if let Some(m) = membership.and_then(|id| self.memberships.iter_mut().find(|m| m.id == id)) {
            if m.terms.visits.count().is_some() {
                m.visits_used += 1;
            }
            if m.start.is_none() {
                m.start = Some(on);
            }
        }
    }

    /// A voided visit no longer counts: its card visit is given back (a card it started stays
    /// started).
    pub(super) fn void_visit(&mut self, at_ms: u64) {
        let Some(i) = self.recent_check_ins.iter().position(|c| c.at_ms == at_ms) else { return };
        let visit = self.recent_check_ins.remove(i);
        self.check_ins = self.check_ins.saturating_sub(1);
        if let Some(m) = visit.membership.and_then(|id| self.memberships.iter_mut().find(|m| m.id == id)) {
            if m.terms.visits.count().is_some() {
                m.visits_used = m.visits_used.saturating_sub(1);
            }
        }
    }
}
