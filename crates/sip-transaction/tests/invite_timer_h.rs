//! Timer H: an INVITE server transaction whose non-2xx final response is never acknowledged
//! retransmits it on Timer G (doubling up to T2) and gives up after 64*T1 with a Timeout.

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::Event;

#[test]
fn missing_ack_times_out_at_64_t1() {
    let mut sim = Sim::udp();
    sim.set_drop(|from, line, _| from == Side::Uac && line.starts_with("ACK"));
    let invite = sim.request(Method::Invite, "z9hG4bK-h1", 1);
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
    sim.uas
        .respond(sim.now(), key, Response::from_request(&request, 404))
        .expect("404");
    sim.run_until(100_000);
    assert_eq!(
        sim.times(Side::Uas, "SIP/2.0 404"),
        [
            0, 500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500
        ]
    );
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[
            (0, "NewRequest INVITE"),
            (32_000, "Timeout H"),
            (32_000, "Terminated")
        ])
    );
    assert_eq!(sim.uas.poll_timeout(), None);
}
