//! What the server corrects in a device's class events at append (DOMAIN.md "Classes": a booking
//! needs a valid membership). The device decided from its copy of the member's stream; the server
//! holds its own, newer one. A member who got a spot (or a waitlist entry) from this push but
//! cannot attend on the class's day is not dropped silently: the booking is stored as
//! [`ClassEvent::BookingRefused`] with the reason, and a spot that went to them by promotion goes
//! to the next in line, the change that freed it recording them as skipped. A card visit a member's
//! event uses for a class stands only where the class's stream records what it was used for.

use super::{aggregate::Via, ChargeKind, Class, ClassEvent, Refused, Skip};
use crate::member::{Denial, MemberEvent, VisitNotCounted};
use std::ops::RangeInclusive;
use uuid::Uuid;

/// One correction to the event at `version` of the class's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Correction {
    /// The event booked (or waitlisted, or promoted) `member`: store it as refused.
    Refuse { version: u64, member: Uuid, denial: Denial },
    /// The event freed a spot that went to `member`: record them as skipped instead.
    Skip { version: u64, member: Uuid, denial: Denial },
    /// The event passed `member` over, but they can attend: the spot is theirs (their place in
    /// line is kept; a device's word that someone cannot attend is checked like its bookings).
    Unskip { version: u64, member: Uuid },
    /// The event moved the class to a day `member`, booked, cannot attend: release their booking.
    Release { version: u64, member: Uuid, denial: Denial },
    /// The event released `member`'s booking, but they can attend on the new day: it stays.
    Unrelease { version: u64, member: Uuid },
}

impl Correction {
    pub fn version(&self) -> u64 {
        match self {
            Correction::Refuse { version, .. }
            | Correction::Skip { version, .. }
            | Correction::Unskip { version, .. }
            | Correction::Release { version, .. }
            | Correction::Unrelease { version, .. } => *version,
        }
    }
}

/// The corrections the events at `versions` need, given the class `after` them: each member they
/// gave a spot or a waitlist entry without a manager's override is asked of `can_attend` (the
/// server's reading of the member's stream on the class's day), with the membership the booking
/// names (it must be one of that member's: a visit is used on it). Only what `after` still holds is
/// asked about: the server asks after each event of a batch (`versions` that event's alone), so a
/// booking the same batch cancels again is checked too (its cancellation, then, is a repeat).
pub fn corrections(
    after: &Class,
    versions: RangeInclusive<u64>,
    can_attend: &mut dyn FnMut(Uuid, Option<Uuid>) -> Result<(), Denial>,
) -> Vec<Correction> {
    let mut out = Vec::new();
    for b in after.bookings.iter().filter(|b| b.override_reason.is_none()) {
        let (version, promoted) = match b.via {
            Via::Booked { version } => (version, false),
            Via::Promoted { version, automatic, .. } => (version, automatic),
        };
        if !versions.contains(&version) {
            continue;
        }
        if let Err(denial) = can_attend(b.member, b.membership) {
            out.push(if promoted {
                Correction::Skip { version, member: b.member, denial }
            } else {
                Correction::Refuse { version, member: b.member, denial }
            });
        }
    }
    for w in after.waitlist.iter().filter(|w| w.override_reason.is_none() && versions.contains(&w.version)) {
        if let Err(denial) = can_attend(w.member, w.membership) {
            out.push(Correction::Refuse { version: w.version, member: w.member, denial });
        }
    }
    out
}

/// The corrections the event at `version` (`event`, the class `before` and `after` it) needs:
/// `corrections` of that version, and each member it says it passed over who can attend after all
/// (`Unskip`), so a device that saw a member as unable (or says so falsely) does not take their
/// spot from them. A class moved to another day is asked about every booking it keeps (one whose
/// member cannot attend on the new day is released, `Release`) and every one it releases (one whose
/// member can attend after all stays, `Unrelease`); `can_attend` reads the day from `after`.
pub fn recheck_event(
    before: &Class,
    after: &Class,
    event: &ClassEvent,
    version: u64,
    can_attend: &mut dyn FnMut(Uuid, Option<Uuid>) -> Result<(), Denial>,
) -> Vec<Correction> {
    let mut out = corrections(after, version..=version, can_attend);
    let (ClassEvent::BookingCancelled { skipped, .. } | ClassEvent::ClassRescheduled { skipped, .. }) = event else {
        return out;
    };
    for s in skipped {
        let Some(w) = after.waiting(s.member) else { continue };
        if w.override_reason.is_some() || can_attend(w.member, w.membership).is_ok() {
            out.push(Correction::Unskip { version, member: s.member });
        }
    }
    let ClassEvent::ClassRescheduled { details, released, .. } = event else { return out };
    if before.details.as_ref().is_none_or(|d| d.day == details.day) {
        return out;
    }
    for b in before.bookings.iter().filter(|b| before.releasable(b.member)) {
        let kept = after.booking(b.member).is_some_and(|a| a.via == b.via);
        match (kept, can_attend(b.member, b.membership)) {
            (true, Err(denial)) => out.push(Correction::Release { version, member: b.member, denial }),
            (false, Ok(())) if released.iter().any(|r| r.member == b.member) => {
                out.push(Correction::Unrelease { version, member: b.member })
            }
            _ => {}
        }
    }
    out
}

/// `event` with `correction` applied (`None`: it does not apply to this event).
pub fn correct(event: &ClassEvent, correction: &Correction) -> Option<ClassEvent> {
    match (event, correction) {
        (
            ClassEvent::ClassBooked { member, at_ms, .. }
            | ClassEvent::ClassWaitlisted { member, at_ms, .. }
            | ClassEvent::WaitlistPromoted { member, at_ms, .. },
            Correction::Refuse { member: m, denial, .. },
        ) if member == m => Some(ClassEvent::BookingRefused {
            member: *member,
            at_ms: *at_ms,
            reason: Refused::Denied { denial: *denial },
        }),
        (ClassEvent::BookingCancelled { member, at_ms, late, skipped }, Correction::Skip { member: m, denial, .. }) => {
            Some(ClassEvent::BookingCancelled {
                member: *member,
                at_ms: *at_ms,
                late: *late,
                skipped: with_skip(skipped, *m, *denial),
            })
        }
        (
            ClassEvent::ClassRescheduled { details, at_ms, skipped, released },
            Correction::Skip { member: m, denial, .. },
        ) => Some(ClassEvent::ClassRescheduled {
            details: details.clone(),
            at_ms: *at_ms,
            skipped: with_skip(skipped, *m, *denial),
            released: released.clone(),
        }),
        (
            ClassEvent::ClassRescheduled { details, at_ms, skipped, released },
            Correction::Release { member: m, denial, .. },
        ) => Some(ClassEvent::ClassRescheduled {
            details: details.clone(),
            at_ms: *at_ms,
            skipped: skipped.clone(),
            released: with_skip(released, *m, *denial),
        }),
        (
            ClassEvent::ClassRescheduled { details, at_ms, skipped, released },
            Correction::Unrelease { member: m, .. },
        ) => Some(ClassEvent::ClassRescheduled {
            details: details.clone(),
            at_ms: *at_ms,
            skipped: skipped.clone(),
            released: released.iter().filter(|r| r.member != *m).copied().collect(),
        }),
        (ClassEvent::BookingCancelled { member, at_ms, late, skipped }, Correction::Unskip { member: m, .. }) => {
            Some(ClassEvent::BookingCancelled {
                member: *member,
                at_ms: *at_ms,
                late: *late,
                skipped: skipped.iter().filter(|s| s.member != *m).copied().collect(),
            })
        }
        (ClassEvent::ClassRescheduled { details, at_ms, skipped, released }, Correction::Unskip { member: m, .. }) => {
            Some(ClassEvent::ClassRescheduled {
                details: details.clone(),
                at_ms: *at_ms,
                skipped: skipped.iter().filter(|s| s.member != *m).copied().collect(),
                released: released.clone(),
            })
        }
        _ => None,
    }
}

fn with_skip(skipped: &[Skip], member: Uuid, denial: Denial) -> Vec<Skip> {
    let mut out: Vec<Skip> = skipped.to_vec();
    if !out.iter().any(|s| s.member == member) {
        out.push(Skip { member, denial });
    }
    out.sort_by_key(|s| s.member);
    out
}

/// Whether `class` records what a card visit of `member` on `membership` is used for (DOMAIN.md
/// "Classes": a visit is consumed by attendance, or by a late cancel or a no-show not waived):
/// `charge` none, the member's booking on that membership is marked attended; else that charge,
/// on that membership, stands unwaived.
pub fn records_visit(class: &Class, member: Uuid, membership: Uuid, charge: Option<ChargeKind>) -> bool {
    match charge {
        None => class.booking(member).is_some_and(|b| b.attended && b.membership == Some(membership)),
        Some(kind) => class
            .charges
            .iter()
            .any(|c| c.member == member && c.kind == kind && c.waived.is_none() && c.membership == Some(membership)),
    }
}

/// The classes whose streams the card visits of a member's batch (`events`, in order) are to be held
/// to at append: each class a `ClassVisitUsed` names, unless the same batch gives that visit (of
/// that card) back again (a tick taken back: the two use nothing between them); each class a
/// device's own `ClassVisitNotCounted { NotInClass }` names (it must be true).
pub fn visits_to_check(events: &[MemberEvent]) -> Vec<Uuid> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let class = match e {
            MemberEvent::ClassVisitUsed { class, membership, .. } => {
                let returned = events[i + 1..].iter().any(|later| {
                    matches!(later, MemberEvent::ClassVisitReturned { class: c, membership: m, .. }
                        if c == class && m == membership)
                });
                if returned {
                    continue;
                }
                class
            }
            MemberEvent::ClassVisitNotCounted { class, reason: VisitNotCounted::NotInClass, .. } => class,
            _ => continue,
        };
        if !out.contains(class) {
            out.push(*class);
        }
    }
    out
}

/// Whether a device's `ClassVisitNotCounted { NotInClass }` of `member` is true of `class` (as the
/// server's transaction leaves it): the class does not record what the visit would be used for.
/// A device never decides one (the server writes it); it may offer it back after a restore.
pub fn not_counted_holds(event: &MemberEvent, member: Uuid, class: Option<&Class>) -> bool {
    let MemberEvent::ClassVisitNotCounted { membership, reason: VisitNotCounted::NotInClass, .. } = event else {
        return true;
    };
    let Some(class) = class else { return true };
    ![None, Some(ChargeKind::LateCancel), Some(ChargeKind::NoShow)]
        .into_iter()
        .any(|charge| records_visit(class, member, *membership, charge))
}

/// `event` of `member`'s stream as the server stores it once held to `class` (as the server's
/// transaction leaves its stream; none: no such class in the club): a `ClassVisitUsed` the class
/// does not record (`records_visit`) is stored as `ClassVisitNotCounted { reason: NotInClass }`.
/// `None`: it stands as sent (or is no visit). The class's batch may have gone to the device's inbox,
/// or been corrected (the booking refused, the spot lost to another desk's): the visit then waits
/// for the class, never the other way round.
pub fn visit_checked(event: &MemberEvent, member: Uuid, class: Option<&Class>) -> Option<MemberEvent> {
    let MemberEvent::ClassVisitUsed { class: id, membership, on, charge } = event else { return None };
    if class.is_some_and(|c| records_visit(c, member, *membership, *charge)) {
        return None;
    }
    Some(MemberEvent::ClassVisitNotCounted {
        class: *id,
        membership: *membership,
        on: *on,
        reason: VisitNotCounted::NotInClass,
    })
}
