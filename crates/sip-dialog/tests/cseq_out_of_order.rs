//! A request in a dialog whose CSeq is lower than the last one received is out of order and
//! answered 500 (RFC 3261 §12.2.2).

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Fate, Net, sdp};
use sip_dialog::{Answer, DialogEvent};
use sip_message::Method;

#[test]
fn lower_cseq_gets_500() {
    let mut net = Net::pair();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, .. } = ev {
            ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                .expect("answer");
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);
    let a = net.dialog_of(ALICE);

    // Two INFOs (CSeq 2 and 3); the network holds the first back so the second overtakes it.
    net.set_fate(|w| {
        if w.is("INFO") && w.nth == 0 {
            Fate::Delay(Duration::from_millis(100))
        } else {
            Fate::Deliver
        }
    });
    let first = net
        .with(ALICE, |ua, now| ua.request(now, a, Method::Info, None))
        .expect("info");
    let second = net
        .with(ALICE, |ua, now| ua.request(now, a, Method::Info, None))
        .expect("info");
    net.run_until(2000);

    let cseqs: Vec<u32> = net
        .sent(ALICE, "INFO", "")
        .map(|w| w.request().cseq().expect("cseq").seq())
        .collect();
    assert_eq!(cseqs, [2, 3]);
    assert_eq!(net.statuses(ALICE, second), [200]);
    assert_eq!(net.statuses(ALICE, first), [500]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 500", "INFO"), [1100]);
    // Only the in-order INFO reached Bob's application.
    let infos = net
        .events_of(BOB)
        .filter(|(_, e)| matches!(e, DialogEvent::Request { request, .. } if *request.method() == Method::Info))
        .count();
    assert_eq!(infos, 1);
    let b = net.dialog_of(BOB);
    assert_eq!(net.ua(BOB).dialog(b).and_then(|d| d.remote_seq()), Some(3));
    // A 500 does not end the dialog.
    assert!(
        net.ua(ALICE)
            .dialog(a)
            .is_some_and(|d| d.state() == sip_dialog::DialogState::Confirmed)
    );
}
