//! Non-INVITE over lossy UDP: Timer E retransmits with an interval that doubles from T1 up to
//! T2, and is T2 once a provisional response arrived (RFC 3261 §17.1.2.2).

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::{Event, TransactionState};

#[test]
fn retransmissions_double_up_to_t2_until_a_copy_gets_through() {
    let mut sim = Sim::udp();
    // The network loses the first five copies of the request.
    sim.set_drop(|from, line, n| from == Side::Uac && line.starts_with("MESSAGE") && n < 5);
    let req = sim.request(Method::Message, "z9hG4bK-e1", 1);
    let now = sim.now();
    let key = sim
        .uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(11_500);
    assert_eq!(
        sim.times(Side::Uac, "MESSAGE"),
        [0, 500, 1_500, 3_500, 7_500, 11_500]
    );
    assert_eq!(sim.uac.state(key), Some(TransactionState::Trying));

    let Some(Event::NewRequest {
        key: server,
        request,
        ..
    }) = sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("the sixth copy reaches the UAS");
    };
    let now = sim.now();
    sim.uas
        .respond(now, server, Response::from_request(&request, 200))
        .expect("respond");
    sim.run_until(60_000);
    // The final response stops Timer E; Timer K (T4) ends the client, Timer J (64*T1) the
    // server.
    assert_eq!(sim.times(Side::Uac, "MESSAGE").len(), 6);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(11_500, "Response 200"), (16_500, "Terminated")])
    );
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[(11_500, "NewRequest MESSAGE"), (43_500, "Terminated")])
    );
    assert_eq!(sim.uac.poll_timeout(), None);
    assert!(sim.uac.is_empty() && sim.uas.is_empty());
}

#[test]
fn a_provisional_response_sets_the_interval_to_t2() {
    let mut sim = Sim::udp();
    let req = sim.request(Method::Message, "z9hG4bK-e2", 1);
    let now = sim.now();
    let key = sim
        .uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(0);
    let Some(Event::NewRequest {
        key: server,
        request,
        ..
    }) = sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("request delivered");
    };
    sim.uas
        .respond(sim.now(), server, Response::from_request(&request, 100))
        .expect("respond 100");
    sim.run_until(10_000);
    assert_eq!(sim.uac.state(key), Some(TransactionState::Proceeding));
    // E keeps its first deadline (T1), then fires every T2.
    assert_eq!(sim.times(Side::Uac, "MESSAGE"), [0, 500, 4_500, 8_500]);
    // The server answers each retransmission with its last provisional response.
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 100"), [0, 500, 4_500, 8_500]);
    assert_eq!(sim.events_of(Side::Uas), ev(&[(0, "NewRequest MESSAGE")]));

    sim.uas
        .respond(sim.now(), server, Response::from_request(&request, 200))
        .expect("respond 200");
    sim.run_until(20_000);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[
            (0, "Response 100"),
            (500, "Response 100"),
            (4_500, "Response 100"),
            (8_500, "Response 100"),
            (10_000, "Response 200"),
            (15_000, "Terminated"),
        ])
    );
}
