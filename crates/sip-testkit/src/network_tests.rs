//! The network's rules, filters, partitions, streams and seeded determinism.

use std::time::Duration;

use bytes::Bytes;
use sip_transaction::{Peer, Transmit, Transport};

use super::*;
use crate::addr;

const A: NodeId = 0;
const B: NodeId = 1;
const C: NodeId = 2;

fn msg(line: &str, cseq: &str) -> Bytes {
    Bytes::from(format!(
        "{line}\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-x\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
    ))
}

fn udp(bytes: Bytes) -> Transmit {
    Transmit {
        destination: Peer::udp(addr(2)),
        bytes,
        key: None,
    }
}

fn tcp(bytes: Bytes) -> Transmit {
    Transmit {
        destination: Peer::tcp(addr(2)),
        bytes,
        key: None,
    }
}

fn invite() -> Bytes {
    msg("INVITE sip:b SIP/2.0", "1 INVITE")
}

/// Everything due up to `ms`, as (arrival ms, from, to, bytes).
fn drain(net: &mut SimNetwork, clock: &SimClock, ms: u64) -> Vec<(u64, NodeId, NodeId, Bytes)> {
    let mut out = Vec::new();
    while let Some(d) = net.pop_due(clock.at_ms(ms)) {
        out.push((clock.ms_of(d.at), d.from, d.to, d.bytes));
    }
    out
}

#[test]
fn an_ideal_network_delivers_at_once_in_order() {
    let clock = SimClock::new();
    let mut net = SimNetwork::new(0);
    net.send(
        &clock,
        A,
        B,
        &udp(msg("OPTIONS sip:b SIP/2.0", "1 OPTIONS")),
    );
    net.send(&clock, A, B, &udp(invite()));
    assert_eq!(net.in_flight(), 2);
    let got = drain(&mut net, &clock, 0);
    assert_eq!(got.len(), 2);
    assert!(got[0].3.starts_with(b"OPTIONS") && got[1].3.starts_with(b"INVITE"));
    assert_eq!(net.next_arrival(), None);
    assert_eq!(net.trace()[1].line, "INVITE sip:b SIP/2.0");
    assert_eq!(net.trace()[1].cseq_method, "INVITE");
    assert_eq!(net.trace()[1].fate, Fate::Deliver);
    assert_eq!(net.trace()[1].cause, Cause::Link);
}

#[test]
fn per_link_rules_override_the_global_ones() {
    let mut clock = SimClock::new();
    let mut net = SimNetwork::new(0);
    net.set_latency(Duration::from_millis(10));
    net.set_link(A, C, LinkRules::with_latency(Duration::from_millis(50)));
    net.send(&clock, A, B, &udp(invite()));
    net.send(&clock, A, C, &udp(invite()));
    net.send(&clock, C, A, &udp(invite()));
    assert_eq!(net.link(A, C).latency, Duration::from_millis(50));
    assert_eq!(net.link(C, A).latency, Duration::from_millis(10));
    let arrivals: Vec<_> = drain(&mut net, &clock, 100)
        .into_iter()
        .map(|(t, f, to, _)| (t, f, to))
        .collect();
    assert_eq!(arrivals, [(10, A, B), (10, C, A), (50, A, C)]);
    net.clear_link(A, C);
    clock.advance(Duration::from_millis(100));
    net.send(&clock, A, C, &udp(invite()));
    assert_eq!(net.next_arrival(), Some(clock.at_ms(110)));
}

#[test]
fn drop_nth_counts_per_start_line_and_cseq_method() {
    let clock = SimClock::new();
    let mut net = SimNetwork::new(0);
    net.drop_nth(A, "INVITE", 1);
    for _ in 0..3 {
        net.send(&clock, A, B, &udp(invite()));
    }
    // Another sender's INVITEs, and a response whose CSeq says INVITE, count apart.
    net.send(&clock, C, B, &udp(invite()));
    net.send(&clock, C, B, &udp(invite()));
    net.send(&clock, A, B, &udp(msg("SIP/2.0 200 OK", "1 INVITE")));
    let fates: Vec<_> = net.trace().iter().map(|w| w.fate).collect();
    assert_eq!(
        fates,
        [
            Fate::Deliver,
            Fate::Drop,
            Fate::Deliver,
            Fate::Deliver,
            Fate::Deliver,
            Fate::Deliver
        ]
    );
    assert_eq!(net.trace()[1].cause, Cause::Filter);
    assert!(!net.trace()[1].delivered());
    assert_eq!(net.in_flight(), 5);
}

#[test]
fn the_first_filter_with_an_opinion_decides() {
    let clock = SimClock::new();
    let mut net = SimNetwork::new(0);
    net.add_filter(|w| {
        if w.is("ACK") {
            Fate::Duplicate
        } else {
            Fate::Deliver
        }
    });
    net.add_filter(|w| {
        if w.is_response(180, "INVITE") {
            Fate::Delay(Duration::from_millis(30))
        } else {
            Fate::Drop
        }
    });
    net.send(&clock, A, B, &udp(msg("ACK sip:b SIP/2.0", "1 ACK")));
    net.send(&clock, B, A, &udp(msg("SIP/2.0 180 Ringing", "1 INVITE")));
    net.send(&clock, A, B, &udp(invite()));
    let fates: Vec<_> = net.trace().iter().map(|w| w.fate).collect();
    assert_eq!(
        fates,
        [
            Fate::Duplicate,
            Fate::Delay(Duration::from_millis(30)),
            Fate::Drop
        ]
    );
    let times: Vec<_> = drain(&mut net, &clock, 100).iter().map(|d| d.0).collect();
    assert_eq!(times, [0, 0, 30]);
    net.clear_filters();
    net.send(&clock, A, B, &udp(invite()));
    assert_eq!(net.trace()[3].fate, Fate::Deliver);
}

#[test]
fn a_partition_drops_until_healed_but_not_what_is_in_flight() {
    let mut clock = SimClock::new();
    let mut net = SimNetwork::new(0);
    net.set_latency(Duration::from_millis(10));
    net.send(&clock, A, B, &udp(invite()));
    net.partition(A, B);
    assert!(net.is_partitioned(A, B) && net.is_partitioned(B, A));
    assert!(!net.is_partitioned(A, C));
    // Even a filter's verdict gives way to the partition, and streams break too.
    net.add_filter(|_| Fate::Duplicate);
    net.send(&clock, B, A, &udp(invite()));
    net.send(&clock, A, B, &tcp(invite()));
    net.send(&clock, A, C, &udp(invite()));
    assert_eq!(net.trace()[1].cause, Cause::Partition);
    assert_eq!(net.trace()[2].fate, Fate::Drop);
    assert_eq!(net.trace()[3].fate, Fate::Duplicate);
    clock.advance(Duration::from_millis(5));
    net.heal(A, B);
    net.send(&clock, A, B, &udp(invite()));
    assert_eq!(net.trace()[4].fate, Fate::Duplicate);
    let got: Vec<_> = drain(&mut net, &clock, 100)
        .into_iter()
        .map(|(t, f, to, _)| (t, f, to))
        .collect();
    assert_eq!(
        got,
        [(10, A, B), (10, A, C), (10, A, C), (15, A, B), (15, A, B)]
    );
    net.partition(A, C);
    net.heal_all();
    assert!(!net.is_partitioned(A, C));
}

fn lossy() -> LinkRules {
    LinkRules {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(40),
        loss: 0.2,
        duplicate: 0.1,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(300),
        segment_size: None,
    }
}

/// The outcome of sending 200 datagrams over a lossy link with this seed.
fn outcome(seed: u64) -> Vec<(Fate, Vec<u64>)> {
    let clock = SimClock::new();
    let mut net = SimNetwork::new(seed);
    net.set_rules(lossy());
    for _ in 0..200 {
        net.send(&clock, A, B, &udp(invite()));
    }
    net.trace()
        .iter()
        .map(|w| {
            let us = w.arrivals.iter().map(|a| {
                u64::try_from(a.duration_since(clock.start()).as_micros()).unwrap_or(u64::MAX)
            });
            (w.fate, us.collect())
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_losses_and_delays() {
    assert_eq!(outcome(11), outcome(11));
    assert_ne!(outcome(11), outcome(12));
    let o = outcome(11);
    let dropped = o.iter().filter(|(f, _)| *f == Fate::Drop).count();
    let duplicated = o.iter().filter(|(f, _)| *f == Fate::Duplicate).count();
    assert!((20..=60).contains(&dropped), "{dropped} of 200 dropped");
    assert!(
        (5..=35).contains(&duplicated),
        "{duplicated} of 200 duplicated"
    );
    // Every copy arrives within latency + jitter, or that plus the reorder delay.
    for (_, arrivals) in &o {
        for us in arrivals {
            assert!(
                (20_000..=60_000).contains(us) || (320_000..=360_000).contains(us),
                "{us}"
            );
        }
    }
}

#[test]
fn jitter_reorders_datagrams_but_never_a_stream() {
    let mut clock = SimClock::new();
    let mut net = SimNetwork::new(3);
    net.set_rules(LinkRules {
        jitter: Duration::from_millis(50),
        ..lossy()
    });
    let numbered = |i: usize| msg(&format!("MESSAGE sip:b{i} SIP/2.0"), "1 MESSAGE");
    for i in 0..50 {
        net.send(&clock, A, B, &udp(numbered(i)));
        net.send(&clock, A, B, &tcp(numbered(i)));
        clock.advance(Duration::from_millis(1));
    }
    let mut datagrams = Vec::new();
    let mut stream = Vec::new();
    while let Some(d) = net.pop_due(clock.at_ms(10_000)) {
        let line = start_line(&d.bytes);
        match d.carrier {
            Carrier::Datagram => datagrams.push(line),
            Carrier::Stream => stream.push(line),
        }
    }
    let sent: Vec<_> = (0..50)
        .map(|i| format!("MESSAGE sip:b{i} SIP/2.0"))
        .collect();
    // The stream loses nothing, duplicates nothing and keeps its order.
    assert_eq!(stream, sent);
    assert_ne!(
        datagrams.iter().take(50).collect::<Vec<_>>(),
        sent.iter().collect::<Vec<_>>()
    );
}

#[test]
fn streams_are_cut_into_segments() {
    let clock = SimClock::new();
    let mut net = SimNetwork::new(0);
    net.set_link(
        A,
        B,
        LinkRules {
            latency: Duration::from_millis(5),
            segment_size: Some(16),
            ..LinkRules::default()
        },
    );
    let bytes = invite();
    net.send(&clock, A, B, &tcp(bytes.clone()));
    let segments = drain(&mut net, &clock, 5);
    assert_eq!(segments.len(), bytes.len().div_ceil(16));
    assert!(segments.iter().all(|(t, _, _, s)| *t == 5 && s.len() <= 16));
    let joined: Vec<u8> = segments.iter().flat_map(|s| s.3.to_vec()).collect();
    assert_eq!(joined, bytes.to_vec());
    assert_eq!(net.trace()[0].carrier, Carrier::Stream);
    assert_eq!(net.trace()[0].transport, Transport::Tcp);
}

#[test]
fn a_delayed_stream_message_holds_back_the_ones_after_it() {
    let mut clock = SimClock::new();
    let mut net = SimNetwork::new(0);
    net.drop_nth(A, "INVITE", 99); // never matches: filters that pass leave the link in charge
    net.add_filter(|w| {
        if w.nth == 0 {
            Fate::Delay(Duration::from_millis(100))
        } else {
            Fate::Deliver
        }
    });
    net.send(&clock, A, B, &tcp(invite()));
    clock.advance(Duration::from_millis(10));
    net.send(&clock, A, B, &tcp(invite()));
    let times: Vec<_> = drain(&mut net, &clock, 1_000).iter().map(|d| d.0).collect();
    assert_eq!(times, [100, 100]);
}

#[test]
#[should_panic(expected = "LinkRules::loss must be a probability")]
fn probabilities_are_checked() {
    SimNetwork::new(0).set_rules(LinkRules {
        loss: 1.5,
        ..LinkRules::default()
    });
}

#[test]
fn start_lines_and_cseq_methods() {
    assert_eq!(
        start_line(b"SIP/2.0 200 OK\r\nCSeq: 2 BYE\r\n\r\n"),
        "SIP/2.0 200 OK"
    );
    assert_eq!(
        cseq_method(b"SIP/2.0 200 OK\r\ncseq:  2   BYE\r\n\r\n"),
        "BYE"
    );
    assert_eq!(
        cseq_method(b"INVITE sip:b SIP/2.0\r\n\r\nCSeq: 1 INVITE"),
        ""
    );
    assert_eq!(start_line(b"no line end"), "no line end");
}
