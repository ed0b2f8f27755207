//! Memberships a member holds: the terms a sale copied from its plan, payments, freezes, a
//! cancellation, visits used; and the status derived from them on a club-local date
//! (DOMAIN.md "Memberships"). Status is never stored: it is computed for the day asked about.
//!
//! Day counting is inclusive everywhere: a membership of one month sold for 2026-01-15 runs
//! 2026-01-15 to 2026-02-14; a freeze from the 3rd to the 9th is 7 frozen days and moves the end
//! date 7 days later.

use crate::{calendar::Date, club::PlanTerms};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest freeze one command records (a year).
pub const MAX_FREEZE_DAYS: i32 = 366;
/// The longest a cancellation or a sale may be dated ahead (two years).
pub const MAX_DAYS_AHEAD: i32 = 731;

/// When a sold membership starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "start", content = "on")]
pub enum Start {
    /// On this club-local date.
    On(Date),
    /// On the day of the first check-in (visit cards): until then it is "not started", and it
    /// must be activated within its validity counted from the sale.
    FirstVisit,
}

/// A span of frozen days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub from: Date,
    pub until: Date,
}

impl Freeze {
    pub fn days(&self) -> i32 {
        self.from.days_until(self.until) + 1
    }

    pub fn covers(&self, day: Date) -> bool {
        (self.from..=self.until).contains(&day)
    }
}

/// A cancellation: the membership counts no more from `from` on (DOMAIN.md: not reversible; a
/// cancelled membership is reinstated by selling again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub from: Date,
    pub reason: String,
}

/// How a payment was taken (Faraday records payments; it never charges).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    BankTransfer,
    Other,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 4] =
        [PaymentMethod::Cash, PaymentMethod::Card, PaymentMethod::BankTransfer, PaymentMethod::Other];

    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::BankTransfer => "bank transfer",
            PaymentMethod::Other => "other",
        }
    }
}

/// A membership's status on a day (derived, never stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    Active,
    Frozen,
    Expired,
    Cancelled,
    NoVisitsLeft,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "not started",
            Status::Active => "active",
            Status::Frozen => "frozen",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
            Status::NoVisitsLeft => "no visits left",
        }
    }
}

/// One membership as the member's stream holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub id: Uuid,
    /// The plan it was sold from, and that plan's terms as they were at the sale.
    pub plan: Uuid,
    pub terms: PlanTerms,
    /// The club-local date of the sale.
    pub sold_on: Date,
    /// The first day; `None` for a card that activates on its first visit and has not yet.
    pub start: Option<Date>,
    /// Recorded payments, in cents of the club's currency.
    pub paid_cents: u64,
    pub freezes: Vec<Freeze>,
    pub cancelled: Option<Cancellation>,
    /// Visits a card has used (check-ins that count, minus voided ones). Never above the card's.
    pub visits_used: u32,
    /// The classes whose visits this card used (each at most once).
    #[serde(default)]
    pub class_visits: Vec<Uuid>,
    /// The membership this one renews, if it was sold as a renewal.
    pub renews: Option<Uuid>,
    /// The last membership change (sale, payment, freeze, cancellation) and who made it: what a
    /// concurrent change of this membership is compared with. Check-ins do not count.
    #[serde(default)]
    pub changed: crate::member::FieldStamp,
}

impl Membership {
    /// Days frozen in total (inclusive counting).
    pub fn frozen_days(&self) -> i32 {
        self.freezes.iter().map(Freeze::days).sum()
    }

    /// The last day it runs (inclusive): its length from the start, moved by every frozen day.
    /// `None` while a card waits for its first visit.
    pub fn end(&self) -> Option<Date> {
        self.start.map(|start| self.terms.length.last_day(start).add_days(self.frozen_days()))
    }

    /// The end date if `freeze` were added: what staff see before confirming a freeze.
    pub fn end_with(&self, freeze: Freeze) -> Option<Date> {
        self.end().map(|end| end.add_days(freeze.days()))
    }

    /// The last day a card waiting for its first visit can still be activated.
    pub fn activate_by(&self) -> Date {
        self.terms.length.last_day(self.sold_on)
    }

    /// Visits left on a card; `None` for unlimited visits.
    pub fn visits_left(&self) -> Option<u32> {
        self.terms.visits.count().map(|n| n.saturating_sub(self.visits_used))
    }

    pub fn outstanding_cents(&self) -> u64 {
        self.terms.price_cents.saturating_sub(self.paid_cents)
    }

    /// The freeze covering `day`, if any.
    pub fn freeze_on(&self, day: Date) -> Option<&Freeze> {
        self.freezes.iter().find(|f| f.covers(day))
    }

    /// Its status on `day`, and the next day that status changes (`None`: it never changes by
    /// itself any more).
    pub fn status(&self, day: Date) -> (Status, Option<Date>) {
        let cancel_from = self.cancelled.as_ref().map(|c| c.from);
        if cancel_from.is_some_and(|from| from <= day) {
            return (Status::Cancelled, None);
        }
        let next = |candidate: Option<Date>| -> Option<Date> {
            [candidate, cancel_from].into_iter().flatten().filter(|d| *d > day).min()
        };
        let Some(start) = self.start else {
            let by = self.activate_by();
            return if day > by {
                (Status::Expired, next(None))
            } else {
                (Status::NotStarted, next(Some(by.add_days(1))))
            };
        };
        if day < start {
            return (Status::NotStarted, next(Some(start)));
        }
        let end = self.end().expect("a started membership has an end");
        if day > end {
            return (Status::Expired, next(None));
        }
        if let Some(f) = self.freeze_on(day) {
            // Back the day after this freeze and any that follow it without a gap, unless it
            // has run out by then.
            let mut until = f.until;
            while let Some(g) = self.freeze_on(until.add_days(1)) {
                until = g.until;
            }
            return (Status::Frozen, next(Some(until.min(end).add_days(1))));
        }
        let next_freeze = self.freezes.iter().map(|f| f.from).filter(|d| *d > day).min();
        let candidate = [Some(end.add_days(1)), next_freeze].into_iter().flatten().min();
        if self.visits_left() == Some(0) {
            return (Status::NoVisitsLeft, next(candidate));
        }
        (Status::Active, next(candidate))
    }

    /// Whether it admits a visit on `day`: active, or a card waiting for its first visit.
    pub fn admits_on(&self, day: Date) -> bool {
        match self.status(day).0 {
            Status::Active => true,
            Status::NotStarted => self.start.is_none(),
            _ => false,
        }
    }

    /// Ends freezes at `from`: a freeze running then stops the day before, one that starts on or
    /// after it is dropped (cancelling during a freeze ends the freeze; unfreezing early).
    pub(crate) fn end_freezes_at(&mut self, from: Date) {
        self.freezes.retain(|f| f.from < from);
        for f in &mut self.freezes {
            if f.until >= from {
                f.until = from.add_days(-1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::club::{Length, Visits};

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn membership(length: Length, visits: Visits, start: Option<&str>) -> Membership {
        Membership {
            id: Uuid::from_u128(1),
            plan: Uuid::from_u128(2),
            terms: PlanTerms { name: "Plan".into(), length, visits, price_cents: 5_000 },
            sold_on: d("2026-01-10"),
            start: start.map(d),
            paid_cents: 5_000,
            freezes: vec![],
            cancelled: None,
            visits_used: 0,
            class_visits: vec![],
            renews: None,
            changed: Default::default(),
        }
    }

    #[test]
    fn a_month_runs_from_the_start_to_the_day_before_the_same_date_next_month() {
        let m = membership(Length::Months(1), Visits::Unlimited, Some("2026-01-15"));
        assert_eq!(m.end(), Some(d("2026-02-14")));
        assert_eq!(m.status(d("2026-01-14")), (Status::NotStarted, Some(d("2026-01-15"))));
        assert_eq!(m.status(d("2026-01-15")), (Status::Active, Some(d("2026-02-15"))));
        assert_eq!(m.status(d("2026-02-14")).0, Status::Active);
        assert_eq!(m.status(d("2026-02-15")), (Status::Expired, None));
    }

    /// Inclusive counting: the table is (freeze from, until, frozen days, new end).
    #[test]
    fn a_freeze_moves_the_end_by_its_days_counted_inclusively() {
        let base = membership(Length::Months(1), Visits::Unlimited, Some("2026-03-01"));
        assert_eq!(base.end(), Some(d("2026-03-31")));
        for (from, until, days, end) in [
            ("2026-03-10", "2026-03-10", 1, "2026-04-01"),
            ("2026-03-10", "2026-03-16", 7, "2026-04-07"),
            ("2026-03-25", "2026-04-05", 12, "2026-04-12"),
            ("2026-03-01", "2026-03-31", 31, "2026-05-01"),
        ] {
            let freeze = Freeze { from: d(from), until: d(until) };
            assert_eq!(freeze.days(), days, "{from}..{until}");
            assert_eq!(base.end_with(freeze), Some(d(end)), "{from}..{until}");
            let mut m = base.clone();
            m.freezes.push(freeze);
            assert_eq!(m.end(), Some(d(end)));
            assert_eq!(m.status(d(from)), (Status::Frozen, Some(d(until).add_days(1))));
            assert_eq!(m.status(d(until).add_days(1)).0, Status::Active, "back the day after");
        }
    }

    #[test]
    fn ending_a_freeze_early_moves_the_end_back_accordingly() {
        let mut m = membership(Length::Months(1), Visits::Unlimited, Some("2026-03-01"));
        m.freezes.push(Freeze { from: d("2026-03-10"), until: d("2026-03-19") });
        assert_eq!(m.end(), Some(d("2026-04-10")));
        m.end_freezes_at(d("2026-03-13"));
        assert_eq!(m.freezes, vec![Freeze { from: d("2026-03-10"), until: d("2026-03-12") }]);
        assert_eq!(m.end(), Some(d("2026-04-03")));
        m.end_freezes_at(d("2026-03-10"));
        assert!(m.freezes.is_empty(), "a freeze ended on its first day froze nothing");
        assert_eq!(m.end(), Some(d("2026-03-31")));
    }

    #[test]
    fn a_card_waits_for_its_first_visit_within_its_validity_from_the_sale() {
        let mut m = membership(Length::Months(6), Visits::Card(10), None);
        assert_eq!(m.activate_by(), d("2026-07-09"));
        assert_eq!(m.status(d("2026-02-01")), (Status::NotStarted, Some(d("2026-07-10"))));
        assert!(m.admits_on(d("2026-02-01")));
        assert_eq!(m.status(d("2026-07-10")).0, Status::Expired);
        m.start = Some(d("2026-02-01"));
        m.visits_used = 10;
        assert_eq!(m.status(d("2026-02-02")).0, Status::NoVisitsLeft);
        assert!(!m.admits_on(d("2026-02-02")));
    }

    #[test]
    fn a_cancellation_counts_from_its_date_and_wins_over_everything() {
        let mut m = membership(Length::Months(12), Visits::Unlimited, Some("2026-01-01"));
        m.cancelled = Some(Cancellation { from: d("2026-06-01"), reason: "moved away".into() });
        assert_eq!(m.status(d("2026-05-31")), (Status::Active, Some(d("2026-06-01"))));
        assert_eq!(m.status(d("2026-06-01")), (Status::Cancelled, None));
    }
}
