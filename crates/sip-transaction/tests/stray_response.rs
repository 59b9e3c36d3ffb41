//! Responses that match no client transaction are reported as stray, for a proxy to forward
//! statelessly (RFC 3261 §17.1.3, RFC 6026 §7.3).

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::Event;

#[test]
fn unmatched_responses_are_stray() {
    let mut sim = Sim::udp();
    // A response to a request the UAC never sent.
    let never = sim.request(Method::Options, "z9hG4bK-never", 1);
    let alice = sim.uac_peer();
    sim.uas
        .send_stateless(alice, Response::from_request(&never, 200));
    sim.run_until(0);
    let events = sim.take_events(Side::Uac);
    assert!(
        matches!(&events[..], [Event::StrayResponse { source, response }]
            if *source == sim.uas_peer() && response.status() == 200),
        "{events:?}"
    );

    // A response that arrives after its transaction ended (Timer K) is stray too.
    let req = sim.request(Method::Message, "z9hG4bK-late", 2);
    sim.uac
        .start_client(sim.now(), req.clone(), sim.uas_peer())
        .expect("start");
    sim.run_until(0);
    let Some(Event::NewRequest { key, request, .. }) =
        sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("request delivered");
    };
    sim.uas
        .respond(sim.now(), key, Response::from_request(&request, 202))
        .expect("202");
    sim.run_until(6_000);
    sim.uas
        .send_stateless(alice, Response::from_request(&request, 202));
    sim.run_until(6_000);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[
            (0, "StrayResponse 200"),
            (0, "Response 202"),
            (5_000, "Terminated"),
            (6_000, "StrayResponse 202"),
        ])
    );
}
