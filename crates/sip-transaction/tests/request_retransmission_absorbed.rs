//! Retransmitted requests are absorbed by their server transaction, which resends its last
//! response, if any; the TU sees the request once (RFC 3261 §17.2.1, §17.2.2).

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::Event;

#[test]
fn non_invite_retransmission_gets_the_last_response() {
    let mut sim = Sim::udp();
    // The UAS's first 200 is lost.
    sim.set_drop(|from, line, n| from == Side::Uas && line.starts_with("SIP/2.0 200") && n == 0);
    let req = sim.request(Method::Message, "z9hG4bK-rt1", 1);
    let now = sim.now();
    let client = sim
        .uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(1_000);
    // The retransmission at 500 ms found the transaction in Trying: discarded, nothing sent.
    assert_eq!(sim.times(Side::Uac, "MESSAGE"), [0, 500]);
    assert!(sim.sent_by(Side::Uas).is_empty());
    let Some(Event::NewRequest { key, request, .. }) =
        sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("request delivered");
    };
    sim.uas
        .respond(sim.now(), key, Response::from_request(&request, 200))
        .expect("200");
    sim.run_until(2_000);
    // Timer E at 1.5 s: the server resends its (lost) 200.
    assert_eq!(sim.times(Side::Uac, "MESSAGE"), [0, 500, 1_500]);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 200"), [1_000, 1_500]);
    assert!(
        sim.take_events(Side::Uas).is_empty(),
        "the TU saw the request once"
    );
    let events = sim.take_events(Side::Uac);
    assert!(
        matches!(&events[..], [Event::Response { key, response }] if *key == client && response.status() == 200)
    );
}

#[test]
fn invite_retransmission_gets_the_last_provisional() {
    let mut sim = Sim::udp();
    // The automatic 100 Trying is lost, so the UAC retransmits on Timer A.
    sim.set_drop(|from, line, n| from == Side::Uas && line.starts_with("SIP/2.0 100") && n == 0);
    let req = sim.request(Method::Invite, "z9hG4bK-rt2", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(10_000);
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 500]);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 100"), [0, 500]);
    assert_eq!(sim.events_of(Side::Uas), ev(&[(0, "NewRequest INVITE")]));
    assert_eq!(sim.events_of(Side::Uac), ev(&[(500, "Response 100")]));
}
