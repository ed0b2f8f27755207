//! Errors turned into sentences for staff, in one place: the runtime hands pages typed errors, and
//! only here do they become words.

use crate::client::{ClientError, StoreError};
use shared::member::{DetailsError, MemberError, MemberField};

/// What to tell staff when a command was not carried out.
pub fn refusal(error: &ClientError) -> String {
    match error {
        ClientError::Rule(rule) => rule_broken(rule),
        ClientError::Store(store) => store_failed(store),
    }
}

pub fn rule_broken(error: &MemberError) -> String {
    match error {
        MemberError::NothingChanged => "Nothing to save: the details are as they were.".into(),
        MemberError::NotRegistered => "This member is not on this device.".into(),
        // Every bad value at once; forms show each beside its own field instead.
        MemberError::InvalidDetails(errors) => {
            errors.iter().map(|e| format!("{}.", details(e))).collect::<Vec<_>>().join(" ")
        }
        // The domain's own words are already written for people ("already checked in 12 s ago; try again in 588 s").
        other => capitalise(&other.to_string()),
    }
}

pub fn store_failed(error: &StoreError) -> String {
    format!("This device could not save it: {}", error.0)
}

/// One bad value, as a sentence to show beside its field.
pub fn details(error: &DetailsError) -> String {
    capitalise(&error.to_string())
}

/// The rule errors of one form field, if the error is about fields at all.
pub fn field_errors(error: &ClientError) -> Option<&[DetailsError]> {
    match error {
        ClientError::Rule(MemberError::InvalidDetails(errors)) => Some(errors),
        _ => None,
    }
}

pub fn field_label(field: MemberField) -> &'static str {
    match field {
        MemberField::Name => "Name",
        MemberField::Email => "Email",
        MemberField::Phone => "Phone",
    }
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
