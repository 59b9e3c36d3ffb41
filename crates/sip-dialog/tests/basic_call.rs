//! A call set up and torn down: INVITE, 180, 200, ACK, BYE, 200 (RFC 3261 §13, §15).

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Net, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, TerminationReason};
use sip_message::Method;

#[test]
fn invite_ringing_answer_ack_bye() {
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(10));
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(180)).expect("180");
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);

    assert_eq!(net.sent_at(ALICE, "INVITE", ""), [0]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 100", ""), [10]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 180", ""), [10]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [10]);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [20]);
    assert_eq!(net.statuses(ALICE, call), [100, 180, 200]);

    let a = net.dialog_of(ALICE);
    let b = net.dialog_of(BOB);
    assert_eq!(
        net.states(ALICE),
        [(20, a, DialogState::Early), (20, a, DialogState::Confirmed)]
    );
    assert_eq!(
        net.states(BOB),
        [(10, b, DialogState::Early), (10, b, DialogState::Confirmed)]
    );
    assert!(
        net.events_of(BOB)
            .any(|(t, e)| t == 30 && matches!(e, DialogEvent::Ack { dialog, .. } if *dialog == b))
    );

    // Both sides agree on the dialog identifiers (§12.1).
    let (va, vb) = (
        net.ua(ALICE).dialog(a).map(|v| {
            (
                v.call_id().to_owned(),
                v.local_tag().to_owned(),
                v.remote_tag().to_owned(),
            )
        }),
        net.ua(BOB).dialog(b).map(|v| {
            (
                v.call_id().to_owned(),
                v.local_tag().to_owned(),
                v.remote_tag().to_owned(),
            )
        }),
    );
    let (va, vb) = (va.expect("alice's dialog"), vb.expect("bob's dialog"));
    assert_eq!(va.0, vb.0);
    assert_eq!(
        (va.1.as_str(), va.2.as_str()),
        (vb.2.as_str(), vb.1.as_str())
    );
    assert!(net.ua(ALICE).dialog(a).expect("dialog").is_caller());
    assert_eq!(
        net.ua(ALICE).dialog(a).expect("dialog").remote_target(),
        "sip:bob@192.0.2.2:5060"
    );
    assert_eq!(
        net.ua(BOB).dialog(b).expect("dialog").remote_target(),
        "sip:alice@192.0.2.1:5060"
    );

    // The ACK is built by the dialog: the INVITE's CSeq number, a new branch.
    let invite = net
        .sent(ALICE, "INVITE", "")
        .next()
        .expect("INVITE")
        .request();
    let ack = net.sent(ALICE, "ACK", "").next().expect("ACK").request();
    assert_eq!(
        ack.cseq().expect("cseq").seq(),
        invite.cseq().expect("cseq").seq()
    );
    assert_eq!(ack.cseq().expect("cseq").method(), "ACK");
    assert_ne!(
        ack.via().expect("via").branch(),
        invite.via().expect("via").branch()
    );
    assert_eq!(ack.to().expect("to").tag(), Some(va.2.as_str()));

    net.run_until(5000);
    let bye = net.with(ALICE, |ua, now| ua.bye(now, a)).expect("bye");
    net.run_until(6000);
    assert_eq!(net.sent_at(ALICE, "BYE", ""), [5000]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "BYE"), [5010]);
    assert_eq!(net.statuses(ALICE, bye), [200]);
    let bye_req = net.sent(ALICE, "BYE", "").next().expect("BYE").request();
    assert_eq!(
        bye_req.cseq().expect("cseq").seq(),
        invite.cseq().expect("cseq").seq() + 1
    );
    assert_eq!(
        net.states(ALICE).last().copied(),
        Some((
            5020,
            a,
            DialogState::Terminated(TerminationReason::LocalBye)
        ))
    );
    assert_eq!(
        net.states(BOB).last().copied(),
        Some((
            5010,
            b,
            DialogState::Terminated(TerminationReason::RemoteBye)
        ))
    );

    // Terminated dialogs are forgotten after 64·T1, and nothing is left running.
    net.run_until(60_000);
    assert_eq!(net.ua(ALICE).dialog_count(), 0);
    assert_eq!(net.ua(BOB).dialog_count(), 0);
    assert!(net.ua(ALICE).dialog(a).is_none());
    assert!(net.ua(ALICE).transactions().is_empty());
    assert!(net.ua(BOB).transactions().is_empty());
    assert_eq!(net.ua(ALICE).poll_timeout(), None);
    assert_eq!(net.ua(BOB).poll_timeout(), None);
}

#[test]
fn rejected_invite_ends_the_early_dialog() {
    let mut net = Net::pair();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(183)).expect("183");
                ua.answer(now, *id, Answer::new(486)).expect("486");
            }
        }
    });
    let req = net.initial(ALICE, BOB);
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);
    assert_eq!(net.statuses(ALICE, call), [100, 183, 486]);
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.states(ALICE),
        [
            (0, a, DialogState::Early),
            (
                0,
                a,
                DialogState::Terminated(TerminationReason::Rejected(486))
            )
        ]
    );
    let b = net.dialog_of(BOB);
    assert_eq!(
        net.states(BOB).last().copied(),
        Some((
            0,
            b,
            DialogState::Terminated(TerminationReason::Rejected(486))
        ))
    );
    // The ACK for the 486 is the transaction layer's (same branch as the INVITE).
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [0]);
}

#[test]
fn caller_ends_an_early_dialog_with_bye() {
    let mut net = Net::pair();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(180)).expect("180");
            }
        }
    });
    let req = net.initial(ALICE, BOB);
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(100);
    let (a, b) = (net.dialog_of(ALICE), net.dialog_of(BOB));
    // The callee may not BYE an early dialog (§15); the caller may.
    assert!(net.with(BOB, |ua, now| ua.bye(now, b)).is_err());
    net.with(ALICE, |ua, now| ua.bye(now, a)).expect("bye");
    net.run_until(1000);
    // Bob answers the BYE 200 and the pending INVITE 487 (§15.1.2).
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "BYE"), [100]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 487", "INVITE"), [100]);
    assert_eq!(net.statuses(ALICE, call), [100, 180, 487]);
    assert_eq!(
        net.states(BOB).last().copied(),
        Some((
            100,
            b,
            DialogState::Terminated(TerminationReason::RemoteBye)
        ))
    );
    assert_eq!(
        net.states(ALICE).last().map(|(_, d, s)| (*d, *s)),
        Some((a, DialogState::Terminated(TerminationReason::LocalBye)))
    );
}
