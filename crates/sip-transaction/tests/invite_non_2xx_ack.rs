//! A non-2xx final response to an INVITE: the client transaction sends the ACK itself
//! (§17.1.1.3: same branch, the response's To, the request's Route) and resends it for each
//! retransmitted final response; the server transaction absorbs the ACK (Confirmed) and ends
//! on Timer I (T4); the client ends on Timer D (32 s).

mod common;

use common::{Side, Sim, ev};
use sip_message::{HeaderName, Message, Method, Response};
use sip_transaction::{Event, TransactionState};

#[test]
fn client_acks_and_server_absorbs_the_ack() {
    let mut sim = Sim::udp();
    let mut invite = sim.request(Method::Invite, "z9hG4bK-rej1", 7);
    invite
        .headers_mut()
        .push(HeaderName::Route, "<sip:proxy.example.com;lr>");
    let now = sim.now();
    let client = sim
        .uac
        .start_client(now, invite, sim.uas_peer())
        .expect("start");
    sim.run_until(0);
    let Some(Event::NewRequest {
        key: server,
        request,
        ..
    }) = sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("INVITE delivered");
    };
    let mut busy = Response::from_request(&request, 486);
    busy.set_to_tag("busy-tag");
    sim.uas.respond(sim.now(), server, busy).expect("486");
    sim.run_until(0);
    assert_eq!(sim.uac.state(client), Some(TransactionState::Completed));
    assert_eq!(sim.uas.state(server), Some(TransactionState::Confirmed));

    let ack = sim
        .sent()
        .iter()
        .find(|s| s.line.starts_with("ACK"))
        .expect("ACK sent");
    assert_eq!(ack.line, "ACK sip:bob@192.0.2.2 SIP/2.0");
    assert_eq!(ack.key, Some(client.into()));
    let Ok(Message::Request(ack)) = Message::parse(ack.bytes.clone()) else {
        panic!("ACK parses");
    };
    assert_eq!(ack.via().expect("via").branch(), Some("z9hG4bK-rej1"));
    assert_eq!(ack.to().expect("to").tag(), Some("busy-tag"));
    assert_eq!(ack.cseq().expect("cseq").seq(), 7);
    assert_eq!(ack.cseq().expect("cseq").method(), "ACK");
    assert_eq!(
        ack.headers().get(HeaderName::Route),
        Some(&b"<sip:proxy.example.com;lr>"[..])
    );

    // A retransmission of the 486 (a delayed copy) is answered with the same ACK and not
    // passed up again.
    sim.run_until(2_000);
    let copy = sim
        .sent()
        .iter()
        .find(|s| s.line.starts_with("SIP/2.0 486"))
        .expect("486 sent")
        .bytes
        .clone();
    sim.receive(Side::Uac, copy);

    sim.run_until(100_000);
    assert_eq!(sim.times(Side::Uac, "ACK"), [0, 2_000]);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 486"), [0]);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[
            (0, "Response 100"),
            (0, "Response 486"),
            (32_000, "Terminated")
        ])
    );
    // No Ack event: the ACK for a non-2xx belongs to the transaction.
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[(0, "NewRequest INVITE"), (5_000, "Terminated")])
    );
    // The second ACK arrived while Confirmed and was absorbed too.
    assert!(sim.uas.is_empty() && sim.uac.is_empty());
}
