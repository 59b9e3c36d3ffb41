//! Randomness as an input: tags, branches, Call-IDs, initial RSeq values and the §14.1 glare
//! retry delays all come from a [`RandomSource`] the driver injects, so tests choose the
//! numbers and assert exact times.

/// A source of random numbers. Production drivers back it with the operating system's
/// generator; tests use [`SplitMix64`] with a fixed seed or a scripted source. Any
/// `FnMut() -> u64` closure is one (`Box::new(|| 0u64)` makes every glare delay its minimum).
pub trait RandomSource: Send {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64;
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, well-mixed generator. Deterministic
/// for a given seed; not cryptographically secure, so seed it from the operating system in
/// production if tags must be unguessable.
///
/// ```
/// use sip_dialog::{RandomSource, SplitMix64};
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }
}

impl RandomSource for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl<F: FnMut() -> u64 + Send> RandomSource for F {
    fn next_u64(&mut self) -> u64 {
        self()
    }
}
