//! The entry decision at the desk (DOMAIN.md "Check-in"): allow, warn or deny, with a reason
//! from a closed list, naming the membership it used. Decided from the member's stream alone
//! (memberships live in it), so one device decides it offline, in one step.

use super::{membership::Status, Member};
use crate::calendar::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the entry decision needs from the club's settings, copied into every check-in it records
/// (so the server re-decides it with the rules the desk used).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRules {
    /// A second check-in within this many ms of another is a duplicate.
    pub window_ms: u64,
    /// Days after its sale an unpaid membership still admits, with a warning.
    pub grace_days: u32,
}

impl Default for EntryRules {
    fn default() -> Self {
        Self {
            window_ms: crate::club::DEFAULT_DUPLICATE_WINDOW_MIN as u64 * 60_000,
            grace_days: crate::club::DEFAULT_PAYMENT_GRACE_DAYS,
        }
    }
}

/// Why entry is denied: the closed list of DOMAIN.md "Check-in".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "denial")]
pub enum Denial {
    NoMembership,
    NotStarted {
        starts: Option<Date>,
    },
    Expired {
        ended: Option<Date>,
    },
    Frozen {
        until: Date,
    },
    Cancelled,
    NoVisitsLeft,
    /// Unpaid past the grace days since the sale.
    Unpaid {
        owed_cents: u64,
    },
    /// Blocked by staff (the reason is on the member's page).
    Blocked,
    /// Checked in `at_ms` (ms since the epoch), within the duplicate window.
    AlreadyCheckedIn {
        at_ms: u64,
    },
}

impl Denial {
    /// The code the API and the tests use (`no_visits_left`).
    pub fn code(&self) -> &'static str {
        match self {
            Denial::NoMembership => "no_membership",
            Denial::NotStarted { .. } => "not_started",
            Denial::Expired { .. } => "expired",
            Denial::Frozen { .. } => "frozen",
            Denial::Cancelled => "cancelled",
            Denial::NoVisitsLeft => "no_visits_left",
            Denial::Unpaid { .. } => "unpaid",
            Denial::Blocked => "blocked",
            Denial::AlreadyCheckedIn { .. } => "already_checked_in",
        }
    }

    /// Staff's words, without times of day (the UI adds those in the club's zone).
    pub fn describe(&self) -> String {
        match self {
            Denial::NoMembership => "no membership".into(),
            Denial::NotStarted { starts: Some(d) } => format!("membership not started (starts {d})"),
            Denial::NotStarted { starts: None } => "membership not started".into(),
            Denial::Expired { ended: Some(d) } => format!("membership expired (ended {d})"),
            Denial::Expired { ended: None } => "membership expired".into(),
            Denial::Frozen { until } => format!("membership frozen until {until}"),
            Denial::Cancelled => "membership cancelled".into(),
            Denial::NoVisitsLeft => "no visits left on the card".into(),
            Denial::Unpaid { owed_cents } => {
                format!("unpaid beyond the grace period ({} owed)", crate::text::money(*owed_cents))
            }
            Denial::Blocked => "blocked by staff".into(),
            Denial::AlreadyCheckedIn { .. } => "already checked in".into(),
        }
    }

    /// How near to admitting a membership in this state is: the deny names the nearest one.
    pub(crate) fn nearness(&self) -> u8 {
        match self {
            Denial::Unpaid { .. } => 0,
            Denial::Frozen { .. } => 1,
            Denial::NoVisitsLeft => 2,
            Denial::NotStarted { .. } => 3,
            Denial::Expired { .. } => 4,
            Denial::Cancelled => 5,
            _ => 6,
        }
    }
}

/// Why an entry is allowed with a word of caution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "warning")]
pub enum Warning {
    /// This check-in uses the card's last visit.
    LastVisit,
    /// Unpaid, admitted until the grace period ends (inclusive).
    UnpaidWithinGrace { owed_cents: u64, until: Date },
    /// The membership ends within 7 days (inclusive last day).
    EndsSoon { on: Date },
    /// A card that starts today, with this first visit.
    Activates,
}

impl Warning {
    pub fn describe(&self) -> String {
        match self {
            Warning::LastVisit => "last visit on the card".into(),
            Warning::UnpaidWithinGrace { owed_cents, until } => {
                format!("{} unpaid; admitted until {until}", crate::text::money(*owed_cents))
            }
            Warning::EndsSoon { on } => format!("membership ends {on}"),
            Warning::Activates => "the card starts with this visit".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Allow,
    Warn(Warning),
    Deny(Denial),
}

/// The desk's answer for one member at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub verdict: Verdict,
    /// The membership the check-in would use (or that the deny is about).
    pub membership: Option<Uuid>,
}

impl Member {
    /// Whether one membership admits a visit on `day` (at most `rules.grace_days` unpaid after its
    /// sale), and with which caution.
    pub fn membership_entry(&self, id: Uuid, day: Date, rules: &EntryRules) -> Result<Option<Warning>, Denial> {
        let Some(m) = self.memberships.iter().find(|m| m.id == id) else { return Err(Denial::NoMembership) };
        let (status, next) = m.status(day);
        match status {
            Status::Cancelled => return Err(Denial::Cancelled),
            Status::Expired => return Err(Denial::Expired { ended: m.end().or(Some(m.activate_by())) }),
            Status::Frozen => {
                return Err(Denial::Frozen { until: m.freeze_on(day).map_or(day, |f| f.until) });
            }
            Status::NoVisitsLeft => return Err(Denial::NoVisitsLeft),
            Status::NotStarted if m.start.is_some() => return Err(Denial::NotStarted { starts: next }),
            Status::NotStarted | Status::Active => {}
        }
        let owed = m.outstanding_cents();
        let grace_until = m.sold_on.add_days(rules.grace_days as i32);
        if owed > 0 && day > grace_until {
            return Err(Denial::Unpaid { owed_cents: owed });
        }
        Ok(if owed > 0 {
            Some(Warning::UnpaidWithinGrace { owed_cents: owed, until: grace_until })
        } else if m.start.is_none() {
            Some(Warning::Activates)
        } else if m.visits_left() == Some(1) {
            Some(Warning::LastVisit)
        } else if m.end().is_some_and(|end| day.days_until(end) < 7) {
            Some(Warning::EndsSoon { on: m.end().expect("started") })
        } else {
            None
        })
    }

    /// The entry decision for a check-in at `now_ms` on the club-local `day`: blocked and
    /// duplicate first, then the best membership that admits (unlimited before cards, so no visit
    /// is used when none needs to be; then the one ending first), or the deny of the membership
    /// nearest to admitting.
    pub fn entry(&self, now_ms: u64, day: Date, rules: &EntryRules) -> Entry {
        if self.blocked.is_some() {
            return Entry { verdict: Verdict::Deny(Denial::Blocked), membership: None };
        }
        let window_ms = rules.window_ms.min(super::aggregate::MAX_WINDOW_MS);
        if let Some(at_ms) = self.too_soon(now_ms, window_ms) {
            return Entry { verdict: Verdict::Deny(Denial::AlreadyCheckedIn { at_ms }), membership: None };
        }
        // Before the check-ins this state keeps (a desk clock far behind): it cannot be told
        // apart from a duplicate of the one forgotten.
        if let Some(at_ms) = self.forgotten_ms.filter(|_| self.before_history(now_ms, window_ms)) {
            return Entry { verdict: Verdict::Deny(Denial::AlreadyCheckedIn { at_ms }), membership: None };
        }
        let mut admitting: Vec<(&super::Membership, Option<Warning>)> = vec![];
        let mut best_denial: Option<(Denial, Uuid)> = None;
        for m in &self.memberships {
            match self.membership_entry(m.id, day, rules) {
                Ok(w) => admitting.push((m, w)),
                Err(d) => {
                    if best_denial.is_none_or(|(b, _)| d.nearness() < b.nearness()) {
                        best_denial = Some((d, m.id));
                    }
                }
            }
        }
        admitting.sort_by_key(|(m, w)| {
            (m.terms.visits.count().is_some(), w.is_some(), m.end().unwrap_or(crate::calendar::Date::MAX), m.id)
        });
        match (admitting.first(), best_denial) {
            (Some((m, None)), _) => Entry { verdict: Verdict::Allow, membership: Some(m.id) },
            (Some((m, Some(w))), _) => Entry { verdict: Verdict::Warn(*w), membership: Some(m.id) },
            (None, Some((d, id))) => Entry { verdict: Verdict::Deny(d), membership: Some(id) },
            (None, None) => Entry { verdict: Verdict::Deny(Denial::NoMembership), membership: None },
        }
    }
}
