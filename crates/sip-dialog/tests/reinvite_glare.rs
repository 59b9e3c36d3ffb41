//! re-INVITE glare (RFC 3261 §14): both sides re-INVITE at once, each answers the other 491,
//! and each retries after its §14.1 delay: 2.1-4 s for the Call-ID owner, 0-2 s for the other
//! (a random source that always says 0 makes them exactly 2.1 s and 0 s).

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Net, sdp, zero_random};
use sip_dialog::{Answer, DialogEvent};
use sip_message::Method;

fn answer_invites(net: &mut Net, node: usize) {
    net.on_event(node, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(200).body(sdp(2)))
                    .expect("200");
            }
        }
    });
}

#[test]
fn both_retry_after_their_delays() {
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(10));
    net.set_random(ALICE, zero_random());
    net.set_random(BOB, zero_random());
    answer_invites(&mut net, ALICE);
    answer_invites(&mut net, BOB);
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);
    let (a, b) = (net.dialog_of(ALICE), net.dialog_of(BOB));

    let ra = net
        .with(ALICE, |ua, now| ua.reinvite(now, a, Some(sdp(3))))
        .expect("alice");
    let rb = net
        .with(BOB, |ua, now| ua.reinvite(now, b, Some(sdp(3))))
        .expect("bob");
    net.run_until(10_000);

    let in_dialog = |net: &Net, node| -> Vec<u64> {
        net.sent(node, "INVITE", "")
            .filter(|w| w.request().to().is_ok_and(|t| t.tag().is_some()))
            .map(|w| w.at_ms)
            .collect()
    };
    assert_eq!(net.sent_at(ALICE, "SIP/2.0 491", ""), [1010]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 491", ""), [1010]);
    // Bob (not the Call-ID owner) retries at once; Alice 2.1 s after her 491.
    assert_eq!(in_dialog(&net, BOB), [1000, 1020]);
    assert_eq!(in_dialog(&net, ALICE), [1000, 3120]);
    let retrying = |net: &Net, node, rid| {
        net.events_of(node)
            .filter_map(|(t, e)| match e {
                DialogEvent::Retrying {
                    request,
                    status,
                    at,
                } if *request == rid => Some((
                    t,
                    *status,
                    u64::try_from(at.duration_since(net.start()).as_millis()).expect("ms"),
                )),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(retrying(&net, ALICE, ra), [(1020, 491, 3120)]);
    assert_eq!(retrying(&net, BOB, rb), [(1020, 491, 1020)]);
    // Both retries succeed. Each handle reports the 100 of both attempts and the final 200,
    // but not the 491 (reported as Retrying).
    assert_eq!(net.statuses(BOB, rb), [100, 100, 200]);
    assert_eq!(net.statuses(ALICE, ra), [100, 100, 200]);
    // ACKs: for the 491 (by the transaction layer) and for the 2xx (by the dialog).
    assert_eq!(net.sent_at(BOB, "ACK", ""), [1020, 1040]);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [20, 1020, 3140]);
    // CSeq keeps climbing on each side: the retry is a new request.
    let cseqs: Vec<u32> = net
        .sent(ALICE, "INVITE", "")
        .map(|w| w.request().cseq().expect("cseq").seq())
        .collect();
    assert_eq!(cseqs, [1, 2, 3]);
}

#[test]
fn reinvite_refused_while_one_is_in_progress() {
    let mut net = Net::pair();
    answer_invites(&mut net, BOB);
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(100);
    let a = net.dialog_of(ALICE);
    net.set_latency(Duration::from_millis(10));
    net.with(ALICE, |ua, now| ua.reinvite(now, a, Some(sdp(2))))
        .expect("first");
    let second = net.with(ALICE, |ua, now| ua.reinvite(now, a, Some(sdp(3))));
    assert_eq!(second, Err(sip_dialog::ApiError::InviteInProgress));
}

#[test]
fn second_incoming_reinvite_gets_500_with_retry_after() {
    let mut net = Net::pair();
    net.set_random(BOB, zero_random());
    answer_invites(&mut net, BOB);
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(100);
    // Bob stops answering: his first re-INVITE stays pending.
    net.on_event(BOB, |_, _, _| {});
    let a = net.dialog_of(ALICE);
    net.with(ALICE, |ua, now| ua.reinvite(now, a, Some(sdp(2))))
        .expect("first");
    net.run_until(200);
    // A misbehaving peer sends another INVITE while the first is unanswered: forge it from
    // Alice's first re-INVITE with a higher CSeq and a new branch.
    let first = net
        .sent(ALICE, "INVITE", "")
        .last()
        .expect("re-INVITE")
        .request();
    let mut forged = first.clone();
    forged
        .headers_mut()
        .set(sip_message::HeaderName::CSeq, "9 INVITE");
    forged.headers_mut().set(
        sip_message::HeaderName::Via,
        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKforged;rport",
    );
    let now = net.now();
    let source = net.peer(ALICE);
    net.ua(BOB)
        .handle_input(sip_dialog::Input::Received {
            now,
            source,
            message: forged.into(),
        })
        .expect("input");
    net.drain(BOB);
    let r500 = net
        .sent(BOB, "SIP/2.0 500", "INVITE")
        .next()
        .expect("500")
        .message();
    assert_eq!(
        r500.headers().get(sip_message::HeaderName::RetryAfter),
        Some(&b"0"[..])
    );
}
