//! In-dialog requests follow the route set (RFC 3261 §12.1, §12.2.1.1, §16.12): two
//! record-routing loose-routing proxies between Alice and Bob; the UAC's route set is the
//! Record-Route reversed, the UAS's in order; ACK, BYE and re-INVITE carry Route headers and
//! go to the first proxy, with the remote target as Request-URI.

mod common;

use std::time::Duration;

use common::{ALICE, BOB, FOURTH, Net, THIRD, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, InitialRequest, TerminationReason};
use sip_message::{HeaderName, Method};

const P1: &str = "<sip:192.0.2.9:5060;lr>";
const P2: &str = "<sip:192.0.2.10:5060;lr>";

fn routes(req: &sip_message::Request) -> Vec<String> {
    req.headers()
        .get_all(HeaderName::Route)
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect()
}

#[test]
fn requests_follow_the_route_set() {
    let mut net = Net::new();
    net.set_latency(Duration::from_millis(5));
    net.add_ua("alice", 1, |_| {});
    net.add_ua("bob", 2, |_| {});
    let p1 = net.add_proxy("p1", 9);
    let p2 = net.add_proxy("p2", 10);
    assert_eq!((p1, p2), (THIRD, FOURTH));
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
    net.on_event(ALICE, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(200).body(sdp(2)))
                    .expect("200");
            }
        }
    });
    // Alice's outbound route: P1 then P2 (preloaded), then Bob.
    let req = InitialRequest::new(
        "sip:bob@192.0.2.2:5060",
        "<sip:alice@example.com>",
        "<sip:bob@example.com>",
        net.peer(p1),
    )
    .route(P1)
    .route(P2)
    .body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);

    let (a, b) = (net.dialog_of(ALICE), net.dialog_of(BOB));
    // P2 record-routed on top of P1: Bob keeps the order, Alice reverses it.
    let bob_set: Vec<_> = net
        .ua(BOB)
        .dialog(b)
        .expect("dialog")
        .route_set()
        .map(str::to_owned)
        .collect();
    assert_eq!(bob_set, [P2, P1]);
    let alice_set: Vec<_> = net
        .ua(ALICE)
        .dialog(a)
        .expect("dialog")
        .route_set()
        .map(str::to_owned)
        .collect();
    assert_eq!(alice_set, [P1, P2]);

    // The ACK: Request-URI = Bob's Contact, Route = P1, P2, sent to P1, reaching Bob via P2.
    let ack = net.sent(ALICE, "ACK", "").next().expect("ACK");
    assert_eq!(ack.to, p1);
    let ack = ack.request();
    assert_eq!(ack.uri_raw(), b"sip:bob@192.0.2.2:5060");
    assert_eq!(routes(&ack), [P1, P2]);
    assert!(net.sent(p2, "ACK", "").any(|w| w.to == BOB));
    assert!(
        net.events_of(BOB)
            .any(|(_, e)| matches!(e, DialogEvent::Ack { .. }))
    );

    // A re-INVITE from Bob goes the other way: to P2 first, Route = P2, P1.
    net.with(BOB, |ua, now| ua.reinvite(now, b, Some(sdp(3))))
        .expect("reinvite");
    net.run_until(2000);
    let reinvite = net.sent(BOB, "INVITE", "").next().expect("re-INVITE");
    assert_eq!(reinvite.to, p2);
    let reinvite = reinvite.request();
    assert_eq!(reinvite.uri_raw(), b"sip:alice@192.0.2.1:5060");
    assert_eq!(routes(&reinvite), [P2, P1]);
    // Each proxy removed its own Route: Alice receives none.
    let delivered = net
        .sent(p1, "INVITE", "")
        .filter(|w| w.to == ALICE)
        .last()
        .expect("forwarded");
    assert!(routes(&delivered.request()).is_empty());
    assert_eq!(
        net.sent(BOB, "ACK", "").map(|w| w.to).collect::<Vec<_>>(),
        [p2]
    );

    // BYE from Alice: same path as the ACK.
    net.with(ALICE, |ua, now| ua.bye(now, a)).expect("bye");
    net.run_until(3000);
    let bye = net.sent(ALICE, "BYE", "").next().expect("BYE");
    assert_eq!(bye.to, p1);
    assert_eq!(routes(&bye.request()), [P1, P2]);
    assert_eq!(
        net.states(ALICE).last().map(|(_, _, s)| *s),
        Some(DialogState::Terminated(TerminationReason::LocalBye))
    );
    assert_eq!(
        net.states(BOB).last().map(|(_, _, s)| *s),
        Some(DialogState::Terminated(TerminationReason::RemoteBye))
    );
}
