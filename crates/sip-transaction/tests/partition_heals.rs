//! A partition between the UAC and the UAS drops every copy of a request sent while it
//! lasts; the first Timer E retransmission after it heals gets through, and the transaction
//! completes then (RFC 3261 §17.1.2.2). A partition longer than 64*T1 ends in Timer F.

use std::time::Duration;

use sip_message::Method;
use sip_testkit::{Cause, Fate, RequestSpec, Scenario, TransactionLog, addr, response, timeline};
use sip_transaction::{Config, Event, Peer, TransactionLayer};

fn pair() -> Scenario<TransactionLayer> {
    let mut s = Scenario::new(0);
    s.add_node("uac", addr(1), TransactionLayer::new(Config::default()));
    let uas = s.add_node("uas", addr(2), TransactionLayer::new(Config::default()));
    s.on_event(uas, |tl, now, ev| {
        if let Event::NewRequest { key, request, .. } = ev {
            tl.respond(now, *key, response(request, 200, None))
                .expect("200");
        }
    });
    s.network_mut().set_latency(Duration::from_millis(10));
    s
}

#[test]
fn the_first_retransmission_after_the_partition_gets_through() {
    let mut s = pair();
    let (uac, uas) = (0, 1);
    s.network_mut().partition(uac, uas);
    let request = RequestSpec::new(Method::Message).build();
    s.with(uac, |tl, now| {
        tl.start_client(now, request, Peer::udp(addr(2)))
    })
    .expect("start");
    s.run_until_ms(3_000);
    s.network_mut().heal(uac, uas);
    s.run_until_ms(60_000);

    assert_eq!(s.sent_at(uac, "MESSAGE", ""), [0, 500, 1_500, 3_500]);
    let causes: Vec<_> = s
        .sent(uac, "MESSAGE", "")
        .map(|w| (w.fate, w.cause))
        .collect();
    assert_eq!(
        causes,
        [
            (Fate::Drop, Cause::Partition),
            (Fate::Drop, Cause::Partition),
            (Fate::Drop, Cause::Partition),
            (Fate::Deliver, Cause::Link),
        ]
    );
    assert_eq!(s.sent_at(uas, "SIP/2.0 200", ""), [3_510]);
    assert_eq!(
        s.summaries(uac),
        timeline(&[(3_520, "Response 200"), (8_520, "Terminated")])
    );
    assert_eq!(
        s.summaries(uas),
        timeline(&[(3_510, "NewRequest MESSAGE"), (35_510, "Terminated")])
    );
}

#[test]
fn a_partition_longer_than_64_t1_ends_in_timer_f() {
    let mut s = pair();
    let (uac, uas) = (0, 1);
    s.network_mut().partition(uac, uas);
    let request = RequestSpec::new(Method::Options).build();
    s.with(uac, |tl, now| {
        tl.start_client(now, request, Peer::udp(addr(2)))
    })
    .expect("start");
    s.run_until_ms(40_000);
    s.network_mut().heal_all();
    s.run_until_ms(60_000);
    assert!(s.trace().iter().all(|w| w.cause == Cause::Partition));
    assert_eq!(s.sent_at(uac, "OPTIONS", "").len(), 11);
    assert_eq!(
        s.summaries(uac),
        timeline(&[(32_000, "Timeout F"), (32_000, "Terminated")])
    );
    assert!(s.summaries(uas).is_empty());
}
