//! Abuse protection for a SIP server, sans-IO: per-source request rate limits with temporary
//! bans (like Kamailio's pike), authentication failure lockout per (username, source) pair and
//! per source, bans of known scanner User-Agents, and a ban list operators can see and change.
//!
//! [`AbuseGuard`] makes the decisions; the server feeds it requests, authentication results and
//! the time, and acts on its answers (see its documentation for the call order). Nothing here
//! reads a clock, touches a socket or logs. Settings and their defaults are in [`AbuseConfig`].
//!
//! ```
//! use std::net::IpAddr;
//! use std::time::{Duration, Instant};
//! use sip_abuse::{AbuseConfig, AbuseGuard, BanReason, Verdict};
//!
//! let mut guard = AbuseGuard::new(AbuseConfig::default()).expect("defaults are valid");
//! let now = Instant::now();
//! let phone: IpAddr = "192.0.2.10".parse().expect("an address");
//! let scanner: IpAddr = "198.51.100.7".parse().expect("an address");
//!
//! assert_eq!(guard.check_request(now, phone, Some("Linphone/5.2")), Verdict::Allow);
//! match guard.check_request(now, scanner, Some("friendly-scanner")) {
//!     Verdict::Banned(ban) => assert_eq!(ban.reason, BanReason::ScannerUserAgent),
//!     other => panic!("{other:?}"),
//! }
//! // Banned sources are dropped without an answer until the ban ends.
//! assert_eq!(guard.check_request(now, scanner, None), Verdict::Drop);
//! let later = now + Duration::from_secs(301);
//! assert_eq!(guard.check_request(later, scanner, None), Verdict::Allow);
//! ```
//!
//! # Policy
//!
//! - **Rate**: fixed windows of [`AbuseConfig::rate_window`] per source address; the request
//!   after [`AbuseConfig::rate_limit`] in one window bans the source for
//!   [`AbuseConfig::ban_time`]. A ban is not extended while the flood goes on: when it ends the
//!   source starts from zero and, if still flooding, is banned again within one window.
//! - **Authentication**: [`AbuseConfig::auth_failures`] failures for one username from one
//!   address within [`AbuseConfig::auth_window`] ban that pair only, so the real user on another
//!   address keeps working; [`AbuseConfig::source_auth_failures`] failures from one address for
//!   any usernames ban the address (password spraying). Usernames are compared exactly (SIP
//!   user parts are case-sensitive) on their first 128 bytes.
//! - **Scanners**: a User-Agent containing one of [`AbuseConfig::blocked_user_agents`] bans the
//!   source at once, for [`AbuseConfig::ban_time`].
//! - Banned sources get no answer at all ([`Verdict::Drop`]); banned pairs get the answer of a
//!   wrong password (see [`AbuseGuard`]).
//!
//! # Cost and memory
//!
//! [`AbuseGuard::check_request`] is O(1): one hash lookup in the ban table (skipped while nothing
//! is banned), a bounded User-Agent scan, and one hash lookup plus a few index writes in the rate
//! table. It allocates nothing for a source already tracked, nor for a new one once the table is
//! full (the least recently seen entry is reused in place). Hashing is std's keyed SipHash, so
//! crafted addresses cannot degrade the tables.
//!
//! Each table is bounded, and the per-entry costs below (64-bit Linux) include the hash index but
//! not growth slack (up to twice as much just after a table has doubled):
//!
//! | table | bound | bytes per entry |
//! |---|---|---|
//! | request rates | [`AbuseConfig::max_tracked_sources`] | ≈ 80 (56 node + 24 index) |
//! | authentication failures | [`AbuseConfig::max_auth_sources`] | ≈ 210 (184 node + 24 index) |
//! | bans | [`AbuseConfig::max_bans`] | ≈ 200 per address (incl. expiry index), + 56 and the name per banned username |
//!
//! With the defaults that is about 8 MB + 5 MB + 20 MB (twice that at worst with slack), reached
//! only under attack from 100 000 distinct addresses. Bans live in their own table, so a flood of new addresses
//! evicts rate counts, never bans; when the ban table itself is full, a new ban replaces the one
//! closest to expiry ([`Stats::bans_evicted`]).

mod auth;
mod ban;
mod config;
mod guard;
mod lru;
mod user_agent;

pub use ban::{Ban, BanReason, BanTarget, ParseTargetError, SavedBan};
pub use config::{
    AbuseConfig, ConfigError, DEFAULT_BLOCKED_USER_AGENTS, MAX_BAN_TIME, MAX_USER_AGENT_SCAN,
};
pub use guard::{AbuseGuard, Stats, Verdict};

/// Bytes of a username that are compared and kept: bounds what an attacker's usernames cost.
pub(crate) const MAX_USERNAME_LEN: usize = 128;

/// `username` cut to at most [`MAX_USERNAME_LEN`] bytes, on a character boundary.
pub(crate) fn clip_username(username: &str) -> &str {
    if username.len() <= MAX_USERNAME_LEN {
        return username;
    }
    let mut end = MAX_USERNAME_LEN;
    while !username.is_char_boundary(end) {
        end -= 1;
    }
    &username[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_usernames_are_clipped_on_a_char_boundary() {
        assert_eq!(clip_username("alice"), "alice");
        let long = "é".repeat(100);
        let clipped = clip_username(&long);
        assert!(clipped.len() <= MAX_USERNAME_LEN);
        assert_eq!(clipped.len(), 128);
        let odd = format!("a{}", "é".repeat(100));
        assert_eq!(clip_username(&odd).len(), 127);
    }
}
