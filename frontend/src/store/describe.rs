//! Timeline sentences: what an event means to the staff reading a member's history.

use shared::{
    member::{MemberEvent, MemberField},
    EventEnvelope,
};

pub fn describe(envelope: &EventEnvelope) -> String {
    match envelope.decode::<MemberEvent>() {
        Ok(MemberEvent::MemberRegistered { name, .. }) => format!("Registered as {name}"),
        Ok(MemberEvent::MemberDetailsChanged { field, value }) if value.is_empty() => {
            format!("{} removed", field_label(field))
        }
        Ok(MemberEvent::MemberDetailsChanged { field, value }) => format!("{} changed to {value}", field_label(field)),
        Ok(MemberEvent::MemberArchived {}) => "Archived".into(),
        Ok(MemberEvent::MemberRestored {}) => "Restored".into(),
        Ok(MemberEvent::MemberCheckedIn { .. }) => "Checked in".into(),
        // A newer app version's event, or damaged data: say so rather than hide it.
        Err(_) => format!("{} (cannot be shown by this version of the app)", envelope.event_type),
    }
}

fn field_label(field: MemberField) -> &'static str {
    match field {
        MemberField::Name => "Name",
        MemberField::Email => "Email",
        MemberField::Phone => "Phone",
    }
}
