//! Timer G: over UDP the INVITE server transaction retransmits its non-2xx final response at
//! T1, 2*T1, ... (capped at T2) until the ACK arrives, then waits T4 (Timer I) for ACK
//! retransmissions (RFC 3261 §17.2.1).

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::Event;

#[test]
fn final_response_is_retransmitted_until_the_ack_gets_through() {
    let mut sim = Sim::udp();
    // The first two ACKs are lost.
    sim.set_drop(|from, line, n| from == Side::Uac && line.starts_with("ACK") && n < 2);
    let invite = sim.request(Method::Invite, "z9hG4bK-g1", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, invite, sim.uas_peer())
        .expect("start");
    sim.run_until(0);
    let Some(Event::NewRequest { key, request, .. }) =
        sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("INVITE delivered");
    };
    let mut resp = Response::from_request(&request, 603);
    resp.set_to_tag("t");
    sim.uas.respond(sim.now(), key, resp).expect("603");
    sim.run_until(100_000);

    assert_eq!(sim.times(Side::Uas, "SIP/2.0 603"), [0, 500, 1_500]);
    // The client transaction answers each copy with the ACK and tells its TU once.
    assert_eq!(sim.times(Side::Uac, "ACK"), [0, 500, 1_500]);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[
            (0, "Response 100"),
            (0, "Response 603"),
            (32_000, "Terminated")
        ])
    );
    // Confirmed at 1.5 s, Timer I (T4 = 5 s) ends it.
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[(0, "NewRequest INVITE"), (6_500, "Terminated")])
    );
}
