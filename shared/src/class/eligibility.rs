//! Whether a member can attend a class on its day: the cross-aggregate rule of a booking
//! (DOMAIN.md "Classes": no booking while frozen or without a valid membership), read from the
//! member's stream. The device checks it before booking; the server checks it again at append.

use crate::{
    calendar::Date,
    member::{Denial, EntryRules, Member},
};
use uuid::Uuid;

/// The membership `member` would attend a class on `day` with (unlimited before cards, then the
/// one ending first, as at the desk), or why they cannot: blocked, or the deny of the membership
/// nearest to admitting. A card with visits left is valid: its visit is used by attendance.
pub fn can_attend(member: &Member, day: Date, rules: &EntryRules) -> Result<Uuid, Denial> {
    if member.blocked.is_some() {
        return Err(Denial::Blocked);
    }
    let mut best: Option<(bool, bool, Date, Uuid)> = None;
    let mut denial: Option<Denial> = None;
    for m in &member.memberships {
        match member.membership_entry(m.id, day, rules) {
            Ok(warning) => {
                let key = (m.terms.visits.count().is_some(), warning.is_some(), m.end().unwrap_or(Date::MAX), m.id);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
            Err(d) => {
                if denial.is_none_or(|b| d.nearness() < b.nearness()) {
                    denial = Some(d);
                }
            }
        }
    }
    match best {
        Some((.., id)) => Ok(id),
        None => Err(denial.unwrap_or(Denial::NoMembership)),
    }
}

/// Whether a booking of `member` naming `membership` stands on `day` (the server's re-check at
/// append, `recheck::corrections`): the member can attend (`can_attend`, judged with the visit this
/// class used given back, `Member::before_class`), and the membership the booking names, whose
/// card a visit is used of, is one of theirs (`Denial::NoMembership` otherwise: a booking naming
/// another member's card would use no visit of the member's own).
pub fn booking_stands(member: &Member, membership: Option<Uuid>, day: Date, rules: &EntryRules) -> Result<(), Denial> {
    can_attend(member, day, rules)?;
    match membership {
        Some(id) if member.membership(id).is_none() => Err(Denial::NoMembership),
        _ => Ok(()),
    }
}
