//! [`AbuseGuard`]: the decisions, and the state they need.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::auth::{AuthSource, Window};
use crate::ban::{Ban, BanReason, BanTable, BanTarget, Record, SavedBan, deadline};
use crate::clip_username;
use crate::config::{AbuseConfig, ConfigError};
use crate::lru::LruTable;
use crate::user_agent::UserAgentMatcher;

/// What to do with a request, from [`AbuseGuard::check_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum Verdict {
    /// Go on handling the request.
    Allow,
    /// The source is banned: drop the request silently. Any answer, even an error, tells a
    /// scanner that something listens here and costs a packet per packet in a flood.
    Drop,
    /// This request made the source banned. Drop it like [`Verdict::Drop`], and log the ban:
    /// this verdict comes once per ban.
    Banned(Ban),
}

impl Verdict {
    /// Whether the request may be handled.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow)
    }
}

/// Counters for logs and metrics, from [`AbuseGuard::stats`]. All count since the guard was
/// made and only go up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests [`AbuseGuard::check_request`] allowed.
    pub requests_allowed: u64,
    /// Requests it told to drop, including each one that caused a ban.
    pub requests_dropped: u64,
    /// Failed authentications reported through [`AbuseGuard::auth_failed`].
    pub auth_failures: u64,
    /// Bans pushed out early because [`AbuseConfig::max_bans`] addresses were banned.
    pub bans_evicted: u64,
    /// Sources whose request or failure count was forgotten because
    /// [`AbuseConfig::max_tracked_sources`] or [`AbuseConfig::max_auth_sources`] were tracked.
    pub sources_forgotten: u64,
    bans_issued: [u64; BanReason::ALL.len()],
}

impl Stats {
    /// Bans issued for `reason` (manual ones included; imported ones not).
    pub fn bans_issued(&self, reason: BanReason) -> u64 {
        self.bans_issued[reason.index()]
    }

    /// Bans issued for any reason.
    pub fn bans_issued_total(&self) -> u64 {
        self.bans_issued.iter().sum()
    }
}

/// The abuse protection of a SIP server: per-source rate limits, authentication lockout per
/// (username, source) pair and per source, scanner User-Agent bans, and the ban list.
///
/// Sans-IO: every method takes the time as `now`, and the guard never reads a clock, sends or
/// logs anything. The server owns one guard (or one per shard; a source then has one count per
/// shard that sees it) and calls, in this order:
///
/// 1. [`check_request`](Self::check_request) for each request from an untrusted source, before
///    parsing more than the User-Agent, and drops it unless [`Verdict::Allow`].
/// 2. Before verifying credentials, [`is_banned`](Self::is_banned) with the username. For a
///    banned pair, answer exactly as for a wrong password (same status, same challenge) without
///    verifying: the attacker learns nothing, not even that it was detected, and cannot find
///    the password while banned. Do not report that answer to [`auth_failed`](Self::auth_failed).
/// 3. After verification, [`auth_failed`](Self::auth_failed) for every credential failure,
///    unknown users included (or an unknown user would look different, and counting would stop
///    at the first wrong name), or [`auth_succeeded`](Self::auth_succeeded).
/// 4. [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout) to sweep
///    expired bans (checks treat them as gone at once either way).
///
/// Commands for operators: [`ban`](Self::ban), [`lift`](Self::lift),
/// [`lift_all`](Self::lift_all), [`bans`](Self::bans); persistence:
/// [`export`](Self::export), [`import`](Self::import).
#[derive(Debug)]
pub struct AbuseGuard {
    config: AbuseConfig,
    user_agents: UserAgentMatcher,
    rates: LruTable<Window>,
    auth: LruTable<AuthSource>,
    bans: BanTable,
    /// Keys username hashes, so that nobody can aim names at one counter.
    hasher: RandomState,
    stats: Stats,
}

impl AbuseGuard {
    /// A guard with no history.
    pub fn new(config: AbuseConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            user_agents: UserAgentMatcher::new(&config.blocked_user_agents),
            rates: LruTable::new(config.max_tracked_sources),
            auth: LruTable::new(config.max_auth_sources),
            bans: BanTable::new(config.max_bans),
            hasher: RandomState::new(),
            stats: Stats::default(),
            config,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &AbuseConfig {
        &self.config
    }

    /// Decides about a request from `source` carrying `user_agent`, and counts it towards the
    /// source's rate. O(1); allocates nothing for a source already tracked.
    ///
    /// Call it only for untrusted sources: exemptions are the caller's policy.
    pub fn check_request(
        &mut self,
        now: Instant,
        source: IpAddr,
        user_agent: Option<&str>,
    ) -> Verdict {
        if self.bans.source_banned(&source, now) {
            self.stats.requests_dropped += 1;
            return Verdict::Drop;
        }
        if user_agent.is_some_and(|ua| self.user_agents.find(ua).is_some()) {
            return self.ban_source(now, source, BanReason::ScannerUserAgent);
        }
        if self.config.rate_limit > 0 {
            let (window, evicted) = self.rates.get_or_insert_with(source, || Window::new(now));
            let count = window.hit(now, self.config.rate_window);
            self.stats.sources_forgotten += u64::from(evicted);
            if count > self.config.rate_limit {
                return self.ban_source(now, source, BanReason::RateLimit);
            }
        }
        self.stats.requests_allowed += 1;
        Verdict::Allow
    }

    /// Whether `source` is banned at `now`, or, given a username, the (username, source) pair
    /// is. Allocates nothing.
    pub fn is_banned(&self, now: Instant, source: IpAddr, username: Option<&str>) -> bool {
        self.bans.source_banned(&source, now)
            || username.is_some_and(|u| self.bans.user_banned(&source, u, now))
    }

    /// Counts a failed authentication of `username` from `source`; returns the ban if this
    /// failure crossed a limit: [`AbuseConfig::auth_failures`] for the pair, or
    /// [`AbuseConfig::source_auth_failures`] for the whole source.
    ///
    /// Failures while the pair or the source is already banned are not counted: they should not
    /// happen (see the call order on [`AbuseGuard`]), and counting them would let one phone with
    /// a stale password behind an office NAT get the whole office banned.
    pub fn auth_failed(&mut self, now: Instant, source: IpAddr, username: &str) -> Option<Ban> {
        self.stats.auth_failures += 1;
        if !self.config.auth_enabled() || self.is_banned(now, source, Some(username)) {
            return None;
        }
        let user = self.user_key(username);
        let window = self.config.auth_window;
        let (entry, evicted) = self
            .auth
            .get_or_insert_with(source, || AuthSource::new(now));
        let total = entry.fail_source(now, window);
        let for_user = entry.fail_user(user, now, window);
        self.stats.sources_forgotten += u64::from(evicted);

        let spray = self.config.source_auth_failures;
        if spray > 0 && total >= spray {
            self.auth.remove(&source);
            let target = BanTarget::Source(source);
            return Some(self.issue(now, target, BanReason::AuthSpray, self.config.auth_ban_time));
        }
        let limit = self.config.auth_failures;
        if limit > 0 && for_user >= limit {
            if let Some(entry) = self.auth.get_mut(&source) {
                entry.reset_user(user);
            }
            let target = BanTarget::User {
                source,
                username: username.to_owned(),
            };
            let d = self.config.auth_ban_time;
            return Some(self.issue(now, target, BanReason::AuthFailures, d));
        }
        None
    }

    /// Forgets the failures of `username` from `source`: it just authenticated.
    ///
    /// The source's count across usernames is kept, or a sprayer holding one valid account
    /// could clear it between guesses. A success never lifts a ban (the server does not verify
    /// banned pairs, so it cannot see one).
    pub fn auth_succeeded(&mut self, source: IpAddr, username: &str) {
        let user = self.user_key(username);
        if let Some(entry) = self.auth.get_mut(&source) {
            entry.reset_user(user);
        }
    }

    /// Bans `target` for `duration` (at most [`crate::MAX_BAN_TIME`]) from `now`, replacing a
    /// ban of the same target. For operators: the reason is [`BanReason::Manual`].
    pub fn ban(&mut self, now: Instant, target: BanTarget, duration: Duration) -> Ban {
        self.issue(now, target, BanReason::Manual, duration)
    }

    /// Lifts the ban of exactly `target`, and clears the counts that led to it so that the next
    /// request does not ban it again. Returns whether there was such a ban.
    pub fn lift(&mut self, target: &BanTarget) -> bool {
        match target {
            BanTarget::Source(ip) => {
                self.rates.remove(ip);
                self.auth.remove(ip);
            }
            BanTarget::User { source, username } => self.auth_succeeded(*source, username),
        }
        self.bans.remove(target)
    }

    /// Lifts every ban on `source` (the source itself and its usernames) and clears its counts.
    /// Returns how many bans there were.
    pub fn lift_all(&mut self, source: IpAddr) -> usize {
        self.rates.remove(&source);
        self.auth.remove(&source);
        self.bans.remove_all(source)
    }

    /// The bans in force at `now`, oldest first.
    pub fn bans(&self, now: Instant) -> Vec<Ban> {
        self.bans.active(now)
    }

    /// The bans in force at `now`, in a form to save across restarts.
    pub fn export(&self, now: Instant) -> Vec<SavedBan> {
        self.bans(now)
            .into_iter()
            .map(|b| SavedBan {
                age_secs: now.saturating_duration_since(b.since).as_secs(),
                remaining_secs: ceil_secs(b.remaining(now)),
                target: b.target,
                reason: b.reason,
            })
            .collect()
    }

    /// Restores saved bans at `now` (each replaces a ban of the same target); returns how many
    /// were restored. Bans with no time left are skipped. Imported bans are not counted in
    /// [`Stats::bans_issued`].
    pub fn import(&mut self, now: Instant, bans: impl IntoIterator<Item = SavedBan>) -> usize {
        let mut restored = 0;
        for saved in bans {
            if saved.remaining_secs == 0 {
                continue;
            }
            let since = now
                .checked_sub(Duration::from_secs(saved.age_secs))
                .unwrap_or(now);
            let record = Record {
                reason: saved.reason,
                since,
                until: deadline(now, Duration::from_secs(saved.remaining_secs)),
            };
            let (_, evicted) = self.bans.insert_record(saved.target, record, now);
            self.stats.bans_evicted += u64::from(evicted);
            restored += 1;
        }
        restored
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has work: the earliest ban expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.bans.next_expiry()
    }

    /// Removes the bans over at `now` and returns them (for an "unbanned" log line). Cheap to
    /// call early or often; allocates only when a ban expired.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Ban> {
        self.bans.expire(now)
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Sources whose request rate is being counted (at most
    /// [`AbuseConfig::max_tracked_sources`]).
    pub fn tracked_sources(&self) -> usize {
        self.rates.len()
    }

    /// Sources whose authentication failures are being counted (at most
    /// [`AbuseConfig::max_auth_sources`]).
    pub fn tracked_auth_sources(&self) -> usize {
        self.auth.len()
    }

    /// Addresses with a ban, the source's own or a username's (at most
    /// [`AbuseConfig::max_bans`]); expired ones count until swept by
    /// [`handle_timeout`](Self::handle_timeout).
    pub fn banned_addresses(&self) -> usize {
        self.bans.len()
    }

    /// Requests counted for `source` in its current rate window (0 if not tracked), for
    /// diagnostics.
    pub fn request_count(&self, now: Instant, source: IpAddr) -> u32 {
        self.rates
            .peek(&source)
            .map_or(0, |w| w.count_at(now, self.config.rate_window))
    }

    fn ban_source(&mut self, now: Instant, source: IpAddr, reason: BanReason) -> Verdict {
        // A banned source's counts are dead weight until the ban ends; then it starts afresh.
        self.rates.remove(&source);
        self.auth.remove(&source);
        self.stats.requests_dropped += 1;
        let ban = self.issue(now, BanTarget::Source(source), reason, self.config.ban_time);
        Verdict::Banned(ban)
    }

    fn issue(&mut self, now: Instant, target: BanTarget, reason: BanReason, d: Duration) -> Ban {
        let (ban, evicted) = self.bans.insert(now, target, reason, d);
        self.stats.bans_issued[reason.index()] += 1;
        self.stats.bans_evicted += u64::from(evicted);
        ban
    }

    fn user_key(&self, username: &str) -> u64 {
        self.hasher.hash_one(clip_username(username))
    }
}

/// Whole seconds in `d`, rounded up so that a saved ban never ends early.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}
