//! CANCEL (RFC 3261 §16.10): answered 200 hop by hop, then every pending branch is
//! cancelled and the branches' 487 is the answer; with no branch yet the proxy answers 487
//! itself; a CANCEL matching nothing gets 481.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::Method;
use sip_proxy::{ForwardPlan, ProxyError, ProxyEvent};
use sip_testkit::{RequestSpec, addr};
use sip_transaction::Transport;

#[test]
fn cancel_reaches_every_ringing_branch() {
    let mut s = world();
    s.add_node("carol", addr(3), ua("carol", 3, |_| {}));
    let plan = ForwardPlan {
        groups: vec![vec![
            target("bob", 2, Transport::Udp),
            target("carol", 3, Transport::Udp),
        ]],
        record_route: true,
    };
    s.on_event(PROXY, router(vec![("team", plan)]));
    s.on_event(BOB, answer_with(&[180], vec![]));
    s.on_event(CAROL, answer_with(&[180], vec![]));
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(1_000);
    s.with(ALICE, |n, now| n.ua().cancel(now, call))
        .expect("cancel");
    s.run_until_ms(3_000);

    // 200 to Alice's CANCEL, one CANCEL per branch, and one 487 upstream.
    assert!(
        s.sent(PROXY, "SIP/2.0 200", "CANCEL")
            .any(|w| w.to == ALICE)
    );
    let mut cancelled: Vec<usize> = s.sent(PROXY, "CANCEL", "").map(|w| w.to).collect();
    cancelled.sort_unstable();
    assert_eq!(cancelled, [BOB, CAROL]);
    assert_eq!(statuses(&s, ALICE, call), [100, 180, 180, 487]);
    assert_eq!(s.sent(PROXY, "SIP/2.0 487", "").count(), 1);
    let f = finished(&s);
    assert!(f.contains(&("CANCEL".to_owned(), 200)), "{f:?}");
    assert!(f.contains(&("INVITE".to_owned(), 487)), "{f:?}");
}

#[test]
fn cancel_before_forwarding_is_answered_487_by_the_proxy() {
    let mut s = world();
    // The server is slow: it never decides within the test.
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(100);
    s.with(ALICE, |n, now| n.ua().cancel(now, call))
        .expect("cancel");
    s.run_until_ms(1_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 487]);
    // The decision comes too late.
    let id = s
        .events_of(PROXY)
        .find_map(|(_, e)| match e {
            Ev::Proxy(ProxyEvent::Request { id, .. }) => Some(*id),
            _ => None,
        })
        .unwrap();
    let late = s.with(PROXY, |n, now| {
        n.proxy().forward(
            now,
            id,
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )
    });
    assert_eq!(late, Err(ProxyError::Cancelled(id)));
    assert_eq!(s.sent(PROXY, "INVITE", "").count(), 0);
}

#[test]
fn cancel_matching_nothing_gets_481() {
    let mut s = raw_world(|_| {});
    send_to_proxy(
        &mut s,
        ALICE,
        RequestSpec::new(Method::Cancel)
            .branch("z9hG4bK-nothing")
            .build(),
    );
    s.run_until_ms(1_000);
    assert_eq!(tl_statuses(&s, ALICE), [481]);
    assert!(raised(&s).is_empty());
}
