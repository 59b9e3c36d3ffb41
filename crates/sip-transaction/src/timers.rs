//! Timers as data: the RFC's timer names, a table of deadlines per transaction, the
//! configuration they are computed from, and the layer-wide queue of wake-ups.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::TransactionKey;

/// The transaction timers of RFC 3261 §17 (summarised in its Table 4) and RFC 6026 §8.4.
///
/// | Timer | Machine            | Meaning                                   | Value                   |
/// |-------|--------------------|-------------------------------------------|-------------------------|
/// | A     | INVITE client      | INVITE retransmission (unreliable only)   | T1, doubling            |
/// | B     | INVITE client      | INVITE transaction timeout                | 64·T1                   |
/// | D     | INVITE client      | wait for response retransmissions         | ≥ 32 s unreliable, 0 reliable |
/// | E     | non-INVITE client  | request retransmission (unreliable only)  | T1, doubling up to T2   |
/// | F     | non-INVITE client  | non-INVITE transaction timeout            | 64·T1                   |
/// | G     | INVITE server      | final response retransmission (unreliable)| T1, doubling up to T2   |
/// | H     | INVITE server      | wait for ACK                              | 64·T1                   |
/// | I     | INVITE server      | wait for ACK retransmissions              | T4 unreliable, 0 reliable |
/// | J     | non-INVITE server  | wait for request retransmissions          | 64·T1 unreliable, 0 reliable |
/// | K     | non-INVITE client  | wait for response retransmissions         | T4 unreliable, 0 reliable |
/// | L     | INVITE server      | wait for 2xx retransmissions from the TU (RFC 6026) | 64·T1         |
/// | M     | INVITE client      | wait for 2xx retransmissions (RFC 6026)   | 64·T1                   |
///
/// Timer C belongs to proxies (RFC 3261 §16.6) and is not kept here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// INVITE request retransmission interval (unreliable transports only).
    A,
    /// INVITE client transaction timeout.
    B,
    /// INVITE client wait time for response retransmissions.
    D,
    /// Non-INVITE request retransmission interval (unreliable transports only).
    E,
    /// Non-INVITE client transaction timeout.
    F,
    /// INVITE final response retransmission interval (unreliable transports only).
    G,
    /// Wait time for the ACK to a non-2xx final response.
    H,
    /// Wait time for ACK retransmissions.
    I,
    /// Non-INVITE server wait time for request retransmissions.
    J,
    /// Non-INVITE client wait time for response retransmissions.
    K,
    /// INVITE server wait time for 2xx retransmissions from the TU (RFC 6026).
    L,
    /// INVITE client wait time for 2xx retransmissions (RFC 6026).
    M,
}

impl Timer {
    const COUNT: usize = 12;

    fn index(self) -> usize {
        self as usize
    }
}

/// The deadlines of one transaction, indexed by [`Timer`]. Unset timers are `None`.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable([Option<Instant>; Timer::COUNT]);

impl TimerTable {
    pub(crate) fn get(&self, t: Timer) -> Option<Instant> {
        self.0[t.index()]
    }

    pub(crate) fn set(&mut self, t: Timer, at: Instant) {
        self.0[t.index()] = Some(at);
    }

    pub(crate) fn clear(&mut self, t: Timer) {
        self.0[t.index()] = None;
    }

    /// The earliest deadline, which is when the transaction next needs to be woken.
    #[cfg(test)]
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }
}

/// Timer values. The defaults are the RFC 3261 §17.1.1.1 values: T1 = 500 ms (an RTT
/// estimate), T2 = 4 s (the cap on non-INVITE and response retransmission intervals),
/// T4 = 5 s (how long a message may stay in the network).
///
/// ```
/// use std::time::Duration;
/// let cfg = sip_transaction::Config {
///     t1: Duration::from_millis(250),
///     ..Default::default()
/// };
/// assert_eq!(cfg.timeout(), Duration::from_secs(16));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// RTT estimate. Initial retransmission interval and the unit of the 64·T1 timeouts.
    pub t1: Duration,
    /// Maximum retransmission interval for non-INVITE requests and INVITE responses.
    pub t2: Duration,
    /// Maximum duration a message remains in the network (Timers I and K).
    pub t4: Duration,
    /// Timer D on unreliable transports; RFC 3261 §17.1.1.2 asks for at least 32 s.
    pub timer_d: Duration,
    /// Whether an INVITE server transaction sends `100 Trying` as soon as it is created
    /// (RFC 3261 §17.2.1 asks for it unless the TU answers within 200 ms).
    pub send_100_trying: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            send_100_trying: true,
        }
    }
}

impl Config {
    /// 64·T1: Timers B, F, H, J (unreliable), L and M.
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }

    /// The next retransmission interval after `current`: doubled, capped at T2.
    pub(crate) fn backoff(&self, current: Duration) -> Duration {
        (current * 2).min(self.t2)
    }
}

/// One pending wake-up: when, for which transaction, which timer.
type Entry = Reverse<(Instant, TransactionKey, Timer)>;

/// The layer-wide queue of deadlines. Entries are never removed early: when a timer is
/// cleared or its transaction ends, its entry stays until it comes due and is then found
/// stale (the transaction's table no longer holds that deadline) and skipped.
#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    heap: BinaryHeap<Entry>,
}

impl Scheduler {
    pub(crate) fn push(&mut self, at: Instant, key: TransactionKey, timer: Timer) {
        self.heap.push(Reverse((at, key, timer)));
    }

    pub(crate) fn peek(&self) -> Option<(Instant, TransactionKey, Timer)> {
        self.heap.peek().map(|Reverse(e)| *e)
    }

    pub(crate) fn pop(&mut self) -> Option<(Instant, TransactionKey, Timer)> {
        self.heap.pop().map(|Reverse(e)| e)
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, TransactionKey, Timer)> {
        match self.peek() {
            Some((at, _, _)) if at <= now => self.pop(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_minimum_is_the_next_wakeup() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::F, t0 + Duration::from_secs(32));
        t.set(Timer::E, t0 + Duration::from_millis(500));
        assert_eq!(t.next(), Some(t0 + Duration::from_millis(500)));
        t.clear(Timer::E);
        assert_eq!(t.get(Timer::E), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(32)));
    }

    #[test]
    fn backoff_doubles_up_to_t2() {
        let c = Config::default();
        let mut d = c.t1;
        let mut seen = vec![];
        for _ in 0..6 {
            seen.push(d.as_millis());
            d = c.backoff(d);
        }
        assert_eq!(seen, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(c.timeout(), Duration::from_secs(32));
    }
}
