//! Errors turned into sentences for staff, in one place: the runtime hands pages typed errors, and
//! only here do they become words.

use crate::{
    account::SignInError,
    client::{ClientError, StoreError},
    format,
};
use shared::{
    calendar::Date,
    class::Refused,
    member::{Denial, DetailsError, EntryRules, MemberError, MemberField, Status, Warning},
    text::money,
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
        RuleError::Club(e) => format!("{}.", capitalise(&e.to_string())),
        RuleError::Class(e) => format!("{}.", capitalise(&e.to_string())),
    }
}

/// Why the server did not let a booking stand, in staff's words (no full stop).
pub fn booking_refused(refused: &Refused) -> String {
    match refused {
        Refused::Denied { denial: d } => format!("cannot attend: {}", denial(d, &EntryRules::default())),
        Refused::ClassCancelled => "the class had been cancelled meanwhile".into(),
        Refused::ClassStarted => "the class had started when it reached the server".into(),
        Refused::AlreadyBooked => "another desk had already booked or waitlisted this member".into(),
        Refused::NotPromoted => "no longer waiting, or no spot free".into(),
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
        MemberError::CheckInTooSoon { last_ms, window_ms, .. } => already_checked_in(*last_ms, *window_ms),
        MemberError::EntryDenied(d) => format!("Not let in: {}.", denial(d, &EntryRules::default())),
        // The domain's own words are already written for people.
        other => capitalise(&other.to_string()),
    }
}

pub fn store_failed(error: &StoreError) -> String {
    format!("This device could not save it: {}", error.0)
}

/// "Already checked in at 10:02 — possible again at 10:12.", in clock times as the desk reads
/// them (the true wait: the other check-in may carry a time a little ahead of this desk's clock).
pub fn already_checked_in(last_ms: u64, window_ms: u64) -> String {
    format!("{}.", capitalise(&checked_in_within(last_ms, window_ms)))
}

fn checked_in_within(last_ms: u64, window_ms: u64) -> String {
    format!(
        "already checked in at {} — possible again at {}",
        format::time_of(last_ms),
        format::time_of(last_ms + window_ms)
    )
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A club-local date as staff read it: "3 Dec 2026".
pub fn date(d: Date) -> String {
    let (y, m, day) = d.ymd();
    format!("{day} {} {y}", MONTHS[(m as usize + 11) % 12])
}

/// Why entry is denied, from the closed list, in staff's words (no full stop: the page adds what
/// follows). An earlier check-in within the window is said with its time and the time entry is
/// possible again.
pub fn denial(denial: &Denial, rules: &EntryRules) -> String {
    match *denial {
        Denial::NoMembership => "no membership".into(),
        Denial::NotStarted { starts: Some(d) } => format!("the membership has not started (starts {})", date(d)),
        Denial::NotStarted { starts: None } => "the membership has not started".into(),
        Denial::Expired { ended: Some(d) } => format!("the membership expired (ended {})", date(d)),
        Denial::Expired { ended: None } => "the membership expired".into(),
        Denial::Frozen { until } => format!("the membership is frozen until {}", date(until)),
        Denial::Cancelled => "the membership is cancelled".into(),
        Denial::NoVisitsLeft => "no visits left on the card".into(),
        Denial::Unpaid { owed_cents } => format!("unpaid beyond the grace period ({} owed)", money(owed_cents)),
        Denial::Blocked => "blocked by staff".into(),
        Denial::AlreadyCheckedIn { at_ms } => checked_in_within(at_ms, rules.window_ms),
    }
}

/// Why entry is allowed with a word of caution.
pub fn warning(warning: &Warning) -> String {
    match *warning {
        Warning::LastVisit => "this is the last visit on the card".into(),
        Warning::UnpaidWithinGrace { owed_cents, until } => {
            format!("{} unpaid — admitted until {}", money(owed_cents), date(until))
        }
        Warning::EndsSoon { on } => format!("the membership ends {}", date(on)),
        Warning::Activates => "the card starts with this visit".into(),
    }
}

/// A membership's status on a day and when it next changes ("active until 31 Mar 2026").
pub fn status(status: Status, next: Option<Date>) -> String {
    let day_before = |d: Date| date(d.add_days(-1));
    match (status, next) {
        (Status::Active, Some(next)) => format!("active until {}", day_before(next)),
        (Status::Frozen, Some(next)) => format!("frozen until {} (back on {})", day_before(next), date(next)),
        (Status::NotStarted, Some(next)) => format!("not started (from {})", date(next)),
        (Status::NoVisitsLeft, Some(next)) => format!("no visits left (ends {})", day_before(next)),
        (status, _) => status.label().into(),
    }
}

/// A double tap, or two staff tapping for the same member at once; a later tap hears the rule.
const REPEAT_MS: u64 = 5_000;

/// Whether `error` only says that the check-in just made went through: a second tap on the
/// button, or a tap on a desk that received the first live, must not replace "Checked in" with a
/// refusal.
pub fn repeats_a_check_in(error: &ClientError) -> bool {
    matches!(error, ClientError::Rule(RuleError::Member(MemberError::CheckInTooSoon { last_ms, now_ms, .. })) if now_ms.saturating_sub(*last_ms) < REPEAT_MS)
}

/// Whether a deny only says that the check-in just made went through (a double tap, see
/// [`repeats_a_check_in`]).
pub fn repeats_a_check_in_denial(denial: &Denial, now_ms: u64) -> bool {
    matches!(denial, Denial::AlreadyCheckedIn { at_ms } if now_ms.saturating_sub(*at_ms) < REPEAT_MS)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn dates_read_day_month_year() {
        assert_eq!(date(d("2026-12-03")), "3 Dec 2026");
        assert_eq!(date(d("2027-01-31")), "31 Jan 2027");
    }

    #[test]
    fn a_status_says_until_when_it_holds() {
        assert_eq!(status(Status::Active, Some(d("2026-04-01"))), "active until 31 Mar 2026");
        assert_eq!(status(Status::Frozen, Some(d("2026-03-10"))), "frozen until 9 Mar 2026 (back on 10 Mar 2026)");
        assert_eq!(status(Status::NotStarted, Some(d("2026-03-10"))), "not started (from 10 Mar 2026)");
        assert_eq!(status(Status::Expired, None), "expired");
        assert_eq!(status(Status::Cancelled, None), "cancelled");
    }

    #[test]
    fn every_denial_has_words_of_its_own() {
        let rules = EntryRules::default();
        let words = [
            Denial::NoMembership,
            Denial::NotStarted { starts: Some(d("2026-03-10")) },
            Denial::Expired { ended: Some(d("2026-03-10")) },
            Denial::Frozen { until: d("2026-03-10") },
            Denial::Cancelled,
            Denial::NoVisitsLeft,
            Denial::Unpaid { owed_cents: 4_990 },
            Denial::Blocked,
        ]
        .map(|x| denial(&x, &rules));
        assert_eq!(words[3], "the membership is frozen until 10 Mar 2026");
        assert_eq!(words[6], "unpaid beyond the grace period (49.90 owed)");
        let mut distinct = words.to_vec();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), words.len());
    }
}
