//! A partition between two user agents in a call: a BYE sent while it lasts is retransmitted
//! (Timer E) and the first copy after it heals ends the call on both sides; a partition that
//! outlasts the BYE's Timer F leaves the caller done and the callee unaware, until its next
//! request in the dialog is answered 481 (RFC 3261 §12.2.1.2).

use std::time::Duration;

use sip_dialog::{DialogLayer, DialogState, TerminationReason};
use sip_testkit::{Cause, DialogLog, Scenario, dialog};
use sip_transaction::Transport;

const ALICE: usize = 0;
const BOB: usize = 1;

/// A call from Alice to Bob set up at 20 ms (10 ms latency), then a partition at 1 s.
fn call_then_partition() -> Scenario<DialogLayer> {
    let mut s = dialog::alice_and_bob(0);
    s.network_mut().set_latency(Duration::from_millis(10));
    s.on_event(BOB, dialog::answer_invites(&[200]));
    let req = dialog::initial(&s, ALICE, BOB, Transport::Udp).body(dialog::sdp(1));
    s.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    s.run_until_ms(1_000);
    let a = s.dialog_of(ALICE);
    assert_eq!(
        s.states(ALICE).last().map(|x| x.2),
        Some(DialogState::Confirmed)
    );
    assert_eq!(
        s.engine(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );
    s.network_mut().partition(ALICE, BOB);
    s
}

#[test]
fn bye_gets_through_when_the_partition_heals() {
    let mut s = call_then_partition();
    s.run_until_ms(2_000);
    let a = s.dialog_of(ALICE);
    s.with(ALICE, |ua, now| ua.bye(now, a)).expect("bye");
    s.run_until_ms(5_000);
    s.network_mut().heal(ALICE, BOB);
    s.run_until_ms(10_000);

    assert_eq!(s.sent_at(ALICE, "BYE", ""), [2_000, 2_500, 3_500, 5_500]);
    let causes: Vec<_> = s.sent(ALICE, "BYE", "").map(|w| w.cause).collect();
    assert_eq!(
        causes,
        [
            Cause::Partition,
            Cause::Partition,
            Cause::Partition,
            Cause::Link
        ]
    );
    assert_eq!(s.sent_at(BOB, "SIP/2.0 200", "BYE"), [5_510]);
    let b = s.dialog_of(BOB);
    assert_eq!(
        s.states(BOB).last().copied(),
        Some((
            5_510,
            b,
            DialogState::Terminated(TerminationReason::RemoteBye)
        ))
    );
    assert_eq!(
        s.states(ALICE).last().copied(),
        Some((
            5_520,
            a,
            DialogState::Terminated(TerminationReason::LocalBye)
        ))
    );
}

#[test]
fn a_partition_outlasting_the_bye_ends_in_481_later() {
    let mut s = call_then_partition();
    s.run_until_ms(2_000);
    let (a, b) = (s.dialog_of(ALICE), s.dialog_of(BOB));
    let bye = s.with(ALICE, |ua, now| ua.bye(now, a)).expect("bye");
    s.run_until_ms(40_000);
    s.network_mut().heal_all();
    // Every BYE was lost: Timer F (64·T1) ends it, and Alice's dialog with it.
    assert_eq!(s.sent_at(ALICE, "BYE", "").len(), 11);
    assert!(
        s.sent(ALICE, "BYE", "")
            .all(|w| w.cause == Cause::Partition)
    );
    assert!(s.statuses(ALICE, bye).is_empty());
    assert_eq!(
        s.states(ALICE).last().copied(),
        Some((
            34_000,
            a,
            DialogState::Terminated(TerminationReason::LocalBye)
        ))
    );
    // Bob never heard of it.
    assert_eq!(
        s.engine(BOB).dialog(b).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );

    // Long after Alice forgot the dialog, Bob re-INVITEs: 481, and his dialog is gone too.
    s.run_until_ms(100_000);
    assert_eq!(s.engine(ALICE).dialog_count(), 0);
    let reinvite = s
        .with(BOB, |ua, now| ua.reinvite(now, b, Some(dialog::sdp(2))))
        .expect("reinvite");
    s.run_until_ms(110_000);
    assert_eq!(s.sent_at(ALICE, "SIP/2.0 481", "INVITE"), [100_010]);
    assert_eq!(s.statuses(BOB, reinvite), [100, 481]);
    assert_eq!(
        s.states(BOB).last().copied(),
        Some((100_020, b, DialogState::Terminated(TerminationReason::Gone)))
    );
}
