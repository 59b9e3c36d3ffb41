//! User agents (dialog layers) and stateless proxies wired through sip-testkit's simulated
//! network and clock.
//!
//! Every message is delivered after the latency (zero unless set), in send order, unless the
//! fate rule drops, duplicates or delays it. Time only moves when the test says so; between
//! two points it jumps from one wake-up (a delivery or a timer) to the next, so a 90-second
//! session timer runs in microseconds. Every transmission and every event is recorded with
//! its time in milliseconds since the start, and a failing test prints the whole trace.

// Each test file uses its own part of this module.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use sip_dialog::{
    Config, DialogEvent, DialogId, DialogLayer, DialogState, IncomingId, InitialRequest,
    RandomSource, RequestId, SplitMix64, SubscriptionId,
};
use sip_message::Method;
use sip_testkit::{DialogLog, Element, Scenario, StatelessProxy, addr, dialog};
use sip_transaction::{Peer, Transport};

/// What happens to one message.
pub type Fate = sip_testkit::Fate;

/// What a fate rule sees of a message.
pub type WireInfo<'a> = sip_testkit::WireInfo<'a>;

/// One transmission as seen on the wire.
pub type Wire = sip_testkit::TraceEntry;

pub const ALICE: usize = 0;
pub const BOB: usize = 1;
/// A third node, when a test adds one (a second callee, a proxy).
pub const THIRD: usize = 2;
pub const FOURTH: usize = 3;

/// The network, the clock and the nodes.
pub struct Net {
    sc: Scenario<Element<DialogLayer>>,
    transport: Transport,
}

impl Net {
    /// An empty network.
    pub fn new() -> Self {
        Net {
            sc: Scenario::new(0),
            transport: Transport::Udp,
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
        let ua = dialog::user_agent(name, addr(host), tweak, random);
        self.sc.add_node(name, addr(host), Element::Endpoint(ua))
    }

    /// Adds a record-routing stateless proxy at 192.0.2.`host`:5060.
    pub fn add_proxy(&mut self, name: &'static str, host: u8) -> usize {
        let proxy = StatelessProxy::new(addr(host));
        self.sc.add_node(name, addr(host), Element::Proxy(proxy))
    }

    /// Adds a stateless forking proxy at 192.0.2.`host`:5060 that sends every request
    /// received outside a dialog to each of `targets`.
    pub fn add_forker(&mut self, name: &'static str, host: u8, targets: &[usize]) -> usize {
        let fork = targets.iter().map(|t| self.sc.node(*t).addr).collect();
        let proxy = StatelessProxy::forking(addr(host), fork);
        self.sc.add_node(name, addr(host), Element::Proxy(proxy))
    }

    /// Replaces a UA's random source... by rebuilding it; only before any traffic.
    pub fn set_random(&mut self, node: usize, random: Box<dyn RandomSource>) {
        let cfg = self.ua(node).config().clone();
        *self.ua(node) = DialogLayer::new(cfg, random);
    }

    /// Sets what the application at `node` does with each event, as it is drained.
    pub fn on_event(
        &mut self,
        node: usize,
        mut hook: impl FnMut(&mut DialogLayer, Instant, &DialogEvent) + 'static,
    ) {
        self.sc.on_event(node, move |element, now, ev| {
            if let Some(ua) = element.endpoint_mut() {
                hook(ua, now, ev);
            }
        });
    }

    /// Decides the fate of each message.
    pub fn set_fate(&mut self, rule: impl FnMut(&WireInfo<'_>) -> Fate + 'static) {
        self.sc.network_mut().set_filter(rule);
    }

    /// Sets the latency of every link, for what is sent from now on.
    pub fn set_latency(&mut self, latency: Duration) {
        self.sc.network_mut().set_latency(latency);
    }

    /// Sets the transport of [`Net::peer`] (and so of initial requests).
    pub fn set_transport(&mut self, transport: Transport) {
        self.transport = transport;
    }

    pub fn ua(&mut self, node: usize) -> &mut DialogLayer {
        match self.sc.engine_mut(node).endpoint_mut() {
            Some(ua) => ua,
            None => panic!("node {node} is a proxy"),
        }
    }

    pub fn peer(&self, node: usize) -> Peer {
        Peer::new(self.sc.node(node).addr, self.transport)
    }

    /// An initial request from `from` to `to`, sent directly to `to`.
    pub fn initial(&self, from: usize, to: usize) -> InitialRequest {
        dialog::initial(&self.sc, from, to, self.transport)
    }

    /// Runs a command on a UA at the current time, then drains its outputs.
    pub fn with<R>(&mut self, node: usize, f: impl FnOnce(&mut DialogLayer, Instant) -> R) -> R {
        self.sc
            .with(node, |element, now| match element.endpoint_mut() {
                Some(ua) => f(ua, now),
                None => panic!("node {node} is a proxy"),
            })
    }

    pub fn now(&self) -> Instant {
        self.sc.now()
    }

    pub fn start(&self) -> Instant {
        self.sc.start()
    }

    pub fn ms(&self) -> u64 {
        self.sc.ms()
    }

    pub fn at(&self, ms: u64) -> Instant {
        self.sc.at_ms(ms)
    }

    /// Runs the world until `ms` after the start.
    pub fn run_until(&mut self, ms: u64) {
        self.sc.run_until_ms(ms);
    }

    /// Runs the world for `ms` more milliseconds.
    pub fn run_for(&mut self, ms: u64) {
        self.sc.run_for(Duration::from_millis(ms));
    }

    /// Drains a UA's outputs: transmissions go on the wire, events to the log and the hook.
    pub fn drain(&mut self, node: usize) {
        self.sc.drain(node);
    }

    // ----- Looking at what happened -----

    /// The times (ms) at which `from` sent messages whose start line starts with `prefix`
    /// and whose CSeq method is `method` (any when empty).
    pub fn sent_at(&self, from: usize, prefix: &str, method: &str) -> Vec<u64> {
        self.sc.sent_at(from, prefix, method)
    }

    pub fn sent<'a>(
        &'a self,
        from: usize,
        prefix: &'a str,
        method: &'a str,
    ) -> impl Iterator<Item = &'a Wire> + 'a {
        self.sc.sent(from, prefix, method)
    }

    /// The events of one node, with their times.
    pub fn events_of(&self, node: usize) -> impl Iterator<Item = (u64, &DialogEvent)> + '_ {
        self.sc.events_of(node)
    }

    /// The dialog-state changes of one node: (ms, dialog, state).
    pub fn states(&self, node: usize) -> Vec<(u64, DialogId, DialogState)> {
        self.sc.states(node)
    }

    /// The first dialog a node reported.
    pub fn dialog_of(&self, node: usize) -> DialogId {
        self.sc.dialog_of(node)
    }

    /// The latest request of this method reported to a node.
    pub fn incoming(&self, node: usize, method: Method) -> IncomingId {
        self.sc.incoming(node, method)
    }

    /// The statuses of the responses reported to a node for `request`.
    pub fn statuses(&self, node: usize, request: RequestId) -> Vec<u16> {
        self.sc.statuses(node, request)
    }

    /// The subscription a node's Request event for `method` carried.
    pub fn incoming_subscription(&self, node: usize, method: Method) -> SubscriptionId {
        self.sc.incoming_subscription(node, method)
    }

    /// Prints the trace (for debugging a passing test with `--nocapture`; a failing one
    /// prints it anyway).
    pub fn dump(&self) {
        println!("{}", self.sc.dump());
    }
}

/// A random source that always says 0: glare delays are then exactly 2.1 s (Call-ID owner)
/// and 0 s (the other side), and the first RSeq is 1.
pub fn zero_random() -> Box<dyn RandomSource> {
    dialog::zero_random()
}

/// A small SDP body.
pub fn sdp(version: u32) -> sip_dialog::Body {
    dialog::sdp(version)
}
