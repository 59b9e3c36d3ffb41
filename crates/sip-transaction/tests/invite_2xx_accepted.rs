//! RFC 6026: a 2xx to an INVITE moves both transactions to Accepted. The client passes every
//! 2xx up (the TU sends the ACK); the server sends the TU's 2xx retransmissions, passes the
//! ACK up with its key, and absorbs INVITE retransmissions, until Timers M and L (64*T1).

mod common;

use common::{Side, Sim, ev};
use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::{ApiError, Event, TransactionState};

#[test]
fn every_2xx_reaches_the_tu_and_the_ack_reaches_the_uas_tu() {
    let mut sim = Sim::udp();
    let invite = sim.request(Method::Invite, "z9hG4bK-acc1", 1);
    let now = sim.now();
    let client = sim
        .uac
        .start_client(now, invite.clone(), sim.uas_peer())
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
    let mut ringing = Response::from_request(&request, 180);
    ringing.set_to_tag("uas-1");
    sim.uas.respond(sim.now(), server, ringing).expect("180");
    sim.run_until(1_000);
    let mut ok = Response::from_request(&request, 200);
    ok.set_to_tag("uas-1");
    sim.uas.respond(sim.now(), server, ok.clone()).expect("200");
    sim.run_until(1_000);
    assert_eq!(sim.uac.state(client), Some(TransactionState::Accepted));
    assert_eq!(sim.uas.state(server), Some(TransactionState::Accepted));

    // The UAS core retransmits its 2xx (RFC 3261 §13.3.1.4): it goes out and reaches the
    // UAC's TU, which is responsible for the ACK.
    sim.run_until(1_500);
    sim.uas
        .respond(sim.now(), server, ok)
        .expect("2xx retransmission");
    // Anything but a 2xx after a 2xx is misuse.
    let err = sim
        .uas
        .respond(sim.now(), server, Response::from_request(&request, 486))
        .expect_err("non-2xx after 2xx");
    assert_eq!(err, ApiError::FinalAlreadySent(server));
    sim.run_until(1_500);

    // The UAC's TU acknowledges the 2xx with a new transaction's branch, statelessly.
    let ack = Request::builder(Method::Ack, "sip:bob@192.0.2.2")
        .via("UDP", "192.0.2.1:5060", "z9hG4bK-ack2xx")
        .max_forwards(70)
        .from("<sip:alice@example.com>", "alice-tag")
        .to_with_tag("<sip:bob@example.com>", "uas-1")
        .call_id("call-1@192.0.2.1")
        .cseq(1)
        .build();
    let bob = sim.uas_peer();
    sim.uac.send_stateless(bob, ack);
    sim.run_until(1_500);

    // An INVITE retransmission in Accepted is absorbed: no event, nothing sent.
    sim.run_until(2_000);
    let before = sim.sent().len();
    sim.receive(Side::Uas, invite.to_bytes());
    assert_eq!(sim.sent().len(), before);

    sim.run_until(100_000);
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0]);
    assert_eq!(sim.times(Side::Uac, "ACK"), [1_500]);
    assert_eq!(
        sim.sent_by(Side::Uas),
        [
            (0, "SIP/2.0 100 Trying".to_owned()),
            (0, "SIP/2.0 180 Ringing".to_owned()),
            (1_000, "SIP/2.0 200 OK".to_owned()),
            (1_500, "SIP/2.0 200 OK".to_owned()),
        ]
    );
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[
            (0, "Response 100"),
            (0, "Response 180"),
            (1_000, "Response 200"),
            (1_500, "Response 200"),
            (33_000, "Terminated"), // Timer M
        ])
    );
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[
            (0, "NewRequest INVITE"),
            (1_500, "Ack matched=true"),
            (33_000, "Terminated"), // Timer L
        ])
    );
    let acks: Vec<_> = sim
        .take_events(Side::Uas)
        .into_iter()
        .filter_map(|e| match e {
            Event::Ack { key, request, .. } => Some((key, request)),
            _ => None,
        })
        .collect();
    assert_eq!(acks[0].0, Some(server));
    assert_eq!(
        acks[0].1.headers().get(HeaderName::CSeq),
        Some(&b"1 ACK"[..])
    );
    assert!(sim.uas.is_empty());
}
