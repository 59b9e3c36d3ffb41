//! With `auto_ack` and `auto_prack` off the application sends the ACK and the PRACK itself,
//! carrying the answer to an offer made in the 2xx or the reliable 1xx (RFC 3261 §13.2.2.4,
//! RFC 3262 §4).

mod common;

use common::{ALICE, BOB, Net, sdp};
use sip_dialog::{Answer, ApiError, DialogEvent};
use sip_message::Method;

fn manual_net() -> Net {
    let mut net = Net::new();
    net.add_ua("alice", 1, |c| {
        c.auto_ack = false;
        c.auto_prack = false;
    });
    net.add_ua("bob", 2, |_| {});
    net
}

#[test]
fn ack_carries_the_answer() {
    let mut net = manual_net();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                // No offer in the INVITE: the 200 makes one.
                assert!(request.body().is_empty());
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
    let req = net.initial(ALICE, BOB);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(100);
    assert!(net.sent(ALICE, "ACK", "").next().is_none());
    let a = net.dialog_of(ALICE);
    net.with(ALICE, |ua, now| ua.ack(now, a, Some(sdp(2))))
        .expect("ack");
    net.run_until(1000);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [100]);
    let ack_body = net
        .events_of(BOB)
        .find_map(|(_, e)| match e {
            DialogEvent::Ack { request, .. } => Some(request.body().clone()),
            _ => None,
        })
        .expect("Bob got the ACK");
    assert_eq!(&ack_body, sdp(2).bytes());
    // Bob retransmitted the 200 while waiting (at 0 and at T1 = 500 ms? no: the ACK came at
    // 100), and a second ACK is an error.
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [0]);
    assert_eq!(
        net.with(ALICE, |ua, now| ua.ack(now, a, None)),
        Err(ApiError::InvalidState("no 2xx awaits an ACK"))
    );
}

#[test]
fn prack_carries_the_answer() {
    let mut net = manual_net();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(183).body(sdp(1)).reliable())
                    .expect("183");
            }
        }
    });
    let req = net.initial(ALICE, BOB);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(200);
    // The 183 is retransmitted until the PRACK.
    assert_eq!(net.sent_at(BOB, "SIP/2.0 183", ""), [0]);
    let a = net.dialog_of(ALICE);
    net.with(ALICE, |ua, now| ua.prack(now, a, Some(sdp(2))))
        .expect("prack");
    net.run_until(2000);
    assert_eq!(net.sent_at(ALICE, "PRACK", ""), [200]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 183", ""), [0]);
    let prack_body = net
        .events_of(BOB)
        .find_map(|(_, e)| match e {
            DialogEvent::Prack { request, .. } => Some(request.body().clone()),
            _ => None,
        })
        .expect("Bob got the PRACK");
    assert_eq!(&prack_body, sdp(2).bytes());
}
