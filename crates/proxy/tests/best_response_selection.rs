//! Best-response selection when every branch failed (RFC 3261 §16.7 steps 6-7): the lowest
//! class wins (6xx first), 486 over 404, a 503 becomes 500, every 401/407 challenge is
//! merged into the one sent, a branch that never answered counts as 408, one whose
//! transport failed as 503 (§16.9).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::HeaderName;
use sip_proxy::ForwardPlan;
use sip_testkit::{Scenario, addr};
use sip_transaction::{TransactionKey, Transport};

/// Bob, Carol and Dave answer with these, all forked in parallel.
fn three_forks(
    bob: (&'static [u16], Vec<(HeaderName, String)>),
    carol: (&'static [u16], Vec<(HeaderName, String)>),
    dave: (&'static [u16], Vec<(HeaderName, String)>),
) -> Scenario<Node> {
    let mut s = world();
    s.add_node("carol", addr(3), ua("carol", 3, |_| {}));
    s.add_node("dave", addr(4), ua("dave", 4, |_| {}));
    let plan = ForwardPlan {
        groups: vec![vec![
            target("bob", 2, Transport::Udp),
            target("carol", 3, Transport::Udp),
            target("dave", 4, Transport::Udp),
        ]],
        record_route: false,
    };
    s.on_event(PROXY, router(vec![("team", plan)]));
    s.on_event(BOB, answer_with(bob.0, bob.1));
    s.on_event(CAROL, answer_with(carol.0, carol.1));
    s.on_event(DAVE, answer_with(dave.0, dave.1));
    s
}

fn final_to_alice(s: &Scenario<Node>) -> sip_message::Response {
    let finals: Vec<_> = s
        .sent(PROXY, "SIP/2.0", "INVITE")
        .filter(|w| w.to == ALICE && !w.line.starts_with("SIP/2.0 1"))
        .collect();
    assert_eq!(finals.len(), 1, "one final response upstream");
    finals[0].response()
}

#[test]
fn busy_here_beats_not_found_and_server_errors() {
    let mut s = three_forks((&[486], vec![]), (&[404], vec![]), (&[503], vec![]));
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 486]);
    // Sent once all three were in, not at the first failure.
    let last_in = s
        .trace()
        .iter()
        .filter(|w| {
            w.to == PROXY && w.line.starts_with("SIP/2.0 ") && !w.line.starts_with("SIP/2.0 1")
        })
        .map(|w| w.at_ms)
        .max()
        .unwrap();
    let sent = s.sent(PROXY, "SIP/2.0 486", "").next().unwrap();
    assert!(sent.at_ms >= last_in);
}

#[test]
fn a_4xx_beats_a_5xx() {
    let mut s = three_forks((&[500], vec![]), (&[404], vec![]), (&[503], vec![]));
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 404]);
}

#[test]
fn a_lone_503_goes_upstream_as_500() {
    let mut s = three_forks((&[503], vec![]), (&[503], vec![]), (&[503], vec![]));
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 500]);
    let r = final_to_alice(&s);
    assert!(
        r.to().unwrap().tag().is_some(),
        "the proxy's own 500 has a To tag"
    );
    assert_eq!(finished(&s), [("INVITE".to_owned(), 500)]);
}

#[test]
fn challenges_of_every_401_and_407_are_merged() {
    let mut s = three_forks(
        (
            &[401],
            vec![(
                HeaderName::WwwAuthenticate,
                "Digest realm=\"bob.example.com\", nonce=\"b1\"".into(),
            )],
        ),
        (
            &[407],
            vec![(
                HeaderName::ProxyAuthenticate,
                "Digest realm=\"carol.example.com\", nonce=\"c1\"".into(),
            )],
        ),
        (&[404], vec![]),
    );
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    let st = statuses(&s, ALICE, call);
    assert_eq!(st[0], 100);
    assert!(matches!(st[1], 401 | 407), "{st:?}");
    let r = final_to_alice(&s);
    assert_eq!(
        values(r.headers(), HeaderName::WwwAuthenticate),
        ["Digest realm=\"bob.example.com\", nonce=\"b1\""]
    );
    assert_eq!(
        values(r.headers(), HeaderName::ProxyAuthenticate),
        ["Digest realm=\"carol.example.com\", nonce=\"c1\""]
    );
}

#[test]
fn no_answer_at_all_is_408() {
    let mut s = world();
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    s.network_mut().partition(PROXY, BOB);
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(40_000);
    // Timer B (64·T1 = 32 s) on the branch, then 408 upstream.
    assert_eq!(statuses(&s, ALICE, call), [100, 408]);
    let r = s.sent(PROXY, "SIP/2.0 408", "").next().unwrap();
    assert_eq!(r.at_ms, 5 + 32_000);
}

#[test]
fn transport_error_counts_as_503_and_goes_up_as_500() {
    let mut s = world();
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    s.network_mut().partition(PROXY, BOB);
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(100);
    let key = s.sent(PROXY, "INVITE", "").next().unwrap().key.unwrap();
    assert!(matches!(key, TransactionKey::Client(_)));
    s.with(PROXY, |n, now| n.proxy().handle_transport_error(now, key));
    s.run_until_ms(1_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 500]);
}
