/// Exponential backoff with jitter; the randomness is a seed handed in, so runs are reproducible.
#[derive(Clone, Debug)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    failures: u32,
    rng: u64,
}

impl Backoff {
    pub fn new(base_ms: u64, max_ms: u64, seed: u64) -> Self {
        Self { base_ms, max_ms, failures: 0, rng: seed | 1 }
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The delay before the next try: base·2ⁿ capped at max, then 50–100 % of it, so that a club's
    /// devices coming back online together do not retry in lockstep.
    pub fn next_delay(&mut self) -> u64 {
        let exp = self.base_ms.saturating_mul(1u64 << self.failures.min(20)).min(self.max_ms);
        self.failures = self.failures.saturating_add(1);
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        exp / 2 + self.rng % (exp / 2 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_reset() {
        let mut b = Backoff::new(1_000, 30_000, 7);
        let delays: Vec<u64> = (0..8).map(|_| b.next_delay()).collect();
        assert!((500..=1_000).contains(&delays[0]));
        assert!((1_000..=2_000).contains(&delays[1]));
        assert!(delays[6..].iter().all(|d| (15_000..=30_000).contains(d)));
        b.reset();
        assert!(b.next_delay() <= 1_000);
    }
}
