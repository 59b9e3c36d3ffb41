//! Over TCP the messages travel as an ordered byte stream, here cut into 32-octet segments
//! that the receiving side reassembles by Content-Length (RFC 3261 §18.3): an INVITE
//! rejected 486 completes with no retransmission at all, and the wait timers are zero.

use std::time::Duration;

use sip_message::Method;
use sip_testkit::{
    Carrier, LinkRules, RequestSpec, Scenario, TransactionLog, addr, response, timeline,
};
use sip_transaction::{Config, Event, Peer, TransactionLayer, Transport};

#[test]
fn segments_are_reassembled_and_nothing_is_retransmitted() {
    let mut s = Scenario::new(0);
    let uac = s.add_node("uac", addr(1), TransactionLayer::new(Config::default()));
    let uas = s.add_node("uas", addr(2), TransactionLayer::new(Config::default()));
    s.world_mut().set_strict(true);
    s.network_mut().set_rules(LinkRules {
        latency: Duration::from_millis(10),
        segment_size: Some(32),
        ..LinkRules::default()
    });
    s.on_event(uas, |tl, now, ev| {
        if let Event::NewRequest { key, request, .. } = ev {
            tl.respond(now, *key, response(request, 180, Some("uas")))
                .expect("180");
            tl.respond(now, *key, response(request, 486, Some("uas")))
                .expect("486");
        }
    });
    let invite = RequestSpec::new(Method::Invite)
        .via(Transport::Tcp, "192.0.2.1:5060", "z9hG4bK-tcp")
        .build();
    let segments = invite.to_bytes().len().div_ceil(32);
    s.with(uac, |tl, now| {
        tl.start_client(now, invite, Peer::tcp(addr(2)))
    })
    .expect("start");
    s.run_until_ms(100_000);

    assert!(segments > 5);
    assert!(s.trace().iter().all(|w| w.carrier == Carrier::Stream));
    assert_eq!(s.sent_at(uac, "INVITE", ""), [0]);
    let responses: Vec<_> = s
        .sent(uas, "SIP/2.0", "")
        .map(|w| (w.at_ms, w.line.clone()))
        .collect();
    assert_eq!(
        responses,
        [
            (10, "SIP/2.0 100 Trying".to_owned()),
            (10, "SIP/2.0 180 Ringing".to_owned()),
            (10, "SIP/2.0 486 Busy Here".to_owned()),
        ]
    );
    assert_eq!(s.sent_at(uac, "ACK", ""), [20]);
    assert_eq!(
        s.summaries(uac),
        timeline(&[
            (20, "Response 100"),
            (20, "Response 180"),
            (20, "Response 486"),
            (20, "Terminated"), // Timer D = 0
        ])
    );
    assert_eq!(
        s.summaries(uas),
        timeline(&[(10, "NewRequest INVITE"), (30, "Terminated")]) // Timer I = 0
    );
}
