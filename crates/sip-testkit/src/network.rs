//! The simulated network: links with latency, jitter, loss, duplication, reordering and
//! partitions; explicit per-message filters; datagrams and ordered stream segments; and a
//! trace of everything sent.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_message::{Message, Request, Response};
use sip_transaction::{TransactionKey, Transmit, Transport};

use crate::{SimClock, SimRng};

/// A node of a scenario: an index, in the order nodes were added.
pub type NodeId = usize;

/// How bytes travel between two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Carrier {
    /// Independent datagrams (UDP): each may be lost, duplicated, delayed or overtaken.
    Datagram,
    /// An ordered byte stream (TCP, TLS, WebSocket, SCTP): nothing is lost, duplicated or
    /// reordered by the link's random rules; messages may be cut into segments, which the
    /// receiving side reassembles with the RFC 3261 §18.3 framer.
    Stream,
}

impl Carrier {
    /// The carrier of a SIP transport: UDP sends datagrams, everything else a stream.
    pub fn of(transport: Transport) -> Carrier {
        if matches!(transport, Transport::Udp) {
            Carrier::Datagram
        } else {
            Carrier::Stream
        }
    }
}

/// What happens to one message: the verdict of a filter, and the outcome the trace records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Delivered after the link's latency. As a filter's verdict: "no opinion", the link's
    /// random rules then decide.
    Deliver,
    /// Never delivered.
    Drop,
    /// Delivered twice.
    Duplicate,
    /// Delivered this much later than the link's latency.
    Delay(Duration),
}

/// Who decided a message's [`Fate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The link: its latency, and for datagrams its seeded loss, duplication, jitter and
    /// reordering.
    Link,
    /// A filter set by the test ([`SimNetwork::add_filter`]).
    Filter,
    /// The two nodes were partitioned ([`SimNetwork::partition`]).
    Partition,
}

/// How a link between two nodes behaves. The default is an ideal link: no latency, nothing
/// lost.
///
/// Loss, duplication, jitter and reordering apply to datagrams only and draw from the
/// network's seeded generator, so a given seed always gives the same outcome. A stream gets
/// the latency and jitter but stays in order.
///
/// ```
/// use std::time::Duration;
/// use sip_testkit::LinkRules;
/// let lossy = LinkRules {
///     latency: Duration::from_millis(20),
///     jitter: Duration::from_millis(30),
///     loss: 0.1,
///     duplicate: 0.05,
///     ..LinkRules::default()
/// };
/// assert_eq!(lossy.reorder, 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRules {
    /// One-way delay of every message.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` for each copy of a message (datagrams
    /// may overtake each other; a stream keeps its order).
    pub jitter: Duration,
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Probability that a datagram is held back by [`reorder_delay`](Self::reorder_delay),
    /// letting later ones overtake it.
    pub reorder: f64,
    /// How long a reordered datagram is held back.
    pub reorder_delay: Duration,
    /// The largest stream segment; a longer message is cut into several (`None`: one segment
    /// per message).
    pub segment_size: Option<usize>,
}

impl Default for LinkRules {
    fn default() -> Self {
        LinkRules {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::ZERO,
            segment_size: None,
        }
    }
}

impl LinkRules {
    /// An ideal link with this latency.
    pub fn with_latency(latency: Duration) -> Self {
        LinkRules {
            latency,
            ..LinkRules::default()
        }
    }

    fn check(&self) {
        for (name, p) in [
            ("loss", self.loss),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            assert!(
                (0.0..=1.0).contains(&p),
                "LinkRules::{name} must be a probability, got {p}"
            );
        }
    }
}

/// What a filter sees of a message about to be sent.
#[derive(Debug, Clone, Copy)]
pub struct WireInfo<'a> {
    /// The sender.
    pub from: NodeId,
    /// The receiver.
    pub to: NodeId,
    /// The start line (`INVITE sip:... SIP/2.0`, `SIP/2.0 200 OK`).
    pub line: &'a str,
    /// The method in the CSeq header (`INVITE` for a `200` to an INVITE).
    pub cseq_method: &'a str,
    /// How many messages with the same start line and CSeq method this sender sent before
    /// (dropped ones included): `0` for the first, `1` for its first retransmission...
    pub nth: usize,
    /// How it travels.
    pub carrier: Carrier,
    /// The whole message.
    pub bytes: &'a Bytes,
}

impl WireInfo<'_> {
    /// Whether the start line begins with `what`: a request method (`"ACK"`), or a status
    /// (`"SIP/2.0 183"`).
    pub fn is(&self, what: &str) -> bool {
        self.line.starts_with(what)
    }

    /// Whether this is a response `status` to a `method` request.
    pub fn is_response(&self, status: u16, method: &str) -> bool {
        self.line.starts_with(&format!("SIP/2.0 {status} ")) && self.cseq_method == method
    }
}

/// A filter: the test's verdict on each message, [`Fate::Deliver`] for "no opinion".
pub type Filter = Box<dyn FnMut(&WireInfo<'_>) -> Fate>;

/// One message put on the wire, as the trace records it.
#[derive(Debug, Clone)]
pub struct TraceEntry {
    /// When it was sent.
    pub at: Instant,
    /// When it was sent, in milliseconds since the start.
    pub at_ms: u64,
    /// The sender.
    pub from: NodeId,
    /// The receiver.
    pub to: NodeId,
    /// The SIP transport it was sent over.
    pub transport: Transport,
    /// How it travelled.
    pub carrier: Carrier,
    /// The start line, without CRLF.
    pub line: String,
    /// The method in the CSeq header, or empty.
    pub cseq_method: String,
    /// The message.
    pub bytes: Bytes,
    /// The transaction that sent it, as the engine's transmit named it.
    pub key: Option<TransactionKey>,
    /// What happened to it.
    pub fate: Fate,
    /// Who decided that.
    pub cause: Cause,
    /// When each copy arrives (empty when dropped).
    pub arrivals: Vec<Instant>,
}

impl TraceEntry {
    /// The message, parsed.
    ///
    /// # Panics
    ///
    /// If the bytes do not parse (the engines under test print parseable messages).
    pub fn message(&self) -> Message {
        match Message::parse(self.bytes.clone()) {
            Ok(m) => m,
            Err(e) => panic!("unparseable message on the wire ({e}): {}", self.line),
        }
    }

    /// The message as a request.
    ///
    /// # Panics
    ///
    /// If it is a response.
    pub fn request(&self) -> Request {
        match self.message() {
            Message::Request(r) => r,
            Message::Response(_) => panic!("not a request: {}", self.line),
        }
    }

    /// The message as a response.
    ///
    /// # Panics
    ///
    /// If it is a request.
    pub fn response(&self) -> Response {
        match self.message() {
            Message::Response(r) => r,
            Message::Request(_) => panic!("not a response: {}", self.line),
        }
    }

    /// Whether at least one copy is (or was) on its way to the receiver.
    pub fn delivered(&self) -> bool {
        !self.arrivals.is_empty()
    }
}

/// Bytes arriving at a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// When they arrive.
    pub at: Instant,
    /// The sender.
    pub from: NodeId,
    /// The receiver.
    pub to: NodeId,
    /// The SIP transport.
    pub transport: Transport,
    /// A whole datagram, or one segment of a stream.
    pub carrier: Carrier,
    /// The bytes.
    pub bytes: Bytes,
}

/// A delivery waiting in the network, ordered by arrival time, then by the order in which
/// it was scheduled.
#[derive(Debug)]
struct Queued {
    seq: u64,
    delivery: Delivery,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.delivery.at, self.seq).cmp(&(other.delivery.at, other.seq))
    }
}

/// The network between the nodes of a scenario.
///
/// [`SimNetwork::send`] decides each message's fate at once (filters first, then partitions,
/// then the link's rules, drawing from a generator seeded by [`SimNetwork::new`]) and queues
/// its copies; [`SimNetwork::pop_due`] hands them out in order of arrival time, ties in the
/// order they were queued. Everything sent is kept in the [`trace`](SimNetwork::trace).
///
/// ```
/// use std::time::Duration;
/// use bytes::Bytes;
/// use sip_testkit::{Fate, LinkRules, SimClock, SimNetwork};
/// use sip_transaction::{Peer, Transmit};
///
/// let clock = SimClock::new();
/// let mut net = SimNetwork::new(1);
/// net.set_rules(LinkRules::with_latency(Duration::from_millis(10)));
/// net.drop_nth(0, "OPTIONS", 0); // the first OPTIONS from node 0 is lost
/// let options = Bytes::from_static(b"OPTIONS sip:b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n");
/// let t = Transmit { destination: Peer::udp("192.0.2.2:5060".parse()?), bytes: options, key: None };
/// net.send(&clock, 0, 1, &t);
/// net.send(&clock, 0, 1, &t);
/// assert_eq!(net.trace()[0].fate, Fate::Drop);
/// assert_eq!(net.next_arrival(), Some(clock.at_ms(10)));
/// assert!(net.pop_due(clock.now()).is_none());
/// assert_eq!(net.pop_due(clock.at_ms(10)).map(|d| d.to), Some(1));
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
pub struct SimNetwork {
    seed: u64,
    rng: SimRng,
    rules: LinkRules,
    links: HashMap<(NodeId, NodeId), LinkRules>,
    partitions: HashSet<(NodeId, NodeId)>,
    filters: Vec<Filter>,
    queue: BinaryHeap<Reverse<Queued>>,
    seq: u64,
    counts: HashMap<(NodeId, String, String), usize>,
    stream_tail: HashMap<(NodeId, NodeId, Transport), Instant>,
    trace: Vec<TraceEntry>,
}

impl std::fmt::Debug for SimNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimNetwork")
            .field("seed", &self.seed)
            .field("rules", &self.rules)
            .field("links", &self.links)
            .field("partitions", &self.partitions)
            .field("filters", &self.filters.len())
            .field("in_flight", &self.queue.len())
            .field("sent", &self.trace.len())
            .finish()
    }
}

impl SimNetwork {
    /// An ideal network (no latency, nothing lost) whose random rules, once set, draw from a
    /// generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SimNetwork {
            seed,
            rng: SimRng::derive(seed, 0x006e_6574_776f_726b),
            rules: LinkRules::default(),
            links: HashMap::new(),
            partitions: HashSet::new(),
            filters: Vec::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            counts: HashMap::new(),
            stream_tail: HashMap::new(),
            trace: Vec::new(),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    // ----- Rules -----

    /// The rules of every link without rules of its own.
    pub fn rules(&self) -> &LinkRules {
        &self.rules
    }

    /// Sets the rules of every link without rules of its own.
    ///
    /// # Panics
    ///
    /// If a probability is outside `0..=1`.
    pub fn set_rules(&mut self, rules: LinkRules) {
        rules.check();
        self.rules = rules;
    }

    /// Sets the latency of every link without rules of its own, keeping its other rules.
    pub fn set_latency(&mut self, latency: Duration) {
        self.rules.latency = latency;
    }

    /// Gives the one-way link `from -> to` rules of its own.
    ///
    /// # Panics
    ///
    /// If a probability is outside `0..=1`.
    pub fn set_link(&mut self, from: NodeId, to: NodeId, rules: LinkRules) {
        rules.check();
        self.links.insert((from, to), rules);
    }

    /// Gives both directions between `a` and `b` these rules.
    pub fn set_link_both(&mut self, a: NodeId, b: NodeId, rules: LinkRules) {
        self.set_link(a, b, rules.clone());
        self.set_link(b, a, rules);
    }

    /// Returns the link `from -> to` to the global rules.
    pub fn clear_link(&mut self, from: NodeId, to: NodeId) {
        self.links.remove(&(from, to));
    }

    /// The rules that apply to `from -> to`.
    pub fn link(&self, from: NodeId, to: NodeId) -> &LinkRules {
        self.links.get(&(from, to)).unwrap_or(&self.rules)
    }

    /// Cuts both directions between `a` and `b`: everything sent between them from now on is
    /// dropped (in a stream too: the connection is broken) until [`heal`](Self::heal).
    /// Messages already in flight still arrive.
    pub fn partition(&mut self, a: NodeId, b: NodeId) {
        self.partitions.insert((a, b));
        self.partitions.insert((b, a));
    }

    /// Ends a partition between `a` and `b`.
    pub fn heal(&mut self, a: NodeId, b: NodeId) {
        self.partitions.remove(&(a, b));
        self.partitions.remove(&(b, a));
    }

    /// Ends every partition.
    pub fn heal_all(&mut self) {
        self.partitions.clear();
    }

    /// Whether `from -> to` is cut.
    pub fn is_partitioned(&self, from: NodeId, to: NodeId) -> bool {
        self.partitions.contains(&(from, to))
    }

    /// Adds a filter. Filters are asked in the order they were added; the first verdict
    /// other than [`Fate::Deliver`] decides, and later filters are not asked.
    pub fn add_filter(&mut self, filter: impl FnMut(&WireInfo<'_>) -> Fate + 'static) {
        self.filters.push(Box::new(filter));
    }

    /// Replaces every filter with this one.
    pub fn set_filter(&mut self, filter: impl FnMut(&WireInfo<'_>) -> Fate + 'static) {
        self.filters.clear();
        self.add_filter(filter);
    }

    /// Removes every filter.
    pub fn clear_filters(&mut self) {
        self.filters.clear();
    }

    /// Drops the `nth` message (counting from 0) that `from` sends whose start line begins
    /// with `prefix`, counted per start line and CSeq method as [`WireInfo::nth`] is.
    pub fn drop_nth(&mut self, from: NodeId, prefix: &'static str, nth: usize) {
        self.add_filter(move |w| {
            if w.from == from && w.is(prefix) && w.nth == nth {
                Fate::Drop
            } else {
                Fate::Deliver
            }
        });
    }

    // ----- Traffic -----

    /// Puts `transmit` on the wire from `from` to `to` at the clock's time, decides its fate
    /// and queues its copies. Returns its index in the trace.
    pub fn send(
        &mut self,
        clock: &SimClock,
        from: NodeId,
        to: NodeId,
        transmit: &Transmit,
    ) -> usize {
        let bytes = transmit.bytes.clone();
        let transport = transmit.destination.transport;
        let carrier = Carrier::of(transport);
        let line = start_line(&bytes);
        let cseq_method = cseq_method(&bytes);
        let count = self
            .counts
            .entry((from, line.clone(), cseq_method.clone()))
            .or_insert(0);
        let nth = *count;
        *count += 1;
        let info = WireInfo {
            from,
            to,
            line: &line,
            cseq_method: &cseq_method,
            nth,
            carrier,
            bytes: &bytes,
        };
        let verdict = self
            .filters
            .iter_mut()
            .map(|f| f(&info))
            .find(|f| *f != Fate::Deliver);
        let rules = self.link(from, to).clone();
        // Filters see every message (so that counting filters stay in step); a partition
        // overrides them.
        let (fate, cause) = if self.is_partitioned(from, to) {
            (Fate::Drop, Cause::Partition)
        } else if let Some(v) = verdict {
            (v, Cause::Filter)
        } else if carrier == Carrier::Datagram && self.rng.chance(rules.loss) {
            (Fate::Drop, Cause::Link)
        } else if carrier == Carrier::Datagram && self.rng.chance(rules.duplicate) {
            (Fate::Duplicate, Cause::Link)
        } else {
            (Fate::Deliver, Cause::Link)
        };
        let now = clock.now();
        let copies = match fate {
            Fate::Drop => vec![],
            Fate::Deliver => vec![Duration::ZERO],
            Fate::Duplicate => vec![Duration::ZERO, Duration::ZERO],
            Fate::Delay(d) => vec![d],
        };
        let mut arrivals = Vec::with_capacity(copies.len());
        for extra in copies {
            let mut at = now + rules.latency + extra;
            if !rules.jitter.is_zero() {
                at += self.rng.duration_up_to(rules.jitter);
            }
            match carrier {
                Carrier::Datagram => {
                    if self.rng.chance(rules.reorder) {
                        at += rules.reorder_delay;
                    }
                    self.queue_delivery(Delivery {
                        at,
                        from,
                        to,
                        transport,
                        carrier,
                        bytes: bytes.clone(),
                    });
                }
                Carrier::Stream => {
                    // A stream never reorders: nothing arrives before what was sent earlier.
                    let tail = self.stream_tail.entry((from, to, transport)).or_insert(at);
                    at = at.max(*tail);
                    *tail = at;
                    let size = rules.segment_size.filter(|s| *s > 0).unwrap_or(bytes.len());
                    let mut rest = bytes.clone();
                    while !rest.is_empty() {
                        let segment = rest.split_to(size.min(rest.len()));
                        self.queue_delivery(Delivery {
                            at,
                            from,
                            to,
                            transport,
                            carrier,
                            bytes: segment,
                        });
                    }
                }
            }
            arrivals.push(at);
        }
        self.trace.push(TraceEntry {
            at: now,
            at_ms: clock.ms(),
            from,
            to,
            transport,
            carrier,
            line,
            cseq_method,
            bytes,
            key: transmit.key,
            fate,
            cause,
            arrivals,
        });
        self.trace.len() - 1
    }

    fn queue_delivery(&mut self, delivery: Delivery) {
        self.seq += 1;
        self.queue.push(Reverse(Queued {
            seq: self.seq,
            delivery,
        }));
    }

    /// When the next delivery arrives, if anything is in flight.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse(q)| q.delivery.at)
    }

    /// The next delivery due at `now` or earlier.
    pub fn pop_due(&mut self, now: Instant) -> Option<Delivery> {
        if self.next_arrival()? > now {
            return None;
        }
        self.queue.pop().map(|Reverse(q)| q.delivery)
    }

    /// How many deliveries (datagrams and segments) are in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// Everything sent so far, in order.
    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }
}

/// The first line of a message, without CRLF.
pub fn start_line(bytes: &[u8]) -> String {
    let end = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The method named by the CSeq header of a message, or an empty string.
pub fn cseq_method(bytes: &[u8]) -> String {
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..head_end])
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("cseq")
                .then(|| value.split_whitespace().nth(1).map(str::to_owned))
                .flatten()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "network_tests.rs"]
mod tests;
