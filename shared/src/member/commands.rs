use super::details::MemberField;

/// What front-desk staff ask for. Imperative, as commands are; decided by [`super::Member`].
#[derive(Clone, Debug, PartialEq)]
pub enum MemberCommand {
    RegisterMember {
        name: String,
        email: String,
        phone: String,
    },
    /// One field at a time, so that concurrent edits of different fields never collide.
    ChangeMemberDetails {
        field: MemberField,
        value: String,
    },
    ArchiveMember,
    RestoreMember,
    CheckIn,
}
