//! CANCEL: it gets a non-INVITE server transaction of its own and is reported with the key
//! of the INVITE server transaction it matches (same branch and sent-by, method INVITE), so
//! the TU can answer the INVITE 487 (RFC 3261 §9.2).

mod common;

use common::{Side, Sim, ev};
use sip_message::{Method, Response};
use sip_transaction::{Event, TransactionState, build_cancel};

#[test]
fn cancel_names_the_invite_and_the_invite_ends_487() {
    let mut sim = Sim::udp();
    let invite = sim.request(Method::Invite, "z9hG4bK-c1", 1);
    let now = sim.now();
    let client_inv = sim
        .uac
        .start_client(now, invite.clone(), sim.uas_peer())
        .expect("INVITE");
    sim.run_until(0);
    let Some(Event::NewRequest {
        key: server_inv,
        request: inv_req,
        ..
    }) = sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("INVITE delivered");
    };
    let mut ringing = Response::from_request(&inv_req, 180);
    ringing.set_to_tag("callee");
    sim.uas
        .respond(sim.now(), server_inv, ringing)
        .expect("180");

    // The caller gives up after 2 s.
    sim.run_until(2_000);
    let cancel = build_cancel(&invite).expect("cancel");
    let client_cancel = sim
        .uac
        .start_client(sim.now(), cancel, sim.uas_peer())
        .expect("CANCEL");
    sim.run_until(2_000);
    let Some(Event::CancelRequest {
        cancel_key,
        invite_key,
        request,
        ..
    }) = sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("CANCEL delivered");
    };
    assert_eq!(invite_key, Some(server_inv));
    assert_ne!(cancel_key, server_inv);
    assert_eq!(request.method(), &Method::Cancel);

    // 200 to the CANCEL: the INVITE client transaction is not affected (CSeq method differs).
    sim.uas
        .respond(sim.now(), cancel_key, Response::from_request(&request, 200))
        .expect("200 CANCEL");
    sim.run_until(2_000);
    assert_eq!(
        sim.uac.state(client_inv),
        Some(TransactionState::Proceeding)
    );
    let mut terminated = Response::from_request(&inv_req, 487);
    terminated.set_to_tag("callee");
    sim.uas
        .respond(sim.now(), server_inv, terminated)
        .expect("487");
    sim.run_until(100_000);

    let responses: Vec<_> = sim
        .take_events(Side::Uac)
        .into_iter()
        .filter_map(|e| match e {
            Event::Response { key, response } => Some((key, response.status())),
            _ => None,
        })
        .collect();
    assert_eq!(
        responses,
        [
            (client_inv, 100),
            (client_inv, 180),
            (client_cancel, 200),
            (client_inv, 487),
        ]
    );
    assert_eq!(sim.times(Side::Uac, "CANCEL"), [2_000]);
    assert_eq!(sim.times(Side::Uac, "ACK"), [2_000]);
    // The CANCEL transaction ends on Timer J, the INVITE on Timer I after the ACK.
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[
            (0, "NewRequest INVITE"),
            (2_000, "CancelRequest invite=true"),
            (7_000, "Terminated"),
            (34_000, "Terminated"),
        ])
    );
}

#[test]
fn cancel_without_invite_has_no_invite_key() {
    let mut sim = Sim::udp();
    let invite = sim.request(Method::Invite, "z9hG4bK-never-sent", 1);
    let cancel = build_cancel(&invite).expect("cancel");
    let now = sim.now();
    sim.uac
        .start_client(now, cancel, sim.uas_peer())
        .expect("CANCEL");
    sim.run_until(0);
    assert_eq!(
        sim.events_of(Side::Uas),
        ev(&[(0, "CancelRequest invite=false")])
    );
}
