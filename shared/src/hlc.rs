//! A hybrid logical clock (wall milliseconds + a counter), pure: the caller passes the wall time in.
//!
//! Same design as uhlc (physical time with a logical counter), written here because uhlc reads the
//! system clock itself (which panics in wasm) and refuses remote stamps more than 500 ms ahead,
//! too strict for phones whose clocks drift.
//!
//! One device's wrong clock must not move everyone else's: a remote stamp more than
//! [`MAX_CLOCK_AHEAD_MS`] ahead of the local wall clock is not adopted (the server refuses such
//! events anyway), and a clock that once adopted a stamp that far ahead (before this rule, or
//! from this device's own clock running fast and then being set right) starts again from the wall
//! clock instead of counting on from a time that never comes.

use crate::protocol::MAX_CLOCK_AHEAD_MS;
use serde::{Deserialize, Serialize};

/// A timestamp; ties between devices are broken by the device id wherever order must be total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hlc {
    /// Wall-clock milliseconds since the Unix epoch (the largest seen so far).
    pub ms: u64,
    /// Logical counter within the same millisecond.
    pub c: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    pub fn new(last: Hlc) -> Self {
        Self { last }
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A new local stamp, greater than every stamp issued or observed before, unless those lie
    /// beyond the bound ahead of `now_ms` (then it is `now_ms` itself).
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        self.last = if now_ms > self.last.ms || self.last.ms > now_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
            Hlc { ms: now_ms, c: 0 }
        } else {
            Hlc { ms: self.last.ms, c: self.last.c.saturating_add(1) }
        };
        self.last
    }

    /// Takes a stamp from another device into account so that later local stamps order after it.
    /// A stamp more than [`MAX_CLOCK_AHEAD_MS`] ahead of `now_ms` is ignored: returns whether it was adopted.
    pub fn observe(&mut self, remote: Hlc, now_ms: u64) -> bool {
        if self.last.ms > now_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
            self.last = Hlc { ms: now_ms, c: 0 };
        }
        if remote.ms > now_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
            return false;
        }
        let ms = now_ms.max(self.last.ms).max(remote.ms);
        let c = if ms == self.last.ms && ms == remote.ms {
            self.last.c.max(remote.c).saturating_add(1)
        } else if ms == self.last.ms {
            self.last.c.saturating_add(1)
        } else if ms == remote.ms {
            remote.c.saturating_add(1)
        } else {
            0
        };
        self.last = Hlc { ms, c };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Tick(u64),
        Observe(u64, u32, u64),
    }

    /// Clocks that disagree by less than the bound, as healthy devices do.
    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u64..10_000).prop_map(Step::Tick),
            (0u64..10_000, 0u32..5, 0u64..10_000).prop_map(|(m, c, n)| Step::Observe(m, c, n)),
        ]
    }

    proptest! {
        #[test]
        fn stamps_only_move_forward_and_pass_everything_observed(steps in prop::collection::vec(step(), 1..200)) {
            let mut clock = HlcClock::default();
            let mut highest_seen = Hlc::default();
            for s in steps {
                let before = clock.last();
                match s {
                    Step::Tick(now) => {
                        let t = clock.tick(now);
                        prop_assert!(t > before);
                        prop_assert!(t > highest_seen || highest_seen == Hlc::default());
                        prop_assert!(t.ms >= now);
                    }
                    Step::Observe(ms, c, now) => {
                        let remote = Hlc { ms, c };
                        clock.observe(remote, now);
                        prop_assert!(clock.last() > before);
                        prop_assert!(clock.last() > remote);
                        highest_seen = highest_seen.max(remote);
                    }
                }
            }
        }

        /// However wrong another device's clock, this one never runs more than the bound ahead of its own wall clock.
        #[test]
        fn a_remote_clock_never_drags_this_one_beyond_the_bound(
            steps in prop::collection::vec((0u64..10u64.pow(13), 0u32..5, 0u64..10u64.pow(13), any::<bool>()), 1..100)
        ) {
            let mut clock = HlcClock::default();
            for (ms, c, now, tick) in steps {
                if tick {
                    let t = clock.tick(now);
                    prop_assert!(t.ms <= now + MAX_CLOCK_AHEAD_MS);
                } else {
                    let adopted = clock.observe(Hlc { ms, c }, now);
                    prop_assert_eq!(adopted, ms <= now + MAX_CLOCK_AHEAD_MS);
                    prop_assert!(clock.last().ms <= now + MAX_CLOCK_AHEAD_MS);
                }
            }
        }
    }

    #[test]
    fn a_clock_behind_the_wall_counts_up_within_the_millisecond() {
        let mut clock = HlcClock::default();
        assert_eq!(clock.tick(5), Hlc { ms: 5, c: 0 });
        assert_eq!(clock.tick(5), Hlc { ms: 5, c: 1 });
        assert_eq!(clock.tick(3), Hlc { ms: 5, c: 2 });
        assert_eq!(clock.tick(9), Hlc { ms: 9, c: 0 });
    }

    #[test]
    fn a_stamp_ten_years_ahead_is_not_adopted() {
        const NOW: u64 = 1_764_000_000_000;
        let mut clock = HlcClock::default();
        assert!(!clock.observe(Hlc { ms: NOW + 10 * 365 * 86_400_000, c: 0 }, NOW));
        assert_eq!(clock.tick(NOW), Hlc { ms: NOW, c: 0 });
    }

    #[test]
    fn a_clock_that_ran_far_ahead_starts_again_from_the_wall_clock() {
        const NOW: u64 = 1_764_000_000_000;
        let mut clock = HlcClock::new(Hlc { ms: NOW + 2 * 3_600_000, c: 3 });
        assert_eq!(clock.tick(NOW), Hlc { ms: NOW, c: 0 });
    }
}
