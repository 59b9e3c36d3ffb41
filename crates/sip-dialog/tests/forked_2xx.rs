//! A forked INVITE answered by two UASs: two early dialogs, two 2xx, each acknowledged, the
//! later one ended with BYE by policy (RFC 3261 §13.2.2.4).

mod common;

use std::time::Duration;

use common::{ALICE, BOB, FOURTH, Net, THIRD, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, ForkPolicy, TerminationReason};
use sip_message::Method;

/// Alice, Bob and Carol (both ring; the test answers), and a forker in front of Bob and
/// Carol. Bob answers at 500 ms.
fn forked(policy: ForkPolicy) -> Net {
    let mut net = Net::new();
    net.set_latency(Duration::from_millis(10));
    net.add_ua("alice", 1, |c| c.fork_policy = policy);
    net.add_ua("bob", 2, |_| {});
    net.add_ua("carol", 3, |_| {});
    net.add_forker("forker", 9, &[BOB, THIRD]);
    for callee in [BOB, THIRD] {
        net.on_event(callee, |ua, now, ev| {
            if let DialogEvent::Request { id, request, .. } = ev {
                if *request.method() == Method::Invite {
                    ua.answer(now, *id, Answer::new(180)).expect("180");
                }
            }
        });
    }
    let req = net.initial(ALICE, BOB);
    let req = sip_dialog::InitialRequest::new(
        req.uri().to_owned(),
        "<sip:alice@example.com>",
        "<sip:bob@example.com>",
        net.peer(FOURTH),
    );
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(500);
    let bob_invite = net.incoming(BOB, Method::Invite);
    net.with(BOB, |ua, now| {
        ua.answer(now, bob_invite, Answer::new(200).body(sdp(1)))
    })
    .expect("bob answers");
    net
}

fn dialogs(net: &Net) -> (sip_dialog::DialogId, sip_dialog::DialogId) {
    let states = net.states(ALICE);
    let mut ids: Vec<_> = states.iter().map(|(_, d, _)| *d).collect();
    ids.dedup();
    (ids[0], ids[1])
}

#[test]
fn second_2xx_is_acknowledged_and_ended_with_bye() {
    let mut net = forked(ForkPolicy::ByeExtra);
    net.run_until(1000);
    let carol_invite = net.incoming(THIRD, Method::Invite);
    net.with(THIRD, |ua, now| {
        ua.answer(now, carol_invite, Answer::new(200).body(sdp(2)))
    })
    .expect("carol answers");
    net.run_until(5000);

    let (bob, carol) = dialogs(&net);
    assert_eq!(
        net.states(ALICE),
        [
            (40, bob, DialogState::Early),
            (40, carol, DialogState::Early),
            (520, bob, DialogState::Confirmed),
            (
                1040,
                carol,
                DialogState::Terminated(TerminationReason::ExtraFork)
            ),
        ]
    );
    // One ACK per 2xx, each to the answering UA; the BYE goes to Carol only.
    let acks: Vec<_> = net
        .sent(ALICE, "ACK", "")
        .map(|w| (w.at_ms, w.to))
        .collect();
    assert_eq!(acks, [(520, BOB), (1020, THIRD)]);
    let byes: Vec<_> = net
        .sent(ALICE, "BYE", "")
        .map(|w| (w.at_ms, w.to))
        .collect();
    assert_eq!(byes, [(1020, THIRD)]);
    assert_eq!(
        net.states(THIRD).last().map(|(t, _, s)| (*t, *s)),
        Some((1030, DialogState::Terminated(TerminationReason::RemoteBye)))
    );
    assert_eq!(
        net.states(BOB).last().map(|(t, _, s)| (*t, *s)),
        Some((500, DialogState::Confirmed))
    );
    assert_eq!(
        net.ua(ALICE).dialog(bob).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );
}

#[test]
fn keep_all_reports_both_dialogs() {
    let mut net = forked(ForkPolicy::KeepAll);
    net.run_until(1000);
    let carol_invite = net.incoming(THIRD, Method::Invite);
    net.with(THIRD, |ua, now| {
        ua.answer(now, carol_invite, Answer::new(200).body(sdp(2)))
    })
    .expect("carol answers");
    net.run_until(5000);
    let (bob, carol) = dialogs(&net);
    assert_eq!(
        net.states(ALICE),
        [
            (40, bob, DialogState::Early),
            (40, carol, DialogState::Early),
            (520, bob, DialogState::Confirmed),
            (1020, carol, DialogState::Confirmed),
        ]
    );
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [520, 1020]);
    assert!(net.sent(ALICE, "BYE", "").next().is_none());
}

#[test]
fn unanswered_early_dialog_ends_with_the_transaction() {
    let mut net = forked(ForkPolicy::ByeExtra);
    net.run_until(60_000);
    let (_, carol) = dialogs(&net);
    // Timer M (64·T1) after Bob's 2xx ends the INVITE transaction and Carol's early dialog.
    assert_eq!(
        net.states(ALICE).last().copied(),
        Some((
            32_520,
            carol,
            DialogState::Terminated(TerminationReason::NoAnswer)
        ))
    );
}
