//! Contact details and the rules for their values.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberField {
    Name,
    Email,
    Phone,
}

impl MemberField {
    pub const ALL: [MemberField; 3] = [MemberField::Name, MemberField::Email, MemberField::Phone];

    pub fn label(self) -> &'static str {
        match self {
            MemberField::Name => "name",
            MemberField::Email => "email",
            MemberField::Phone => "phone",
        }
    }

    /// Checks a value for this field; values are stored exactly as given (already trimmed by the caller).
    pub fn check(self, value: &str) -> Result<(), DetailsError> {
        if value.trim() != value {
            return Err(DetailsError::Untrimmed(self));
        }
        match self {
            MemberField::Name => check_name(value),
            MemberField::Email => check_email(value),
            MemberField::Phone => check_phone(value),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DetailsError {
    #[error("the name is required")]
    NameMissing,
    #[error("the name is longer than {MAX_NAME} characters")]
    NameTooLong,
    #[error("{0:?} is not an e-mail address")]
    EmailInvalid(String),
    #[error("{0:?} is not a phone number (5 to 32 digits, spaces, +, -, parentheses)")]
    PhoneInvalid(String),
    #[error("the {} has spaces around it", .0.label())]
    Untrimmed(MemberField),
}

const MAX_NAME: usize = 120;

fn check_name(v: &str) -> Result<(), DetailsError> {
    if v.is_empty() {
        Err(DetailsError::NameMissing)
    } else if v.chars().count() > MAX_NAME {
        Err(DetailsError::NameTooLong)
    } else {
        Ok(())
    }
}

/// Empty means "not given"; otherwise a plain local@domain.tld shape, not RFC 5322 in full.
fn check_email(v: &str) -> Result<(), DetailsError> {
    if v.is_empty() {
        return Ok(());
    }
    let ok = v.len() <= 254
        && !v.contains(char::is_whitespace)
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
        });
    if ok {
        Ok(())
    } else {
        Err(DetailsError::EmailInvalid(v.chars().take(60).collect()))
    }
}

/// Empty means "not given".
fn check_phone(v: &str) -> Result<(), DetailsError> {
    if v.is_empty() {
        return Ok(());
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let ok =
        v.len() <= 32 && (5..=20).contains(&digits) && v.chars().all(|c| c.is_ascii_digit() || " +-()./".contains(c));
    if ok {
        Ok(())
    } else {
        Err(DetailsError::PhoneInvalid(v.chars().take(40).collect()))
    }
}
