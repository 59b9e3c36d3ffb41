//! Over a reliable transport nothing is retransmitted (no Timers A, E, G) and the wait timers
//! D, I, J and K are zero: transactions end as soon as they complete (RFC 3261 §17).
//! Timeouts (B, F, H) still apply.

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::Event;

fn new_request(sim: &mut Sim) -> (sip_transaction::ServerKey, sip_message::Request) {
    match sim.take_events(Side::Uas).into_iter().next() {
        Some(Event::NewRequest { key, request, .. }) => (key, request),
        other => panic!("expected a new request, got {other:?}"),
    }
}

#[test]
fn non_invite_ends_at_once_on_both_sides() {
    let mut sim = Sim::tcp();
    let req = sim.request(Method::Message, "z9hG4bK-tcp1", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(1_000);
    let (key, request) = new_request(&mut sim);
    sim.uas
        .respond(sim.now(), key, Response::from_request(&request, 200))
        .expect("200");
    sim.run_until(100_000);
    assert_eq!(sim.times(Side::Uac, "MESSAGE"), [0]);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(1_000, "Response 200"), (1_000, "Terminated")]) // K = 0
    );
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[(0, "NewRequest MESSAGE"), (1_000, "Terminated")]) // J = 0
    );
}

#[test]
fn lost_non_invite_is_not_retransmitted_and_times_out_on_f() {
    let mut sim = Sim::tcp();
    sim.set_drop(|_, _, _| true);
    let req = sim.request(Method::Options, "z9hG4bK-tcp2", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(100_000);
    assert_eq!(sim.times(Side::Uac, "OPTIONS"), [0]);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(32_000, "Timeout F"), (32_000, "Terminated")])
    );
}

#[test]
fn invite_non_2xx_ends_at_once_with_d_and_i_zero() {
    let mut sim = Sim::tcp();
    let req = sim.request(Method::Invite, "z9hG4bK-tcp3", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(0);
    let (key, request) = new_request(&mut sim);
    sim.uas
        .respond(sim.now(), key, Response::from_request(&request, 480))
        .expect("480");
    sim.run_until(100_000);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 480"), [0]);
    assert_eq!(sim.times(Side::Uac, "ACK"), [0]);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(0, "Response 100"), (0, "Response 480"), (0, "Terminated")])
    );
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[(0, "NewRequest INVITE"), (0, "Terminated")]) // I = 0
    );
}

#[test]
fn lost_invite_and_lost_ack_are_not_retransmitted() {
    let mut sim = Sim::tcp();
    sim.set_drop(|from, line, _| from == Side::Uac && line.starts_with("ACK"));
    let req = sim.request(Method::Invite, "z9hG4bK-tcp4", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(0);
    let (key, request) = new_request(&mut sim);
    sim.uas
        .respond(sim.now(), key, Response::from_request(&request, 500))
        .expect("500");
    sim.run_until(100_000);
    // No Timer G: the 500 goes out once; Timer H still ends the transaction.
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 500"), [0]);
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[
            (0, "NewRequest INVITE"),
            (32_000, "Timeout H"),
            (32_000, "Terminated")
        ])
    );

    let mut sim = Sim::tcp();
    sim.set_drop(|_, _, _| true);
    let req = sim.request(Method::Invite, "z9hG4bK-tcp5", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(100_000);
    // No Timer A; Timer B still fires.
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0]);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(32_000, "Timeout B"), (32_000, "Terminated")])
    );
}
