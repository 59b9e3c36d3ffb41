//! The async driver: a [`Locator`] behind a lock, a [`DnsLookup`], and the wall clock.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use futures_util::future::join_all;
use sip_message::Uri;

use crate::config::Config;
use crate::dns::{DnsLookup, Query};
use crate::error::ResolveError;
use crate::order::{SplitMix64, WeightRng};
use crate::resolution::{Locator, Output};
use crate::target::{Failure, Target, Targets};

/// Resolves SIP URIs over a real [`DnsLookup`], sharing one cache and blacklist between all
/// callers.
///
/// This is the only place that reads the clock (`Instant::now()`); the lock around the
/// [`Locator`] is held only between awaits, never across one, and the queries of each stage of
/// a resolution run concurrently.
#[derive(Debug)]
pub struct Resolver<L, R = SplitMix64> {
    lookup: L,
    locator: Mutex<Locator<R>>,
}

impl<L: DnsLookup> Resolver<L> {
    /// A resolver with a fresh [`Locator`].
    pub fn new(lookup: L, config: Config) -> Self {
        Resolver::with_locator(lookup, Locator::new(config))
    }
}

impl<L: DnsLookup, R: WeightRng> Resolver<L, R> {
    /// A resolver around an existing locator (for instance one with a chosen RNG).
    pub fn with_locator(lookup: L, locator: Locator<R>) -> Self {
        Resolver {
            lookup,
            locator: Mutex::new(locator),
        }
    }

    /// The lookup implementation.
    pub fn lookup(&self) -> &L {
        &self.lookup
    }

    fn locked(&self) -> MutexGuard<'_, Locator<R>> {
        // The locator holds only caches: a panic elsewhere leaves it usable.
        self.locator.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the locator (to inspect or clear the cache or the blacklist).
    pub fn with_locator_mut<T>(&self, f: impl FnOnce(&mut Locator<R>) -> T) -> T {
        f(&mut self.locked())
    }

    /// Resolves `uri` to its ordered targets (RFC 3263 §4).
    pub async fn resolve(&self, uri: &Uri<'_>) -> Result<Targets, ResolveError> {
        let mut res = self.locked().start(uri)?;
        loop {
            let mut queries: Vec<Query> = Vec::new();
            {
                let mut locator = self.locked();
                let now = Instant::now();
                loop {
                    match res.poll_output(&mut locator, now) {
                        Output::Query(q) => queries.push(q),
                        Output::Wait => break,
                        Output::Done(result) => return result,
                    }
                }
            }
            let answers = join_all(queries.iter().map(|q| self.lookup.lookup(q))).await;
            let mut locator = self.locked();
            let now = Instant::now();
            for (q, a) in queries.iter().zip(answers) {
                res.handle_answer(&mut locator, q, a, now);
            }
        }
    }

    /// The next target of `targets` not blacklisted now.
    pub fn next_target(&self, targets: &mut Targets) -> Option<Target> {
        self.locked().next_target(targets, Instant::now())
    }

    /// Reports that the request to `targets`' current target failed; blacklists it and
    /// returns the next one (RFC 3263 §4.3).
    pub fn report_failure(&self, targets: &mut Targets, failure: Failure) -> Option<Target> {
        self.locked()
            .report_failure(targets, failure, Instant::now())
    }

    /// Frees expired cache and blacklist entries; call it now and then (for instance at
    /// [`Locator::poll_timeout`]).
    pub fn purge(&self) {
        self.locked().handle_timeout(Instant::now());
    }
}
