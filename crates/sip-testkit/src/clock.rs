//! The simulated clock.

use std::time::{Duration, Instant};

/// A clock that moves only when told to: a base [`Instant`] plus an offset.
///
/// The base is read once, when the clock is made; after that nothing in a scenario reads the
/// system clock. Every engine is handed [`SimClock::now`] (ARCHITECTURE principle 3: the clock
/// is an input), so a 32-second Timer B runs in microseconds and every time in a test is
/// exact. Times in assertions are milliseconds since the start ([`SimClock::ms`]).
///
/// ```
/// use std::time::Duration;
/// use sip_testkit::SimClock;
///
/// let mut clock = SimClock::new();
/// clock.advance(Duration::from_millis(1_500));
/// assert_eq!(clock.ms(), 1_500);
/// clock.advance_to(clock.at_ms(1_000)); // never backwards
/// assert_eq!(clock.now(), clock.at_ms(1_500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimClock {
    start: Instant,
    offset: Duration,
}

impl SimClock {
    /// A clock whose time zero is the present instant. This is the scenario's only reading
    /// of the system clock.
    pub fn new() -> Self {
        SimClock::starting_at(Instant::now())
    }

    /// A clock whose time zero is `start`.
    pub fn starting_at(start: Instant) -> Self {
        SimClock {
            start,
            offset: Duration::ZERO,
        }
    }

    /// Time zero.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.start + self.offset
    }

    /// How long since time zero.
    pub fn elapsed(&self) -> Duration {
        self.offset
    }

    /// Whole milliseconds since time zero.
    pub fn ms(&self) -> u64 {
        whole_ms(self.offset)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&mut self, by: Duration) {
        self.offset += by;
    }

    /// Moves the clock forward to `t`; a `t` in the past leaves it where it is (the clock is
    /// monotonic).
    pub fn advance_to(&mut self, t: Instant) {
        if let Some(offset) = t.checked_duration_since(self.start) {
            self.offset = self.offset.max(offset);
        }
    }

    /// The instant `since_start` after time zero.
    pub fn at(&self, since_start: Duration) -> Instant {
        self.start + since_start
    }

    /// The instant `ms` milliseconds after time zero.
    pub fn at_ms(&self, ms: u64) -> Instant {
        self.at(Duration::from_millis(ms))
    }

    /// Whole milliseconds from time zero to `t` (0 for an instant before time zero).
    pub fn ms_of(&self, t: Instant) -> u64 {
        whole_ms(t.saturating_duration_since(self.start))
    }
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock::new()
    }
}

/// Whole milliseconds in `d`, saturating.
pub(crate) fn whole_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_zero_and_moves_only_when_told() {
        let start = Instant::now();
        let mut clock = SimClock::starting_at(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.ms(), 0);
        clock.advance(Duration::from_millis(250));
        clock.advance(Duration::from_micros(1_500));
        assert_eq!(clock.elapsed(), Duration::from_micros(251_500));
        assert_eq!(clock.ms(), 251);
        assert_eq!(clock.now(), start + Duration::from_micros(251_500));
    }

    #[test]
    fn advance_to_is_monotonic() {
        let mut clock = SimClock::new();
        clock.advance_to(clock.at_ms(32_000));
        assert_eq!(clock.ms(), 32_000);
        clock.advance_to(clock.at_ms(500));
        assert_eq!(clock.ms(), 32_000);
        // An instant before time zero changes nothing either.
        let before = clock.start().checked_sub(Duration::from_secs(1));
        if let Some(before) = before {
            clock.advance_to(before);
            assert_eq!(clock.ms(), 32_000);
            assert_eq!(clock.ms_of(before), 0);
        }
    }

    #[test]
    fn converts_between_instants_and_milliseconds() {
        let clock = SimClock::new();
        let t = clock.at_ms(7_500);
        assert_eq!(clock.ms_of(t), 7_500);
        assert_eq!(clock.at(Duration::from_millis(7_500)), t);
        assert_eq!(clock.ms_of(t + Duration::from_micros(999)), 7_500);
    }
}
