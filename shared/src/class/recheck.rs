//! What the server corrects in a device's class events at append (DOMAIN.md "Classes": a booking
//! needs a valid membership). The device decided from its copy of the member's stream; the server
//! holds its own, newer one. A member who got a spot (or a waitlist entry) from this push but
//! cannot attend on the class's day is not dropped silently: the booking is stored as
//! [`ClassEvent::BookingRefused`] with the reason, and a spot that went to them by promotion goes
//! to the next in line, the change that freed it recording them as skipped.

use super::{aggregate::Via, Class, ClassEvent, Refused, Skip};
use crate::member::Denial;
use std::ops::RangeInclusive;
use uuid::Uuid;

/// One correction to the event at `version` of the class's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Correction {
    /// The event booked (or waitlisted, or promoted) `member`: store it as refused.
    Refuse { version: u64, member: Uuid, denial: Denial },
    /// The event freed a spot that went to `member`: record them as skipped instead.
    Skip { version: u64, member: Uuid, denial: Denial },
}

impl Correction {
    pub fn version(&self) -> u64 {
        match self {
            Correction::Refuse { version, .. } | Correction::Skip { version, .. } => *version,
        }
    }
}

/// The corrections the events at `versions` need, given the class `after` them: each member they
/// gave a spot or a waitlist entry without a manager's override is asked of `can_attend` (the
/// server's reading of the member's stream on the class's day). Only what `after` still holds is
/// asked about: the server asks after each event of a batch (`versions` that event's alone), so a
/// booking the same batch cancels again is checked too (its cancellation, then, is a repeat).
pub fn corrections(
    after: &Class,
    versions: RangeInclusive<u64>,
    can_attend: &mut dyn FnMut(Uuid) -> Result<(), Denial>,
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
        if let Err(denial) = can_attend(b.member) {
            out.push(if promoted {
                Correction::Skip { version, member: b.member, denial }
            } else {
                Correction::Refuse { version, member: b.member, denial }
            });
        }
    }
    for w in after.waitlist.iter().filter(|w| w.override_reason.is_none() && versions.contains(&w.version)) {
        if let Err(denial) = can_attend(w.member) {
            out.push(Correction::Refuse { version: w.version, member: w.member, denial });
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
        (ClassEvent::ClassRescheduled { details, at_ms, skipped }, Correction::Skip { member: m, denial, .. }) => {
            Some(ClassEvent::ClassRescheduled {
                details: details.clone(),
                at_ms: *at_ms,
                skipped: with_skip(skipped, *m, *denial),
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
