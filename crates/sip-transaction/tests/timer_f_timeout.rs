//! Timer F: a non-INVITE request that is never answered times out after 64*T1, with
//! retransmissions capped at T2 until then (RFC 3261 §17.1.2.2).

mod common;

use common::{Side, Sim, ev};
use sip_message::Method;
use sip_transaction::{Event, Timer, TransactionKey};

#[test]
fn unanswered_request_times_out_at_64_t1() {
    let mut sim = Sim::udp();
    sim.set_drop(|from, _, _| from == Side::Uac);
    let req = sim.request(Method::Options, "z9hG4bK-f1", 1);
    let now = sim.now();
    let key = sim
        .uac
        .start_client(now, req, sim.uas_peer())
        .expect("start");
    assert_eq!(sim.uac.poll_timeout(), Some(sim.at(500)));
    sim.run_until(31_999);
    assert!(sim.events_of(Side::Uac).is_empty());
    sim.run_until(100_000);
    assert_eq!(
        sim.times(Side::Uac, "OPTIONS"),
        [
            0, 500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500
        ]
    );
    assert_eq!(
        sim.events_of(Side::Uac),
        ev(&[(32_000, "Timeout F"), (32_000, "Terminated")])
    );
    let events = sim.take_events(Side::Uac);
    assert!(matches!(
        events[0],
        Event::Timeout { key: TransactionKey::Client(k), timer: Timer::F } if k == key
    ));
    assert_eq!(sim.uac.state(key), None);
    assert_eq!(sim.uac.poll_timeout(), None);
}
