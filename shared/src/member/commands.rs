use super::details::MemberField;

/// What front-desk staff ask for. Imperative, as commands are; decided by [`super::Member`].
/// Texts are normalised by the decision itself (see `crate::text`), so callers pass what was typed.
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
    CheckIn,
}
