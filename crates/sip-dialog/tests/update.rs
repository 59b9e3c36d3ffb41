//! UPDATE (RFC 3311): a new offer in an early dialog (after a reliable 183), from either
//! side, and in a confirmed dialog.

mod common;

use common::{ALICE, BOB, Net, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState};
use sip_message::Method;

/// Bob sends a reliable 183 with SDP for every INVITE and answers every UPDATE 200 with SDP;
/// Alice answers UPDATEs too.
fn early_dialog() -> Net {
    let mut net = Net::pair();
    net.set_latency(std::time::Duration::from_millis(10));
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            match request.method() {
                Method::Invite => {
                    ua.answer(now, *id, Answer::new(183).body(sdp(1)).reliable())
                        .expect("183");
                }
                Method::Update => {
                    ua.answer(now, *id, Answer::new(200).body(sdp(7)))
                        .expect("200");
                }
                _ => {}
            }
        }
    });
    net.on_event(ALICE, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Update {
                ua.answer(now, *id, Answer::new(200).body(sdp(8)))
                    .expect("200");
            }
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(100);
    net
}

fn cseq_of(net: &Net, node: usize, method: &str) -> Vec<u32> {
    net.sent(node, method, "")
        .map(|w| w.request().cseq().expect("cseq").seq())
        .collect()
}

#[test]
fn caller_updates_the_early_dialog() {
    let mut net = early_dialog();
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Early)
    );
    let update = net
        .with(ALICE, |ua, now| ua.update(now, a, Some(sdp(2))))
        .expect("update");
    net.run_until(200);
    assert_eq!(net.sent_at(ALICE, "UPDATE", ""), [100]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "UPDATE"), [110]);
    assert_eq!(net.statuses(ALICE, update), [200]);
    let answer = net
        .events_of(ALICE)
        .find_map(|(_, e)| match e {
            DialogEvent::Response {
                request, response, ..
            } if *request == update => Some(response.body().clone()),
            _ => None,
        })
        .expect("the answer");
    assert_eq!(answer, sdp(7).bytes().clone());
    // INVITE 1, PRACK 2, UPDATE 3; the UPDATE carries the dialog's tags.
    assert_eq!(cseq_of(&net, ALICE, "INVITE"), [1]);
    assert_eq!(cseq_of(&net, ALICE, "PRACK"), [2]);
    assert_eq!(cseq_of(&net, ALICE, "UPDATE"), [3]);
    let up = net
        .sent(ALICE, "UPDATE", "")
        .next()
        .expect("UPDATE")
        .request();
    assert!(up.to().expect("to").tag().is_some());
    // Still early: the UPDATE does not answer the INVITE.
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Early)
    );

    let invite = net.incoming(BOB, Method::Invite);
    net.with(BOB, |ua, now| ua.answer(now, invite, Answer::new(200)))
        .expect("200");
    net.run_until(1000);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [210]);
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );
}

#[test]
fn callee_updates_the_early_dialog() {
    let mut net = early_dialog();
    let b = net.dialog_of(BOB);
    let update = net
        .with(BOB, |ua, now| ua.update(now, b, Some(sdp(3))))
        .expect("update");
    net.run_until(200);
    assert_eq!(net.sent_at(BOB, "UPDATE", ""), [100]);
    assert_eq!(net.sent_at(ALICE, "SIP/2.0 200", "UPDATE"), [110]);
    assert_eq!(net.statuses(BOB, update), [200]);
    // Bob's first request in the dialog starts his local sequence.
    assert_eq!(cseq_of(&net, BOB, "UPDATE"), [1]);
    let up = net
        .sent(BOB, "UPDATE", "")
        .next()
        .expect("UPDATE")
        .request();
    assert_eq!(up.uri_raw(), b"sip:alice@192.0.2.1:5060");
}

#[test]
fn update_in_a_confirmed_dialog() {
    let mut net = early_dialog();
    let invite = net.incoming(BOB, Method::Invite);
    net.with(BOB, |ua, now| ua.answer(now, invite, Answer::new(200)))
        .expect("200");
    net.run_until(1000);
    let a = net.dialog_of(ALICE);
    let update = net
        .with(ALICE, |ua, now| ua.update(now, a, Some(sdp(4))))
        .expect("update");
    net.run_until(2000);
    assert_eq!(net.statuses(ALICE, update), [200]);
    assert_eq!(cseq_of(&net, ALICE, "UPDATE"), [3]);
    let b = net.dialog_of(BOB);
    assert!(net.events_of(BOB).any(|(t, e)| t == 1010
        && matches!(e, DialogEvent::Request { dialog: Some(d), request, .. }
            if *d == b && *request.method() == Method::Update)));
}
