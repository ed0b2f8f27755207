//! A hybrid logical clock (wall milliseconds + a counter), pure: the caller passes the wall time in.
//!
//! Same design as uhlc (physical time with a logical counter), written here because uhlc reads the
//! system clock itself (which panics in wasm) and refuses remote stamps more than 500 ms ahead,
//! too strict for phones whose clocks drift.

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

    /// A new local stamp, greater than every stamp issued or observed before.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        self.last = if now_ms > self.last.ms {
            Hlc { ms: now_ms, c: 0 }
        } else {
            Hlc { ms: self.last.ms, c: self.last.c.saturating_add(1) }
        };
        self.last
    }

    /// Takes a stamp from another device into account so that later local stamps order after it.
    pub fn observe(&mut self, remote: Hlc, now_ms: u64) {
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
    }

    #[test]
    fn a_clock_behind_the_wall_counts_up_within_the_millisecond() {
        let mut clock = HlcClock::default();
        assert_eq!(clock.tick(5), Hlc { ms: 5, c: 0 });
        assert_eq!(clock.tick(5), Hlc { ms: 5, c: 1 });
        assert_eq!(clock.tick(3), Hlc { ms: 5, c: 2 });
        assert_eq!(clock.tick(9), Hlc { ms: 9, c: 0 });
    }
}
