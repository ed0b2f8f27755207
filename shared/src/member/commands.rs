use super::{
    details::MemberField,
    entry::EntryRules,
    membership::{PaymentMethod, Start},
};
use crate::{calendar::Date, club::PlanTerms};
use uuid::Uuid;

/// What front-desk staff ask for. Imperative, as commands are; decided by [`super::Member`].
/// Texts are normalised by the decision itself (see `crate::text`), so callers pass what was typed.
/// `on` is always the club-local date the command is given on ("today" in the club's zone), and
/// `rules` the entry rules of the club's settings at that moment.
#[derive(Clone, Debug, PartialEq)]
pub enum MemberCommand {
    RegisterMember {
        name: String,
        email: String,
        phone: String,
    },
    /// The fields a form changed, saved together or not at all: every value is checked and every
    /// error reported at once; each field that really changes becomes its own event, so that
    /// concurrent edits of different fields never collide.
    ChangeMemberDetails {
        changes: Vec<(MemberField, String)>,
    },
    ArchiveMember,
    RestoreMember,
    /// Checks the member in on `membership` (the one [`super::Member::entry`] chose): refused
    /// with the deny's reason when that membership does not admit them now.
    CheckIn {
        on: Date,
        membership: Uuid,
        rules: EntryRules,
    },
    /// Lets the member in although the entry decision denies it (manager), for `reason`.
    OverrideEntry {
        on: Date,
        reason: String,
        rules: EntryRules,
    },
    /// Records a check-in that happened at `at_ms`, earlier than now (manager).
    RecordPastCheckIn {
        at_ms: u64,
        on: Date,
        membership: Uuid,
        reason: String,
        rules: EntryRules,
    },
    /// Voids the check-in at `at_ms` (manager): kept, struck through, with who and why.
    VoidCheckIn {
        at_ms: u64,
        reason: String,
    },
    BlockMember {
        reason: String,
    },
    UnblockMember,
    /// Sells a membership of `plan`, whose current terms the caller copies in.
    SellMembership {
        membership: Uuid,
        plan: Uuid,
        terms: PlanTerms,
        start: Start,
        on: Date,
    },
    /// Sells `membership` as the renewal of `renews`: it starts the day after that one ends (or
    /// `on` if that has passed).
    RenewMembership {
        membership: Uuid,
        renews: Uuid,
        plan: Uuid,
        terms: PlanTerms,
        on: Date,
    },
    RecordPayment {
        membership: Uuid,
        amount_cents: u64,
        method: PaymentMethod,
        on: Date,
    },
    /// Freezes from `from` to `until`, both included. Starting before `on` needs a manager.
    FreezeMembership {
        membership: Uuid,
        from: Date,
        until: Date,
        on: Date,
    },
    /// Ends the freeze running on `on` (the member is back today), or drops a planned one.
    UnfreezeMembership {
        membership: Uuid,
        on: Date,
    },
    /// Cancels from `from` (today or later), for `reason`. Not reversible.
    CancelMembership {
        membership: Uuid,
        from: Date,
        reason: String,
        on: Date,
    },
    /// Uses a visit of the card `membership` for `class` (attended, or `charge`d a late cancel or
    /// no-show); refused if that class already used one.
    UseClassVisit {
        class: Uuid,
        membership: Uuid,
        on: Date,
        charge: Option<crate::class::ChargeKind>,
    },
    /// Gives back the visit `class` used (a manager waived the charge), for `reason`.
    ReturnClassVisit {
        class: Uuid,
        membership: Uuid,
        on: Date,
        reason: String,
    },
}
