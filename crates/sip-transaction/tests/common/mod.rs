//! A UAC layer and a UAS layer wired through a simulated network and clock.
//!
//! The network delivers every datagram after a fixed latency (zero unless set), in order,
//! unless a drop rule says otherwise. Time only moves when the test says so; between two
//! points it jumps from one wake-up (a delivery or a timer) to the next, so a 32-second timer
//! test takes microseconds. Every transmission and every event is recorded with its time in
//! milliseconds since the start, for exact assertions.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_message::{Message, Method, Request};
use sip_transaction::{
    Config, Event, Input, Output, Peer, TransactionKey, TransactionLayer, Transport,
};

/// Which end of the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    Uac,
    Uas,
}

/// One transmission as seen on the wire.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) at_ms: u64,
    pub(crate) from: Side,
    /// The start line.
    pub(crate) line: String,
    pub(crate) bytes: Bytes,
    pub(crate) key: Option<TransactionKey>,
    pub(crate) dropped: bool,
}

struct InFlight {
    deliver_at: Instant,
    seq: u64,
    to: Side,
    bytes: Bytes,
}

type DropRule = Box<dyn FnMut(Side, &str, usize) -> bool>;

/// Two transaction layers, a network and a clock.
pub(crate) struct Sim {
    pub(crate) start: Instant,
    pub(crate) now: Instant,
    pub(crate) uac: TransactionLayer,
    pub(crate) uas: TransactionLayer,
    pub(crate) transport: Transport,
    pub(crate) latency: Duration,
    in_flight: Vec<InFlight>,
    seq: u64,
    drop: DropRule,
    counts: HashMap<(Side, String), usize>,
    pub(crate) sent: Vec<Sent>,
    pub(crate) events: Vec<(u64, Side, Event)>,
    /// How far [`Sim::take_events`] has read the log, per side.
    read: HashMap<Side, usize>,
}

impl Sim {
    pub(crate) fn new(transport: Transport) -> Self {
        // The test owns the clock: this is its only reading, the layers never read it.
        let start = Instant::now();
        Sim {
            start,
            now: start,
            uac: TransactionLayer::new(Config::default()),
            uas: TransactionLayer::new(Config::default()),
            transport,
            latency: Duration::ZERO,
            in_flight: Vec::new(),
            seq: 0,
            drop: Box::new(|_, _, _| false),
            counts: HashMap::new(),
            sent: Vec::new(),
            events: Vec::new(),
            read: HashMap::new(),
        }
    }

    pub(crate) fn udp() -> Self {
        Sim::new(Transport::Udp)
    }

    pub(crate) fn tcp() -> Self {
        Sim::new(Transport::Tcp)
    }

    /// The UAC's address as the UAS sees it.
    pub(crate) fn uac_peer(&self) -> Peer {
        Peer::new("192.0.2.1:5060".parse().expect("address"), self.transport)
    }

    /// The UAS's address as the UAC sees it.
    pub(crate) fn uas_peer(&self) -> Peer {
        Peer::new("192.0.2.2:5060".parse().expect("address"), self.transport)
    }

    /// Drops a datagram when `rule(from, start_line, n)` is true, where `n` counts earlier
    /// datagrams with the same start line from the same side.
    pub(crate) fn set_drop(&mut self, rule: impl FnMut(Side, &str, usize) -> bool + 'static) {
        self.drop = Box::new(rule);
    }

    pub(crate) fn ms(&self) -> u64 {
        self.elapsed_ms(self.now)
    }

    fn elapsed_ms(&self, t: Instant) -> u64 {
        u64::try_from(t.duration_since(self.start).as_millis()).expect("test time fits")
    }

    pub(crate) fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }

    pub(crate) fn layer(&mut self, side: Side) -> &mut TransactionLayer {
        match side {
            Side::Uac => &mut self.uac,
            Side::Uas => &mut self.uas,
        }
    }

    /// Drains both layers' outputs: transmissions go on the wire, events into the log.
    pub(crate) fn drain(&mut self) {
        for side in [Side::Uac, Side::Uas] {
            while let Some(out) = self.layer(side).poll_output() {
                match out {
                    Output::Transmit(t) => self.put_on_wire(side, t.bytes, t.key),
                    Output::Event(e) => {
                        let ms = self.ms();
                        self.events.push((ms, side, e));
                    }
                }
            }
        }
    }

    fn put_on_wire(&mut self, from: Side, bytes: Bytes, key: Option<TransactionKey>) {
        let line = start_line(&bytes);
        let n = self.counts.entry((from, line.clone())).or_insert(0);
        let dropped = (self.drop)(from, &line, *n);
        *n += 1;
        self.sent.push(Sent {
            at_ms: self.ms(),
            from,
            line,
            bytes: bytes.clone(),
            key,
            dropped,
        });
        if !dropped {
            self.seq += 1;
            self.in_flight.push(InFlight {
                deliver_at: self.now + self.latency,
                seq: self.seq,
                to: match from {
                    Side::Uac => Side::Uas,
                    Side::Uas => Side::Uac,
                },
                bytes,
            });
        }
    }

    /// Runs the network and both layers' timers until `ms` after the start.
    pub(crate) fn run_until(&mut self, ms: u64) {
        let target = self.at(ms);
        self.drain();
        loop {
            let next_packet = self.in_flight.iter().map(|p| p.deliver_at).min();
            let next_timer = [self.uac.poll_timeout(), self.uas.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = [next_packet, next_timer].into_iter().flatten().min() else {
                break;
            };
            if next > target {
                break;
            }
            self.now = self.now.max(next);
            self.deliver_due();
            let now = self.now;
            self.uac.handle_timeout(now);
            self.uas.handle_timeout(now);
            self.drain();
        }
        self.now = self.now.max(target);
    }

    fn deliver_due(&mut self) {
        loop {
            let due = self
                .in_flight
                .iter()
                .enumerate()
                .filter(|(_, p)| p.deliver_at <= self.now)
                .min_by_key(|(_, p)| (p.deliver_at, p.seq))
                .map(|(i, _)| i);
            let Some(i) = due else { return };
            let p = self.in_flight.remove(i);
            self.receive(p.to, p.bytes);
        }
    }

    /// Hands `bytes` to `to` as if they arrived now from the other side.
    pub(crate) fn receive(&mut self, to: Side, bytes: Bytes) {
        let source = match to {
            Side::Uac => self.uas_peer(),
            Side::Uas => self.uac_peer(),
        };
        let message = Message::parse(bytes).expect("the layers print parseable messages");
        let now = self.now;
        self.layer(to)
            .handle_input(Input::Received {
                now,
                source,
                message,
            })
            .expect("well-formed message");
        self.drain();
    }

    /// The transmissions from `side` as `(ms, start line)`, dropped ones included.
    pub(crate) fn sent_by(&self, side: Side) -> Vec<(u64, String)> {
        self.sent
            .iter()
            .filter(|s| s.from == side)
            .map(|s| (s.at_ms, s.line.clone()))
            .collect()
    }

    /// The times of the transmissions from `side` whose start line begins with `prefix`.
    pub(crate) fn times(&self, side: Side, prefix: &str) -> Vec<u64> {
        self.sent
            .iter()
            .filter(|s| s.from == side && s.line.starts_with(prefix))
            .map(|s| s.at_ms)
            .collect()
    }

    /// The events of `side` as `(ms, summary)`.
    pub(crate) fn events_of(&self, side: Side) -> Vec<(u64, String)> {
        self.events
            .iter()
            .filter(|(_, s, _)| *s == side)
            .map(|(ms, _, e)| (*ms, describe(e)))
            .collect()
    }

    /// The events of `side` logged since the last call (the log itself keeps them all).
    pub(crate) fn take_events(&mut self, side: Side) -> Vec<Event> {
        let from = self.read.insert(side, self.events.len()).unwrap_or(0);
        self.events[from..]
            .iter()
            .filter(|(_, s, _)| *s == side)
            .map(|(_, _, e)| e.clone())
            .collect()
    }

    /// A request from the UAC, with the Via the UAC's transport would write.
    pub(crate) fn request(&self, method: Method, branch: &str, cseq: u32) -> Request {
        Request::builder(method, "sip:bob@192.0.2.2")
            .via(self.transport.as_str(), "192.0.2.1:5060", branch)
            .max_forwards(70)
            .from("<sip:alice@example.com>", "alice-tag")
            .to("<sip:bob@example.com>")
            .call_id("call-1@192.0.2.1")
            .cseq(cseq)
            .build()
    }
}

/// The first line of a message, without CRLF.
pub(crate) fn start_line(bytes: &[u8]) -> String {
    let end = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// A one-line summary of an event.
pub(crate) fn describe(e: &Event) -> String {
    match e {
        Event::NewRequest { request, .. } => format!("NewRequest {}", request.method()),
        Event::CancelRequest { invite_key, .. } => {
            format!("CancelRequest invite={}", invite_key.is_some())
        }
        Event::Ack { key, .. } => format!("Ack matched={}", key.is_some()),
        Event::Response { response, .. } => format!("Response {}", response.status()),
        Event::StrayResponse { response, .. } => format!("StrayResponse {}", response.status()),
        Event::Timeout { timer, .. } => format!("Timeout {timer:?}"),
        Event::TransportError { .. } => "TransportError".to_owned(),
        Event::Terminated { .. } => "Terminated".to_owned(),
        _ => format!("{e:?}"),
    }
}

/// Owned `(ms, summary)` pairs from literals, for comparing with [`Sim::events_of`].
pub(crate) fn ev(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    list.iter().map(|(t, s)| (*t, (*s).to_owned())).collect()
}
