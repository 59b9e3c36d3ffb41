//! INVITE / 180 / 200 / ACK / BYE through the proxy with Record-Route: the caller gets the
//! provisional and the 2xx (not the 100 from downstream), both UAs keep the proxy in their
//! route set, and the ACK and the BYE follow it.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_dialog::{DialogEvent, DialogState};
use sip_message::{HeaderName, Method};
use sip_proxy::ForwardPlan;
use sip_transaction::Transport;

#[test]
fn call_and_hangup_follow_the_record_route() {
    let mut s = world();
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)).record_route(true),
        )]),
    );
    s.on_event(BOB, answer_with(&[180, 200], vec![]));
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(1_000);

    // Alice hears 100 (the proxy's own), 180 and 200.
    assert_eq!(statuses(&s, ALICE, call), [100, 180, 200]);
    // The proxy sent 100 at once, absorbed Bob's 100, and forwarded 180 and 200.
    let to_alice: Vec<String> = s
        .sent(PROXY, "SIP/2.0", "INVITE")
        .filter(|w| w.to == ALICE)
        .map(|w| w.line.clone())
        .collect();
    assert_eq!(
        to_alice,
        [
            "SIP/2.0 100 Trying",
            "SIP/2.0 180 Ringing",
            "SIP/2.0 200 OK"
        ]
    );

    // The INVITE Bob got: retargeted, one more Via, Max-Forwards 69, Record-Route.
    let inv = s
        .sent(PROXY, "INVITE", "")
        .next()
        .expect("forwarded")
        .request();
    assert_eq!(inv.uri_raw(), b"sip:bob@192.0.2.2:5060");
    assert_eq!(inv.headers().get(HeaderName::MaxForwards), Some(&b"69"[..]));
    assert_eq!(
        values(inv.headers(), HeaderName::RecordRoute),
        ["<sip:192.0.2.10:5060;lr>"]
    );
    let vias = values(inv.headers(), HeaderName::Via);
    assert_eq!(vias.len(), 2);
    assert!(
        vias[0].starts_with("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK"),
        "{vias:?}"
    );
    // The 200 Alice got has only her own Via back.
    let ok = s
        .sent(PROXY, "SIP/2.0 200", "INVITE")
        .next()
        .expect("200")
        .response();
    assert_eq!(ok.headers().count(HeaderName::Via), 1);

    // Both dialogs confirmed; the ACK went through the proxy (end to end, no transaction).
    let a = s
        .events_of(ALICE)
        .find_map(|(_, e)| match e {
            Ev::Ua(DialogEvent::DialogState {
                dialog,
                state: DialogState::Confirmed,
            }) => Some(*dialog),
            _ => None,
        })
        .expect("Alice's dialog confirmed");
    let ack = s.sent(ALICE, "ACK", "").next().expect("ACK");
    assert_eq!(ack.to, PROXY);
    assert_eq!(
        values(&ack.request().headers().clone(), HeaderName::Route),
        ["<sip:192.0.2.10:5060;lr>"]
    );
    let fwd_ack = s
        .sent(PROXY, "ACK", "")
        .next()
        .expect("ACK forwarded")
        .request();
    assert_eq!(
        fwd_ack.headers().count(HeaderName::Route),
        0,
        "our Route removed"
    );
    assert!(
        s.events_of(BOB)
            .any(|(_, e)| matches!(e, Ev::Ua(DialogEvent::Ack { .. })))
    );

    // BYE from Alice: via the proxy, to Bob's contact.
    s.with(ALICE, |n, now| n.ua().bye(now, a)).expect("bye");
    s.run_until_ms(2_000);
    let bye = s.sent(ALICE, "BYE", "").next().expect("BYE");
    assert_eq!(bye.to, PROXY);
    let fwd = s.sent(PROXY, "BYE", "").next().expect("BYE forwarded");
    assert_eq!(fwd.to, BOB);
    assert_eq!(fwd.request().uri_raw(), b"sip:bob@192.0.2.2:5060");
    assert_eq!(
        requests_at(&s, BOB, Method::Bye),
        0,
        "BYE is answered by Bob's layer"
    );
    assert!(s.sent(PROXY, "SIP/2.0 200", "BYE").any(|w| w.to == ALICE));
    assert!(s.events_of(BOB).any(|(_, e)| matches!(
        e,
        Ev::Ua(DialogEvent::DialogState {
            state: DialogState::Terminated(_),
            ..
        })
    )));
    assert_eq!(
        finished(&s),
        [("INVITE".to_owned(), 200), ("BYE".to_owned(), 200)]
    );
}
