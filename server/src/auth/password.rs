//! Staff passwords: argon2id with a fresh salt each, kept as PHC strings. Hashing is deliberately
//! slow (tens of ms), so callers run it on the blocking pool.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use shared::protocol::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// Why a password cannot be set.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WeakPassword {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password has at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

/// Checks a new password's length (the only rule: long passphrases beat composition rules).
pub fn check_new(password: &str) -> Result<(), WeakPassword> {
    match password.chars().count() {
        n if n < MIN_PASSWORD_CHARS => Err(WeakPassword::TooShort),
        n if n > MAX_PASSWORD_CHARS => Err(WeakPassword::TooLong),
        _ => Ok(()),
    }
}

/// The PHC string of `password` (argon2id, the crate's default parameters, a random salt).
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashes any input").to_string()
}

/// Whether `password` matches `phc`. An unreadable stored hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password matches, verified when the e-mail address is unknown so that a wrong
/// address takes as long as a wrong password (no account discovery by timing).
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("no account has this password, it is never given out"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_own_hash_only() {
        let phc = hash("correct horse battery");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(hash("correct horse battery"), phc, "each hash has its own salt");
    }

    #[test]
    fn new_passwords_are_long_enough_and_bounded() {
        assert_eq!(check_new("short"), Err(WeakPassword::TooShort));
        assert_eq!(check_new(&"x".repeat(MAX_PASSWORD_CHARS + 1)), Err(WeakPassword::TooLong));
        assert!(check_new("long enough pass").is_ok());
    }
}
