//! A transport failure reported by the driver terminates the transaction it concerns and
//! tells the TU (RFC 3261 §17.1.4, §17.2.4).

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::{Event, Input, TransactionKey};

#[test]
fn client_transaction_ends_on_transport_error() {
    let mut sim = Sim::udp();
    sim.set_drop(|_, _, _| true);
    let req = sim.request(Method::Invite, "z9hG4bK-te1", 1);
    let now = sim.now();
    let key = sim
        .uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    sim.run_until(700);
    // The driver learned (say, ICMP port unreachable) that the retransmission at 500 ms
    // failed; the Transmit carried the key.
    let failed = sim
        .sent()
        .last()
        .and_then(|s| s.key)
        .expect("keyed transmit");
    assert_eq!(failed, TransactionKey::Client(key));
    sim.uac
        .handle_input(Input::TransportError {
            now: sim.now(),
            key: failed,
        })
        .expect("input");
    sim.run_until(100_000);
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 500]);
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(700, "TransportError"), (700, "Terminated")])
    );
    assert_eq!(sim.uac.poll_timeout(), None);
    // A late report for the same key is ignored.
    sim.uac
        .handle_input(Input::TransportError {
            now: sim.now(),
            key: failed,
        })
        .expect("input");
    assert!(sim.uac.poll_output().is_none());
}

#[test]
fn server_transaction_ends_on_transport_error() {
    let mut sim = Sim::tcp();
    let req = sim.request(Method::Message, "z9hG4bK-te2", 1);
    let now = sim.now();
    sim.uac
        .start_client(now, req.clone(), sim.uas_peer())
        .expect("start");
    sim.run_until(0);
    let Some(Event::NewRequest { key, request, .. }) =
        sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("request delivered");
    };
    sim.run_until(10);
    sim.uas
        .respond(sim.now(), key, Response::from_request(&request, 180))
        .expect("180");
    // The connection broke under the 180.
    sim.uas
        .handle_input(Input::TransportError {
            now: sim.now(),
            key: key.into(),
        })
        .expect("input");
    sim.run_until(20);
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[
            (0, "NewRequest MESSAGE"),
            (10, "TransportError"),
            (10, "Terminated")
        ])
    );
    assert_eq!(sim.uas.state(key), None);
    // The key is dead for the TU.
    let err = sim
        .uas
        .respond(sim.now(), key, Response::from_request(&request, 200))
        .expect_err("terminated");
    assert_eq!(
        err,
        sip_transaction::ApiError::UnknownTransaction(key.into())
    );
}
