//! The seeded random numbers behind the network's loss, duplication, jitter and reordering.

use std::time::Duration;

use sip_dialog::RandomSource;

/// SplitMix64: a tiny, well-mixed generator. The same seed gives the same numbers on every
/// machine and every run, which is what makes a lossy scenario reproducible.
///
/// It is also a [`RandomSource`], so a dialog layer can be seeded from the scenario's seed.
///
/// ```
/// use sip_testkit::SimRng;
/// let (mut a, mut b) = (SimRng::new(42), SimRng::new(42));
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(!a.chance(0.0) && a.chance(1.0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng { state: seed }
    }

    /// An independent generator for `stream` (a node, a purpose), derived from `seed`.
    pub fn derive(seed: u64, stream: u64) -> Self {
        let mut mix = SimRng::new(seed ^ stream.rotate_left(32));
        SimRng::new(mix.next_u64() ^ stream)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `p` (never for `p <= 0`, always for `p >= 1`).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        // 53 random bits as a fraction in [0, 1).
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    /// A duration in `0..=max`, in whole microseconds.
    pub fn duration_up_to(&mut self, max: Duration) -> Duration {
        let us = u64::try_from(max.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(self.below(us.saturating_add(1)))
    }
}

impl RandomSource for SimRng {
    fn next_u64(&mut self) -> u64 {
        SimRng::next_u64(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_other_seed_other_numbers() {
        let draw = |seed| {
            let mut r = SimRng::new(seed);
            (0..8).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        // SplitMix64's published first output for seed 0.
        assert_eq!(SimRng::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn derived_streams_differ() {
        let mut a = SimRng::derive(1, 0);
        let mut b = SimRng::derive(1, 1);
        assert_ne!(a.next_u64(), b.next_u64());
        assert_eq!(SimRng::derive(9, 3), SimRng::derive(9, 3));
    }

    #[test]
    fn chance_matches_its_probability() {
        let mut r = SimRng::new(3);
        let hits = (0..10_000).filter(|_| r.chance(0.25)).count();
        assert!((2_300..2_700).contains(&hits), "{hits}");
        assert!((0..100).all(|_| !r.chance(0.0)));
        assert!((0..100).all(|_| r.chance(1.0)));
    }

    #[test]
    fn bounded_draws_stay_in_bounds() {
        let mut r = SimRng::new(5);
        assert_eq!(r.below(0), 0);
        assert!((0..1_000).all(|_| r.below(10) < 10));
        let max = Duration::from_millis(3);
        assert!((0..1_000).all(|_| r.duration_up_to(max) <= max));
        assert_eq!(r.duration_up_to(Duration::ZERO), Duration::ZERO);
    }
}
