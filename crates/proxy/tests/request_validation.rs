//! The other checks of RFC 3261 §16.3: an unsupported Proxy-Require gets 420 with
//! Unsupported, an unknown URI scheme 416, a malformed request 400; none reaches the server.
//! An unknown method is forwarded (a proxy need not understand it).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::{HeaderName, Method};
use sip_proxy::ForwardPlan;
use sip_testkit::RequestSpec;
use sip_transaction::Transport;

fn rejected(request: sip_message::Request) -> (Vec<u16>, sip_testkit::Scenario<Node>) {
    let mut s = raw_world(|c| c.proxy_require_supported = vec!["known".into()]);
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    s.on_event(BOB, tl_answer(&[200]));
    send_to_proxy(&mut s, ALICE, request);
    s.run_until_ms(1_000);
    (tl_statuses(&s, ALICE), s)
}

#[test]
fn unsupported_proxy_require_is_420_with_unsupported() {
    let mut r = RequestSpec::new(Method::Message)
        .uri("sip:bob@example.com")
        .build();
    r.headers_mut().push(HeaderName::ProxyRequire, "known, foo");
    let (st, s) = rejected(r);
    assert_eq!(st, [420]);
    let resp = s.sent(PROXY, "SIP/2.0 420", "").next().unwrap().response();
    assert_eq!(values(resp.headers(), HeaderName::Unsupported), ["foo"]);
    assert!(raised(&s).is_empty());
}

#[test]
fn supported_proxy_require_passes() {
    let mut r = RequestSpec::new(Method::Message)
        .uri("sip:bob@example.com")
        .build();
    r.headers_mut().push(HeaderName::ProxyRequire, "known");
    assert_eq!(rejected(r).0, [200]);
}

#[test]
fn unknown_scheme_is_416() {
    let r = RequestSpec::new(Method::Message)
        .uri("http://example.com/bob")
        .build();
    assert_eq!(rejected(r).0, [416]);
}

#[test]
fn malformed_header_is_400() {
    let mut r = RequestSpec::new(Method::Message)
        .uri("sip:bob@example.com")
        .build();
    r.headers_mut().push(HeaderName::Route, "<sip:unclosed");
    assert_eq!(rejected(r).0, [400]);
}

#[test]
fn unknown_methods_are_forwarded() {
    let r = RequestSpec::new(Method::Extension("FROB".into()))
        .uri("sip:bob@example.com")
        .build();
    let (st, s) = rejected(r);
    assert_eq!(st, [200]);
    assert_eq!(s.sent(PROXY, "FROB", "").count(), 1);
}
