//! Sign-in attempts counted in a sliding window, so that guessing passwords is slowed to a few
//! tries per quarter hour:
//! - per account *and* address: 5, the usual lock for someone guessing one account;
//! - per account from anywhere: 50, for guessing spread over many addresses (high enough that a
//!   stranger cannot lock a colleague out with five wrong passwords);
//! - per address for any account: 20.
//!
//! An attempt counts when it starts (before the slow password check), so parallel guesses cannot
//! slip past the limit; a right password takes its own attempt back. Kept in memory: a restart
//! forgives, and each server process counts for itself (docs/SECURITY.md).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Attempts allowed per window before sign-ins are refused.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub per_account_and_address: u32,
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { per_account_and_address: 5, per_account: 50, per_address: 20, window: Duration::from_secs(15 * 60) }
    }
}

/// Most keys remembered; beyond it the windows that ended are forgotten.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct LoginLimiter {
    limits: LoginLimits,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self { limits, counts: Mutex::default() }
    }

    fn keys(&self, account: &str, address: &str) -> [(String, u32); 3] {
        [
            (format!("aa:{account}|{address}"), self.limits.per_account_and_address),
            (format!("a:{account}"), self.limits.per_account),
            (format!("ip:{address}"), self.limits.per_address),
        ]
    }

    /// Starts a sign-in attempt for `account` from `address`, counting it; if too many were made,
    /// refuses it with the seconds to wait.
    pub fn attempt(&self, account: &str, address: &str, now: Instant) -> Result<(), u64> {
        let window = self.limits.window;
        let mut counts = self.counts.lock().expect("not poisoned");
        if counts.len() >= MAX_KEYS {
            counts.retain(|_, (since, _)| now < *since + window);
        }
        let keys = self.keys(account, address);
        for (key, allowed) in &keys {
            if let Some(&(since, n)) = counts.get(key) {
                if n >= *allowed && now < since + window {
                    return Err((since + window - now).as_secs().max(1));
                }
            }
        }
        for (key, _) in keys {
            let entry = counts.entry(key).or_insert((now, 0));
            if now >= entry.0 + window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }

    /// A sign-in that succeeded: the account's counts start over, and the address gets this
    /// attempt back (one right password does not buy guesses at other accounts).
    pub fn succeeded(&self, account: &str, address: &str) {
        let mut counts = self.counts.lock().expect("not poisoned");
        let [(pair, _), (account, _), (address, _)] = self.keys(account, address);
        counts.remove(&pair);
        counts.remove(&account);
        if let Some(entry) = counts.get_mut(&address) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pair: u32, account: u32, address: u32) -> LoginLimits {
        LoginLimits {
            per_account_and_address: pair,
            per_account: account,
            per_address: address,
            window: Duration::from_secs(60),
        }
    }

    #[test]
    fn an_account_guessed_from_one_address_is_locked_there_until_the_window_passes() {
        let limiter = LoginLimiter::new(limits(3, 100, 100));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.attempt("a@club", "10.0.0.1", t0).is_ok());
        }
        assert_eq!(limiter.attempt("a@club", "10.0.0.1", t0), Err(60));
        assert!(limiter.attempt("a@club", "10.0.0.2", t0).is_ok(), "the owner at the desk still signs in");
        assert!(limiter.attempt("a@club", "10.0.0.1", t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn guesses_spread_over_many_addresses_lock_the_account_at_the_higher_limit() {
        let limiter = LoginLimiter::new(limits(3, 5, 100));
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(limiter.attempt("a@club", &format!("10.0.0.{i}"), t0).is_ok());
        }
        assert!(limiter.attempt("a@club", "10.9.9.9", t0).is_err());
        assert!(limiter.attempt("b@club", "10.9.9.9", t0).is_ok(), "other accounts are not locked");
    }

    #[test]
    fn an_address_is_limited_over_every_account() {
        let limiter = LoginLimiter::new(limits(100, 100, 2));
        let t0 = Instant::now();
        assert!(limiter.attempt("a@club", "10.0.0.1", t0).is_ok());
        assert!(limiter.attempt("b@club", "10.0.0.1", t0).is_ok());
        assert!(limiter.attempt("c@club", "10.0.0.1", t0).is_err());
        assert!(limiter.attempt("c@club", "10.0.0.2", t0).is_ok());
    }

    #[test]
    fn a_right_password_starts_the_account_over_and_gives_the_address_its_attempt_back() {
        let limiter = LoginLimiter::new(limits(2, 100, 2));
        let t0 = Instant::now();
        limiter.attempt("a@club", "10.0.0.1", t0).unwrap();
        limiter.attempt("a@club", "10.0.0.1", t0).unwrap();
        limiter.succeeded("a@club", "10.0.0.1");
        assert!(limiter.attempt("a@club", "10.0.0.1", t0).is_ok());
    }
}
