//! Resolved targets, the blacklist of failed ones, and failover over the list (RFC 3263 §4.3).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip_transaction::{Peer, Transport};

/// One place to send a request: transport, address and port, and the host name it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Where to send, over which transport.
    pub peer: Peer,
    /// The host name whose A/AAAA record gave the address (an SRV target, or the URI's host);
    /// `None` when the URI held a numeric address. Useful for logs and a WebSocket `Host`
    /// header; TLS certificates are checked against the URI's domain instead (RFC 5922 §4).
    pub host: Option<Arc<str>>,
}

impl Target {
    /// A target at `addr` over `transport`.
    pub fn new(transport: Transport, addr: SocketAddr, host: Option<Arc<str>>) -> Self {
        Target {
            peer: Peer::new(addr, transport),
            host,
        }
    }

    /// The transport.
    pub fn transport(&self) -> Transport {
        self.peer.transport
    }

    /// The address and port.
    pub fn addr(&self) -> SocketAddr {
        self.peer.addr
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Some(h) => write!(f, "{} ({h})", self.peer),
            None => write!(f, "{}", self.peer),
        }
    }
}

/// How a target failed, as RFC 3263 §4.3 lists the reasons to move on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The transport reported an error (connection refused, ICMP unreachable, TLS failure).
    Transport,
    /// The transaction timed out (Timer B or F) with no response.
    Timeout,
    /// A 503 (Service Unavailable) arrived, with its Retry-After if any.
    ServiceUnavailable {
        /// How long the server asked not to be contacted.
        retry_after: Option<Duration>,
    },
}

/// Targets that failed recently and are skipped until their time runs out, keyed by transport
/// and address.
#[derive(Debug, Clone, Default)]
pub struct Blacklist {
    until: HashMap<(Transport, SocketAddr), Instant>,
}

impl Blacklist {
    /// An empty blacklist.
    pub fn new() -> Self {
        Blacklist::default()
    }

    /// Skips `peer` until `until` (an earlier entry's later deadline is kept).
    pub fn insert(&mut self, peer: Peer, until: Instant) {
        let e = self
            .until
            .entry((peer.transport, peer.addr))
            .or_insert(until);
        *e = (*e).max(until);
    }

    /// Whether `peer` is to be skipped at `now`.
    pub fn contains(&self, peer: &Peer, now: Instant) -> bool {
        self.until
            .get(&(peer.transport, peer.addr))
            .is_some_and(|&t| now < t)
    }

    /// Takes `peer` off the list (for instance after it answered an OPTIONS ping).
    pub fn remove(&mut self, peer: &Peer) {
        self.until.remove(&(peer.transport, peer.addr));
    }

    /// Drops the entries that have run out at `now`.
    pub fn purge(&mut self, now: Instant) {
        self.until.retain(|_, t| now < *t);
    }

    /// When the earliest entry runs out.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.until.values().min().copied()
    }

    /// The number of entries, run-out ones not yet purged included.
    pub fn len(&self) -> usize {
        self.until.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }
}

/// The ordered result of a resolution and a cursor over it for failover.
///
/// [`Targets::next`] yields the next target not blacklisted at `now`; when the request sent to
/// it fails, [`Targets::fail`] blacklists it and yields the one after (RFC 3263 §4.3: a new
/// request with a new branch goes to the next element). `None` means the list is exhausted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    list: Vec<Target>,
    next: usize,
    current: Option<usize>,
}

impl Targets {
    /// Wraps an ordered list.
    pub fn new(list: Vec<Target>) -> Self {
        Targets {
            list,
            next: 0,
            current: None,
        }
    }

    /// All targets in order, blacklisted ones included.
    pub fn as_slice(&self) -> &[Target] {
        &self.list
    }

    /// The number of targets.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there is no target.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The target last yielded.
    pub fn current(&self) -> Option<&Target> {
        self.current.and_then(|i| self.list.get(i))
    }

    /// Yields the next target not blacklisted at `now`.
    pub fn next(&mut self, blacklist: &Blacklist, now: Instant) -> Option<Target> {
        while let Some(t) = self.list.get(self.next) {
            let i = self.next;
            self.next += 1;
            if !blacklist.contains(&t.peer, now) {
                self.current = Some(i);
                return Some(t.clone());
            }
        }
        self.current = None;
        None
    }

    /// Reports that the request sent to the current target failed: blacklists it for
    /// `duration` (or for a 503's Retry-After when it gave one) and yields the next target.
    pub fn fail(
        &mut self,
        failure: Failure,
        duration: Duration,
        blacklist: &mut Blacklist,
        now: Instant,
    ) -> Option<Target> {
        if let Some(t) = self.current() {
            let for_ = match failure {
                Failure::ServiceUnavailable {
                    retry_after: Some(d),
                } => d,
                _ => duration,
            };
            blacklist.insert(t.peer, now + for_);
        }
        self.next(blacklist, now)
    }

    /// Starts over from the first target (blacklisted ones are still skipped).
    pub fn rewind(&mut self) {
        self.next = 0;
        self.current = None;
    }

    /// The targets, consumed.
    pub fn into_vec(self) -> Vec<Target> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(last: u8) -> Target {
        Target::new(
            Transport::Udp,
            SocketAddr::from(([127, 0, 0, last], 5060)),
            None,
        )
    }

    #[test]
    fn failover_walks_and_blacklists() {
        let now = Instant::now();
        let mut bl = Blacklist::new();
        let mut ts = Targets::new(vec![t(1), t(2), t(3)]);
        let d = Duration::from_secs(60);
        assert_eq!(ts.next(&bl, now), Some(t(1)));
        assert_eq!(ts.fail(Failure::Timeout, d, &mut bl, now), Some(t(2)));
        assert_eq!(ts.fail(Failure::Transport, d, &mut bl, now), Some(t(3)));
        assert_eq!(ts.current(), Some(&t(3)));
        assert_eq!(ts.fail(Failure::Timeout, d, &mut bl, now), None);
        assert_eq!(ts.current(), None);
        assert_eq!(bl.len(), 3);

        // A new request to the same list skips all three until they run out.
        let mut again = Targets::new(vec![t(1), t(2), t(3)]);
        assert_eq!(again.next(&bl, now + Duration::from_secs(59)), None);
        again.rewind();
        assert_eq!(again.next(&bl, now + d), Some(t(1)));
        bl.purge(now + d);
        assert!(bl.is_empty());
    }

    #[test]
    fn retry_after_sets_the_blacklist_time() {
        let now = Instant::now();
        let mut bl = Blacklist::new();
        let mut ts = Targets::new(vec![t(1), t(2)]);
        ts.next(&bl, now);
        let f = Failure::ServiceUnavailable {
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(
            ts.fail(f, Duration::from_secs(60), &mut bl, now),
            Some(t(2))
        );
        assert_eq!(bl.next_expiry(), Some(now + Duration::from_secs(5)));
        assert!(bl.contains(&t(1).peer, now + Duration::from_secs(4)));
        assert!(!bl.contains(&t(1).peer, now + Duration::from_secs(5)));
        // A longer, later entry is kept over a shorter one.
        bl.insert(t(1).peer, now + Duration::from_secs(1));
        assert!(bl.contains(&t(1).peer, now + Duration::from_secs(4)));
        bl.remove(&t(1).peer);
        assert!(!bl.contains(&t(1).peer, now));
    }

    #[test]
    fn blacklist_is_per_transport() {
        let now = Instant::now();
        let mut bl = Blacklist::new();
        let udp = t(1);
        let tcp = Target::new(Transport::Tcp, udp.addr(), None);
        bl.insert(udp.peer, now + Duration::from_secs(1));
        let mut ts = Targets::new(vec![udp, tcp.clone()]);
        assert_eq!(ts.next(&bl, now), Some(tcp));
    }
}
