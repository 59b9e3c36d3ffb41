//! Max-Forwards (RFC 3261 §16.3 step 3, §16.6 step 3): a request that arrives with 0 is
//! answered 483 and not raised; OPTIONS with 0 is raised (the proxy may answer it itself),
//! and forwarding it gives 483; otherwise the value goes down by one, or 70 is added.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::{HeaderName, Method};
use sip_proxy::{ForwardPlan, ProxyError, ProxyEvent};
use sip_testkit::RequestSpec;
use sip_transaction::Transport;

fn with_max_forwards(method: Method, value: Option<&str>) -> sip_message::Request {
    let mut r = RequestSpec::new(method).uri("sip:bob@example.com").build();
    match value {
        Some(v) => r.headers_mut().set(HeaderName::MaxForwards, v.to_owned()),
        None => {
            r.headers_mut().remove(HeaderName::MaxForwards);
        }
    }
    r
}

#[test]
fn zero_hops_left_is_483_and_never_reaches_the_server() {
    let mut s = raw_world(|_| {});
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    send_to_proxy(&mut s, ALICE, with_max_forwards(Method::Invite, Some("0")));
    s.run_until_ms(1_000);
    assert_eq!(tl_statuses(&s, ALICE), [100, 483]);
    assert!(raised(&s).is_empty());
    assert_eq!(s.sent(PROXY, "INVITE", "").count(), 0);
    assert_eq!(finished(&s), [("INVITE".to_owned(), 483)]);
}

#[test]
fn options_with_zero_is_raised_but_not_forwarded() {
    let mut s = raw_world(|_| {});
    let result = std::rc::Rc::new(std::cell::RefCell::new(None));
    let seen = result.clone();
    s.on_event(PROXY, move |node, now, ev| {
        if let Ev::Proxy(ProxyEvent::Request { id, .. }) = ev {
            let plan = ForwardPlan::single(target("bob", 2, Transport::Udp));
            *seen.borrow_mut() = Some(node.proxy().forward(now, *id, plan));
        }
    });
    send_to_proxy(&mut s, ALICE, with_max_forwards(Method::Options, Some("0")));
    s.run_until_ms(1_000);
    assert_eq!(*result.borrow(), Some(Err(ProxyError::TooManyHops)));
    assert_eq!(tl_statuses(&s, ALICE), [483]);
    assert_eq!(s.sent(PROXY, "OPTIONS", "").count(), 0);
}

#[test]
fn hops_are_counted_down_or_started_at_70() {
    for (given, expected) in [(Some("1"), "0"), (Some("70"), "69"), (None, "70")] {
        let mut s = raw_world(|_| {});
        s.on_event(
            PROXY,
            router(vec![(
                "bob",
                ForwardPlan::single(target("bob", 2, Transport::Udp)),
            )]),
        );
        s.on_event(BOB, tl_answer(&[200]));
        send_to_proxy(&mut s, ALICE, with_max_forwards(Method::Message, given));
        s.run_until_ms(1_000);
        let fwd = s
            .sent(PROXY, "MESSAGE", "")
            .next()
            .expect("forwarded")
            .request();
        assert_eq!(
            values(fwd.headers(), HeaderName::MaxForwards),
            [expected],
            "{given:?}"
        );
        assert_eq!(tl_statuses(&s, ALICE), [200]);
    }
}
