//! A response matches a client transaction only by the branch of its top Via and its CSeq
//! method (RFC 3261 §17.1.3): a wrong branch, or the right branch with another method, does
//! not match and leaves the transaction running.

mod common;

use common::{Side, Sim, ev};
use sip_message::{HeaderName, Method, Response};
use sip_transaction::{Event, TransactionState};

#[test]
fn wrong_branch_or_method_does_not_match() {
    let mut sim = Sim::udp();
    let req = sim.request(Method::Invite, "z9hG4bK-right", 1);
    let now = sim.now();
    sim.set_drop(|from, _, _| from == Side::Uac);
    let key = sim
        .uac
        .start_client(now, req.clone(), sim.uas_peer())
        .expect("start");
    let alice = sim.uac_peer();

    let mut wrong = Response::from_request(&req, 180);
    wrong.headers_mut().set(
        HeaderName::Via,
        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-wrong;rport",
    );
    sim.uas.send_stateless(alice, wrong);

    let mut other_method = Response::from_request(&req, 200);
    other_method.headers_mut().set(HeaderName::CSeq, "1 CANCEL");
    sim.uas.send_stateless(alice, other_method);
    sim.run_until(600);

    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(0, "StrayResponse 180"), (0, "StrayResponse 200")])
    );
    // Still Calling: Timer A keeps retransmitting.
    assert_eq!(sim.uac.state(key), Some(TransactionState::Calling));
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 500]);

    // The right branch and method match.
    sim.uas
        .send_stateless(alice, Response::from_request(&req, 180));
    sim.run_until(600);
    let events = sim.take_events(Side::Uac);
    assert!(matches!(events.last(), Some(Event::Response { key: k, .. }) if *k == key));
    assert_eq!(sim.uac.state(key), Some(TransactionState::Proceeding));
}
