//! Requests from RFC 2543 elements (no `z9hG4bK` branch) are matched by Request-URI, To tag,
//! From tag, Call-ID, CSeq and top Via (RFC 3261 §17.2.3); their ACK matches when its To tag
//! is the tag of the response the server transaction sent.

mod common;

use common::{Side, Sim, ev};
use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::{Event, TransactionState};

/// An RFC 2543 request: a Via without branch.
fn old_request(method: Method, call_id: &str, to_tag: Option<&str>) -> Request {
    let b = Request::builder(method, "sip:bob@192.0.2.2")
        .header(HeaderName::Via, "SIP/2.0/UDP 192.0.2.1:5060")
        .max_forwards(70)
        .from("<sip:alice@example.com>", "old-from");
    let b = match to_tag {
        Some(t) => b.to_with_tag("<sip:bob@example.com>", t),
        None => b.to("<sip:bob@example.com>"),
    };
    b.call_id(call_id).cseq(1).build()
}

fn send(sim: &mut Sim, req: Request) {
    let bob = sim.uas_peer();
    sim.uac.send_stateless(bob, req);
    sim.run_until(sim.ms());
}

#[test]
fn retransmission_and_ack_match_without_a_branch() {
    let mut sim = Sim::udp();
    send(&mut sim, old_request(Method::Invite, "old-1", None));
    let Some(Event::NewRequest { key, request, .. }) =
        sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("INVITE delivered");
    };
    let mut busy = Response::from_request(&request, 486);
    busy.set_to_tag("uas-tag");
    sim.uas.respond(sim.now(), key, busy).expect("486");

    // The INVITE again: absorbed, the 486 resent.
    sim.run_until(300);
    send(&mut sim, old_request(Method::Invite, "old-1", None));
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 486"), [0, 300]);

    // Another Call-ID is another transaction.
    send(&mut sim, old_request(Method::Invite, "old-2", None));
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[(0, "NewRequest INVITE"), (300, "NewRequest INVITE")])
    );

    // An ACK with some other To tag does not match: it is a stray ACK for the TU.
    send(
        &mut sim,
        old_request(Method::Ack, "old-1", Some("not-ours")),
    );
    assert_eq!(sim.uas.state(key), Some(TransactionState::Completed));
    // The ACK with the To tag of the 486 matches and is absorbed.
    send(&mut sim, old_request(Method::Ack, "old-1", Some("uas-tag")));
    assert_eq!(sim.uas.state(key), Some(TransactionState::Confirmed));
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[
            (0, "NewRequest INVITE"),
            (300, "NewRequest INVITE"),
            (300, "Ack matched=false"),
        ])
    );
    // No Timer G retransmission went out after the ACK at 300 ms (G was due at 500 ms).
    sim.run_until(10_000);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 486"), [0, 300]);
}

#[test]
fn cancel_matches_the_invite_without_a_branch() {
    let mut sim = Sim::udp();
    send(&mut sim, old_request(Method::Invite, "old-3", None));
    let Some(Event::NewRequest { key, .. }) = sim.take_events(Side::Uas).into_iter().next() else {
        panic!("INVITE delivered");
    };
    send(&mut sim, old_request(Method::Cancel, "old-3", None));
    let events = sim.take_events(Side::Uas);
    assert!(
        matches!(&events[..], [Event::CancelRequest { invite_key: Some(k), .. }] if *k == key),
        "{events:?}"
    );
    // A CANCEL for another call matches nothing.
    send(&mut sim, old_request(Method::Cancel, "old-4", None));
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[
            (0, "NewRequest INVITE"),
            (0, "CancelRequest invite=true"),
            (0, "CancelRequest invite=false"),
        ])
    );
}
