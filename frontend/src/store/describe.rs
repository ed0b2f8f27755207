//! Timeline sentences: what an event means to the staff reading a stream's history, per kind of
//! stream (a new aggregate's kind is a compile error in [`describe`] until it has its sentences).
//! [`Story`] tells a stream's events with what came before them (a freeze's new end date, the
//! membership a visit used, a class's title and time, who moved up from a waitlist) and after them
//! (a check-in voided later). Members and classes named by an event of another stream are named
//! through [`Names`] (the runtime's: what this device holds now).

use app::{
    client::Voided,
    format::{class_label, clock_of, day_label, time_of, two_times},
    sentences::{booking_refused, date, denial},
};
use shared::{
    aggregate::{Aggregate, EventMeta},
    class::{ChargeKind, Class, ClassEvent, Refused, RepeatedChange, Skip},
    club::{ClubEvent, Setting},
    member::{
        Denial, EntryRules, Member, MemberEvent, MemberField, Membership, NotCounted, Repeated, Start, VisitNotCounted,
    },
    text::money,
    DeviceId, EventEnvelope, StreamKind,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Members and classes as an event of another stream names them.
pub trait Names {
    /// The member's name, if this device holds them.
    fn member(&self, id: Uuid) -> Option<String>;
    /// The class as staff name it ("Yoga (Tue 3 Mar 18:00)"), if this device holds it.
    fn class(&self, id: Uuid) -> Option<String>;
}

/// Names nothing: events are told with "a member", "a class".
pub struct NoNames;

impl Names for NoNames {
    fn member(&self, _: Uuid) -> Option<String> {
        None
    }
    fn class(&self, _: Uuid) -> Option<String> {
        None
    }
}

/// The member a class event is about, if one.
pub fn about(envelope: &EventEnvelope) -> Option<Uuid> {
    if envelope.stream.kind != StreamKind::Class {
        return None;
    }
    envelope.decode::<ClassEvent>().ok()?.member()
}

/// What an event of this desk that the server stored as something else says (the inbox, and the
/// timeline until staff saw it): the change as this desk made it, and what became of it.
pub fn describe_corrected(envelope: &EventEnvelope, device: &DeviceId, names: &dyn Names) -> String {
    let class = || names.class(envelope.stream.id).unwrap_or_else(|| "the class".into());
    let who = |id: Uuid| names.member(id).unwrap_or_else(|| "a member".into());
    match (envelope.stream.kind, envelope.decode::<ClassEvent>()) {
        (StreamKind::Class, Ok(ClassEvent::ClassWaitlisted { member, .. })) => format!(
            "Booking of {} for {} moved to the waitlist: the last spot was taken by another desk first",
            who(member),
            class()
        ),
        (StreamKind::Class, Ok(ClassEvent::BookingRefused { member, reason: Refused::NotPromoted, .. })) => {
            format!(
                "Moving {} up from the waitlist of {} did not stand: {}",
                who(member),
                class(),
                booking_refused(&Refused::NotPromoted)
            )
        }
        (StreamKind::Class, Ok(ClassEvent::BookingRefused { member, reason, .. })) => {
            format!("Booking of {} for {} refused: {}", who(member), class(), booking_refused(&reason))
        }
        // Told when the server released other bookings than this device did (`Class::told`).
        (StreamKind::Class, Ok(ClassEvent::ClassRescheduled { details, released, .. })) => {
            let whom = if released.is_empty() {
                "no booking was released: every booked member can attend then".to_owned()
            } else {
                format!("the bookings released are those of {}", each_and_why(&released, names))
            };
            format!(
                "{} moved to {} {}: by the members' records the server holds, {whom}",
                details.title,
                day_label(details.day),
                clock_of(details.start_ms)
            )
        }
        _ => describe_for(envelope, device, names),
    }
}

/// What an event says to the staff of `device` (the inbox, the timeline): a change of this desk
/// that did not stand is told from this desk's side.
pub fn describe_for(envelope: &EventEnvelope, device: &DeviceId, names: &dyn Names) -> String {
    let member = |kind| kind == StreamKind::Member;
    match envelope.decode::<MemberEvent>() {
        Ok(MemberEvent::MemberDetailsOverwritten { field, value, kept })
            if member(envelope.stream.kind) && envelope.device == *device =>
        {
            format!(
                "Your change of the {} to {} did not stand: another desk's later change to {} did",
                field_label(field).to_lowercase(),
                shown(&value),
                shown(&kept)
            )
        }
        Ok(MemberEvent::MemberDetailsMerged { field, value, overwritten })
            if member(envelope.stream.kind) && envelope.device != *device =>
        {
            format!(
                "Your change of the {} to {} was overwritten by another desk's later change to {}",
                field_label(field).to_lowercase(),
                shown(&overwritten),
                shown(&value)
            )
        }
        _ => match club_event(envelope) {
            Some(ClubEvent::ClubSettingOverwritten { setting, kept }) if envelope.device == *device => format!(
                "Your change of the {} did not stand: another desk's later change to {} did",
                setting.describe(),
                kept.describe()
            ),
            Some(ClubEvent::ClubSettingMerged { setting, overwritten: Some(other) }) if envelope.device != *device => {
                format!(
                    "Your change of the {} was overwritten by another desk's later change to {}",
                    other.describe(),
                    setting.describe()
                )
            }
            _ => describe(envelope, names),
        },
    }
}

/// What an event says to anyone reading the stream's history.
pub fn describe(envelope: &EventEnvelope, names: &dyn Names) -> String {
    match envelope.stream.kind {
        StreamKind::Member => describe_member(envelope, names),
        StreamKind::Club => describe_club(envelope),
        StreamKind::Class => match envelope.decode::<ClassEvent>() {
            Ok(event) => {
                let label = names.class(envelope.stream.id).unwrap_or_else(|| "the class".into());
                let before = Class::default();
                class_told(&event, &label, &before, &before, names)
            }
            Err(_) => unknown(envelope),
        },
    }
}

fn club_event(envelope: &EventEnvelope) -> Option<ClubEvent> {
    (envelope.stream.kind == StreamKind::Club).then(|| envelope.decode::<ClubEvent>().ok()).flatten()
}

fn describe_club(envelope: &EventEnvelope) -> String {
    match envelope.decode::<ClubEvent>() {
        Ok(ClubEvent::ClubSettingChanged { setting }) => setting_changed(&setting),
        Ok(ClubEvent::ClubSettingMerged { setting, overwritten: Some(other) }) => format!(
            "{} (merged: another desk had changed it to {} at the same time; this change is the later one)",
            setting_changed(&setting),
            other.describe()
        ),
        Ok(ClubEvent::ClubSettingMerged { setting, overwritten: None }) => setting_changed(&setting),
        Ok(ClubEvent::ClubSettingOverwritten { setting, kept }) => format!(
            "{} — overwritten by another desk's later change to {}",
            sentence_case(&setting.describe()),
            kept.describe()
        ),
        Ok(ClubEvent::ClubSettingRepeated { setting }) => {
            format!("{} here too (another desk had made the same change)", setting_changed(&setting))
        }
        Err(_) => unknown(envelope),
    }
}

/// "Plan Ten visits added or changed: …", "Time zone set to Europe/Berlin".
fn setting_changed(setting: &Setting) -> String {
    match setting {
        Setting::Plan(_) => format!("{} set", sentence_case(&setting.describe())),
        _ => format!("Set {}", setting.describe()),
    }
}

fn describe_member(envelope: &EventEnvelope, names: &dyn Names) -> String {
    let Ok(event) = envelope.decode::<MemberEvent>() else { return unknown(envelope) };
    let class = |id: Uuid| names.class(id).unwrap_or_else(|| "a class".into());
    match event {
        MemberEvent::MemberRegistered { name, .. } => format!("Registered as {name}"),
        MemberEvent::MemberDetailsChanged { field, value } if value.is_empty() => {
            format!("{} removed", field_label(field))
        }
        MemberEvent::MemberDetailsChanged { field, value } => format!("{} changed to {value}", field_label(field)),
        MemberEvent::MemberArchived {} => "Archived".into(),
        MemberEvent::MemberRestored {} => "Restored".into(),
        MemberEvent::MemberCheckedIn { .. } => "Checked in".into(),
        MemberEvent::MemberEntryOverridden { denied, reason, rules, .. } => {
            format!("Let in by override although {}: {reason}", denial(&denied, &rules))
        }
        MemberEvent::MemberCheckInBackdated { at_ms, reason, .. } => {
            format!("Check-in at {} recorded afterwards: {reason}", time_of(at_ms))
        }
        MemberEvent::MemberCheckInVoided { at_ms, reason } => {
            format!("Check-in at {} voided: {reason}", time_of(at_ms))
        }
        MemberEvent::MemberBlocked { reason } => format!("Blocked from entering: {reason}"),
        MemberEvent::MemberUnblocked {} => "Unblocked: may enter again".into(),
        MemberEvent::MembershipSold { terms, start, renews, .. } => sold(&terms, start, renews.is_some()),
        MemberEvent::PaymentRecorded { amount_cents, method, .. } => {
            format!("Payment of {} recorded ({})", money(amount_cents), method.label())
        }
        MemberEvent::MembershipFrozen { from, until, .. } => {
            let days = from.days_until(until) + 1;
            format!(
                "Membership frozen {} – {} ({days} {}): it ends {days} {} later",
                date(from),
                date(until),
                plural(days, "day", "days"),
                plural(days, "day", "days")
            )
        }
        MemberEvent::MembershipUnfrozen { on, .. } => format!("Membership unfrozen on {}", date(on)),
        MemberEvent::MembershipCancelled { from, reason, .. } => {
            format!("Membership cancelled from {}: {reason}", date(from))
        }
        MemberEvent::MemberCheckInNotCounted { at_ms, reason } => not_counted(at_ms, reason),
        MemberEvent::MemberChangeRepeated { change: Repeated::Archived } => {
            "Archived here too (another desk had already archived this member)".into()
        }
        MemberEvent::MemberChangeRepeated { change: Repeated::Restored } => {
            "Restored here too (another desk had already restored this member)".into()
        }
        MemberEvent::MemberChangeRepeated { change: Repeated::Detail { field, value } } => format!(
            "{} changed to {} here too (another desk had made the same change)",
            field_label(field),
            shown(&value)
        ),
        MemberEvent::MemberDetailsMerged { field, value, overwritten } => format!(
            "{} changed to {} (merged: another desk had changed it to {} at the same time; this change is the later one)",
            field_label(field),
            shown(&value),
            shown(&overwritten)
        ),
        MemberEvent::MemberDetailsOverwritten { field, value, kept } => format!(
            "{} also changed to {} — overwritten by another desk's later change to {}",
            field_label(field),
            shown(&value),
            shown(&kept)
        ),
        MemberEvent::ClassVisitUsed { class: c, charge, .. } => format!("Card visit used by {}{}", class(c), charged(charge)),
        MemberEvent::ClassVisitReturned { class: c, reason, .. } => {
            format!("Card visit of {} given back: {reason}", class(c))
        }
        MemberEvent::ClassVisitNotCounted { class: c, reason: VisitNotCounted::NoVisitsLeft, .. } => format!(
            "Card visit for {} not counted: the card had no visit left once the desks' changes met (settle it with the member)",
            class(c)
        ),
        MemberEvent::ClassVisitNotCounted { class: c, reason: VisitNotCounted::NotInClass, .. } => format!(
            "Card visit for {} not used: once the desks' changes met, the class did not record this member's attendance, late cancel or no-show (see the class's page)",
            class(c)
        ),
        MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class: c } } => format!(
            "Card visit for {} already counted by another desk: it is used once",
            class(c)
        ),
    }
}

/// " — late cancel", " — no-show", or nothing for attendance.
fn charged(charge: Option<ChargeKind>) -> String {
    charge.map(|c| format!(" — {}", c.label())).unwrap_or_default()
}

/// "Anna (the membership is frozen until 10 Mar 2026), Ben (no membership)": members passed over
/// or released, each with why.
fn each_and_why(skips: &[Skip], names: &dyn Names) -> String {
    let each: Vec<String> = skips
        .iter()
        .map(|s| {
            let who = names.member(s.member).unwrap_or_else(|| "a member".into());
            format!("{who} ({})", denial(&s.denial, &EntryRules::default()))
        })
        .collect();
    each.join(", ")
}

/// A class event in its context: `label` names the class ("Yoga (Tue 3 Mar 18:00)"), `before`
/// and `after` are the class around the event (who moved up into a freed spot, what a waived
/// charge was); alone, both are empty and the sentence says less.
fn class_told(event: &ClassEvent, label: &str, before: &Class, after: &Class, names: &dyn Names) -> String {
    let who = |id: Uuid| names.member(id).unwrap_or_else(|| "a member".into());
    let moved_up = || {
        let up: Vec<String> = after
            .bookings
            .iter()
            .filter(|b| before.booking(b.member).is_none() && before.waiting(b.member).is_some())
            .map(|b| who(b.member))
            .collect();
        match up.len() {
            0 => String::new(),
            1 => format!("; {} moved up from the waitlist", up[0]),
            _ => format!("; {} moved up from the waitlist", up.join(", ")),
        }
    };
    let passed_over = |skipped: &[Skip]| {
        if skipped.is_empty() {
            return String::new();
        }
        format!("; passed over on the waitlist: {}", each_and_why(skipped, names))
    };
    let places = |d: &shared::class::ClassDetails| {
        let room = if d.room.is_empty() { String::new() } else { format!(", {}", d.room) };
        let places = if d.capacity == 1 { "1 place".to_owned() } else { format!("{} places", d.capacity) };
        format!("{} min, {places}{room}", d.duration_min)
    };
    match event {
        ClassEvent::ClassScheduled { details, .. } => {
            format!("{} scheduled: {}", class_label(details), places(details))
        }
        ClassEvent::ClassRescheduled { details, skipped, released, .. } => {
            let released = if released.is_empty() {
                String::new()
            } else {
                format!("; booking released, cannot attend on the new day: {}", each_and_why(released, names))
            };
            // Said from the class as it was: a move names both times, any other change the class.
            let what = match &before.details {
                Some(was) if (was.day, was.start_ms) != (details.day, details.start_ms) => {
                    format!("{label} moved to {} {}", day_label(details.day), clock_of(details.start_ms))
                }
                Some(_) => format!("{label} changed"),
                None => format!("Rescheduled to {}", class_label(details)),
            };
            let renamed = match &before.details {
                Some(was) if was.title != details.title => format!(", now called {}", details.title),
                _ => String::new(),
            };
            format!("{what}{renamed}: {}{released}{}{}", places(details), moved_up(), passed_over(skipped))
        }
        ClassEvent::ClassCancelled { reason, .. } => format!("{label} cancelled: {reason}"),
        ClassEvent::ClassBooked { member, override_reason, over_capacity, .. } => {
            let mut s = format!("{} booked for {label}", sentence_case(&who(*member)));
            if let Some(r) = override_reason {
                s += &format!(" without a valid membership (override: {r})");
            }
            if let Some(r) = over_capacity {
                s += &format!(" beyond the capacity ({r})");
            }
            s
        }
        ClassEvent::ClassWaitlisted { member, override_reason, .. } => {
            let mut s = format!("{} put on the waitlist for {label}: the class was full", sentence_case(&who(*member)));
            if let Some(r) = override_reason {
                s += &format!(" (booked without a valid membership, override: {r})");
            }
            s
        }
        ClassEvent::BookingCancelled { member, late, skipped, .. } => format!(
            "Booking of {} for {label} cancelled{}{}{}",
            who(*member),
            if *late { " — late cancel" } else { "" },
            moved_up(),
            passed_over(skipped)
        ),
        ClassEvent::WaitlistLeft { member, .. } => {
            format!("{} left the waitlist for {label}", sentence_case(&who(*member)))
        }
        ClassEvent::WaitlistPromoted { member, over_capacity, .. } => {
            let mut s = format!("{} moved up from the waitlist for {label} by staff", sentence_case(&who(*member)));
            if let Some(r) = over_capacity {
                s += &format!(", beyond the capacity ({r})");
            }
            s
        }
        ClassEvent::AttendanceMarked { member, attended: true, .. } => {
            format!("{} attended {label}", sentence_case(&who(*member)))
        }
        ClassEvent::AttendanceMarked { member, attended: false, .. } => {
            format!("{} marked as not attended at {label}", sentence_case(&who(*member)))
        }
        ClassEvent::AttendanceSubmitted { no_shows, .. } => match no_shows.len() {
            0 => format!("Attendance of {label} submitted: no no-shows"),
            n => format!(
                "Attendance of {label} submitted: {n} {}: {}",
                if n == 1 { "no-show" } else { "no-shows" },
                no_shows.iter().map(|m| who(*m)).collect::<Vec<_>>().join(", ")
            ),
        },
        ClassEvent::ChargeWaived { member, reason, .. } => {
            let kind =
                before.charges.iter().find(|c| c.member == *member && c.waived.is_none()).map_or("Charge", |c| match c
                    .kind
                {
                    ChargeKind::LateCancel => "Late cancel",
                    ChargeKind::NoShow => "No-show",
                });
            format!("{kind} of {} for {label} waived: {reason}", who(*member))
        }
        ClassEvent::BookingRefused { member, reason: Refused::NotPromoted, .. } => format!(
            "Moving {} up from the waitlist of {label} did not stand: {}",
            who(*member),
            booking_refused(&Refused::NotPromoted)
        ),
        ClassEvent::BookingRefused { member, reason, .. } => {
            format!("Booking of {} for {label} refused: {}", who(*member), booking_refused(reason))
        }
        // Made in time on this desk, but another desk's late cancel reached the server first: the
        // charge is flagged for a manager, and the sentence says so rather than "already done".
        ClassEvent::ClassChangeRepeated { member: Some(m), change: RepeatedChange::BookingCancelled, at_ms }
            if !before.late_at(*at_ms)
                && before.charges.iter().any(|c| {
                    c.member == *m && c.kind == ChargeKind::LateCancel && c.waived.is_none() && c.at_ms > *at_ms
                }) =>
        {
            format!(
                "Booking of {} for {label} cancelled here in time, at {}, but another desk's late cancel reached \
                 the server first: a manager may waive the late cancel",
                who(*m),
                clock_of(*at_ms)
            )
        }
        ClassEvent::ClassChangeRepeated { member, change, .. } => match member {
            Some(m) => {
                format!("{} for {} here too (another desk had already done it)", sentence_case(change.words()), who(*m))
            }
            None => format!("{} here too (another desk had already done it)", sentence_case(change.words())),
        },
    }
}

/// "Sold Ten visits (10 visits within 6 months, 90.00), starting on the first visit".
fn sold(terms: &shared::club::PlanTerms, start: Start, renewal: bool) -> String {
    let start = match start {
        Start::On(d) => format!("from {}", date(d)),
        Start::FirstVisit => "starting on the first visit".to_owned(),
    };
    format!(
        "{} {} ({}, {}), {start}",
        if renewal { "Renewed as" } else { "Sold" },
        terms.name,
        terms.describe(),
        money(terms.price_cents)
    )
}

/// A check-in the server recorded as not counting, and why (the member was let in: staff settle
/// it with them).
fn not_counted(at_ms: u64, reason: NotCounted) -> String {
    match reason {
        NotCounted::Duplicate { of_ms } => {
            let (at, of) = two_times(at_ms, of_ms);
            format!("Check-in at {at} recorded as a duplicate of the same visit: another desk's check-in at {of} reached the server first")
        }
        NotCounted::BeforeHistory => {
            format!("Check-in at {} not counted: it is older than this member's latest check-ins", time_of(at_ms))
        }
        NotCounted::Refused { denial: refused, on, grace_days, .. } => {
            let at = time_of(at_ms);
            match refused {
                Denial::NoVisitsLeft => format!(
                    "Check-in at {at} not counted: another desk used the card's last visit first (the member was let in; settle the visit with them)"
                ),
                Denial::Frozen { until } => format!(
                    "Check-in at {at} not counted: another desk had frozen the membership (until {}) meanwhile",
                    date(until)
                ),
                Denial::Cancelled => {
                    format!("Check-in at {at} not counted: another desk had cancelled the membership meanwhile")
                }
                Denial::Blocked => format!("Check-in at {at} not counted: another desk had blocked this member meanwhile"),
                other => format!(
                    "Check-in at {at} not counted: with the other desks' changes, entry on {} was denied ({})",
                    date(on),
                    denial(&other, &EntryRules { grace_days, ..EntryRules::default() })
                ),
            }
        }
    }
}

/// A newer app version's event, or damaged data: said rather than hidden.
fn unknown(envelope: &EventEnvelope) -> String {
    format!("{} (cannot be shown by this version of the app)", envelope.event_type)
}

fn plural(n: i32, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn shown(value: &str) -> &str {
    if value.is_empty() {
        "nothing"
    } else {
        value
    }
}

fn field_label(field: MemberField) -> &'static str {
    match field {
        MemberField::Name => "Name",
        MemberField::Email => "Email",
        MemberField::Phone => "Phone",
    }
}

/// A stream's events told with their context: the state before and after each (folded along, in
/// the store's fold order), and what later events did to them.
#[derive(Debug, Default)]
pub struct Story {
    told: HashMap<Uuid, String>,
    voided: HashMap<Uuid, Voided>,
}

impl Story {
    /// Tells `envelopes`, the stream's events that count, in fold order (confirmed by version,
    /// then pending).
    pub fn of(envelopes: &[EventEnvelope], names: &dyn Names) -> Story {
        let mut story = Story::default();
        match envelopes.first().map(|e| e.stream.kind) {
            Some(StreamKind::Member) => {}
            Some(StreamKind::Class) => return Story::of_class(envelopes, names),
            _ => return story,
        }
        let mut member = Member::default();
        // Each counted visit by its time: the event a void later names.
        let mut visits: HashMap<u64, Uuid> = HashMap::new();
        for envelope in envelopes {
            let Ok(event) = envelope.decode::<MemberEvent>() else { continue };
            let membership = |member: &Member, id: Uuid| member.membership(id).cloned();
            // Before: what a check-in used.
            let before = match &event {
                MemberEvent::MemberCheckedIn { membership: id, .. }
                | MemberEvent::MemberCheckInBackdated { membership: id, .. } => membership(&member, *id),
                _ => None,
            };
            member.evolve(&event, &EventMeta::of(envelope));
            let after = |id: Uuid| membership(&member, id);
            let told = match &event {
                MemberEvent::MemberCheckedIn { at_ms, membership: id, .. } => {
                    visits.insert(*at_ms, envelope.id);
                    after(*id).or(before).map(|m| format!("Checked in — {}", visit_of(&m)))
                }
                MemberEvent::MemberCheckInBackdated { at_ms, membership: id, reason, .. } => {
                    visits.insert(*at_ms, envelope.id);
                    after(*id).map(|m| {
                        format!("Check-in at {} recorded afterwards — {}: {reason}", time_of(*at_ms), visit_of(&m))
                    })
                }
                MemberEvent::MemberEntryOverridden { at_ms, .. } => {
                    visits.insert(*at_ms, envelope.id);
                    None
                }
                MemberEvent::MemberCheckInVoided { at_ms, reason } => {
                    if let Some(id) = visits.get(at_ms) {
                        story.voided.insert(
                            *id,
                            Voided { reason: reason.clone(), staff: envelope.staff, at_ms: envelope.hlc.ms },
                        );
                    }
                    None
                }
                MemberEvent::PaymentRecorded { membership: id, amount_cents, method, .. } => after(*id).map(|m| {
                    let owed = m.outstanding_cents();
                    let left =
                        if owed == 0 { "paid in full".to_owned() } else { format!("{} outstanding", money(owed)) };
                    format!(
                        "Payment of {} for {} recorded ({}): {left}",
                        money(*amount_cents),
                        m.terms.name,
                        method.label()
                    )
                }),
                MemberEvent::MembershipFrozen { membership: id, from, until, .. } => after(*id).map(|m| {
                    let days = from.days_until(*until) + 1;
                    format!(
                        "{} frozen {} – {} ({days} {}): now ends {}",
                        m.terms.name,
                        date(*from),
                        date(*until),
                        plural(days, "day", "days"),
                        ends(&m)
                    )
                }),
                MemberEvent::MembershipUnfrozen { membership: id, on } => {
                    after(*id).map(|m| format!("{} unfrozen on {}: now ends {}", m.terms.name, date(*on), ends(&m)))
                }
                MemberEvent::MembershipCancelled { membership: id, from, reason, .. } => {
                    after(*id).map(|m| format!("{} cancelled from {}: {reason}", m.terms.name, date(*from)))
                }
                MemberEvent::ClassVisitUsed { class, membership: id, charge, .. } => after(*id).map(|m| {
                    let class = names.class(*class).unwrap_or_else(|| "a class".into());
                    format!("Card visit used by {class}{} — {}", charged(*charge), visit_of(&m))
                }),
                _ => None,
            };
            if let Some(told) = told {
                story.told.insert(envelope.id, told);
            }
        }
        story
    }

    /// A class's events, each told with the class as it stood then (its title and time, who moved
    /// up into a spot it freed).
    fn of_class(envelopes: &[EventEnvelope], names: &dyn Names) -> Story {
        let mut story = Story::default();
        let mut class = Class::default();
        for envelope in envelopes {
            let Ok(event) = envelope.decode::<ClassEvent>() else { continue };
            let before = class.clone();
            class.evolve(&event, &EventMeta::of(envelope));
            let label = before.details.as_ref().or(class.details.as_ref()).map(class_label).unwrap_or_default();
            story.told.insert(envelope.id, class_told(&event, &label, &before, &class, names));
        }
        story
    }

    /// What the event says in its context, if more than [`describe`] can say of it alone.
    pub fn told(&self, event: Uuid) -> Option<&String> {
        self.told.get(&event)
    }

    /// Why and by whom a check-in was voided later, if it was.
    pub fn voided(&self, event: Uuid) -> Option<Voided> {
        self.voided.get(&event).cloned()
    }
}

/// "Ten visits, visit 3 of 10", "Monthly".
fn visit_of(m: &Membership) -> String {
    match m.terms.visits.count() {
        Some(n) => format!("{}, visit {} of {n}", m.terms.name, m.visits_used.min(n)),
        None => m.terms.name.clone(),
    }
}

fn ends(m: &Membership) -> String {
    m.end().map(date).unwrap_or_else(|| "when its validity runs out".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{
        access::StaffId,
        aggregate::DomainEvent,
        calendar::Date,
        club::{Length, PlanTerms, Visits},
        member::{PaymentMethod, Start},
        Hlc, StreamId,
    };
    use wasm_bindgen_test::wasm_bindgen_test;

    const MEMBERSHIP: Uuid = Uuid::from_u128(0xa1);
    const MANAGER: StaffId = StaffId(Uuid::from_u128(0x5));

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// Noon (UTC) of `day`.
    fn noon(day: &str) -> u64 {
        d(day).days_since_epoch() as u64 * 86_400_000 + 43_200_000
    }

    /// `events` as one member's stream, in order, each made at noon of its day.
    fn stream(events: &[(&str, MemberEvent)]) -> Vec<EventEnvelope> {
        let member = StreamId::member(Uuid::from_u128(0x1));
        events
            .iter()
            .enumerate()
            .map(|(i, (day, e))| EventEnvelope {
                id: Uuid::from_u128(0x100 + i as u128),
                stream: member,
                version: i as u64 + 1,
                event_type: e.event_type().to_owned(),
                schema_version: e.schema_version(),
                data: e.encode(),
                hlc: Hlc { ms: noon(day) + i as u64, c: 0 },
                device: DeviceId::new("desk-1").unwrap(),
                staff: Some(MANAGER),
                position: None,
            })
            .collect()
    }

    fn monthly() -> PlanTerms {
        PlanTerms { name: "Monthly".into(), length: Length::Months(1), visits: Visits::Unlimited, price_cents: 4_900 }
    }

    fn sold(on: &str) -> MemberEvent {
        MemberEvent::MembershipSold {
            membership: MEMBERSHIP,
            plan: Uuid::from_u128(0xb1),
            terms: monthly(),
            start: Start::On(d(on)),
            on: d(on),
            renews: None,
        }
    }

    #[wasm_bindgen_test]
    fn a_freeze_is_told_with_the_end_date_it_moved_the_membership_to() {
        let events = stream(&[
            ("2026-03-02", MemberEvent::MemberRegistered { name: "Ann".into(), email: "".into(), phone: "".into() }),
            ("2026-03-02", sold("2026-03-02")),
            (
                "2026-03-05",
                MemberEvent::MembershipFrozen {
                    membership: MEMBERSHIP,
                    from: d("2026-03-10"),
                    until: d("2026-03-16"),
                    on: d("2026-03-05"),
                },
            ),
            (
                "2026-03-06",
                MemberEvent::PaymentRecorded {
                    membership: MEMBERSHIP,
                    amount_cents: 2_000,
                    method: PaymentMethod::Card,
                    on: d("2026-03-06"),
                },
            ),
        ]);
        let story = Story::of(&events, &NoNames);
        assert_eq!(
            story.told(events[2].id).map(String::as_str),
            Some("Monthly frozen 10 Mar 2026 – 16 Mar 2026 (7 days): now ends 8 Apr 2026")
        );
        assert_eq!(
            story.told(events[3].id).map(String::as_str),
            Some("Payment of 20.00 for Monthly recorded (card): 29.00 outstanding")
        );
        // Alone, the freeze says what it did without the membership's end.
        assert_eq!(
            describe(&events[2], &NoNames),
            "Membership frozen 10 Mar 2026 – 16 Mar 2026 (7 days): it ends 7 days later"
        );
    }

    #[wasm_bindgen_test]
    fn a_voided_check_in_is_known_by_the_void_with_who_and_why() {
        let at = noon("2026-03-03");
        let events = stream(&[
            ("2026-03-02", MemberEvent::MemberRegistered { name: "Ann".into(), email: "".into(), phone: "".into() }),
            ("2026-03-02", sold("2026-03-02")),
            (
                "2026-03-03",
                MemberEvent::MemberCheckedIn {
                    at_ms: at,
                    on: d("2026-03-03"),
                    membership: MEMBERSHIP,
                    rules: EntryRules::default(),
                },
            ),
            ("2026-03-03", MemberEvent::MemberCheckInVoided { at_ms: at, reason: "Wrong member".into() }),
        ]);
        let story = Story::of(&events, &NoNames);
        let voided = story.voided(events[2].id).expect("the check-in was voided");
        assert_eq!((voided.reason.as_str(), voided.staff), ("Wrong member", Some(MANAGER)));
        assert_eq!(story.voided(events[3].id), None, "the void itself is not voided");
        assert_eq!(story.told(events[2].id).map(String::as_str), Some("Checked in — Monthly"));
    }

    const ANNA: Uuid = Uuid::from_u128(0xa77a);
    const BEN: Uuid = Uuid::from_u128(0xbe2);

    /// This device's names: Anna and Ben, and the class of [`class_stream`].
    struct Known;

    impl Names for Known {
        fn member(&self, id: Uuid) -> Option<String> {
            [(ANNA, "Anna"), (BEN, "Ben")].into_iter().find(|(m, _)| *m == id).map(|(_, n)| n.to_owned())
        }
        fn class(&self, _: Uuid) -> Option<String> {
            Some("Yoga (Tue 3 Mar 18:00)".into())
        }
    }

    /// `events` as one class's stream, in order, decided by `desk-1`.
    fn class_stream(events: &[ClassEvent]) -> Vec<EventEnvelope> {
        let class = shared::class::stream(Uuid::from_u128(0xc1a5));
        events
            .iter()
            .enumerate()
            .map(|(i, e)| EventEnvelope {
                id: Uuid::from_u128(0x200 + i as u128),
                stream: class,
                version: i as u64 + 1,
                event_type: e.event_type().to_owned(),
                schema_version: e.schema_version(),
                data: e.encode(),
                hlc: Hlc { ms: noon("2026-03-02") + i as u64, c: 0 },
                device: DeviceId::new("desk-1").unwrap(),
                staff: Some(MANAGER),
                position: None,
            })
            .collect()
    }

    fn yoga(capacity: u32) -> ClassEvent {
        ClassEvent::ClassScheduled {
            details: shared::class::ClassDetails {
                title: "Yoga".into(),
                coach: MANAGER,
                start_ms: noon("2026-03-03") + 6 * 3_600_000,
                day: d("2026-03-03"),
                duration_min: 60,
                capacity,
                room: "Studio 1".into(),
            },
            cutoffs: Default::default(),
        }
    }

    fn booked(member: Uuid) -> ClassEvent {
        ClassEvent::ClassBooked {
            member,
            membership: Some(MEMBERSHIP),
            at_ms: noon("2026-03-02"),
            override_reason: None,
            over_capacity: None,
        }
    }

    fn waitlisted(member: Uuid) -> ClassEvent {
        ClassEvent::ClassWaitlisted {
            member,
            membership: Some(MEMBERSHIP),
            at_ms: noon("2026-03-02"),
            override_reason: None,
        }
    }

    #[wasm_bindgen_test]
    fn a_booking_the_server_moved_to_the_waitlist_says_why_on_the_desk_that_made_it() {
        let events = class_stream(&[yoga(1), waitlisted(ANNA)]);
        let desk = DeviceId::new("desk-1").unwrap();
        assert_eq!(
            describe_corrected(&events[1], &desk, &Known),
            "Booking of Anna for Yoga (Tue 3 Mar 18:00) moved to the waitlist: the last spot was taken by another desk first"
        );
        assert_eq!(about(&events[1]), Some(ANNA));
        let refused = class_stream(&[
            yoga(1),
            ClassEvent::BookingRefused {
                member: BEN,
                at_ms: 0,
                reason: Refused::Denied { denial: Denial::NoVisitsLeft },
            },
        ]);
        assert_eq!(
            describe_corrected(&refused[1], &desk, &Known),
            "Booking of Ben for Yoga (Tue 3 Mar 18:00) refused: cannot attend: no visits left on the card"
        );
    }

    #[wasm_bindgen_test]
    fn a_cancelled_booking_is_told_with_who_moved_up_into_the_spot() {
        let events = class_stream(&[
            yoga(1),
            booked(ANNA),
            waitlisted(BEN),
            ClassEvent::BookingCancelled { member: ANNA, at_ms: noon("2026-03-02"), late: false, skipped: vec![] },
            ClassEvent::ClassCancelled { reason: "Coach ill".into(), at_ms: noon("2026-03-02") },
        ]);
        let story = Story::of(&events, &Known);
        assert_eq!(
            story.told(events[3].id).map(String::as_str),
            Some("Booking of Anna for Yoga (Tue 3 Mar 18:00) cancelled; Ben moved up from the waitlist")
        );
        assert_eq!(story.told(events[4].id).map(String::as_str), Some("Yoga (Tue 3 Mar 18:00) cancelled: Coach ill"));
        assert_eq!(
            story.told(events[2].id).map(String::as_str),
            Some("Ben put on the waitlist for Yoga (Tue 3 Mar 18:00): the class was full")
        );
    }

    #[wasm_bindgen_test]
    fn a_move_the_server_released_other_bookings_for_tells_the_manager_whose() {
        let ClassEvent::ClassScheduled { details, .. } = yoga(1) else { unreachable!() };
        let wednesday =
            shared::class::ClassDetails { start_ms: details.start_ms + 86_400_000, day: d("2026-03-04"), ..details };
        let moved = |released: Vec<shared::class::Skip>| {
            class_stream(&[ClassEvent::ClassRescheduled {
                details: wednesday.clone(),
                at_ms: noon("2026-03-02"),
                skipped: vec![],
                released,
            }])
            .remove(0)
        };
        let desk = DeviceId::new("desk-1").unwrap();
        let frozen = shared::class::Skip { member: ANNA, denial: Denial::Frozen { until: d("2026-03-10") } };
        assert_eq!(
            describe_corrected(&moved(vec![frozen]), &desk, &Known),
            "Yoga moved to Wed 4 Mar 18:00: by the members' records the server holds, the bookings released are \
             those of Anna (the membership is frozen until 10 Mar 2026)"
        );
        assert_eq!(
            describe_corrected(&moved(vec![]), &desk, &Known),
            "Yoga moved to Wed 4 Mar 18:00: by the members' records the server holds, no booking was released: \
             every booked member can attend then"
        );
    }

    #[wasm_bindgen_test]
    fn a_cancellation_made_in_time_but_stored_after_another_desks_late_cancel_says_a_manager_may_waive_it() {
        let start = noon("2026-03-03") + 6 * 3_600_000;
        let events = class_stream(&[
            yoga(1),
            booked(ANNA),
            ClassEvent::BookingCancelled { member: ANNA, at_ms: start - 3_600_000, late: true, skipped: vec![] },
            ClassEvent::ClassChangeRepeated {
                member: Some(ANNA),
                at_ms: start - 16 * 3_600_000,
                change: RepeatedChange::BookingCancelled,
            },
            ClassEvent::ClassChangeRepeated {
                member: Some(ANNA),
                at_ms: start - 1_800_000,
                change: RepeatedChange::BookingCancelled,
            },
        ]);
        let story = Story::of(&events, &Known);
        assert_eq!(
            story.told(events[3].id).map(String::as_str),
            Some(
                "Booking of Anna for Yoga (Tue 3 Mar 18:00) cancelled here in time, at 02:00, but another desk's late \
                 cancel reached the server first: a manager may waive the late cancel"
            )
        );
        assert_eq!(
            story.told(events[4].id).map(String::as_str),
            Some("Booking cancelled for Anna here too (another desk had already done it)"),
            "a late repeat of a late cancel changes nothing"
        );
    }

    #[wasm_bindgen_test]
    fn a_class_moved_to_another_day_names_the_members_whose_bookings_it_released_and_why() {
        let ClassEvent::ClassScheduled { details, .. } = yoga(1) else { unreachable!() };
        let wednesday =
            shared::class::ClassDetails { start_ms: details.start_ms + 86_400_000, day: d("2026-03-04"), ..details };
        let renamed = shared::class::ClassDetails { capacity: 2, title: "Hatha yoga".into(), ..wednesday.clone() };
        let events = class_stream(&[
            yoga(1),
            booked(ANNA),
            waitlisted(BEN),
            ClassEvent::ClassRescheduled {
                details: wednesday,
                at_ms: noon("2026-03-02"),
                skipped: vec![],
                released: vec![shared::class::Skip { member: ANNA, denial: Denial::Frozen { until: d("2026-03-10") } }],
            },
            ClassEvent::ClassRescheduled {
                details: renamed,
                at_ms: noon("2026-03-02"),
                skipped: vec![],
                released: vec![],
            },
        ]);
        let story = Story::of(&events, &Known);
        assert_eq!(
            story.told(events[3].id).map(String::as_str),
            Some(
                "Yoga (Tue 3 Mar 18:00) moved to Wed 4 Mar 18:00: 60 min, 1 place, Studio 1; booking released, cannot \
                 attend on the new day: Anna (the membership is frozen until 10 Mar 2026); Ben moved up from the \
                 waitlist"
            )
        );
        assert_eq!(
            story.told(events[4].id).map(String::as_str),
            Some("Yoga (Wed 4 Mar 18:00) changed, now called Hatha yoga: 60 min, 2 places, Studio 1"),
            "a change within the day is no move"
        );
    }

    #[wasm_bindgen_test]
    fn a_card_visit_a_class_used_names_the_class() {
        for (reason, said) in [
            (VisitNotCounted::NoVisitsLeft, "Card visit for Yoga (Tue 3 Mar 18:00) not counted"),
            (
                VisitNotCounted::NotInClass,
                "Card visit for Yoga (Tue 3 Mar 18:00) not used: once the desks' changes met, the class did not record",
            ),
        ] {
            let on = d("2026-03-03");
            let not_counted = MemberEvent::ClassVisitNotCounted {
                class: Uuid::from_u128(0xc1a5),
                membership: MEMBERSHIP,
                on,
                reason,
            };
            let events = stream(&[("2026-03-03", not_counted)]);
            assert!(describe(&events[0], &Known).starts_with(said), "{reason:?}");
        }
    }

    #[wasm_bindgen_test]
    fn a_check_in_refused_once_the_desks_met_says_what_happened() {
        let refused =
            |denial| NotCounted::Refused { denial, on: d("2026-03-03"), membership: MEMBERSHIP, grace_days: 14 };
        let said = |denial| not_counted(noon("2026-03-03"), refused(denial));
        assert!(said(Denial::NoVisitsLeft).contains("another desk used the card's last visit first"));
        assert!(said(Denial::Frozen { until: d("2026-03-09") }).contains("frozen the membership (until 9 Mar 2026)"));
        assert!(said(Denial::Cancelled).contains("cancelled the membership"));
        assert!(said(Denial::Expired { ended: Some(d("2026-03-01")) }).contains("entry on 3 Mar 2026 was denied"));
    }
}
