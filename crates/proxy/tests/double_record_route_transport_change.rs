//! Double record-routing (RFC 3261 §16.6 step 4, RFC 5658): Alice reaches the proxy over
//! UDP, Bob over TCP. The INVITE to Bob carries two Record-Route values, the TCP side on
//! top; each UA's route set starts at the side facing it, and in-dialog requests, with both
//! of the proxy's Route values removed, cross to the other transport.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_dialog::{DialogEvent, DialogState};
use sip_message::HeaderName;
use sip_proxy::ForwardPlan;
use sip_transaction::Transport;

#[test]
fn udp_to_tcp_call_is_record_routed_on_both_sides() {
    let mut s = world_with(
        |c| c.contact = "sip:bob@192.0.2.2:5060;transport=tcp".into(),
        |_| {},
    );
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Tcp)).record_route(true),
        )]),
    );
    s.on_event(BOB, answer_with(&[180, 200], vec![]));
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(1_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 180, 200]);

    let inv = s.sent(PROXY, "INVITE", "").next().unwrap();
    assert_eq!(inv.transport, Transport::Tcp);
    let inv = inv.request();
    assert_eq!(
        values(inv.headers(), HeaderName::RecordRoute),
        [
            "<sip:192.0.2.10:5060;transport=tcp;lr>",
            "<sip:192.0.2.10:5060;lr>"
        ]
    );
    assert!(values(inv.headers(), HeaderName::Via)[0].starts_with("SIP/2.0/TCP 192.0.2.10:5060;"));

    // Alice's ACK: Route = UDP side, TCP side; sent over UDP, forwarded over TCP without them.
    let ack = s.sent(ALICE, "ACK", "").next().unwrap();
    assert_eq!(ack.transport, Transport::Udp);
    assert_eq!(
        values(ack.request().headers(), HeaderName::Route),
        [
            "<sip:192.0.2.10:5060;lr>",
            "<sip:192.0.2.10:5060;transport=tcp;lr>"
        ]
    );
    let fwd_ack = s.sent(PROXY, "ACK", "").next().unwrap();
    assert_eq!((fwd_ack.to, fwd_ack.transport), (BOB, Transport::Tcp));
    assert_eq!(fwd_ack.request().headers().count(HeaderName::Route), 0);

    // Bob hangs up: his BYE goes over TCP to the TCP side, then over UDP to Alice.
    let b = s
        .events_of(BOB)
        .find_map(|(_, e)| match e {
            Ev::Ua(DialogEvent::DialogState {
                dialog,
                state: DialogState::Confirmed,
            }) => Some(*dialog),
            _ => None,
        })
        .unwrap();
    s.with(BOB, |n, now| n.ua().bye(now, b)).expect("bye");
    s.run_until_ms(2_000);
    let bye = s.sent(BOB, "BYE", "").next().unwrap();
    assert_eq!((bye.to, bye.transport), (PROXY, Transport::Tcp));
    assert_eq!(
        values(bye.request().headers(), HeaderName::Route),
        [
            "<sip:192.0.2.10:5060;transport=tcp;lr>",
            "<sip:192.0.2.10:5060;lr>"
        ]
    );
    let fwd = s.sent(PROXY, "BYE", "").next().unwrap();
    assert_eq!((fwd.to, fwd.transport), (ALICE, Transport::Udp));
    assert!(
        s.sent(PROXY, "SIP/2.0 200", "BYE")
            .any(|w| w.to == BOB && w.transport == Transport::Tcp)
    );
}

#[test]
fn same_transport_gets_one_record_route() {
    let mut s = world();
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)).record_route(true),
        )]),
    );
    s.on_event(BOB, answer_with(&[200], vec![]));
    invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(1_000);
    let inv = s.sent(PROXY, "INVITE", "").next().unwrap().request();
    assert_eq!(
        values(inv.headers(), HeaderName::RecordRoute),
        ["<sip:192.0.2.10:5060;lr>"]
    );
}
