//! Members: register, change details field by field, archive and restore; their memberships
//! (sold, paid, frozen, cancelled, renewed); check-ins decided by the entry rules, overridden,
//! back-dated and voided.

mod aggregate;
#[cfg(test)]
mod class_visit_tests;
mod class_visits;
mod commands;
#[cfg(test)]
mod conflict_tests;
mod details;
mod entry;
mod events;
mod membership;
#[cfg(test)]
mod membership_tests;
mod sales;
#[cfg(test)]
mod tests;
mod visits;

pub use aggregate::{FieldStamp, Member, MemberError, RecentCheckIn, CHECK_IN_WINDOW_MS};
pub use commands::MemberCommand;
pub use details::{DetailsError, MemberField, MAX_NAME};
pub use entry::{Denial, Entry, EntryRules, Verdict, Warning};
pub use events::{MemberEvent, NotCounted, Repeated, VisitNotCounted};
pub use membership::{Cancellation, Freeze, Membership, PaymentMethod, Start, Status, MAX_FREEZE_DAYS};
pub use sales::MembershipError;
pub use visits::{MAX_BACKDATE_DAYS, MAX_REASON};
