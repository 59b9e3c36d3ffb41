//! The driver: a clock, a network and the records of a scenario, driving engines it is lent.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use sip_message::framing::{Frame, next_frame};
use sip_transaction::{Peer, Transmit, Transport};

use crate::network::start_line;
use crate::{Carrier, Delivery, Engine, EngineOutput, Fate, InputError, NodeId, SimClock};
use crate::{SimNetwork, TraceEntry};

/// Set this environment variable to a directory and every scenario writes its trace there
/// when it ends (`<dir>/<test binary>/<test>.<n>.trace`, with a hash of each message's
/// bytes): run a suite twice and `diff -r` the two directories to check determinism.
pub const TRACE_DIR_ENV: &str = "SIP_TESTKIT_TRACE_DIR";

/// The largest message the stream framer accepts.
const MAX_MESSAGE: usize = 1 << 20;

/// Steps at one instant after which a scenario gives up: an engine that asks to be woken at
/// an instant that has come, and never stops asking, would otherwise hang the test.
const MAX_STEPS_PER_INSTANT: usize = 100_000;

/// What the application at a node does with each event as it is drained: it may give the
/// engine commands (answer a request...), whose output is drained in turn.
pub type Hook<E> = Box<dyn FnMut(&mut E, Instant, &<E as Engine>::Event)>;

/// A node's name and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// For traces.
    pub name: String,
    /// Where the others send to; the source of what it sends.
    pub addr: SocketAddr,
}

/// An event as the scenario recorded it.
#[derive(Debug, Clone)]
pub struct Recorded<Ev> {
    /// When it was reported.
    pub at: Instant,
    /// When it was reported, in milliseconds since the start.
    pub at_ms: u64,
    /// Which node reported it.
    pub node: NodeId,
    /// The event.
    pub event: Ev,
    /// How many messages were in the trace when it was reported (places it in the trace).
    pub sent_before: usize,
}

/// Something the scenario noticed that is neither a transmission nor an event: a message
/// an engine refused, a transmission to an address no node has, a message the test injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// When.
    pub at: Instant,
    /// When, in milliseconds since the start.
    pub at_ms: u64,
    /// The node concerned.
    pub node: NodeId,
    /// What happened.
    pub what: String,
    /// How many messages were in the trace at the time.
    pub sent_before: usize,
}

thread_local! {
    static TRACES_WRITTEN: Cell<usize> = const { Cell::new(0) };
}

/// The clock, the network, the nodes' names and addresses, their hooks, and everything that
/// happened; it drives engines that the caller owns and lends it as `&mut [&mut E]`, one per
/// node, in node order. [`Scenario`](crate::Scenario) owns its engines and lends them itself;
/// use a `World` directly when the engines must be fields of a test's own harness.
///
/// Time jumps from one wake-up (a delivery or an engine's timer) to the next. At each
/// instant the network first delivers everything due (a message an engine sends in reply,
/// with no latency, arrives at the same instant, in order), then each engine whose timer is
/// due gets [`Engine::handle_timeout`], in node order. After every input the receiving
/// engine is drained: transmissions go on the wire, events are recorded and handed to the
/// node's hook.
///
/// When a test panics while a `World` is alive, the `World` prints its trace (messages,
/// events and notes in order, with times) to stderr, which the test harness shows with the
/// failure.
pub struct World<E: Engine> {
    clock: SimClock,
    net: SimNetwork,
    nodes: Vec<NodeInfo>,
    hooks: Vec<Option<Hook<E>>>,
    events: Vec<Recorded<E::Event>>,
    notes: Vec<Note>,
    streams: HashMap<(NodeId, NodeId, Transport), BytesMut>,
    strict: bool,
}

impl<E: Engine> World<E> {
    /// An empty world: no nodes, an ideal network whose random rules draw from `seed`, and
    /// a clock at zero.
    pub fn new(seed: u64) -> Self {
        World {
            clock: SimClock::new(),
            net: SimNetwork::new(seed),
            nodes: Vec::new(),
            hooks: Vec::new(),
            events: Vec::new(),
            notes: Vec::new(),
            streams: HashMap::new(),
            strict: false,
        }
    }

    /// Adds a node; the engine lent for it is the one at the returned index.
    ///
    /// # Panics
    ///
    /// If another node has this address.
    pub fn add_node(&mut self, name: impl Into<String>, addr: SocketAddr) -> NodeId {
        let name = name.into();
        assert!(
            self.node_at(addr).is_none(),
            "two nodes at {addr} ({name} and {})",
            self.nodes
                .iter()
                .find(|n| n.addr == addr)
                .map_or("?", |n| &n.name)
        );
        self.nodes.push(NodeInfo { name, addr });
        self.hooks.push(None);
        self.nodes.len() - 1
    }

    /// Makes an engine refusing a message ([`InputError::Rejected`]) fail the test, instead
    /// of being noted in the trace.
    pub fn set_strict(&mut self, strict: bool) {
        self.strict = strict;
    }

    /// Sets what the application at `node` does with each of its events.
    pub fn on_event(
        &mut self,
        node: NodeId,
        hook: impl FnMut(&mut E, Instant, &E::Event) + 'static,
    ) {
        self.hooks[node] = Some(Box::new(hook));
    }

    /// Removes the hook of `node`.
    pub fn clear_hook(&mut self, node: NodeId) {
        self.hooks[node] = None;
    }

    // ----- Getters -----

    /// The clock.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Time zero.
    pub fn start(&self) -> Instant {
        self.clock.start()
    }

    /// Milliseconds since the start.
    pub fn ms(&self) -> u64 {
        self.clock.ms()
    }

    /// The instant `ms` milliseconds after the start.
    pub fn at_ms(&self, ms: u64) -> Instant {
        self.clock.at_ms(ms)
    }

    /// The network.
    pub fn network(&self) -> &SimNetwork {
        &self.net
    }

    /// The network, to change its rules, partitions and filters.
    pub fn network_mut(&mut self) -> &mut SimNetwork {
        &mut self.net
    }

    /// A node's name and address.
    pub fn node(&self, node: NodeId) -> &NodeInfo {
        &self.nodes[node]
    }

    /// Every node, in order.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// The node at `addr`.
    pub fn node_at(&self, addr: SocketAddr) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.addr == addr)
    }

    /// Every event, in the order reported.
    pub fn events(&self) -> &[Recorded<E::Event>] {
        &self.events
    }

    /// The events of one node, with their times in milliseconds.
    pub fn events_of(&self, node: NodeId) -> impl Iterator<Item = (u64, &E::Event)> + '_ {
        self.events
            .iter()
            .filter(move |r| r.node == node)
            .map(|r| (r.at_ms, &r.event))
    }

    /// Everything sent, in order.
    pub fn trace(&self) -> &[TraceEntry] {
        self.net.trace()
    }

    /// What was sent by `from` whose start line begins with `prefix` and whose CSeq method
    /// is `method` (any when empty).
    pub fn sent<'a>(
        &'a self,
        from: NodeId,
        prefix: &'a str,
        method: &'a str,
    ) -> impl Iterator<Item = &'a TraceEntry> + 'a {
        self.trace().iter().filter(move |w| {
            w.from == from
                && w.line.starts_with(prefix)
                && (method.is_empty() || w.cseq_method == method)
        })
    }

    /// The times (ms) of what [`sent`](Self::sent) finds.
    pub fn sent_at(&self, from: NodeId, prefix: &str, method: &str) -> Vec<u64> {
        self.sent(from, prefix, method).map(|w| w.at_ms).collect()
    }

    /// Refused messages, unroutable transmissions and injections.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    // ----- Driving -----

    /// Drains every engine at the current time.
    pub fn drain_all(&mut self, engines: &mut [&mut E]) {
        self.check(engines);
        for node in 0..engines.len() {
            self.drain(engines, node);
        }
    }

    /// Drains one engine at the current time: transmissions go on the wire, events are
    /// recorded and handed to the node's hook (whose commands are drained in turn).
    pub fn drain(&mut self, engines: &mut [&mut E], node: NodeId) {
        let now = self.clock.now();
        while let Some(out) = engines[node].poll_output() {
            match out {
                EngineOutput::Transmit(t) => self.transmit(node, &t),
                EngineOutput::Event(event) => {
                    self.events.push(Recorded {
                        at: now,
                        at_ms: self.clock.ms(),
                        node,
                        event,
                        sent_before: self.net.trace().len(),
                    });
                    if let (Some(hook), Some(recorded)) =
                        (self.hooks[node].as_mut(), self.events.last())
                    {
                        hook(&mut *engines[node], now, &recorded.event);
                    }
                }
            }
        }
    }

    /// Hands `bytes` to `to` now, as if they had just arrived from `from` over `transport`,
    /// bypassing the network (a forged or replayed message). Noted in the trace.
    pub fn inject(
        &mut self,
        engines: &mut [&mut E],
        from: NodeId,
        to: NodeId,
        transport: Transport,
        bytes: Bytes,
    ) {
        self.check(engines);
        self.note(
            to,
            format!(
                "injected from {}: {}",
                self.nodes[from].name,
                start_line(&bytes)
            ),
        );
        self.hand(engines, from, to, transport, bytes);
    }

    /// Runs the network and the engines' timers until `until`, and sets the clock there.
    pub fn run_until(&mut self, engines: &mut [&mut E], until: Instant) {
        self.run(engines, until);
        self.clock.advance_to(until);
    }

    /// Runs until nothing is in flight and no engine has a timer, or until `limit`. Returns
    /// whether it went quiet; the clock is then at the last thing that happened, else at
    /// `limit`.
    pub fn run_until_quiet(&mut self, engines: &mut [&mut E], limit: Instant) -> bool {
        let quiet = self.run(engines, limit);
        if !quiet {
            self.clock.advance_to(limit);
        }
        quiet
    }

    /// Runs up to `until`; true if nothing is left to do at all.
    fn run(&mut self, engines: &mut [&mut E], until: Instant) -> bool {
        self.drain_all(engines);
        let mut last = self.clock.now();
        let mut steps_at_last = 0;
        loop {
            let Some(next) = self.next_wakeup(engines) else {
                return true;
            };
            if next > until {
                return false;
            }
            self.clock.advance_to(next);
            let now = self.clock.now();
            if now == last {
                steps_at_last += 1;
                assert!(
                    steps_at_last < MAX_STEPS_PER_INSTANT,
                    "the engines keep asking to be woken at {} ms",
                    self.clock.ms()
                );
            } else {
                (last, steps_at_last) = (now, 0);
            }
            self.step(engines);
        }
    }

    fn next_wakeup(&mut self, engines: &mut [&mut E]) -> Option<Instant> {
        let timers = engines.iter_mut().filter_map(|e| e.poll_timeout()).min();
        match (self.net.next_arrival(), timers) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn step(&mut self, engines: &mut [&mut E]) {
        let now = self.clock.now();
        while let Some(d) = self.net.pop_due(now) {
            self.deliver(engines, d);
        }
        for node in 0..engines.len() {
            if engines[node].poll_timeout().is_some_and(|t| t <= now) {
                engines[node].handle_timeout(now);
            }
            self.drain(engines, node);
        }
    }

    fn deliver(&mut self, engines: &mut [&mut E], d: Delivery) {
        match d.carrier {
            Carrier::Datagram => self.hand(engines, d.from, d.to, d.transport, d.bytes),
            Carrier::Stream => {
                let buf = self.streams.entry((d.from, d.to, d.transport)).or_default();
                buf.extend_from_slice(&d.bytes);
                let mut messages = Vec::new();
                let mut lost = None;
                loop {
                    match next_frame(buf, MAX_MESSAGE) {
                        Ok(Frame::Message { len }) => messages.push(buf.split_to(len).freeze()),
                        Ok(Frame::Ping { len } | Frame::Pong { len }) => {
                            let _ = buf.split_to(len);
                        }
                        Ok(Frame::Incomplete) => break,
                        Err(e) => {
                            lost = Some(e);
                            break;
                        }
                    }
                }
                for m in messages {
                    self.hand(engines, d.from, d.to, d.transport, m);
                }
                if let Some(e) = lost {
                    panic!(
                        "framing lost on the stream {} -> {}: {e}",
                        self.nodes[d.from].name, self.nodes[d.to].name
                    );
                }
            }
        }
    }

    fn hand(
        &mut self,
        engines: &mut [&mut E],
        from: NodeId,
        to: NodeId,
        transport: Transport,
        bytes: Bytes,
    ) {
        let now = self.clock.now();
        let source = Peer::new(self.nodes[from].addr, transport);
        let line = start_line(&bytes);
        match engines[to].handle_input(now, source, bytes) {
            Ok(()) => {}
            Err(InputError::Unparseable(e)) => panic!(
                "{} sent {} a message it cannot parse ({e}): {line}",
                self.nodes[from].name, self.nodes[to].name
            ),
            Err(e) if self.strict => panic!(
                "{} refused a message from {} ({e}): {line}",
                self.nodes[to].name, self.nodes[from].name
            ),
            Err(e) => self.note(
                to,
                format!("refused {line} from {}: {e}", self.nodes[from].name),
            ),
        }
        self.drain(engines, to);
    }

    fn transmit(&mut self, from: NodeId, t: &Transmit) {
        match self.node_at(t.destination.addr) {
            Some(to) => {
                self.net.send(&self.clock, from, to, t);
            }
            None => self.note(
                from,
                format!("unroutable, to {}: {}", t.destination, start_line(&t.bytes)),
            ),
        }
    }

    fn note(&mut self, node: NodeId, what: String) {
        self.notes.push(Note {
            at: self.clock.now(),
            at_ms: self.clock.ms(),
            node,
            what,
            sent_before: self.net.trace().len(),
        });
    }

    fn check(&self, engines: &[&mut E]) {
        assert_eq!(
            engines.len(),
            self.nodes.len(),
            "lend the world one engine per node, in node order"
        );
    }

    // ----- Traces -----

    /// The trace as text: each message (time, sender, receiver, start line, fate), event
    /// and note, in the order they happened, with times in milliseconds since the start.
    pub fn dump(&self) -> String {
        self.render(false)
    }

    /// [`dump`](Self::dump), optionally with a hash of each message's bytes (what the
    /// [`TRACE_DIR_ENV`] files hold).
    pub fn render(&self, hashes: bool) -> String {
        let mut out = format!(
            "--- trace (seed {}; ms since the start; {} sent, {} events) ---\n",
            self.net.seed(),
            self.trace().len(),
            self.events.len()
        );
        let (mut events, mut notes) = (self.events.iter().peekable(), self.notes.iter().peekable());
        for i in 0..=self.trace().len() {
            while let Some(r) = events.next_if(|r| r.sent_before <= i) {
                let _ = writeln!(
                    out,
                    "{:>10}  {:<8}  * {}",
                    fmt_ms(r.at.duration_since(self.start())),
                    self.nodes[r.node].name,
                    E::describe(&r.event)
                );
            }
            while let Some(n) = notes.next_if(|n| n.sent_before <= i) {
                let _ = writeln!(
                    out,
                    "{:>10}  {:<8}  ! {}",
                    fmt_ms(n.at.duration_since(self.start())),
                    self.nodes[n.node].name,
                    n.what
                );
            }
            if let Some(w) = self.trace().get(i) {
                let _ = write!(
                    out,
                    "{:>10}  {:<8}->{:<8} {}  [{}]",
                    fmt_ms(w.at.duration_since(self.start())),
                    self.nodes[w.from].name,
                    self.nodes[w.to].name,
                    w.line,
                    self.fate_text(w)
                );
                if hashes {
                    let _ = write!(out, "  #{:016x}", fnv1a(&w.bytes));
                }
                out.push('\n');
            }
        }
        out
    }

    fn fate_text(&self, w: &TraceEntry) -> String {
        let arrivals: Vec<String> = w
            .arrivals
            .iter()
            .map(|a| fmt_ms(a.duration_since(self.start())))
            .collect();
        let arrivals = arrivals.join(", ");
        let transport = if w.carrier == Carrier::Stream {
            format!("{} ", w.transport)
        } else {
            String::new()
        };
        match w.fate {
            Fate::Drop => {
                let cause = format!("{:?}", w.cause).to_lowercase();
                format!("{transport}dropped by {cause}")
            }
            Fate::Deliver => format!("{transport}arrives {arrivals}"),
            Fate::Duplicate => format!("{transport}duplicated, arrives {arrivals}"),
            Fate::Delay(d) => format!("{transport}delayed {}, arrives {arrivals}", fmt_ms(d)),
        }
    }

    fn trace_file(&self, dir: PathBuf) -> Option<PathBuf> {
        let exe = std::env::current_exe().ok()?;
        let exe = exe.file_stem()?.to_string_lossy();
        // Test binaries are named `<target>-<hash>`.
        let exe = exe
            .rsplit_once('-')
            .map_or(&*exe, |(name, _)| name)
            .to_owned();
        let thread = std::thread::current();
        let test = thread.name().unwrap_or("unnamed").replace("::", ".");
        let n = TRACES_WRITTEN.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        let dir = dir.join(exe);
        std::fs::create_dir_all(&dir).ok()?;
        Some(dir.join(format!("{test}.{n}.trace")))
    }
}

impl<E: Engine> Drop for World<E> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.dump());
        }
        if let Some(dir) = std::env::var_os(TRACE_DIR_ENV) {
            if let Some(path) = self.trace_file(PathBuf::from(dir)) {
                // Best effort: a trace that cannot be written must not fail the test.
                let _ = std::fs::write(path, self.render(true));
            }
        }
    }
}

impl<E: Engine> std::fmt::Debug for World<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("now_ms", &self.clock.ms())
            .field("nodes", &self.nodes)
            .field("network", &self.net)
            .field("events", &self.events.len())
            .field("notes", &self.notes.len())
            .finish()
    }
}

/// Milliseconds, with microseconds when there are any.
fn fmt_ms(d: Duration) -> String {
    let us = d.as_micros();
    if us % 1_000 == 0 {
        format!("{}", us / 1_000)
    } else {
        format!("{}.{:03}", us / 1_000, us % 1_000)
    }
}

/// FNV-1a, 64 bits: a stable hash (the standard library's is randomly keyed).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
#[path = "world_tests.rs"]
mod tests;
