//! Failed sign-ins counted per account and per address in a sliding window: guessing passwords is
//! slowed to a few tries per quarter hour, for one account from anywhere and from one address for
//! any account. Kept in memory: a restart forgives, which costs an attacker a restart each time.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failures allowed per window before sign-ins are refused.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { per_account: 5, per_address: 20, window: Duration::from_secs(15 * 60) }
    }
}

/// Most keys remembered; beyond it the oldest windows are forgotten first.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct LoginLimiter {
    limits: LoginLimits,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self { limits, failures: Mutex::default() }
    }

    /// Whether a sign-in for `account` from `address` may be tried now; if not, in how many seconds.
    pub fn check(&self, account: &str, address: &str, now: Instant) -> Result<(), u64> {
        let failures = self.failures.lock().expect("not poisoned");
        let wait = |key: String, allowed: u32| match failures.get(&key) {
            Some(&(since, n)) if n >= allowed && now < since + self.limits.window => {
                Some((since + self.limits.window - now).as_secs().max(1))
            }
            _ => None,
        };
        match wait(format!("a:{account}"), self.limits.per_account)
            .or(wait(format!("ip:{address}"), self.limits.per_address))
        {
            Some(secs) => Err(secs),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, account: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().expect("not poisoned");
        if failures.len() >= MAX_KEYS {
            let window = self.limits.window;
            failures.retain(|_, (since, _)| now < *since + window);
        }
        for key in [format!("a:{account}"), format!("ip:{address}")] {
            let entry = failures.entry(key).or_insert((now, 0));
            if now >= entry.0 + self.limits.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    /// A successful sign-in clears the account's count (not the address's: one right password
    /// does not buy another twenty guesses at other accounts).
    pub fn succeeded(&self, account: &str) {
        self.failures.lock().expect("not poisoned").remove(&format!("a:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_its_failures_until_the_window_passes() {
        let limiter =
            LoginLimiter::new(LoginLimits { per_account: 3, per_address: 100, window: Duration::from_secs(60) });
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check("a@club", &format!("10.0.0.{i}"), t0).is_ok());
            limiter.failed("a@club", &format!("10.0.0.{i}"), t0);
        }
        assert_eq!(limiter.check("a@club", "10.9.9.9", t0), Err(60));
        assert!(limiter.check("b@club", "10.9.9.9", t0).is_ok(), "other accounts are not locked");
        assert!(limiter.check("a@club", "10.9.9.9", t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn an_address_is_locked_after_failures_on_any_accounts() {
        let limiter =
            LoginLimiter::new(LoginLimits { per_account: 100, per_address: 2, window: Duration::from_secs(60) });
        let t0 = Instant::now();
        limiter.failed("a@club", "10.0.0.1", t0);
        limiter.failed("b@club", "10.0.0.1", t0);
        assert!(limiter.check("c@club", "10.0.0.1", t0).is_err());
        assert!(limiter.check("c@club", "10.0.0.2", t0).is_ok());
    }
}
