//! Plans: what a club sells (DOMAIN.md "Memberships"). A sale copies a plan's terms into the
//! member's stream, so a later edit of the plan changes only later sales.

use crate::{calendar::Date, text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a membership runs from its first day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "unit", content = "n")]
pub enum Length {
    /// Calendar months (a monthly plan is 1, a yearly one 12).
    Months(u32),
    /// Days.
    Days(u32),
}

impl Length {
    /// The last day (inclusive) of a membership starting on `start`.
    pub fn last_day(self, start: Date) -> Date {
        match self {
            Length::Months(n) => start.add_months(n).add_days(-1),
            Length::Days(n) => start.add_days(n as i32 - 1),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Length::Months(1) => "1 month".into(),
            Length::Months(12) => "1 year".into(),
            Length::Months(n) => format!("{n} months"),
            Length::Days(1) => "1 day".into(),
            Length::Days(n) => format!("{n} days"),
        }
    }
}

/// How many visits a membership admits over its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "n")]
pub enum Visits {
    /// As many as the member likes: said explicitly, never a large number.
    Unlimited,
    /// A visit card of this many visits.
    Card(u32),
}

impl Visits {
    pub fn count(self) -> Option<u32> {
        match self {
            Visits::Unlimited => None,
            Visits::Card(n) => Some(n),
        }
    }
}

/// The terms a plan is sold on; copied into each sale.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlanTerms {
    pub name: String,
    pub length: Length,
    pub visits: Visits,
    /// The price, in cents of the club's currency.
    pub price_cents: u64,
}

/// A plan in the club's settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Plan {
    pub id: Uuid,
    pub terms: PlanTerms,
    /// Offered for sale; a plan taken off sale stays for the memberships sold from it.
    pub on_sale: bool,
}

pub const MAX_PLAN_NAME: usize = 60;
pub const MAX_PRICE_CENTS: u64 = 10_000_000;

/// Why a plan's terms are not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a plan needs a name")]
    NameMissing,
    #[error("a plan's name is at most {MAX_PLAN_NAME} characters")]
    NameTooLong,
    #[error("the plan's name contains an invisible or control character")]
    ForbiddenCharacter,
    #[error("a plan runs 1 to 36 months or 1 to 1,096 days")]
    LengthOutOfRange,
    #[error("a visit card holds 1 to 1,000 visits (for more, make the plan unlimited)")]
    VisitsOutOfRange,
    #[error("a price is at most 100,000.00")]
    PriceTooHigh,
    #[error("the plan's name is not written as the domain stores it")]
    NotNormalised,
}

impl PlanTerms {
    /// The terms as the domain stores them: the name normalised (see `crate::text`).
    pub fn normalised(mut self) -> Self {
        self.name = text::normalise(&self.name);
        self
    }

    /// Checks normalised terms.
    pub fn check(&self) -> Result<(), PlanError> {
        if text::normalise(&self.name) != self.name {
            return Err(PlanError::NotNormalised);
        }
        if self.name.is_empty() {
            return Err(PlanError::NameMissing);
        }
        if self.name.chars().count() > MAX_PLAN_NAME {
            return Err(PlanError::NameTooLong);
        }
        if text::first_forbidden(&self.name).is_some() {
            return Err(PlanError::ForbiddenCharacter);
        }
        match self.length {
            Length::Months(1..=36) | Length::Days(1..=1096) => {}
            _ => return Err(PlanError::LengthOutOfRange),
        }
        if let Visits::Card(n) = self.visits {
            if !(1..=1000).contains(&n) {
                return Err(PlanError::VisitsOutOfRange);
            }
        }
        if self.price_cents > MAX_PRICE_CENTS {
            return Err(PlanError::PriceTooHigh);
        }
        Ok(())
    }

    /// "10 visits in 6 months", "unlimited, 1 month".
    pub fn describe(&self) -> String {
        match self.visits {
            Visits::Unlimited => format!("unlimited visits, {}", self.length.describe()),
            Visits::Card(n) => format!("{n} visits within {}", self.length.describe()),
        }
    }
}
