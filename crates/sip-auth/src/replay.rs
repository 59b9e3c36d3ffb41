//! Nonce-count replay protection (RFC 7616 §3.4, §5.12): which `nc` values of each nonce were
//! already accepted, in bounded memory.
//!
//! Each tracked nonce keeps the highest `nc` accepted and a 64-bit window below it, like the
//! IPsec anti-replay window (RFC 4303 §3.4.3): requests may arrive out of order (UDP, forking,
//! retransmission of an earlier request) and each `nc` is accepted once. An `nc` that has fallen
//! below the window cannot be told apart from a replay, so it is refused; the caller turns that
//! into a stale challenge, and the client simply starts over with a fresh nonce.
//!
//! Memory: at most `capacity` nonces are tracked, ordered by issue time. Expired ones are dropped
//! as time passes. When the table is full, the oldest is dropped and a *floor* remembers it: any
//! untracked nonce at or below the floor is refused (as stale) instead of being accepted as new,
//! so pressure on the table can cost a round trip but never lets a replay through.

use std::collections::BTreeMap;

use crate::nonce::NonceId;

/// How far below the highest accepted `nc` of a nonce an out-of-order `nc` is still accepted.
pub const NC_WINDOW: u32 = 64;

/// Why a nonce count was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NcRefusal {
    /// This `nc` was already accepted for this nonce.
    Replayed,
    /// The `nc` is below the window, or the nonce's history was dropped under memory pressure:
    /// the client should get a fresh nonce.
    Forgotten,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    /// Highest `nc` accepted.
    top: u32,
    /// Bit `i` set: `top - i` was accepted.
    seen: u64,
}

impl Window {
    fn new(nc: u32) -> Window {
        Window { top: nc, seen: 1 }
    }

    fn check(&self, nc: u32) -> Result<(), NcRefusal> {
        if nc > self.top {
            return Ok(());
        }
        let back = self.top - nc;
        if back >= NC_WINDOW {
            Err(NcRefusal::Forgotten)
        } else if self.seen & (1 << back) != 0 {
            Err(NcRefusal::Replayed)
        } else {
            Ok(())
        }
    }

    /// Records `nc`, which [`Window::check`] accepted.
    fn record(&mut self, nc: u32) {
        if nc > self.top {
            let shift = nc - self.top;
            self.seen = if shift >= NC_WINDOW {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.top = nc;
        } else {
            self.seen |= 1 << (self.top - nc);
        }
    }
}

/// The table of nonces in use and their windows.
#[derive(Debug)]
pub(crate) struct ReplayTable {
    windows: BTreeMap<NonceId, Window>,
    capacity: usize,
    /// The newest nonce dropped while still valid; untracked nonces at or below it are refused.
    floor: Option<NonceId>,
}

impl ReplayTable {
    pub(crate) fn new(capacity: usize) -> ReplayTable {
        ReplayTable {
            windows: BTreeMap::new(),
            capacity: capacity.max(1),
            floor: None,
        }
    }

    /// Number of nonces tracked.
    pub(crate) fn len(&self) -> usize {
        self.windows.len()
    }

    /// Drops nonces issued before `oldest_valid`: they are stale, so their counts no longer
    /// matter.
    pub(crate) fn expire(&mut self, oldest_valid: u64) {
        while let Some(entry) = self.windows.first_entry() {
            if entry.key().issued >= oldest_valid {
                break;
            }
            entry.remove();
        }
    }

    /// Checks `nc` for nonce `id` without recording it.
    pub(crate) fn check(&self, id: NonceId, nc: u32) -> Result<(), NcRefusal> {
        match self.windows.get(&id) {
            Some(w) => w.check(nc),
            None if self.floor.is_some_and(|f| id <= f) => Err(NcRefusal::Forgotten),
            None => Ok(()),
        }
    }

    /// Records `nc` for nonce `id`, which [`ReplayTable::check`] accepted (call it only once the
    /// response proved correct, so that forged requests cannot use up counts).
    pub(crate) fn record(&mut self, id: NonceId, nc: u32) {
        if let Some(w) = self.windows.get_mut(&id) {
            w.record(nc);
            return;
        }
        if self.windows.len() >= self.capacity {
            // Full: forget the oldest nonce, which may be the newcomer itself.
            let oldest = match self.windows.first_key_value() {
                Some((&oldest, _)) if oldest < id => oldest,
                _ => id,
            };
            self.floor = Some(self.floor.map_or(oldest, |f| f.max(oldest)));
            if oldest == id {
                return;
            }
            self.windows.remove(&oldest);
        }
        self.windows.insert(id, Window::new(nc));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(issued: u64, counter: u32) -> NonceId {
        NonceId {
            issued,
            instance: 0,
            counter,
        }
    }

    fn accept(t: &mut ReplayTable, n: NonceId, nc: u32) -> Result<(), NcRefusal> {
        t.check(n, nc)?;
        t.record(n, nc);
        Ok(())
    }

    #[test]
    fn each_nc_is_accepted_once() {
        let mut t = ReplayTable::new(10);
        let n = id(1, 0);
        assert_eq!(accept(&mut t, n, 1), Ok(()));
        assert_eq!(accept(&mut t, n, 1), Err(NcRefusal::Replayed));
        assert_eq!(accept(&mut t, n, 2), Ok(()));
        assert_eq!(accept(&mut t, n, 2), Err(NcRefusal::Replayed));
        assert_eq!(accept(&mut t, n, 1), Err(NcRefusal::Replayed));
    }

    #[test]
    fn out_of_order_counts_within_the_window_are_accepted_once() {
        let mut t = ReplayTable::new(10);
        let n = id(1, 0);
        for nc in [3, 1, 5, 2, 4] {
            assert_eq!(accept(&mut t, n, nc), Ok(()), "nc {nc}");
        }
        for nc in 1..=5 {
            assert_eq!(accept(&mut t, n, nc), Err(NcRefusal::Replayed), "nc {nc}");
        }
        assert_eq!(accept(&mut t, n, 6), Ok(()));
    }

    #[test]
    fn counts_below_the_window_are_forgotten_not_accepted() {
        let mut t = ReplayTable::new(10);
        let n = id(1, 0);
        assert_eq!(accept(&mut t, n, 100), Ok(()));
        assert_eq!(accept(&mut t, n, 100 - NC_WINDOW + 1), Ok(()));
        assert_eq!(
            accept(&mut t, n, 100 - NC_WINDOW),
            Err(NcRefusal::Forgotten)
        );
        assert_eq!(accept(&mut t, n, 1), Err(NcRefusal::Forgotten));
    }

    #[test]
    fn big_jump_clears_the_window() {
        let mut t = ReplayTable::new(10);
        let n = id(1, 0);
        assert_eq!(accept(&mut t, n, 1), Ok(()));
        assert_eq!(accept(&mut t, n, 1000), Ok(()));
        assert_eq!(accept(&mut t, n, 999), Ok(()));
        assert_eq!(accept(&mut t, n, 1000), Err(NcRefusal::Replayed));
    }

    #[test]
    fn nonces_are_tracked_separately() {
        let mut t = ReplayTable::new(10);
        assert_eq!(accept(&mut t, id(1, 0), 1), Ok(()));
        assert_eq!(accept(&mut t, id(1, 1), 1), Ok(()));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn expired_nonces_are_dropped() {
        let mut t = ReplayTable::new(10);
        for s in 0..3 {
            accept(&mut t, id(100 + u64::from(s), s), 1).expect("fresh");
        }
        t.expire(102);
        assert_eq!(t.len(), 1);
        // The dropped nonces are stale for the caller anyway; the table does not refuse them.
        assert_eq!(t.check(id(100, 0), 1), Ok(()));
    }

    #[test]
    fn table_never_grows_past_capacity_and_dropped_nonces_are_refused() {
        let mut t = ReplayTable::new(3);
        for s in 0..10 {
            accept(&mut t, id(u64::from(s), s), 1).expect("fresh");
            assert!(t.len() <= 3);
        }
        assert_eq!(t.len(), 3);
        // A replay of a dropped nonce is not accepted as new.
        assert_eq!(t.check(id(0, 0), 1), Err(NcRefusal::Forgotten));
        assert_eq!(t.check(id(6, 6), 2), Err(NcRefusal::Forgotten));
        // The newest ones are still tracked exactly.
        assert_eq!(t.check(id(9, 9), 1), Err(NcRefusal::Replayed));
        assert_eq!(t.check(id(9, 9), 2), Ok(()));
        // A nonce newer than everything dropped is accepted.
        assert_eq!(accept(&mut t, id(20, 20), 1), Ok(()));
    }

    #[test]
    fn capacity_of_zero_still_tracks_one_nonce() {
        let mut t = ReplayTable::new(0);
        assert_eq!(accept(&mut t, id(1, 0), 1), Ok(()));
        assert_eq!(accept(&mut t, id(1, 0), 1), Err(NcRefusal::Replayed));
    }
}
