//! Members: register, change details field by field, archive and restore, check in.

mod aggregate;
mod commands;
#[cfg(test)]
mod conflict_tests;
mod details;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{FieldStamp, Member, MemberError, CHECK_IN_WINDOW_MS};
pub use commands::MemberCommand;
pub use details::{DetailsError, MemberField, MAX_NAME};
pub use events::{MemberEvent, NotCounted, Repeated};
