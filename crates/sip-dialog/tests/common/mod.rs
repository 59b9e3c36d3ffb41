//! User agents (dialog layers) and a stateless loose-routing proxy wired through a simulated
//! network and clock.
//!
//! Every datagram is delivered after `latency` (zero unless set), in send order, unless the
//! fate rule drops, duplicates or delays it. Time only moves when the test says so; between
//! two points it jumps from one wake-up (a delivery or a timer) to the next, so a 90-second
//! session timer runs in microseconds. Every transmission and every event is recorded with
//! its time in milliseconds since the start, for exact assertions.

// Each test file uses its own part of this module.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_dialog::{
    Config, DialogEvent, DialogId, DialogLayer, IncomingId, InitialRequest, Input, Output,
    RandomSource, RequestId, SplitMix64, SubscriptionId,
};
use sip_message::{HeaderName, Message, Method, Request, Uri};
use sip_transaction::{Peer, Transport};

pub const ALICE: usize = 0;
pub const BOB: usize = 1;
/// A third node, when a test adds one (a second callee, a proxy).
pub const THIRD: usize = 2;
pub const FOURTH: usize = 3;

/// What happens to one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    Drop,
    /// Delivered twice.
    Duplicate,
    /// Delivered this much later than the normal latency.
    Delay(Duration),
}

/// What a fate rule sees of a datagram.
#[derive(Debug, Clone)]
pub struct WireInfo<'a> {
    pub from: usize,
    pub to: usize,
    /// The start line (`INVITE sip:... SIP/2.0`, `SIP/2.0 200 OK`).
    pub line: &'a str,
    /// The CSeq method.
    pub cseq_method: &'a str,
    /// How many datagrams with the same start line and CSeq method this sender sent before.
    pub nth: usize,
}

impl WireInfo<'_> {
    /// A request with this method, or a response with this status to it.
    pub fn is(&self, what: &str) -> bool {
        self.line.starts_with(what)
    }

    /// A response `status` to a `method` request.
    pub fn is_response(&self, status: u16, method: &str) -> bool {
        self.line.starts_with(&format!("SIP/2.0 {status} ")) && self.cseq_method == method
    }
}

/// One transmission as seen on the wire.
#[derive(Debug, Clone)]
pub struct Wire {
    pub at_ms: u64,
    pub from: usize,
    pub to: usize,
    pub line: String,
    pub cseq_method: String,
    pub bytes: Bytes,
    pub fate: Fate,
}

impl Wire {
    pub fn message(&self) -> Message {
        Message::parse(self.bytes.clone()).expect("the layer sends parseable messages")
    }

    pub fn request(&self) -> Request {
        match self.message() {
            Message::Request(r) => r,
            Message::Response(_) => panic!("not a request: {}", self.line),
        }
    }
}

type Hook = Box<dyn FnMut(&mut DialogLayer, Instant, &DialogEvent)>;

/// A stateless proxy that record-routes dialog-creating requests and loose-routes; or, with
/// fork targets, forks requests sent outside a dialog to all of them (without record-routing).
pub struct Proxy {
    addr: SocketAddr,
    fork: Vec<SocketAddr>,
}

impl Proxy {
    fn uri(&self) -> String {
        format!("sip:{};lr", self.addr)
    }

    /// Forwards a message: where to, and the bytes.
    fn forward(&mut self, msg: Message) -> Vec<(SocketAddr, Bytes)> {
        let initial = msg.to().is_ok_and(|t| t.tag().is_none());
        match msg {
            Message::Request(req) if initial && !self.fork.is_empty() => {
                let branch = req
                    .via()
                    .ok()
                    .and_then(|v| v.branch().map(str::to_owned))
                    .unwrap_or_default();
                let ours = self.addr.to_string();
                self.fork
                    .clone()
                    .into_iter()
                    .enumerate()
                    .map(|(i, to)| {
                        let mut r = req.clone();
                        r.headers_mut().insert_first(
                            HeaderName::Via,
                            format!("SIP/2.0/UDP {ours};branch=z9hG4bKfk{i}{branch}"),
                        );
                        (to, r.to_bytes())
                    })
                    .collect()
            }
            other => self.route(other).into_iter().collect(),
        }
    }

    fn route(&mut self, msg: Message) -> Option<(SocketAddr, Bytes)> {
        match msg {
            Message::Request(mut req) => {
                let ours = self.addr.to_string();
                let top_is_us = req
                    .headers()
                    .get(HeaderName::Route)
                    .is_some_and(|r| String::from_utf8_lossy(r).contains(&ours));
                if top_is_us {
                    req.headers_mut().remove_first(HeaderName::Route);
                }
                let initial = req.to().is_ok_and(|t| t.tag().is_none());
                let forming = matches!(
                    req.method(),
                    Method::Invite | Method::Subscribe | Method::Refer
                );
                if initial && forming && self.fork.is_empty() {
                    req.headers_mut()
                        .insert_first(HeaderName::RecordRoute, format!("<{}>", self.uri()));
                }
                let branch = req.via().ok()?.branch()?.to_owned();
                req.headers_mut().insert_first(
                    HeaderName::Via,
                    format!("SIP/2.0/UDP {ours};branch=z9hG4bKpx{branch}"),
                );
                let next = match req.headers().get(HeaderName::Route) {
                    Some(r) => {
                        let r = String::from_utf8_lossy(r).into_owned();
                        let uri = r.trim_start_matches('<').split('>').next()?.to_owned();
                        uri_addr(&uri)?
                    }
                    None => uri_addr(&String::from_utf8_lossy(req.uri_raw()))?,
                };
                Some((next, req.to_bytes()))
            }
            Message::Response(mut resp) => {
                resp.headers_mut().remove_first(HeaderName::Via);
                let via = resp.via().ok()?;
                let addr: SocketAddr = format!("{}:{}", via.host_str(), via.port().unwrap_or(5060))
                    .parse()
                    .ok()?;
                Some((addr, resp.to_bytes()))
            }
        }
    }
}

fn uri_addr(uri: &str) -> Option<SocketAddr> {
    let u = Uri::parse(uri).ok()?;
    format!("{}:{}", u.host_str(), u.port().unwrap_or(5060))
        .parse()
        .ok()
}

pub enum Kind {
    Ua {
        layer: Box<DialogLayer>,
        hook: Option<Hook>,
    },
    Proxy(Proxy),
}

pub struct Node {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub kind: Kind,
}

struct Packet {
    deliver_at: Instant,
    seq: u64,
    from: usize,
    to: usize,
    bytes: Bytes,
}

type FateRule = Box<dyn FnMut(&WireInfo<'_>) -> Fate>;

/// The network, the clock and the nodes.
pub struct Net {
    pub start: Instant,
    pub now: Instant,
    pub nodes: Vec<Node>,
    pub latency: Duration,
    pub transport: Transport,
    in_flight: Vec<Packet>,
    seq: u64,
    fate: FateRule,
    counts: HashMap<(usize, String, String), usize>,
    pub wire: Vec<Wire>,
    pub events: Vec<(u64, usize, DialogEvent)>,
}

/// A random source that always says 0: glare delays are then exactly 2.1 s (Call-ID owner)
/// and 0 s (the other side), and the first RSeq is 1.
pub fn zero_random() -> Box<dyn RandomSource> {
    Box::new(|| 0u64)
}

impl Net {
    /// An empty network.
    pub fn new() -> Self {
        // The test owns the clock: this is its only reading; the layers never read it.
        let start = Instant::now();
        Net {
            start,
            now: start,
            nodes: Vec::new(),
            latency: Duration::ZERO,
            transport: Transport::Udp,
            in_flight: Vec::new(),
            seq: 0,
            fate: Box::new(|_| Fate::Deliver),
            counts: HashMap::new(),
            wire: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Alice (192.0.2.1, node 0) and Bob (192.0.2.2, node 1), default configuration.
    pub fn pair() -> Self {
        let mut net = Net::new();
        net.add_ua("alice", 1, |_| {});
        net.add_ua("bob", 2, |_| {});
        net
    }

    /// Adds a UA at 192.0.2.`host`:5060, configured by `tweak`.
    pub fn add_ua(
        &mut self,
        name: &'static str,
        host: u8,
        tweak: impl FnOnce(&mut Config),
    ) -> usize {
        self.add_ua_with(
            name,
            host,
            tweak,
            Box::new(SplitMix64::new(u64::from(host))),
        )
    }

    /// Adds a UA with its own random source.
    pub fn add_ua_with(
        &mut self,
        name: &'static str,
        host: u8,
        tweak: impl FnOnce(&mut Config),
        random: Box<dyn RandomSource>,
    ) -> usize {
        let addr: SocketAddr = format!("192.0.2.{host}:5060").parse().expect("address");
        let mut cfg = Config::new(format!("sip:{name}@{addr}"), addr.to_string());
        tweak(&mut cfg);
        self.nodes.push(Node {
            name,
            addr,
            kind: Kind::Ua {
                layer: Box::new(DialogLayer::new(cfg, random)),
                hook: None,
            },
        });
        self.nodes.len() - 1
    }

    /// Adds a record-routing stateless proxy at 192.0.2.`host`:5060.
    pub fn add_proxy(&mut self, name: &'static str, host: u8) -> usize {
        let addr: SocketAddr = format!("192.0.2.{host}:5060").parse().expect("address");
        self.nodes.push(Node {
            name,
            addr,
            kind: Kind::Proxy(Proxy {
                addr,
                fork: Vec::new(),
            }),
        });
        self.nodes.len() - 1
    }

    /// Adds a stateless forking proxy at 192.0.2.`host`:5060 that sends every request
    /// received outside a dialog to each of `targets`.
    pub fn add_forker(&mut self, name: &'static str, host: u8, targets: &[usize]) -> usize {
        let addr: SocketAddr = format!("192.0.2.{host}:5060").parse().expect("address");
        let fork = targets.iter().map(|t| self.nodes[*t].addr).collect();
        self.nodes.push(Node {
            name,
            addr,
            kind: Kind::Proxy(Proxy { addr, fork }),
        });
        self.nodes.len() - 1
    }

    /// Replaces a UA's random source... by rebuilding it; only before any traffic.
    pub fn set_random(&mut self, node: usize, random: Box<dyn RandomSource>) {
        let cfg = self.ua(node).config().clone();
        if let Kind::Ua { layer, .. } = &mut self.nodes[node].kind {
            **layer = DialogLayer::new(cfg, random);
        }
    }

    /// Sets what the application at `node` does with each event, as it is drained.
    pub fn on_event(
        &mut self,
        node: usize,
        hook: impl FnMut(&mut DialogLayer, Instant, &DialogEvent) + 'static,
    ) {
        if let Kind::Ua { hook: h, .. } = &mut self.nodes[node].kind {
            *h = Some(Box::new(hook));
        }
    }

    /// Decides the fate of each datagram.
    pub fn set_fate(&mut self, rule: impl FnMut(&WireInfo<'_>) -> Fate + 'static) {
        self.fate = Box::new(rule);
    }

    pub fn ua(&mut self, node: usize) -> &mut DialogLayer {
        match &mut self.nodes[node].kind {
            Kind::Ua { layer, .. } => layer,
            Kind::Proxy(_) => panic!("node {node} is a proxy"),
        }
    }

    pub fn peer(&self, node: usize) -> Peer {
        Peer::new(self.nodes[node].addr, self.transport)
    }

    /// An initial request from `from` to `to`, sent directly to `to`.
    pub fn initial(&self, from: usize, to: usize) -> InitialRequest {
        let (f, t) = (&self.nodes[from], &self.nodes[to]);
        InitialRequest::new(
            format!("sip:{}@{}", t.name, t.addr),
            format!("<sip:{}@example.com>", f.name),
            format!("<sip:{}@example.com>", t.name),
            self.peer(to),
        )
    }

    /// Runs a command on a UA at the current time, then drains its outputs.
    pub fn with<R>(&mut self, node: usize, f: impl FnOnce(&mut DialogLayer, Instant) -> R) -> R {
        let now = self.now;
        let r = f(self.ua(node), now);
        self.drain(node);
        r
    }

    pub fn ms(&self) -> u64 {
        u64::try_from(self.now.duration_since(self.start).as_millis()).expect("fits")
    }

    pub fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }

    /// Runs the world until `ms` after the start.
    pub fn run_until(&mut self, ms: u64) {
        let end = self.at(ms);
        loop {
            match self.next_wakeup() {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.step();
                }
                _ => break,
            }
        }
        self.now = self.now.max(end);
    }

    /// Runs the world for `ms` more milliseconds.
    pub fn run_for(&mut self, ms: u64) {
        let until = self.ms() + ms;
        self.run_until(until);
    }

    fn next_wakeup(&mut self) -> Option<Instant> {
        let mut next = self.in_flight.iter().map(|p| p.deliver_at).min();
        for n in &mut self.nodes {
            if let Kind::Ua { layer, .. } = &mut n.kind {
                if let Some(t) = layer.poll_timeout() {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            }
        }
        next
    }

    fn step(&mut self) {
        let now = self.now;
        self.in_flight.sort_by_key(|p| (p.deliver_at, p.seq));
        while self.in_flight.first().is_some_and(|p| p.deliver_at <= now) {
            let p = self.in_flight.remove(0);
            self.deliver(p);
        }
        for i in 0..self.nodes.len() {
            if let Kind::Ua { layer, .. } = &mut self.nodes[i].kind {
                if layer.poll_timeout().is_some_and(|t| t <= now) {
                    layer.handle_timeout(now);
                }
            }
            self.drain(i);
        }
    }

    fn deliver(&mut self, p: Packet) {
        let now = self.now;
        let source = Peer::new(self.nodes[p.from].addr, self.transport);
        let msg = Message::parse(p.bytes.clone()).expect("parseable on the wire");
        match &mut self.nodes[p.to].kind {
            Kind::Ua { layer, .. } => {
                // A message the layer cannot match is the peer's fault; the test sees it in
                // the wire log and the absence of events.
                let _ = layer.handle_input(Input::Received {
                    now,
                    source,
                    message: msg,
                });
                self.drain(p.to);
            }
            Kind::Proxy(proxy) => {
                for (dest, bytes) in proxy.forward(msg) {
                    if let Some(to) = self.nodes.iter().position(|n| n.addr == dest) {
                        self.transmit(p.to, to, bytes);
                    }
                }
            }
        }
    }

    /// Drains a UA's outputs: transmissions go on the wire, events to the log and the hook.
    pub fn drain(&mut self, node: usize) {
        loop {
            let out = match &mut self.nodes[node].kind {
                Kind::Ua { layer, .. } => layer.poll_output(),
                Kind::Proxy(_) => None,
            };
            match out {
                None => break,
                Some(Output::Transmit(t)) => {
                    let to = self
                        .nodes
                        .iter()
                        .position(|n| n.addr == t.destination.addr)
                        .unwrap_or(usize::MAX);
                    if to != usize::MAX {
                        self.transmit(node, to, t.bytes);
                    }
                }
                Some(Output::Event(e)) => {
                    let now = self.now;
                    let ms = self.ms();
                    self.events.push((ms, node, e.clone()));
                    if let Kind::Ua {
                        layer,
                        hook: Some(h),
                    } = &mut self.nodes[node].kind
                    {
                        h(layer, now, &e);
                    }
                }
            }
        }
    }

    fn transmit(&mut self, from: usize, to: usize, bytes: Bytes) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let line = text.lines().next().unwrap_or_default().to_owned();
        let cseq_method = text
            .lines()
            .find_map(|l| l.strip_prefix("CSeq: "))
            .and_then(|v| v.split_whitespace().nth(1))
            .unwrap_or_default()
            .to_owned();
        let key = (from, line.clone(), cseq_method.clone());
        let nth = *self.counts.get(&key).unwrap_or(&0);
        self.counts.insert(key, nth + 1);
        let fate = (self.fate)(&WireInfo {
            from,
            to,
            line: &line,
            cseq_method: &cseq_method,
            nth,
        });
        let at_ms = self.ms();
        self.wire.push(Wire {
            at_ms,
            from,
            to,
            line,
            cseq_method,
            bytes: bytes.clone(),
            fate,
        });
        let base = self.now + self.latency;
        let copies: &[Duration] = match fate {
            Fate::Drop => &[],
            Fate::Deliver => &[Duration::ZERO],
            Fate::Duplicate => &[Duration::ZERO, Duration::ZERO],
            Fate::Delay(d) => return self.schedule(from, to, bytes, base + d),
        };
        for extra in copies {
            self.schedule(from, to, bytes.clone(), base + *extra);
        }
    }

    fn schedule(&mut self, from: usize, to: usize, bytes: Bytes, deliver_at: Instant) {
        self.seq += 1;
        self.in_flight.push(Packet {
            deliver_at,
            seq: self.seq,
            from,
            to,
            bytes,
        });
    }

    // ----- Looking at what happened -----

    /// The times (ms) at which `from` sent datagrams whose start line starts with `prefix`
    /// and whose CSeq method is `method` (any when empty).
    pub fn sent_at(&self, from: usize, prefix: &str, method: &str) -> Vec<u64> {
        self.sent(from, prefix, method).map(|w| w.at_ms).collect()
    }

    pub fn sent<'a>(
        &'a self,
        from: usize,
        prefix: &'a str,
        method: &'a str,
    ) -> impl Iterator<Item = &'a Wire> + 'a {
        self.wire.iter().filter(move |w| {
            w.from == from
                && w.line.starts_with(prefix)
                && (method.is_empty() || w.cseq_method == method)
        })
    }

    /// The events of one node, with their times.
    pub fn events_of(&self, node: usize) -> impl Iterator<Item = (u64, &DialogEvent)> + '_ {
        self.events
            .iter()
            .filter(move |(_, n, _)| *n == node)
            .map(|(t, _, e)| (*t, e))
    }

    /// The dialog-state changes of one node: (ms, dialog, state).
    pub fn states(&self, node: usize) -> Vec<(u64, DialogId, sip_dialog::DialogState)> {
        self.events_of(node)
            .filter_map(|(t, e)| match e {
                DialogEvent::DialogState { dialog, state } => Some((t, *dialog, *state)),
                _ => None,
            })
            .collect()
    }

    /// The first dialog a node reported.
    pub fn dialog_of(&self, node: usize) -> DialogId {
        self.states(node)
            .first()
            .map(|(_, d, _)| *d)
            .expect("a dialog was reported")
    }

    /// The latest request of this method reported to a node.
    pub fn incoming(&self, node: usize, method: Method) -> IncomingId {
        self.events_of(node)
            .filter_map(|(_, e)| match e {
                DialogEvent::Request { id, request, .. } if *request.method() == method => {
                    Some(*id)
                }
                _ => None,
            })
            .last()
            .expect("the request was reported")
    }

    /// The statuses of the responses reported to a node for `request`.
    pub fn statuses(&self, node: usize, request: RequestId) -> Vec<u16> {
        self.events_of(node)
            .filter_map(|(_, e)| match e {
                DialogEvent::Response {
                    request: r,
                    response,
                    ..
                } if *r == request => Some(response.status()),
                _ => None,
            })
            .collect()
    }

    /// The subscription a node's Request event for `method` carried.
    pub fn incoming_subscription(&self, node: usize, method: Method) -> SubscriptionId {
        self.events_of(node)
            .filter_map(|(_, e)| match e {
                DialogEvent::Request {
                    subscription: Some(s),
                    request,
                    ..
                } if *request.method() == method => Some(*s),
                _ => None,
            })
            .last()
            .expect("the request carried a subscription")
    }

    /// Prints the wire log (for debugging a failing test with `--nocapture`).
    pub fn dump(&self) {
        for w in &self.wire {
            println!(
                "{:>7} {:>5} -> {:<5} {:?} {}",
                w.at_ms,
                self.nodes[w.from].name,
                self.nodes.get(w.to).map_or("?", |n| n.name),
                w.fate,
                w.line
            );
        }
        for (t, n, e) in &self.events {
            println!("{t:>7} {:>5} {e:?}", self.nodes[*n].name);
        }
    }
}

/// A small SDP body.
pub fn sdp(version: u32) -> sip_dialog::Body {
    sip_dialog::Body::sdp(format!(
        "v=0\r\no=- 1 {version} IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n"
    ))
}
