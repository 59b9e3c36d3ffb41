//! A world that owns its engines.

use std::net::SocketAddr;
use std::ops::Deref;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_transaction::Transport;

use crate::{Engine, NodeId, SimNetwork, World};

/// N engines wired through a simulated network and clock: add nodes, give commands, run
/// until a time (or until everything is quiet), then assert on the recorded messages and
/// events, each with its time.
///
/// Everything of [`World`] that only looks (the clock, the trace, the events) is reached
/// through `Deref`.
///
/// ```
/// use std::time::Duration;
/// use sip_message::Method;
/// use sip_testkit::{LinkRules, RequestSpec, Scenario, addr};
/// use sip_transaction::{Config, Peer, TransactionLayer};
///
/// let mut s = Scenario::new(7);
/// let alice = s.add_node("alice", addr(1), TransactionLayer::new(Config::default()));
/// let bob = s.add_node("bob", addr(2), TransactionLayer::new(Config::default()));
/// s.network_mut().set_rules(LinkRules::with_latency(Duration::from_millis(10)));
/// s.network_mut().drop_nth(alice, "OPTIONS", 0);
/// let options = RequestSpec::new(Method::Options).branch("z9hG4bK-1").build();
/// s.with(alice, |tl, now| tl.start_client(now, options, Peer::udp(addr(2))))?;
/// s.run_until_ms(1_000);
/// // Lost at 0, retransmitted on Timer E at 500 ms, received at 510.
/// assert_eq!(s.sent_at(alice, "OPTIONS", ""), [0, 500]);
/// assert_eq!(s.events_of(bob).map(|(t, _)| t).collect::<Vec<_>>(), [510]);
/// # Ok::<(), sip_transaction::ApiError>(())
/// ```
pub struct Scenario<E: Engine> {
    world: World<E>,
    engines: Vec<E>,
}

impl<E: Engine> Scenario<E> {
    /// An empty scenario whose network draws from `seed`.
    pub fn new(seed: u64) -> Self {
        Scenario {
            world: World::new(seed),
            engines: Vec::new(),
        }
    }

    /// Adds a node at `addr` running `engine`.
    pub fn add_node(&mut self, name: impl Into<String>, addr: SocketAddr, engine: E) -> NodeId {
        let id = self.world.add_node(name, addr);
        self.engines.push(engine);
        id
    }

    /// The engine of a node.
    pub fn engine(&self, node: NodeId) -> &E {
        &self.engines[node]
    }

    /// The engine of a node, to give it commands directly (then call
    /// [`drain`](Self::drain), or let the next run do it at the same time), or to replace it.
    pub fn engine_mut(&mut self, node: NodeId) -> &mut E {
        &mut self.engines[node]
    }

    /// The driver, to change what only it knows (strictness, hooks).
    pub fn world_mut(&mut self) -> &mut World<E> {
        &mut self.world
    }

    /// The network, to change its rules, partitions and filters.
    pub fn network_mut(&mut self) -> &mut SimNetwork {
        self.world.network_mut()
    }

    /// Sets what the application at `node` does with each of its events.
    pub fn on_event(
        &mut self,
        node: NodeId,
        hook: impl FnMut(&mut E, Instant, &E::Event) + 'static,
    ) {
        self.world.on_event(node, hook);
    }

    /// Gives `node` a command at the current time, then drains it.
    pub fn with<R>(&mut self, node: NodeId, f: impl FnOnce(&mut E, Instant) -> R) -> R {
        let now = self.world.now();
        let r = f(&mut self.engines[node], now);
        self.drain(node);
        r
    }

    /// Drains one engine at the current time.
    pub fn drain(&mut self, node: NodeId) {
        let mut engines: Vec<&mut E> = self.engines.iter_mut().collect();
        self.world.drain(&mut engines, node);
    }

    /// Drains every engine at the current time.
    pub fn drain_all(&mut self) {
        let mut engines: Vec<&mut E> = self.engines.iter_mut().collect();
        self.world.drain_all(&mut engines);
    }

    /// Hands `bytes` to `to` now as if they came from `from` over `transport`, bypassing the
    /// network.
    pub fn inject(&mut self, from: NodeId, to: NodeId, transport: Transport, bytes: Bytes) {
        let mut engines: Vec<&mut E> = self.engines.iter_mut().collect();
        self.world.inject(&mut engines, from, to, transport, bytes);
    }

    /// Runs everything until `until`.
    pub fn run_until(&mut self, until: Instant) {
        let mut engines: Vec<&mut E> = self.engines.iter_mut().collect();
        self.world.run_until(&mut engines, until);
    }

    /// Runs everything until `ms` milliseconds after the start.
    pub fn run_until_ms(&mut self, ms: u64) {
        let until = self.world.at_ms(ms);
        self.run_until(until);
    }

    /// Runs everything for `d` more.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.world.now() + d;
        self.run_until(until);
    }

    /// Runs until nothing is in flight and no engine has a timer, for at most `limit` more.
    /// Returns whether it went quiet (the clock is then at the last thing that happened).
    pub fn run_until_quiet(&mut self, limit: Duration) -> bool {
        let limit = self.world.now() + limit;
        let mut engines: Vec<&mut E> = self.engines.iter_mut().collect();
        self.world.run_until_quiet(&mut engines, limit)
    }
}

impl<E: Engine> Deref for Scenario<E> {
    type Target = World<E>;

    fn deref(&self) -> &World<E> {
        &self.world
    }
}

impl<E: Engine> std::fmt::Debug for Scenario<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("world", &self.world)
            .finish_non_exhaustive()
    }
}
