//! CANCEL (RFC 3261 §9): a ringing INVITE cancelled; a CANCEL asked for before any
//! provisional response; a CANCEL crossing the 200 (ACK, then BYE).

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Net, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, TerminationReason};
use sip_message::Method;

fn ringing(net: &mut Net) {
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(180)).expect("180");
            }
        }
    });
}

#[test]
fn ringing_invite_is_cancelled() {
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(10));
    ringing(&mut net);
    let req = net.initial(ALICE, BOB);
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(500);
    net.with(ALICE, |ua, now| ua.cancel(now, call))
        .expect("cancel");
    net.run_until(2000);

    assert_eq!(net.sent_at(ALICE, "CANCEL", ""), [500]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "CANCEL"), [510]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 487", "INVITE"), [510]);
    // The ACK for the 487 is the transaction layer's.
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [520]);
    assert_eq!(net.statuses(ALICE, call), [100, 180, 487]);
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.states(ALICE),
        [
            (20, a, DialogState::Early),
            (
                520,
                a,
                DialogState::Terminated(TerminationReason::Cancelled)
            )
        ]
    );
    let b = net.dialog_of(BOB);
    assert_eq!(
        net.states(BOB),
        [
            (10, b, DialogState::Early),
            (
                510,
                b,
                DialogState::Terminated(TerminationReason::Cancelled)
            )
        ]
    );
    let invite = net.incoming(BOB, Method::Invite);
    assert!(net.events_of(BOB).any(|(t, e)| t == 510
        && matches!(e, DialogEvent::Cancelled { id, dialog: Some(d) } if *id == invite && *d == b)));
    // The INVITE is gone: answering it now is an error.
    assert!(
        net.with(BOB, |ua, now| ua.answer(now, invite, Answer::new(200)))
            .is_err()
    );
}

#[test]
fn cancel_waits_for_a_provisional_response() {
    let mut net = Net::new();
    net.set_latency(Duration::from_millis(10));
    net.add_ua("alice", 1, |_| {});
    net.add_ua("bob", 2, |c| c.transaction.send_100_trying = false);
    let req = net.initial(ALICE, BOB);
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.with(ALICE, |ua, now| ua.cancel(now, call))
        .expect("cancel");
    net.run_until(300);
    assert!(net.sent(ALICE, "CANCEL", "").next().is_none());
    let invite = net.incoming(BOB, Method::Invite);
    net.with(BOB, |ua, now| ua.answer(now, invite, Answer::new(180)))
        .expect("180");
    net.run_until(2000);
    // §9.1: the CANCEL goes out when the first provisional response arrives.
    assert_eq!(net.sent_at(ALICE, "CANCEL", ""), [310]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 487", "INVITE"), [320]);
    assert_eq!(net.statuses(ALICE, call), [180, 487]);
}

#[test]
fn cancel_crossing_the_200() {
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(50));
    ringing(&mut net);
    let req = net.initial(ALICE, BOB);
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);
    let invite = net.incoming(BOB, Method::Invite);
    // At the same instant Bob answers and Alice cancels: the two cross on the wire.
    net.with(BOB, |ua, now| {
        ua.answer(now, invite, Answer::new(200).body(sdp(1)))
    })
    .expect("200");
    net.with(ALICE, |ua, now| ua.cancel(now, call))
        .expect("cancel");
    net.run_until(5000);

    assert_eq!(net.sent_at(ALICE, "CANCEL", ""), [1000]);
    // Bob's INVITE already has its final response: the CANCEL gets 200 and changes nothing.
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "CANCEL"), [1050]);
    assert!(net.sent(BOB, "SIP/2.0 487", "").next().is_none());
    // Alice acknowledges the 2xx and ends the call she no longer wants.
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [1050]);
    assert_eq!(net.sent_at(ALICE, "BYE", ""), [1050]);
    assert_eq!(net.statuses(ALICE, call), [100, 180, 200]);
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.states(ALICE),
        [
            (100, a, DialogState::Early),
            (1050, a, DialogState::Confirmed),
            (
                1150,
                a,
                DialogState::Terminated(TerminationReason::CancelledAfterAnswer)
            )
        ]
    );
    let b = net.dialog_of(BOB);
    assert_eq!(
        net.states(BOB).last().copied(),
        Some((
            1100,
            b,
            DialogState::Terminated(TerminationReason::RemoteBye)
        ))
    );
    assert!(
        net.events_of(BOB)
            .any(|(t, e)| t == 1100 && matches!(e, DialogEvent::Ack { .. }))
    );
    // Bob's 2xx retransmissions stopped with the ACK.
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [1000]);
}
