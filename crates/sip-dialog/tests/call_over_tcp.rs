//! A call over TCP, both user agents advertising `;transport=tcp` Contacts: every request
//! and response of the dialog travels over the stream, cut into 40-octet segments and
//! reassembled by Content-Length; the callee sends its 2xx once (a reliable transport needs
//! no retransmission, RFC 3261 §13.3.1.4) and nothing is ever sent twice.

use std::time::Duration;

use sip_dialog::{DialogLayer, DialogState, TerminationReason};
use sip_testkit::{Carrier, DialogLog, LinkRules, Scenario, SimRng, addr, dialog};
use sip_transaction::Transport;

const ALICE: usize = 0;
const BOB: usize = 1;

#[test]
fn segmented_stream_call_needs_no_retransmission() {
    let mut s: Scenario<DialogLayer> = Scenario::new(0);
    for (name, host) in [("alice", 1u8), ("bob", 2)] {
        let ua = dialog::user_agent(
            name,
            addr(host),
            |c| c.contact = format!("sip:{name}@{};transport=tcp", addr(host)),
            Box::new(SimRng::new(u64::from(host))),
        );
        s.add_node(name, addr(host), ua);
    }
    s.network_mut().set_rules(LinkRules {
        latency: Duration::from_millis(10),
        segment_size: Some(40),
        ..LinkRules::default()
    });
    s.on_event(BOB, dialog::answer_invites(&[180, 200]));
    let req = dialog::initial(&s, ALICE, BOB, Transport::Tcp).body(dialog::sdp(1));
    let call = s
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    s.run_until_ms(1_000);
    let (a, b) = (s.dialog_of(ALICE), s.dialog_of(BOB));
    let bye = s.with(BOB, |ua, now| ua.bye(now, b)).expect("bye");
    s.run_until_ms(100_000);

    assert!(
        s.trace()
            .iter()
            .all(|w| w.carrier == Carrier::Stream && w.transport == Transport::Tcp),
        "{}",
        s.dump()
    );
    let wire: Vec<_> = s
        .trace()
        .iter()
        .map(|w| {
            (
                w.at_ms,
                w.from,
                w.line.split(' ').take(2).collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    let expected = [
        (0, ALICE, "INVITE sip:bob@192.0.2.2:5060"),
        (10, BOB, "SIP/2.0 100"),
        (10, BOB, "SIP/2.0 180"),
        (10, BOB, "SIP/2.0 200"),
        (20, ALICE, "ACK sip:bob@192.0.2.2:5060;transport=tcp"),
        (1_000, BOB, "BYE sip:alice@192.0.2.1:5060;transport=tcp"),
        (1_010, ALICE, "SIP/2.0 200"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(t, n, l)| (*t, *n, (*l).to_owned()))
        .collect();
    assert_eq!(wire, expected);
    assert_eq!(s.statuses(ALICE, call), [100, 180, 200]);
    assert_eq!(s.statuses(BOB, bye), [200]);
    assert_eq!(
        s.states(ALICE),
        [
            (20, a, DialogState::Early),
            (20, a, DialogState::Confirmed),
            (
                1_010,
                a,
                DialogState::Terminated(TerminationReason::RemoteBye)
            ),
        ]
    );
    assert_eq!(
        s.states(BOB).last().copied(),
        Some((
            1_020,
            b,
            DialogState::Terminated(TerminationReason::LocalBye)
        ))
    );
    // Everything was forgotten in time, and nothing is left to do.
    assert_eq!(s.engine(ALICE).dialog_count(), 0);
    assert_eq!(s.engine(BOB).dialog_count(), 0);
}
