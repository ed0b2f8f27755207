//! Errors turned into sentences for staff, in one place: the runtime hands pages typed errors, and
//! only here do they become words.

use crate::{
    account::SignInError,
    client::{ClientError, StoreError},
    format,
};
use shared::{
    member::{DetailsError, MemberError, MemberField, CHECK_IN_WINDOW_MS},
    RuleError,
};

/// What to tell staff when a command was not carried out.
pub fn refusal(error: &ClientError) -> String {
    match error {
        ClientError::Rule(rule) => rule_broken(rule),
        ClientError::Store(store) => store_failed(store),
        ClientError::ClockOff(off) => {
            format!("Nothing was saved: {off}. Set its date and time right, then try again.")
        }
        ClientError::NotInInbox => "This entry was already settled (perhaps in another tab).".into(),
        ClientError::Forbidden(forbidden) => format!("{}.", capitalise(&forbidden.to_string())),
        ClientError::SignedOut => {
            "Nothing was saved: nobody is signed in on this device. Sign in, then try again.".into()
        }
    }
}

/// A rule of an aggregate refused a command: each aggregate's errors in their own words.
pub fn rule_broken(error: &RuleError) -> String {
    match error {
        RuleError::Member(e) => member_rule(e),
    }
}

fn member_rule(error: &MemberError) -> String {
    match error {
        MemberError::NothingChanged => "Nothing to save: the details are as they were.".into(),
        MemberError::NotRegistered => "This member is not on this device.".into(),
        // Every bad value at once; forms show each beside its own field instead.
        MemberError::InvalidDetails(errors) => {
            errors.iter().map(|e| format!("{}.", details(e))).collect::<Vec<_>>().join(" ")
        }
        // In clock times, as the desk reads them, and the true wait (the other check-in may have
        // been stamped a little ahead by another desk's clock).
        MemberError::CheckInTooSoon { last_ms, .. } => format!(
            "Already checked in at {} — possible again at {}.",
            format::time_of(*last_ms),
            format::time_of(last_ms + CHECK_IN_WINDOW_MS)
        ),
        // The domain's own words are already written for people.
        other => capitalise(&other.to_string()),
    }
}

pub fn store_failed(error: &StoreError) -> String {
    format!("This device could not save it: {}", error.0)
}

/// Whether `error` only says that the check-in just made went through: a second tap on the
/// button, or a tap on a desk that received the first live, must not replace "Checked in" with a
/// refusal.
pub fn repeats_a_check_in(error: &ClientError) -> bool {
    /// A double tap, or two staff tapping for the same member at once; a later tap hears the rule.
    const REPEAT_MS: u64 = 5_000;
    matches!(error, ClientError::Rule(RuleError::Member(MemberError::CheckInTooSoon { last_ms, now_ms })) if now_ms.saturating_sub(*last_ms) < REPEAT_MS)
}

/// One bad value, as a sentence to show beside its field.
pub fn details(error: &DetailsError) -> String {
    capitalise(&error.to_string())
}

/// The rule errors of one form field, if the error is about fields at all.
pub fn field_errors(error: &ClientError) -> Option<&[DetailsError]> {
    match error {
        ClientError::Rule(RuleError::Member(MemberError::InvalidDetails(errors))) => Some(errors),
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

/// Why signing in did not work.
pub fn sign_in_failed(error: &SignInError) -> String {
    match error {
        SignInError::Refused(why) | SignInError::TooManyAttempts(why) | SignInError::Failed(why) => capitalise(why),
        SignInError::Offline => "You need a connection to sign in for the first time on this device.".into(),
        SignInError::OtherClub { device_club } => format!(
            "This device holds the data of {device_club}, and this account works in another club: a device never \
             mixes two clubs. Sign everyone out on this device first (that deletes its data), then sign in."
        ),
    }
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
