//! Loop detection (RFC 3261 §16.3 step 4, §16.6 step 8): a request that comes back with our
//! Via and the same routing information is answered 482; one that comes back changed (a
//! spiral) is processed again.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::Method;
use sip_proxy::{ForwardPlan, Target};
use sip_testkit::{RequestSpec, addr};
use sip_transaction::{Peer, Transport};

fn to_self(uri: &str) -> ForwardPlan {
    ForwardPlan::single(Target::new(uri, Peer::udp(addr(PROXY_HOST))))
}

#[test]
fn request_sent_back_unchanged_is_482() {
    let mut s = raw_world(|_| {});
    // A misconfigured route: bob@example.com is forwarded to the proxy itself.
    s.on_event(PROXY, router(vec![("bob", to_self("sip:bob@example.com"))]));
    send_to_proxy(
        &mut s,
        ALICE,
        RequestSpec::new(Method::Message)
            .uri("sip:bob@example.com")
            .build(),
    );
    s.run_until_ms(1_000);
    // Raised once; the second pass is the loop, answered 482, which is the best response.
    assert_eq!(raised(&s).len(), 1);
    assert_eq!(tl_statuses(&s, ALICE), [482]);
    assert_eq!(s.sent(PROXY, "SIP/2.0 482", "").count(), 2);
}

#[test]
fn spiral_with_a_new_request_uri_is_processed() {
    let mut s = raw_world(|_| {});
    // bob@example.com is an alias: the proxy sends it to itself as bob-desk, which goes to Bob.
    s.on_event(
        PROXY,
        router(vec![
            ("bob", to_self("sip:bob-desk@example.com")),
            (
                "bob-desk",
                ForwardPlan::single(target("bob", 2, Transport::Udp)),
            ),
        ]),
    );
    s.on_event(BOB, tl_answer(&[200]));
    send_to_proxy(
        &mut s,
        ALICE,
        RequestSpec::new(Method::Message)
            .uri("sip:bob@example.com")
            .build(),
    );
    s.run_until_ms(1_000);
    assert_eq!(raised(&s).len(), 2);
    assert_eq!(tl_statuses(&s, ALICE), [200]);
    let at_bob = s
        .sent(PROXY, "MESSAGE", "")
        .find(|w| w.to == BOB)
        .unwrap()
        .request();
    assert_eq!(at_bob.headers().count(sip_message::HeaderName::Via), 3);
}
