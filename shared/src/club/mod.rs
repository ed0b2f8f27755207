//! The club: its settings (plans, duplicate window, automatic check-out, payment grace, time
//! zone), one stream per club, merged setting by setting.

pub mod admission;
mod plan;
mod settings;
#[cfg(test)]
mod tests;

pub use plan::{Length, Plan, PlanError, PlanTerms, Visits, MAX_PLAN_NAME, MAX_PRICE_CENTS};
pub use settings::{
    ClubCommand, ClubEvent, ClubSettings, Setting, SettingKey, SettingsError, DEFAULT_AUTO_CHECK_OUT_MIN,
    DEFAULT_CANCEL_CUTOFF_MIN, DEFAULT_DUPLICATE_WINDOW_MIN, DEFAULT_PAYMENT_GRACE_DAYS, DEFAULT_WAITLIST_CUTOFF_MIN,
};

/// The stream of a club's settings: `club-<club id>`.
pub fn stream(club: crate::access::ClubId) -> crate::StreamId {
    crate::StreamId::new(crate::StreamKind::Club, club.0)
}
