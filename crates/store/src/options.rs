//! Tuning of the SQLite store, and the counters it reports.

use std::time::Duration;

/// How a [`SqliteStore`](crate::SqliteStore) behaves. [`Default`] gives values fit for one
/// server on local disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// The most changes the writer puts in one transaction (one fsync). Default 1,000.
    pub batch_limit: usize,
    /// How long the writer waits, after a change arrives, for more changes to share its
    /// transaction (and fsync). Longer batches cost less disk work and CPU per change;
    /// every change waits up to this long more. Default 2 ms; zero commits at once.
    pub commit_delay: Duration,
    /// How long a connection waits for another connection or process holding the write lock
    /// before giving up with [`StoreError::Database`](crate::StoreError::Database).
    /// Default 5 s.
    pub busy_timeout: Duration,
    /// How often, at most, [`UserStore::user`](crate::UserStore::user) asks the database
    /// whether another process changed the users. Default 200 ms, so a user added with the
    /// command line is seen within that time.
    pub user_refresh_interval: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            batch_limit: 1_000,
            commit_delay: Duration::from_millis(2),
            busy_timeout: Duration::from_secs(5),
            user_refresh_interval: Duration::from_millis(200),
        }
    }
}

impl StoreOptions {
    /// Sets [`StoreOptions::batch_limit`] (at least 1).
    #[must_use]
    pub fn with_batch_limit(mut self, limit: usize) -> Self {
        self.batch_limit = limit.max(1);
        self
    }

    /// Sets [`StoreOptions::commit_delay`].
    #[must_use]
    pub fn with_commit_delay(mut self, delay: Duration) -> Self {
        self.commit_delay = delay;
        self
    }

    /// Sets [`StoreOptions::busy_timeout`].
    #[must_use]
    pub fn with_busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`StoreOptions::user_refresh_interval`].
    #[must_use]
    pub fn with_user_refresh_interval(mut self, interval: Duration) -> Self {
        self.user_refresh_interval = interval;
        self
    }
}

/// Counters of the location writer since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Transactions committed (each one fsync of the write-ahead log).
    pub transactions: u64,
    /// Changes ([`LocationStore::replace`](crate::LocationStore::replace) calls and purges)
    /// made durable by those transactions.
    pub changes: u64,
    /// Transactions that failed; their changes were reported to their commits as errors.
    pub failed_transactions: u64,
}
