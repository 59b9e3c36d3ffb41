//! No ACK ever arrives: the UAS retransmits its 2xx for 64·T1, then ends the session with
//! BYE (RFC 3261 §13.3.1.4).

mod common;

use common::{ALICE, BOB, Fate, Net, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, TerminationReason, TimeoutKind};
use sip_message::Method;

#[test]
fn bye_after_64_t1() {
    let mut net = Net::pair();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
    net.set_fate(|w| {
        if w.is("ACK") {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(60_000);

    let expected = [
        0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ];
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), expected);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), expected);
    assert_eq!(net.sent_at(BOB, "BYE", ""), [32_000]);
    assert_eq!(net.sent_at(ALICE, "SIP/2.0 200", "BYE"), [32_000]);
    let b = net.dialog_of(BOB);
    assert!(
        net.events_of(BOB).any(|(t, e)| t == 32_000
            && matches!(e, DialogEvent::Timeout(TimeoutKind::Ack(d)) if *d == b))
    );
    assert_eq!(
        net.states(BOB).last().copied(),
        Some((32_000, b, DialogState::Terminated(TerminationReason::NoAck)))
    );
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.states(ALICE).last().copied(),
        Some((
            32_000,
            a,
            DialogState::Terminated(TerminationReason::RemoteBye)
        ))
    );
}

#[test]
fn reliable_transport_sends_the_2xx_once_but_still_waits_64_t1() {
    let mut net = Net::pair();
    net.set_transport(sip_transaction::Transport::Tcp);
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
    net.set_fate(|w| {
        if w.is("ACK") {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(60_000);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [0]);
    assert_eq!(net.sent_at(BOB, "BYE", ""), [32_000]);
}
