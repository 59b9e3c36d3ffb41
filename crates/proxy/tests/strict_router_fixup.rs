//! Strict routers (RFC 3261 §16.4, §16.6 step 6, §16.12.1.2): a request whose Request-URI
//! is our Record-Route URI had it put there by a strict router, and gets its real
//! Request-URI back from the last Route; a next hop without `lr` gets the Request-URI it
//! expects, with the real one kept as the last Route.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::{HeaderName, Method};
use sip_proxy::ForwardPlan;
use sip_testkit::{RequestSpec, addr};
use sip_transaction::Transport;

#[test]
fn request_uri_of_ours_is_replaced_by_the_last_route() {
    let mut s = raw_world(|_| {});
    s.on_event(PROXY, router(vec![]));
    s.on_event(BOB, tl_answer(&[200]));
    // In a dialog, sent by a strict router: our URI as Request-URI, the remote target last.
    let mut bye = RequestSpec::new(Method::Bye)
        .uri("sip:192.0.2.10:5060;lr")
        .to_tag("bob-tag")
        .build();
    bye.headers_mut()
        .push(HeaderName::Route, "<sip:bob@192.0.2.2:5060>");
    send_to_proxy(&mut s, ALICE, bye);
    s.run_until_ms(1_000);
    let seen = &raised(&s)[0];
    assert_eq!(seen.uri_raw(), b"sip:bob@192.0.2.2:5060");
    assert_eq!(seen.headers().count(HeaderName::Route), 0);
    let fwd = s.sent(PROXY, "BYE", "").next().unwrap();
    assert_eq!(fwd.to, BOB);
    assert_eq!(fwd.request().uri_raw(), b"sip:bob@192.0.2.2:5060");
    assert_eq!(tl_statuses(&s, ALICE), [200]);
}

#[test]
fn strict_next_hop_gets_the_request_uri_it_expects() {
    let mut s = raw_world(|_| {});
    s.add_node(
        "strict",
        addr(3),
        Node::Tl(sip_transaction::TransactionLayer::new(Default::default())),
    );
    // Bob is reached through an old strict router at 192.0.2.3 (no `lr`).
    let t = target("bob", 2, Transport::Udp).route("<sip:192.0.2.3:5060>");
    let t = sip_proxy::Target {
        destination: sip_transaction::Peer::udp(addr(3)),
        ..t
    };
    s.on_event(PROXY, router(vec![("bob", ForwardPlan::single(t))]));
    s.on_event(CAROL, tl_answer(&[200]));
    send_to_proxy(
        &mut s,
        ALICE,
        RequestSpec::new(Method::Message)
            .uri("sip:bob@example.com")
            .build(),
    );
    s.run_until_ms(1_000);
    let fwd = s.sent(PROXY, "MESSAGE", "").next().unwrap();
    assert_eq!(fwd.to, CAROL);
    let req = fwd.request();
    assert_eq!(req.uri_raw(), b"sip:192.0.2.3:5060");
    assert_eq!(
        values(req.headers(), HeaderName::Route),
        ["<sip:bob@192.0.2.2:5060>"]
    );
    assert_eq!(tl_statuses(&s, ALICE), [200]);
}

#[test]
fn loose_routes_of_ours_are_removed_and_others_kept() {
    let mut s = raw_world(|_| {});
    s.on_event(PROXY, router(vec![]));
    s.on_event(BOB, tl_answer(&[200]));
    let mut msg = RequestSpec::new(Method::Message)
        .uri("sip:carol@example.com")
        .build();
    msg.headers_mut().push(
        HeaderName::Route,
        "<sip:192.0.2.10;lr>, <sip:192.0.2.2:5060;lr>",
    );
    send_to_proxy(&mut s, ALICE, msg);
    s.run_until_ms(1_000);
    let fwd = s.sent(PROXY, "MESSAGE", "").next().unwrap();
    assert_eq!(fwd.to, BOB, "sent to the next Route");
    assert_eq!(
        values(fwd.request().headers(), HeaderName::Route),
        ["<sip:192.0.2.2:5060;lr>"]
    );
    assert_eq!(fwd.request().uri_raw(), b"sip:carol@example.com");
}
