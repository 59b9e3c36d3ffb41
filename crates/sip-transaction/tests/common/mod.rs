//! A UAC layer and a UAS layer wired through sip-testkit's simulated network and clock.
//!
//! The layers are fields, so a test gives them commands directly (`sim.uac.start_client(..)`)
//! and the next [`Sim::run_until`] drains them at the same time. The network is ideal unless
//! a drop rule says otherwise; every transmission and event is recorded with its time in
//! milliseconds since the start, and a failing test prints the whole trace.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use sip_message::{Method, Request};
use sip_testkit::{Fate, RequestSpec, TraceEntry, TransactionLog, World, addr};
use sip_transaction::{Config, Event, Peer, TransactionLayer, Transport};

/// Which end of the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    Uac,
    Uas,
}

impl Side {
    fn node(self) -> usize {
        match self {
            Side::Uac => 0,
            Side::Uas => 1,
        }
    }

    fn other(self) -> Side {
        match self {
            Side::Uac => Side::Uas,
            Side::Uas => Side::Uac,
        }
    }
}

/// Two transaction layers, and the world (network, clock, records) between them.
pub(crate) struct Sim {
    pub(crate) uac: TransactionLayer,
    pub(crate) uas: TransactionLayer,
    pub(crate) transport: Transport,
    world: World<TransactionLayer>,
    /// How far [`Sim::take_events`] has read the log, per side.
    read: HashMap<Side, usize>,
}

impl Sim {
    pub(crate) fn new(transport: Transport) -> Self {
        let mut world = World::new(0);
        world.add_node("uac", addr(1));
        world.add_node("uas", addr(2));
        // The layers print well-formed messages: one they refuse is a bug.
        world.set_strict(true);
        Sim {
            uac: TransactionLayer::new(Config::default()),
            uas: TransactionLayer::new(Config::default()),
            transport,
            world,
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
        Peer::new(addr(1), self.transport)
    }

    /// The UAS's address as the UAC sees it.
    pub(crate) fn uas_peer(&self) -> Peer {
        Peer::new(addr(2), self.transport)
    }

    /// Drops a message when `rule(from, start_line, n)` is true, where `n` counts earlier
    /// messages with the same start line (and CSeq method) from the same side.
    pub(crate) fn set_drop(&mut self, mut rule: impl FnMut(Side, &str, usize) -> bool + 'static) {
        self.world.network_mut().set_filter(move |w| {
            let from = if w.from == 0 { Side::Uac } else { Side::Uas };
            if rule(from, w.line, w.nth) {
                Fate::Drop
            } else {
                Fate::Deliver
            }
        });
    }

    pub(crate) fn now(&self) -> Instant {
        self.world.now()
    }

    pub(crate) fn ms(&self) -> u64 {
        self.world.ms()
    }

    pub(crate) fn at(&self, ms: u64) -> Instant {
        self.world.at_ms(ms)
    }

    pub(crate) fn layer(&mut self, side: Side) -> &mut TransactionLayer {
        match side {
            Side::Uac => &mut self.uac,
            Side::Uas => &mut self.uas,
        }
    }

    /// Drains both layers' outputs: transmissions go on the wire, events into the log.
    pub(crate) fn drain(&mut self) {
        self.world.drain_all(&mut [&mut self.uac, &mut self.uas]);
    }

    /// Runs the network and both layers' timers until `ms` after the start.
    pub(crate) fn run_until(&mut self, ms: u64) {
        let until = self.world.at_ms(ms);
        self.world
            .run_until(&mut [&mut self.uac, &mut self.uas], until);
    }

    /// Hands `bytes` to `to` as if they arrived now from the other side.
    pub(crate) fn receive(&mut self, to: Side, bytes: Bytes) {
        let from = to.other().node();
        let transport = self.transport;
        self.world.inject(
            &mut [&mut self.uac, &mut self.uas],
            from,
            to.node(),
            transport,
            bytes,
        );
    }

    /// Every transmission, dropped ones included.
    pub(crate) fn sent(&self) -> &[TraceEntry] {
        self.world.trace()
    }

    /// The transmissions from `side` as `(ms, start line)`, dropped ones included.
    pub(crate) fn sent_by(&self, side: Side) -> Vec<(u64, String)> {
        self.world
            .sent(side.node(), "", "")
            .map(|s| (s.at_ms, s.line.clone()))
            .collect()
    }

    /// The times of the transmissions from `side` whose start line begins with `prefix`.
    pub(crate) fn times(&self, side: Side, prefix: &str) -> Vec<u64> {
        self.world.sent_at(side.node(), prefix, "")
    }

    /// The events of `side` as `(ms, summary)`.
    pub(crate) fn events_of(&self, side: Side) -> Vec<(u64, String)> {
        self.world.summaries(side.node())
    }

    /// The events of `side` logged since the last call (the log itself keeps them all).
    pub(crate) fn take_events(&mut self, side: Side) -> Vec<Event> {
        let events = self.world.events();
        let from = self.read.insert(side, events.len()).unwrap_or(0);
        events[from..]
            .iter()
            .filter(|r| r.node == side.node())
            .map(|r| r.event.clone())
            .collect()
    }

    /// A request from the UAC, with the Via the UAC's transport would write.
    pub(crate) fn request(&self, method: Method, branch: &str, cseq: u32) -> Request {
        RequestSpec::new(method)
            .via(self.transport, "192.0.2.1:5060", branch)
            .cseq(cseq)
            .build()
    }
}

/// Owned `(ms, summary)` pairs from literals, for comparing with [`Sim::events_of`].
pub(crate) fn ev(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    sip_testkit::timeline(list)
}
