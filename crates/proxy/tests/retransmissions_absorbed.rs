//! Retransmissions stop at the proxy's transactions (RFC 3261 §16.2, §17): duplicated
//! requests raise one event and reach the callee once; on a lossy network the call still
//! completes and every request reached the server once.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use sip_dialog::{DialogEvent, DialogState};
use sip_message::Method;
use sip_proxy::ForwardPlan;
use sip_testkit::LinkRules;
use sip_transaction::Transport;

fn confirmed(s: &sip_testkit::Scenario<Node>, node: usize) -> bool {
    s.events_of(node).any(|(_, e)| {
        matches!(
            e,
            Ev::Ua(DialogEvent::DialogState {
                state: DialogState::Confirmed,
                ..
            })
        )
    })
}

#[test]
fn duplicated_invite_is_raised_once() {
    let mut s = world();
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    s.on_event(BOB, answer_with(&[180, 200], vec![]));
    s.network_mut().set_link(
        ALICE,
        PROXY,
        LinkRules {
            duplicate: 1.0,
            ..LinkRules::with_latency(Duration::from_millis(5))
        },
    );
    invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(2_000);
    assert_eq!(
        raised(&s)
            .iter()
            .filter(|r| *r.method() == Method::Invite)
            .count(),
        1
    );
    assert_eq!(requests_at(&s, BOB, Method::Invite), 1);
    assert_eq!(s.sent(PROXY, "INVITE", "").count(), 1);
    assert!(confirmed(&s, ALICE) && confirmed(&s, BOB));
}

#[test]
fn lossy_network_call_completes() {
    let mut s = world();
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)).record_route(true),
        )]),
    );
    s.on_event(BOB, answer_with(&[180, 200], vec![]));
    s.network_mut().set_rules(LinkRules {
        loss: 0.3,
        ..LinkRules::with_latency(Duration::from_millis(20))
    });
    invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(60_000);
    assert!(confirmed(&s, ALICE) && confirmed(&s, BOB));
    let lost = s.trace().iter().filter(|w| !w.delivered()).count();
    assert!(
        lost > 0,
        "the seed must drop something for this test to mean anything"
    );
    // However many copies arrived, the server heard the INVITE once and Bob once.
    assert_eq!(
        raised(&s)
            .iter()
            .filter(|r| *r.method() == Method::Invite)
            .count(),
        1
    );
    assert_eq!(requests_at(&s, BOB, Method::Invite), 1);
}
