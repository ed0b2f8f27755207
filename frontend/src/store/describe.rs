//! Timeline sentences: what an event means to the staff reading a stream's history, per kind of
//! stream (a new aggregate's kind is a compile error in [`describe`] until it has its sentences).

use app::format::{time_of, two_times};
use shared::{
    member::{MemberEvent, MemberField, NotCounted, Repeated},
    DeviceId, EventEnvelope, StreamKind,
};

/// What an event says to the staff of `device` (the inbox, the timeline): a change of this desk
/// that did not stand is told from this desk's side.
pub fn describe_for(envelope: &EventEnvelope, device: &DeviceId) -> String {
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
        _ => describe(envelope),
    }
}

/// What an event says to anyone reading the stream's history.
pub fn describe(envelope: &EventEnvelope) -> String {
    match envelope.stream.kind {
        StreamKind::Member => describe_member(envelope),
    }
}

fn describe_member(envelope: &EventEnvelope) -> String {
    match envelope.decode::<MemberEvent>() {
        Ok(MemberEvent::MemberRegistered { name, .. }) => format!("Registered as {name}"),
        Ok(MemberEvent::MemberDetailsChanged { field, value }) if value.is_empty() => {
            format!("{} removed", field_label(field))
        }
        Ok(MemberEvent::MemberDetailsChanged { field, value }) => format!("{} changed to {value}", field_label(field)),
        Ok(MemberEvent::MemberArchived {}) => "Archived".into(),
        Ok(MemberEvent::MemberRestored {}) => "Restored".into(),
        Ok(MemberEvent::MemberCheckedIn { .. }) => "Checked in".into(),
        Ok(MemberEvent::MemberCheckInNotCounted { at_ms, reason: NotCounted::Duplicate { of_ms } }) => {
            let (at, of) = two_times(at_ms, of_ms);
            format!("Check-in at {at} recorded as a duplicate of the same visit: another desk's check-in at {of} reached the server first")
        }
        Ok(MemberEvent::MemberCheckInNotCounted { at_ms, reason: NotCounted::BeforeHistory }) => format!(
            "Check-in at {} not counted: it is older than this member's latest check-ins",
            time_of(at_ms)
        ),
        Ok(MemberEvent::MemberChangeRepeated { change: Repeated::Archived }) => {
            "Archived here too (another desk had already archived this member)".into()
        }
        Ok(MemberEvent::MemberChangeRepeated { change: Repeated::Restored }) => {
            "Restored here too (another desk had already restored this member)".into()
        }
        Ok(MemberEvent::MemberChangeRepeated { change: Repeated::Detail { field, value } }) => format!(
            "{} changed to {} here too (another desk had made the same change)",
            field_label(field),
            shown(&value)
        ),
        Ok(MemberEvent::MemberDetailsMerged { field, value, overwritten }) => format!(
            "{} changed to {} (merged: another desk had changed it to {} at the same time; this change is the later one)",
            field_label(field),
            shown(&value),
            shown(&overwritten)
        ),
        Ok(MemberEvent::MemberDetailsOverwritten { field, value, kept }) => format!(
            "{} also changed to {} — overwritten by another desk's later change to {}",
            field_label(field),
            shown(&value),
            shown(&kept)
        ),
        // A newer app version's event, or damaged data: say so rather than hide it.
        Err(_) => format!("{} (cannot be shown by this version of the app)", envelope.event_type),
    }
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
