//! Reliable provisional responses (RFC 3262): the 183 is lost and retransmitted until its
//! PRACK; the 2xx waits for the PRACK of a 1xx that carried a session description; no PRACK
//! at all rejects the INVITE after 64·T1.

mod common;

use common::{ALICE, BOB, Fate, Net, sdp, zero_random};
use sip_dialog::{Answer, DialogEvent, DialogState, TerminationReason, TimeoutKind};
use sip_message::header::{RAck, RSeq};
use sip_message::{HeaderName, Method};

/// Bob answers every INVITE with a reliable 183 carrying SDP, then at once a 200 (which must
/// wait for the PRACK).
fn early_media() -> Net {
    let mut net = Net::pair();
    net.set_random(BOB, zero_random());
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(183).body(sdp(1)).reliable())
                    .expect("183");
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
    net
}

#[test]
fn lost_reliable_183_is_retransmitted_until_prack() {
    let mut net = early_media();
    net.set_fate(|w| {
        if w.is("SIP/2.0 183") && w.nth == 0 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(10_000);

    assert_eq!(net.sent_at(BOB, "SIP/2.0 183", ""), [0, 500]);
    assert_eq!(net.sent_at(ALICE, "PRACK", ""), [500]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "PRACK"), [500]);
    // The 200 waited for the PRACK: the 183 carried an offer's answer (RFC 3262 §3).
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [500]);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [500]);
    assert_eq!(net.statuses(ALICE, call), [100, 183, 200]);

    let r183 = net
        .sent(BOB, "SIP/2.0 183", "")
        .next()
        .expect("183")
        .message();
    assert_eq!(r183.headers().typed::<RSeq>().expect("RSeq").0, 1);
    assert_eq!(
        r183.headers().get(HeaderName::Require),
        Some(&b"100rel"[..])
    );
    let prack = net
        .sent(ALICE, "PRACK", "")
        .next()
        .expect("PRACK")
        .request();
    let rack = prack.headers().typed::<RAck<'_>>().expect("RAck");
    assert_eq!((rack.rseq(), rack.cseq(), rack.method()), (1, 1, "INVITE"));
    assert_eq!(prack.cseq().expect("cseq").seq(), 2);
    assert!(
        net.events_of(BOB)
            .any(|(t, e)| t == 500 && matches!(e, DialogEvent::Prack { .. }))
    );
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.states(ALICE),
        [
            (500, a, DialogState::Early),
            (500, a, DialogState::Confirmed)
        ]
    );
}

#[test]
fn retransmitted_reliable_1xx_is_not_prack_ed_twice() {
    let mut net = early_media();
    // The PRACK's 200 is lost once: the PRACK is retransmitted by its transaction (Timer E),
    // and the 183 retransmission meanwhile is recognised by its RSeq and dropped.
    net.set_fate(|w| {
        if w.is("PRACK") && w.nth == 0 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(10_000);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 183", ""), [0, 500]);
    assert_eq!(net.sent_at(ALICE, "PRACK", ""), [0, 500]);
    assert_eq!(net.statuses(ALICE, call), [100, 183, 200]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [500]);
}

#[test]
fn no_prack_rejects_the_invite() {
    let mut net = early_media();
    net.set_fate(|w| {
        if w.is("PRACK") {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(40_000);
    // T1 doubling without a cap, for 64·T1.
    assert_eq!(
        net.sent_at(BOB, "SIP/2.0 183", ""),
        [0, 500, 1500, 3500, 7500, 15_500, 31_500]
    );
    assert_eq!(net.sent_at(BOB, "SIP/2.0 500", "INVITE"), [32_000]);
    assert!(net.sent(BOB, "SIP/2.0 200", "INVITE").next().is_none());
    let b = net.dialog_of(BOB);
    assert_eq!(
        net.states(BOB).last().copied(),
        Some((
            32_000,
            b,
            DialogState::Terminated(TerminationReason::NoPrack)
        ))
    );
    assert!(
        net.events_of(BOB)
            .any(|(t, e)| t == 32_000 && matches!(e, DialogEvent::Timeout(TimeoutKind::Prack(_))))
    );
    assert_eq!(net.statuses(ALICE, call), [100, 183, 500]);
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.states(ALICE).last().copied(),
        Some((
            32_000,
            a,
            DialogState::Terminated(TerminationReason::Rejected(500))
        ))
    );
}

#[test]
fn required_100rel_makes_every_provisional_response_reliable() {
    let mut net = Net::pair();
    net.set_random(BOB, zero_random());
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                // Not asked for reliably, but the INVITE requires it; the second one waits
                // for the first one's PRACK (RFC 3262 §3).
                ua.answer(now, *id, Answer::new(180)).expect("180");
                ua.answer(now, *id, Answer::new(183)).expect("183");
            }
        }
    });
    net.set_latency(std::time::Duration::from_millis(10));
    let req = net.initial(ALICE, BOB).require_100rel();
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);
    let rseqs: Vec<u32> = net
        .sent(BOB, "SIP/2.0 18", "")
        .map(|w| w.message().headers().typed::<RSeq>().expect("RSeq").0)
        .collect();
    assert_eq!(rseqs, [1, 2]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 180", ""), [10]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 183", ""), [30]);
    let racks: Vec<u32> = net
        .sent(ALICE, "PRACK", "")
        .map(|w| {
            w.request()
                .headers()
                .typed::<RAck<'_>>()
                .expect("RAck")
                .rseq()
        })
        .collect();
    assert_eq!(racks, [1, 2]);
    assert_eq!(net.sent_at(ALICE, "PRACK", ""), [20, 40]);
}
