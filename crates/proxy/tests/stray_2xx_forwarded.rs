//! Stray responses (RFC 3261 §16.7 step 3 / RFC 6026): a 2xx to an INVITE that arrives
//! after the proxy's client transaction is gone still reaches the caller, by the next Via;
//! other stray responses, and responses whose top Via is not ours, are dropped.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::{HeaderName, Method};
use sip_proxy::ForwardPlan;
use sip_testkit::RequestSpec;
use sip_transaction::Transport;

fn answered_call() -> sip_testkit::Scenario<Node> {
    let mut s = raw_world(|_| {});
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    s.on_event(BOB, tl_answer(&[200]));
    send_to_proxy(
        &mut s,
        ALICE,
        RequestSpec::new(Method::Invite)
            .uri("sip:bob@example.com")
            .build(),
    );
    s.run_until_ms(40_000); // Timers L and M (32 s) have ended every transaction.
    assert_eq!(s.engine_mut(PROXY).proxy().transactions().len(), 0);
    assert_eq!(s.engine_mut(PROXY).proxy().pending(), 0);
    s
}

#[test]
fn late_2xx_retransmission_reaches_the_caller() {
    let mut s = answered_call();
    let ok = s
        .sent(BOB, "SIP/2.0 200", "INVITE")
        .next()
        .unwrap()
        .bytes
        .clone();
    s.inject(BOB, PROXY, Transport::Udp, ok);
    s.run_until_ms(41_000);
    let fwd: Vec<_> = s
        .sent(PROXY, "SIP/2.0 200", "INVITE")
        .filter(|w| w.to == ALICE)
        .collect();
    assert_eq!(fwd.len(), 2, "the first 200, then the stray one");
    assert_eq!(fwd[1].at_ms, 40_000);
    let r = fwd[1].response();
    assert_eq!(r.headers().count(HeaderName::Via), 1);
    assert_eq!(
        values(r.headers(), HeaderName::Via)[0],
        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport"
    );
}

#[test]
fn other_strays_are_dropped() {
    let mut s = answered_call();
    let ok = s
        .sent(BOB, "SIP/2.0 200", "INVITE")
        .next()
        .unwrap()
        .response();
    // A stray 180 with our Via.
    let mut ringing = sip_message::Response::new(180);
    for h in ok.headers().iter() {
        ringing
            .headers_mut()
            .push(h.name, bytes::Bytes::copy_from_slice(h.value));
    }
    s.inject(BOB, PROXY, Transport::Udp, ringing.to_bytes());
    // A 200 whose top Via is someone else's.
    let mut foreign = ok.clone();
    foreign.headers_mut().remove_first(HeaderName::Via);
    s.inject(BOB, PROXY, Transport::Udp, foreign.to_bytes());
    s.run_until_ms(41_000);
    assert!(s.sent(PROXY, "SIP/2.0", "").all(|w| w.at_ms < 40_000));
}
