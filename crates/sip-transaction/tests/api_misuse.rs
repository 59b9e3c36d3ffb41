//! Errors say who is to blame: misuse of the API ([`ApiError`]) or a faulty message from the
//! peer ([`PeerError`]); neither changes the layer's state.

mod common;

use common::{Side, Sim};
use sip_message::{HeaderName, Message, Method, Response};
use sip_transaction::{ApiError, Event, Input, PeerError};

#[test]
fn misuse_is_reported() {
    let mut sim = Sim::udp();
    let now = sim.now();
    let bob = sim.uas_peer();

    let ack = sim.request(Method::Ack, "z9hG4bK-ack", 1);
    assert_eq!(
        sim.uac.start_client(now, ack, bob),
        Err(ApiError::AckTransaction)
    );

    let mut no_cookie = sim.request(Method::Options, "z9hG4bK-x", 1);
    no_cookie.headers_mut().set(
        HeaderName::Via,
        "SIP/2.0/UDP 192.0.2.1:5060;branch=old-style",
    );
    assert!(matches!(
        sim.uac.start_client(now, no_cookie, bob),
        Err(ApiError::InvalidRequest(_))
    ));

    let req = sim.request(Method::Options, "z9hG4bK-dup", 1);
    sim.uac.start_client(now, req.clone(), bob).expect("first");
    assert_eq!(
        sim.uac.start_client(now, req, bob),
        Err(ApiError::DuplicateTransaction)
    );

    sim.run_until(0);
    let Some(Event::NewRequest { key, request, .. }) =
        sim.take_events(Side::Uas).into_iter().next()
    else {
        panic!("delivered");
    };
    assert_eq!(
        sim.uas.respond(now, key, Response::new(700)),
        Err(ApiError::InvalidStatus(700))
    );
    sim.uas
        .respond(now, key, Response::from_request(&request, 200))
        .expect("first final");
    assert_eq!(
        sim.uas
            .respond(now, key, Response::from_request(&request, 200)),
        Err(ApiError::FinalAlreadySent(key))
    );
}

#[test]
fn peer_faults_are_reported_and_change_nothing() {
    let mut sim = Sim::udp();
    let now = sim.now();
    let alice = sim.uac_peer();

    let mut no_via = sim.request(Method::Options, "z9hG4bK-p1", 1);
    no_via.headers_mut().remove(HeaderName::Via);
    let err = sim
        .uas
        .handle_input(Input::Received {
            now,
            source: alice,
            message: Message::Request(no_via),
        })
        .expect_err("no Via");
    assert!(matches!(
        err,
        PeerError::Header {
            name: HeaderName::Via,
            ..
        }
    ));

    let mut mismatch = sim.request(Method::Options, "z9hG4bK-p2", 1);
    mismatch.headers_mut().set(HeaderName::CSeq, "1 INVITE");
    let err = sim
        .uas
        .handle_input(Input::Received {
            now,
            source: alice,
            message: Message::Request(mismatch),
        })
        .expect_err("CSeq mismatch");
    assert_eq!(err, PeerError::CSeqMethodMismatch);

    assert!(sim.uas.is_empty());
    assert!(sim.uas.poll_output().is_none());
}

#[test]
// `Config` is non-exhaustive: outside the crate it is built from its default.
#[allow(clippy::field_reassign_with_default)]
fn zero_timer_intervals_are_raised_so_timeouts_terminate() {
    use std::time::Duration;
    let mut cfg = sip_transaction::Config::default();
    cfg.t1 = Duration::ZERO;
    cfg.t2 = Duration::ZERO;
    cfg.t4 = Duration::ZERO;
    let mut layer = sip_transaction::TransactionLayer::new(cfg);
    assert_eq!(layer.config().t1, Duration::from_millis(1));
    let sim = Sim::udp();
    let start = sim.now();
    let bob = sim.uas_peer();
    let req = sim.request(Method::Options, "z9hG4bK-zero", 1);
    layer.start_client(start, req, bob).expect("start");
    // With a zero T1 this call would never return: every retransmission re-armed at once.
    layer.handle_timeout(start + Duration::from_secs(1));
    while layer.poll_output().is_some() {}
    assert!(
        layer.is_empty(),
        "Timer F (64 ms here) did not end the transaction"
    );
}
