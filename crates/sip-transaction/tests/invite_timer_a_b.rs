//! INVITE Timers A and B: the INVITE is retransmitted at T1, 2*T1, 4*T1... (no T2 cap) until
//! Timer B (64*T1) times the transaction out; a provisional response stops both (RFC 3261
//! §17.1.1.2).

mod common;

use common::{Side, Sim, ev};
use sip_message::Method;
use sip_transaction::TransactionState;

#[test]
fn unanswered_invite_retransmits_on_a_and_times_out_on_b() {
    let mut sim = Sim::udp();
    sim.set_drop(|from, _, _| from == Side::Uac);
    let req = sim.request(Method::Invite, "z9hG4bK-a1", 1);
    let now = sim.now();
    let key = sim
        .uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    assert_eq!(sim.uac.state(key), Some(TransactionState::Calling));
    sim.run_until(100_000);
    assert_eq!(
        sim.times(Side::Uac, "INVITE"),
        [0, 500, 1_500, 3_500, 7_500, 15_500, 31_500]
    );
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(32_000, "Timeout B"), (32_000, "Terminated")])
    );
    assert_eq!(sim.uac.poll_timeout(), None);
}

#[test]
fn a_provisional_response_stops_a_and_b() {
    let mut sim = Sim::udp();
    let req = sim.request(Method::Invite, "z9hG4bK-a2", 1);
    let now = sim.now();
    let key = sim
        .uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    // The UAS's transaction answers 100 Trying at once.
    sim.run_until(100_000);
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0]);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 100"), [0]);
    assert_eq!(sim.events_of(Side::Uac), ev(&[(0, "Response 100")]));
    // Only the TU (Timer C in a proxy, or a CANCEL) ends a Proceeding INVITE.
    assert_eq!(sim.uac.state(key), Some(TransactionState::Proceeding));
    assert_eq!(sim.uac.poll_timeout(), None);
}
