//! Counting failed authentications per source and per (username, source) pair.

use std::time::{Duration, Instant};

/// Usernames whose failures are counted per source. A further username replaces the one whose
/// count is oldest; every failure still counts towards the source's spraying limit, so rotating
/// usernames to evict a counter costs the attacker the same budget.
pub(crate) const USERS_PER_SOURCE: usize = 4;

/// Events counted in a fixed window that starts at the first event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    start: Instant,
    count: u32,
}

impl Window {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            start: now,
            count: 0,
        }
    }

    /// The count in the window current at `now`, without counting.
    pub(crate) fn count_at(&self, now: Instant, length: Duration) -> u32 {
        if now.saturating_duration_since(self.start) >= length {
            0
        } else {
            self.count
        }
    }

    /// Counts one event at `now`; returns the count in the current window.
    pub(crate) fn hit(&mut self, now: Instant, length: Duration) -> u32 {
        if now.saturating_duration_since(self.start) >= length {
            *self = Self::new(now);
        }
        self.count = self.count.saturating_add(1);
        self.count
    }
}

/// Failure counts of one source: in all, and for the last few usernames (by keyed hash, so that
/// nothing is allocated and an attacker's long usernames cost no memory).
#[derive(Debug, Clone)]
pub(crate) struct AuthSource {
    total: Window,
    users: [Option<(u64, Window)>; USERS_PER_SOURCE],
}

impl AuthSource {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            total: Window::new(now),
            users: [None; USERS_PER_SOURCE],
        }
    }

    /// Counts a failure of the source; returns its failures in the window.
    pub(crate) fn fail_source(&mut self, now: Instant, window: Duration) -> u32 {
        self.total.hit(now, window)
    }

    /// Counts a failure of the username hashed to `user`; returns its failures in the window.
    pub(crate) fn fail_user(&mut self, user: u64, now: Instant, window: Duration) -> u32 {
        let slot = match self
            .users
            .iter()
            .position(|u| u.is_some_and(|(h, _)| h == user))
        {
            Some(i) => i,
            None => {
                let i = self.free_or_oldest();
                self.users[i] = Some((user, Window::new(now)));
                i
            }
        };
        match &mut self.users[slot] {
            Some((_, w)) => w.hit(now, window),
            None => 0,
        }
    }

    /// Forgets the failures of `user` (it authenticated).
    pub(crate) fn reset_user(&mut self, user: u64) {
        for u in &mut self.users {
            if u.is_some_and(|(h, _)| h == user) {
                *u = None;
            }
        }
    }

    fn free_or_oldest(&self) -> usize {
        let key = |u: &Option<(u64, Window)>| u.map(|(_, w)| w.start);
        (0..USERS_PER_SOURCE)
            .min_by_key(|&i| key(&self.users[i]))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn window_restarts_after_its_length() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        assert_eq!(w.hit(t0, MIN), 1);
        assert_eq!(w.hit(t0 + Duration::from_secs(59), MIN), 2);
        assert_eq!(w.hit(t0 + MIN, MIN), 1);
    }

    #[test]
    fn each_username_has_its_own_count_and_reset_forgets_one() {
        let t0 = Instant::now();
        let mut s = AuthSource::new(t0);
        assert_eq!(s.fail_user(1, t0, MIN), 1);
        assert_eq!(s.fail_user(1, t0, MIN), 2);
        assert_eq!(s.fail_user(2, t0, MIN), 1);
        s.reset_user(1);
        assert_eq!(s.fail_user(1, t0, MIN), 1);
        assert_eq!(s.fail_user(2, t0, MIN), 2);
    }

    #[test]
    fn a_new_username_replaces_the_oldest_count_when_full() {
        let t0 = Instant::now();
        let mut s = AuthSource::new(t0);
        for u in 0..USERS_PER_SOURCE as u64 {
            s.fail_user(u, t0 + Duration::from_secs(u), MIN);
        }
        s.fail_user(99, t0 + Duration::from_secs(10), MIN);
        // User 0 (oldest) was replaced; the others keep their counts.
        assert_eq!(s.fail_user(1, t0 + Duration::from_secs(11), MIN), 2);
        assert_eq!(s.fail_user(0, t0 + Duration::from_secs(11), MIN), 1);
    }
}
