//! Bans: what is banned and why ([`Ban`], [`BanTarget`], [`BanReason`]), their saved form
//! ([`SavedBan`]), and the bounded table that holds them.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::clip_username;
use crate::config::MAX_BAN_TIME;

/// What a ban applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BanTarget {
    /// Every request from this address is dropped.
    Source(IpAddr),
    /// Authentication as `username` from `source` fails without being tried; the same username
    /// from other addresses, and other usernames from this one, are not affected.
    User {
        /// The client's address.
        source: IpAddr,
        /// The authentication username (the digest `username`), as the client sent it.
        username: String,
    },
}

impl BanTarget {
    /// The address the ban applies to.
    pub fn source(&self) -> IpAddr {
        match self {
            Self::Source(ip) | Self::User { source: ip, .. } => *ip,
        }
    }

    /// The username of a (username, source) ban.
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Source(_) => None,
            Self::User { username, .. } => Some(username),
        }
    }
}

/// `192.0.2.1`, `2001:db8::1`, `alice@192.0.2.1`, `alice@[2001:db8::1]`: the form
/// [`FromStr`] reads back, for the CLI.
impl fmt::Display for BanTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Source(ip) => write!(f, "{ip}"),
            Self::User {
                source: IpAddr::V6(ip),
                username,
            } => write!(f, "{username}@[{ip}]"),
            Self::User {
                source: IpAddr::V4(ip),
                username,
            } => write!(f, "{username}@{ip}"),
        }
    }
}

/// A string that is neither an address nor `username@address`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or username@address")]
pub struct ParseTargetError(String);

impl FromStr for BanTarget {
    type Err = ParseTargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseTargetError(s.to_owned());
        let parse_ip = |a: &str| {
            let a = a
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
                .unwrap_or(a);
            a.parse::<IpAddr>().map_err(|_| err())
        };
        // A username may itself hold '@'; an address never does.
        match s.rsplit_once('@') {
            None => parse_ip(s).map(Self::Source),
            Some(("", _)) => Err(err()),
            Some((user, addr)) => Ok(Self::User {
                source: parse_ip(addr)?,
                username: user.to_owned(),
            }),
        }
    }
}

/// Why a ban was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BanReason {
    /// The source sent more than `rate_limit` requests within `rate_window`.
    RateLimit,
    /// The source sent a User-Agent of a known scanner.
    ScannerUserAgent,
    /// Too many failed authentications of one username from one source.
    AuthFailures,
    /// Too many failed authentications from one source across usernames (password spraying).
    AuthSpray,
    /// Banned by an operator.
    Manual,
}

impl BanReason {
    /// Every reason.
    pub const ALL: [BanReason; 5] = [
        Self::RateLimit,
        Self::ScannerUserAgent,
        Self::AuthFailures,
        Self::AuthSpray,
        Self::Manual,
    ];

    /// A short stable name, fit for a log field or a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimit => "rate_limit",
            Self::ScannerUserAgent => "scanner_user_agent",
            Self::AuthFailures => "auth_failures",
            Self::AuthSpray => "auth_spray",
            Self::Manual => "manual",
        }
    }

    /// Position in [`BanReason::ALL`].
    pub(crate) fn index(self) -> usize {
        match self {
            Self::RateLimit => 0,
            Self::ScannerUserAgent => 1,
            Self::AuthFailures => 2,
            Self::AuthSpray => 3,
            Self::Manual => 4,
        }
    }
}

impl fmt::Display for BanReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One ban: what, why, since when and until when. A snapshot; changing it changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// What is banned.
    pub target: BanTarget,
    /// Why.
    pub reason: BanReason,
    /// When the ban was issued.
    pub since: Instant,
    /// When the ban ends.
    pub until: Instant,
}

impl Ban {
    /// Time left at `now` (zero once over).
    pub fn remaining(&self, now: Instant) -> Duration {
        self.until.saturating_duration_since(now)
    }
}

/// A ban in a form that outlives the process (serde), with times relative to the moment it was
/// saved because an [`Instant`] means nothing after a restart.
///
/// If the server was down for a while, it may subtract the downtime from `remaining_secs` (it
/// knows the wall clock; this crate does not read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedBan {
    /// What is banned.
    pub target: BanTarget,
    /// Why.
    pub reason: BanReason,
    /// Seconds the ban had already lasted when saved.
    pub age_secs: u64,
    /// Seconds the ban had left when saved, rounded up.
    pub remaining_secs: u64,
}

/// `now + d`, with `d` capped at [`MAX_BAN_TIME`] so that no input can overflow an [`Instant`].
pub(crate) fn deadline(now: Instant, d: Duration) -> Instant {
    let d = d.min(MAX_BAN_TIME);
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(24 * 3600)))
        .unwrap_or(now)
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    pub(crate) reason: BanReason,
    pub(crate) since: Instant,
    pub(crate) until: Instant,
}

impl Record {
    fn active(&self, now: Instant) -> bool {
        self.until > now
    }
}

/// Username bans one source may hold; a further one replaces the one closest to expiry. The
/// spraying limit normally bans the whole source long before.
pub(crate) const MAX_USER_BANS_PER_SOURCE: usize = 16;

/// Every ban on one address.
#[derive(Debug, Default)]
struct Slot {
    source: Option<Record>,
    users: Vec<(Box<str>, Record)>,
    /// The key of this slot in the expiry index: its earliest `until`.
    indexed_at: Option<Instant>,
}

impl Slot {
    fn earliest(&self) -> Option<Instant> {
        let users = self.users.iter().map(|(_, r)| r.until);
        self.source.iter().map(|r| r.until).chain(users).min()
    }

    fn is_empty(&self) -> bool {
        self.source.is_none() && self.users.is_empty()
    }

    /// Removes the records over at `now`, returning them.
    fn drain_expired(&mut self, ip: IpAddr, now: Instant, out: &mut Vec<Ban>) {
        if let Some(r) = self.source.filter(|r| !r.active(now)) {
            self.source = None;
            out.push(to_ban(BanTarget::Source(ip), r));
        }
        self.users.retain(|(name, r)| {
            if r.active(now) {
                return true;
            }
            let target = BanTarget::User {
                source: ip,
                username: name.to_string(),
            };
            out.push(to_ban(target, *r));
            false
        });
    }
}

fn to_ban(target: BanTarget, r: Record) -> Ban {
    Ban {
        target,
        reason: r.reason,
        since: r.since,
        until: r.until,
    }
}

/// All bans, at most `capacity` addresses, with an index by expiry for timers and eviction.
#[derive(Debug)]
pub(crate) struct BanTable {
    slots: HashMap<IpAddr, Slot>,
    expiry: BTreeSet<(Instant, IpAddr)>,
    capacity: usize,
}

impl BanTable {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            slots: HashMap::new(),
            expiry: BTreeSet::new(),
            capacity: capacity.max(1),
        }
    }

    /// Addresses with at least one ban (possibly expired and not yet swept).
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether every request from `ip` is to be dropped at `now`.
    pub(crate) fn source_banned(&self, ip: &IpAddr, now: Instant) -> bool {
        // The empty check spares the common case a hash of the address.
        !self.slots.is_empty()
            && self
                .slots
                .get(ip)
                .and_then(|s| s.source)
                .is_some_and(|r| r.active(now))
    }

    /// Whether authentication as `username` from `ip` is banned at `now` (not counting a ban of
    /// the whole source).
    pub(crate) fn user_banned(&self, ip: &IpAddr, username: &str, now: Instant) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let username = clip_username(username);
        self.slots.get(ip).is_some_and(|s| {
            s.users
                .iter()
                .any(|(name, r)| &**name == username && r.active(now))
        })
    }

    /// Bans `target` from `now` for `duration`, replacing any ban of the same target. Returns the
    /// ban and whether another address's bans were evicted to make room.
    pub(crate) fn insert(
        &mut self,
        now: Instant,
        target: BanTarget,
        reason: BanReason,
        duration: Duration,
    ) -> (Ban, bool) {
        self.insert_record(
            target,
            Record {
                reason,
                since: now,
                until: deadline(now, duration),
            },
            now,
        )
    }

    pub(crate) fn insert_record(
        &mut self,
        target: BanTarget,
        record: Record,
        now: Instant,
    ) -> (Ban, bool) {
        let ip = target.source();
        let mut evicted = false;
        if !self.slots.contains_key(&ip) && self.slots.len() >= self.capacity {
            // Full: the bans closest to expiry are worth least.
            if let Some((_, victim)) = self.expiry.pop_first() {
                self.slots.remove(&victim);
                evicted = true;
            }
        }
        let slot = self.slots.entry(ip).or_default();
        let mut expired = Vec::new();
        slot.drain_expired(ip, now, &mut expired);
        let target = match target {
            BanTarget::Source(_) => {
                slot.source = Some(record);
                target
            }
            BanTarget::User { source, username } => {
                let name: Box<str> = clip_username(&username).into();
                if let Some(pos) = slot.users.iter().position(|(n, _)| *n == name) {
                    slot.users[pos].1 = record;
                } else {
                    if slot.users.len() >= MAX_USER_BANS_PER_SOURCE {
                        let soonest = (0..slot.users.len()).min_by_key(|&i| slot.users[i].1.until);
                        if let Some(i) = soonest {
                            slot.users.swap_remove(i);
                        }
                    }
                    slot.users.push((name.clone(), record));
                }
                BanTarget::User {
                    source,
                    username: name.into(),
                }
            }
        };
        self.reindex(ip);
        (to_ban(target, record), evicted)
    }

    /// Lifts the ban of exactly `target`.
    pub(crate) fn remove(&mut self, target: &BanTarget) -> bool {
        let ip = target.source();
        let Some(slot) = self.slots.get_mut(&ip) else {
            return false;
        };
        let removed = match target {
            BanTarget::Source(_) => slot.source.take().is_some(),
            BanTarget::User { username, .. } => {
                let username = clip_username(username);
                let before = slot.users.len();
                slot.users.retain(|(n, _)| &**n != username);
                slot.users.len() != before
            }
        };
        self.reindex(ip);
        removed
    }

    /// Lifts every ban on `ip`, returning how many there were.
    pub(crate) fn remove_all(&mut self, ip: IpAddr) -> usize {
        let Some(slot) = self.slots.remove(&ip) else {
            return 0;
        };
        if let Some(at) = slot.indexed_at {
            self.expiry.remove(&(at, ip));
        }
        usize::from(slot.source.is_some()) + slot.users.len()
    }

    /// Removes the bans over at `now`, returning them.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<Ban> {
        let mut out = Vec::new();
        while let Some(&(at, ip)) = self.expiry.first() {
            if at > now {
                break;
            }
            // Unindex first so that the loop advances whatever the slot holds.
            self.expiry.pop_first();
            if let Some(slot) = self.slots.get_mut(&ip) {
                slot.indexed_at = None;
                slot.drain_expired(ip, now, &mut out);
            }
            self.reindex(ip);
        }
        out
    }

    /// The next moment a ban expires.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.expiry.first().map(|&(at, _)| at)
    }

    /// Every ban still in force at `now`.
    pub(crate) fn active(&self, now: Instant) -> Vec<Ban> {
        let mut out = Vec::new();
        for (&ip, slot) in &self.slots {
            if let Some(r) = slot.source.filter(|r| r.active(now)) {
                out.push(to_ban(BanTarget::Source(ip), r));
            }
            for (name, r) in slot.users.iter().filter(|(_, r)| r.active(now)) {
                let target = BanTarget::User {
                    source: ip,
                    username: name.to_string(),
                };
                out.push(to_ban(target, *r));
            }
        }
        out.sort_by(|a, b| (a.since, &a.target).cmp(&(b.since, &b.target)));
        out
    }

    /// Brings the expiry index in step with the slot of `ip`, dropping the slot if empty.
    fn reindex(&mut self, ip: IpAddr) {
        let Some(slot) = self.slots.get_mut(&ip) else {
            return;
        };
        let earliest = slot.earliest();
        if slot.indexed_at != earliest {
            if let Some(old) = slot.indexed_at {
                self.expiry.remove(&(old, ip));
            }
            if let Some(new) = earliest {
                self.expiry.insert((new, ip));
            }
            slot.indexed_at = earliest;
        }
        if slot.is_empty() {
            self.slots.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const V4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));

    fn user(name: &str, ip: IpAddr) -> BanTarget {
        BanTarget::User {
            source: ip,
            username: name.to_owned(),
        }
    }

    #[test]
    fn target_text_form_reads_back() {
        for t in [
            BanTarget::Source(V4),
            BanTarget::Source(V6),
            user("alice", V4),
            user("alice", V6),
            user("a@b.example", V4),
        ] {
            assert_eq!(t.to_string().parse::<BanTarget>(), Ok(t.clone()), "{t}");
        }
        assert_eq!("alice@[2001:db8::1]".parse(), Ok(user("alice", V6)));
        assert_eq!("alice@2001:db8::1".parse(), Ok(user("alice", V6)));
        assert!("alice".parse::<BanTarget>().is_err());
        assert!("@192.0.2.1".parse::<BanTarget>().is_err());
    }

    #[test]
    fn expiry_index_follows_the_earliest_ban_of_an_address() {
        let t0 = Instant::now();
        let mut table = BanTable::new(10);
        table.insert(
            t0,
            user("bob", V4),
            BanReason::AuthFailures,
            Duration::from_secs(50),
        );
        table.insert(
            t0,
            BanTarget::Source(V4),
            BanReason::Manual,
            Duration::from_secs(10),
        );
        assert_eq!(table.next_expiry(), Some(t0 + Duration::from_secs(10)));

        let gone = table.expire(t0 + Duration::from_secs(10));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].target, BanTarget::Source(V4));
        assert_eq!(table.next_expiry(), Some(t0 + Duration::from_secs(50)));
        assert!(table.user_banned(&V4, "bob", t0 + Duration::from_secs(49)));

        assert_eq!(table.expire(t0 + Duration::from_secs(60)).len(), 1);
        assert_eq!(table.len(), 0);
        assert_eq!(table.next_expiry(), None);
    }

    #[test]
    fn full_table_evicts_the_ban_closest_to_expiry() {
        let t0 = Instant::now();
        let mut table = BanTable::new(2);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let c = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
        table.insert(
            t0,
            BanTarget::Source(a),
            BanReason::Manual,
            Duration::from_secs(100),
        );
        table.insert(
            t0,
            BanTarget::Source(b),
            BanReason::Manual,
            Duration::from_secs(10),
        );
        let (_, evicted) = table.insert(
            t0,
            BanTarget::Source(c),
            BanReason::Manual,
            Duration::from_secs(50),
        );
        assert!(evicted);
        assert_eq!(table.len(), 2);
        assert!(table.source_banned(&a, t0));
        assert!(!table.source_banned(&b, t0));
        assert!(table.source_banned(&c, t0));
    }

    #[test]
    fn user_bans_per_address_are_capped() {
        let t0 = Instant::now();
        let mut table = BanTable::new(10);
        for i in 0..MAX_USER_BANS_PER_SOURCE as u64 + 5 {
            let d = Duration::from_secs(100 + i);
            table.insert(t0, user(&format!("u{i}"), V4), BanReason::AuthFailures, d);
        }
        assert_eq!(table.active(t0).len(), MAX_USER_BANS_PER_SOURCE);
        // The shortest were replaced.
        assert!(!table.user_banned(&V4, "u0", t0));
        assert!(table.user_banned(&V4, "u20", t0));
    }

    #[test]
    fn huge_durations_do_not_overflow() {
        let t0 = Instant::now();
        let mut table = BanTable::new(1);
        let (ban, _) = table.insert(t0, BanTarget::Source(V4), BanReason::Manual, Duration::MAX);
        assert_eq!(ban.until, t0 + MAX_BAN_TIME);
    }
}
