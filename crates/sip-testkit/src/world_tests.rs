//! The driver: running to a time or to quiet, hooks, streams, notes, traces, determinism.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_transaction::{Peer, Transmit, Transport};

use super::*;
use crate::{Cause, LinkRules, Scenario, addr};

/// A toy engine: it answers every OPTIONS `200`, reports everything it receives, refuses
/// messages starting `BAD`, and, when armed, sends an OPTIONS to `target` on its timer.
#[derive(Debug)]
struct Toy {
    out: VecDeque<EngineOutput<String>>,
    wake: Option<Instant>,
    target: SocketAddr,
    transport: Transport,
    stuck: bool,
}

impl Toy {
    fn new(target: SocketAddr) -> Self {
        Toy {
            out: VecDeque::new(),
            wake: None,
            target,
            transport: Transport::Udp,
            stuck: false,
        }
    }
}

fn options() -> Bytes {
    Bytes::from_static(
        b"OPTIONS sip:toy SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 5\r\n\r\nhello",
    )
}

impl Toy {
    fn send(&mut self, to: Peer, bytes: Bytes) {
        self.out.push_back(EngineOutput::Transmit(Transmit {
            destination: to,
            bytes,
            key: None,
        }));
    }
}

impl Engine for Toy {
    type Event = String;

    fn handle_input(&mut self, _now: Instant, from: Peer, bytes: Bytes) -> Result<(), InputError> {
        if bytes.starts_with(b"BAD") {
            return Err(InputError::Rejected("bad".to_owned()));
        }
        let line = start_line(&bytes);
        self.out.push_back(EngineOutput::Event(format!(
            "got {line} via {}",
            from.transport
        )));
        if line.starts_with("OPTIONS") {
            let ok = "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
            self.send(from, Bytes::from_static(ok.as_bytes()));
        }
        Ok(())
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.stuck {
            return;
        }
        if self.wake.is_some_and(|t| t <= now) {
            self.wake = None;
            self.out.push_back(EngineOutput::Event("timer".to_owned()));
            self.send(Peer::new(self.target, self.transport), options());
        }
    }

    fn poll_output(&mut self) -> Option<EngineOutput<String>> {
        self.out.pop_front()
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.wake
    }

    fn describe(event: &String) -> String {
        event.clone()
    }
}

/// Node `a` (192.0.2.1) and node `b` (192.0.2.2), each aiming at the other; `a` sends an
/// OPTIONS at `wake` ms.
fn pair(wake: Option<u64>, seed: u64) -> Scenario<Toy> {
    let mut s = Scenario::new(seed);
    let a = s.add_node("a", addr(1), Toy::new(addr(2)));
    s.add_node("b", addr(2), Toy::new(addr(1)));
    let at = wake.map(|ms| s.at_ms(ms));
    s.engine_mut(a).wake = at;
    s
}

fn times(s: &Scenario<Toy>, node: NodeId) -> Vec<(u64, String)> {
    s.events_of(node).map(|(t, e)| (t, e.clone())).collect()
}

#[test]
fn runs_to_each_wakeup_then_to_the_end() {
    let mut s = pair(Some(1_000), 0);
    s.network_mut().set_latency(Duration::from_millis(10));
    s.run_until_ms(5_000);
    assert_eq!(s.ms(), 5_000);
    assert_eq!(
        times(&s, 0),
        [
            (1_000, "timer".to_owned()),
            (1_020, "got SIP/2.0 200 OK via UDP".to_owned())
        ]
    );
    assert_eq!(
        times(&s, 1),
        [(1_010, "got OPTIONS sip:toy SIP/2.0 via UDP".to_owned())]
    );
    assert_eq!(s.sent_at(0, "OPTIONS", ""), [1_000]);
    assert_eq!(s.sent_at(1, "SIP/2.0 200", "OPTIONS"), [1_010]);
    // Events carry their instants too, and their place in the trace.
    let first = &s.events()[0];
    assert_eq!(first.at, s.at_ms(1_000));
    assert_eq!((first.node, first.sent_before), (0, 0));
    assert_eq!(s.events()[1].sent_before, 1);
}

#[test]
fn run_until_quiet_stops_at_the_last_thing_that_happened() {
    let mut s = pair(Some(2_000), 0);
    s.network_mut().set_latency(Duration::from_millis(10));
    assert!(s.run_until_quiet(Duration::from_secs(60)));
    assert_eq!(s.ms(), 2_020);
    let mut busy = pair(Some(2_000), 0);
    assert!(!busy.run_until_quiet(Duration::from_millis(500)));
    assert_eq!(busy.ms(), 500);
    busy.run_for(Duration::from_millis(1_500));
    assert_eq!(busy.ms(), 2_000);
    assert_eq!(busy.events_of(1).count(), 1);
}

#[test]
fn hooks_act_on_events_and_their_commands_are_drained() {
    let mut s = pair(Some(100), 0);
    // When b hears the OPTIONS, its "application" arms b's timer to send one back at once.
    s.on_event(1, |toy, now, ev| {
        if ev.starts_with("got OPTIONS") {
            toy.wake = Some(now);
        }
    });
    s.run_until_ms(1_000);
    assert_eq!(s.sent_at(1, "OPTIONS", ""), [100]);
    assert_eq!(s.trace()[2].to, 0);
    let got: Vec<_> = times(&s, 1)
        .into_iter()
        .map(|(t, e)| format!("{t} {e}"))
        .collect();
    assert_eq!(
        got,
        [
            "100 got OPTIONS sip:toy SIP/2.0 via UDP",
            "100 timer",
            "100 got SIP/2.0 200 OK via UDP"
        ]
    );
    s.world_mut().clear_hook(1);
}

#[test]
fn commands_through_with_are_drained_at_the_current_time() {
    let mut s = pair(None, 0);
    s.run_until_ms(300);
    s.with(1, |toy, _| toy.send(Peer::udp(addr(1)), options()));
    assert_eq!(s.sent_at(1, "OPTIONS", ""), [300]);
    s.run_until_ms(300);
    assert_eq!(s.sent_at(0, "SIP/2.0 200", ""), [300]);
    // Outputs of a direct command wait for the next drain, at the same time.
    s.engine_mut(0).send(Peer::udp(addr(2)), options());
    s.drain_all();
    assert_eq!(s.sent_at(0, "OPTIONS", ""), [300]);
}

#[test]
fn stream_segments_are_reassembled_into_messages() {
    let mut s = pair(Some(0), 0);
    s.engine_mut(0).transport = Transport::Tcp;
    s.network_mut().set_rules(LinkRules {
        latency: Duration::from_millis(3),
        segment_size: Some(7),
        ..LinkRules::default()
    });
    s.run_until_ms(100);
    assert_eq!(
        times(&s, 1),
        [(3, "got OPTIONS sip:toy SIP/2.0 via TCP".to_owned())]
    );
    assert_eq!(
        times(&s, 0)[1],
        (6, "got SIP/2.0 200 OK via TCP".to_owned())
    );
    assert_eq!(s.trace()[0].carrier, crate::Carrier::Stream);
}

#[test]
fn refusals_unroutable_sends_and_injections_are_noted() {
    let mut s = pair(None, 0);
    s.inject(0, 1, Transport::Udp, Bytes::from_static(b"BAD\r\n\r\n"));
    s.with(0, |toy, _| toy.send(Peer::udp(addr(77)), options()));
    let notes: Vec<_> = s.notes().iter().map(|n| (n.node, n.what.clone())).collect();
    assert_eq!(
        notes,
        [
            (1, "injected from a: BAD".to_owned()),
            (1, "refused BAD from a: rejected: bad".to_owned()),
            (
                0,
                "unroutable, to UDP/192.0.2.77:5060: OPTIONS sip:toy SIP/2.0".to_owned()
            ),
        ]
    );
    assert!(s.trace().is_empty());
}

#[test]
#[should_panic(expected = "b refused a message from a (rejected: bad): BAD")]
fn a_strict_world_fails_on_a_refused_message() {
    let mut s = pair(Some(0), 0);
    s.world_mut().set_strict(true);
    s.inject(0, 1, Transport::Udp, Bytes::from_static(b"BAD\r\n\r\n"));
}

#[test]
#[should_panic(expected = "the engines keep asking to be woken at 5 ms")]
fn an_engine_that_never_stops_waking_fails_the_test() {
    let mut s = pair(Some(5), 0);
    s.engine_mut(0).stuck = true;
    s.run_until_ms(10);
}

#[test]
#[should_panic(expected = "two nodes at 192.0.2.1:5060")]
fn addresses_are_unique() {
    let mut s = pair(Some(0), 0);
    s.add_node("again", addr(1), Toy::new(addr(2)));
}

/// A busy lossy run: a sends every 100 ms for 10 s over a lossy, jittery link.
fn lossy_run(seed: u64) -> String {
    let mut s = pair(Some(0), seed);
    s.network_mut().set_rules(LinkRules {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(30),
        loss: 0.2,
        duplicate: 0.1,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(150),
        segment_size: None,
    });
    for i in 0..100 {
        let at = s.at_ms(i * 100);
        s.engine_mut(0).wake = Some(at);
        s.run_until_ms(i * 100 + 99);
    }
    s.run_until_ms(20_000);
    s.render(true)
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let a = lossy_run(5);
    assert_eq!(a, lossy_run(5));
    assert_ne!(a, lossy_run(6));
    assert!(a.contains("dropped by link"), "{a}");
    assert!(a.contains("duplicated, arrives"), "{a}");
    assert!(a.lines().any(|l| l.contains("  #")), "hashes");
}

#[test]
fn the_dump_reads_in_order() {
    let mut s = pair(Some(1_000), 0);
    s.network_mut().set_latency(Duration::from_millis(10));
    s.network_mut().drop_nth(1, "SIP/2.0 200", 0);
    s.run_until_ms(2_000);
    let dump = s.dump();
    let lines: Vec<_> = dump.lines().map(str::trim_end).collect();
    assert_eq!(
        lines,
        [
            "--- trace (seed 0; ms since the start; 2 sent, 2 events) ---",
            "      1000  a         * timer",
            "      1000  a       ->b        OPTIONS sip:toy SIP/2.0  [arrives 1010]",
            "      1010  b         * got OPTIONS sip:toy SIP/2.0 via UDP",
            "      1010  b       ->a        SIP/2.0 200 OK  [dropped by filter]",
        ]
    );
    assert_eq!(s.trace()[1].cause, Cause::Filter);
}
