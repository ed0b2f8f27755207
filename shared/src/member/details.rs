//! Contact details and the rules for their values.

use crate::text;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

    /// The stored form of a value: [`text::normalise`]d (NFC, whitespace runs made one space, trimmed).
    pub fn normalise(self, value: &str) -> String {
        text::normalise(value)
    }

    /// Checks a normalised value for this field.
    pub fn check(self, value: &str) -> Result<(), DetailsError> {
        if let Some(c) = text::first_forbidden(value) {
            return Err(DetailsError::ForbiddenCharacter { field: self, code_point: text::code_point(c) });
        }
        match self {
            MemberField::Name => check_name(value),
            MemberField::Email => check_email(value),
            MemberField::Phone => check_phone(value),
        }
    }
}

/// What is wrong with one value. Every error names its field, so a form can show each one beside
/// the input it is about, all at once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DetailsError {
    #[error("the name is required")]
    NameMissing,
    #[error("the name is longer than {MAX_NAME} characters")]
    NameTooLong,
    #[error("a name needs at least one letter")]
    NameWithoutLetter,
    #[error("{0:?} is not an e-mail address")]
    EmailInvalid(String),
    #[error("{0:?} is not a phone number (5 to 20 digits; spaces, +, -, ., / and parentheses may separate them)")]
    PhoneInvalid(String),
    #[error("the {} contains an invisible or control character ({code_point})", .field.label())]
    ForbiddenCharacter { field: MemberField, code_point: String },
}

impl DetailsError {
    pub fn field(&self) -> MemberField {
        match self {
            DetailsError::NameMissing | DetailsError::NameTooLong | DetailsError::NameWithoutLetter => {
                MemberField::Name
            }
            DetailsError::EmailInvalid(_) => MemberField::Email,
            DetailsError::PhoneInvalid(_) => MemberField::Phone,
            DetailsError::ForbiddenCharacter { field, .. } => *field,
        }
    }
}

/// In characters, after normalisation.
pub const MAX_NAME: usize = 120;

/// A name: 1 to 120 characters with at least one letter (so not only digits, marks or invisible
/// characters). Rule decided for issue 9; DOMAIN.md "Members".
fn check_name(v: &str) -> Result<(), DetailsError> {
    if v.is_empty() {
        Err(DetailsError::NameMissing)
    } else if v.chars().count() > MAX_NAME {
        Err(DetailsError::NameTooLong)
    } else if !text::has_letter(v) {
        Err(DetailsError::NameWithoutLetter)
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
