//! Parallel forking (RFC 3261 §16.7 step 10): the first 2xx goes upstream at once and the
//! other branches, still ringing, are cancelled; their 487s are absorbed. When two forks
//! answer 2xx, both 2xx responses reach the caller.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_message::HeaderName;
use sip_proxy::ForwardPlan;
use sip_testkit::addr;
use sip_transaction::Transport;

fn forked_world() -> sip_testkit::Scenario<Node> {
    let mut s = world();
    s.add_node("carol", addr(3), ua("carol", 3, |_| {}));
    let plan = ForwardPlan {
        groups: vec![vec![
            target("bob", 2, Transport::Udp),
            target("carol", 3, Transport::Udp),
        ]],
        record_route: true,
    };
    s.on_event(PROXY, router(vec![("team", plan)]));
    s
}

#[test]
fn first_2xx_cancels_the_ringing_branch() {
    let mut s = forked_world();
    s.on_event(BOB, answer_with(&[180], vec![]));
    s.on_event(CAROL, answer_with(&[180], vec![]));
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(100);
    // Bob picks up a second later.
    s.run_until_ms(1_000);
    let bob_invite = s
        .events_of(BOB)
        .find_map(|(_, e)| match e {
            Ev::Ua(sip_dialog::DialogEvent::Request { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("Bob rang");
    s.with(BOB, |n, now| {
        n.ua().answer(
            now,
            bob_invite,
            sip_dialog::Answer::new(200).body(sip_testkit::dialog::sdp(2)),
        )
    })
    .expect("200");
    s.run_until_ms(3_000);

    // Both 180s and Bob's 200 reached Alice; no 487.
    assert_eq!(statuses(&s, ALICE, call), [100, 180, 180, 200]);
    // Exactly one CANCEL, to Carol, with the branch of the INVITE she got.
    let cancels: Vec<_> = s.sent(PROXY, "CANCEL", "").collect();
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].to, CAROL);
    assert_eq!(cancels[0].at_ms, 1_005);
    let carol_invite = s
        .sent(PROXY, "INVITE", "")
        .find(|w| w.to == CAROL)
        .expect("INVITE to Carol")
        .request();
    assert_eq!(
        cancels[0].request().via().unwrap().branch(),
        carol_invite.via().unwrap().branch()
    );
    // Carol answered 487, which the proxy acknowledged and kept to itself.
    assert!(
        s.sent(CAROL, "SIP/2.0 487", "INVITE")
            .any(|w| w.to == PROXY)
    );
    assert!(s.sent(PROXY, "ACK", "").any(|w| w.to == CAROL));
    assert_eq!(s.sent(PROXY, "SIP/2.0 487", "").count(), 0);
    // The two branches had different branch values.
    let bob_branch = s
        .sent(PROXY, "INVITE", "")
        .find(|w| w.to == BOB)
        .unwrap()
        .request()
        .via()
        .unwrap()
        .branch()
        .map(str::to_owned);
    assert_ne!(bob_branch.as_deref(), carol_invite.via().unwrap().branch());
    assert_eq!(finished(&s)[0], ("INVITE".to_owned(), 200));
}

#[test]
fn every_forks_2xx_reaches_the_caller() {
    let mut s = forked_world();
    s.on_event(BOB, answer_with(&[200], vec![]));
    s.on_event(CAROL, answer_with(&[200], vec![]));
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    // Alice's layer reports the first 2xx and ends the extra dialog with a BYE.
    assert_eq!(statuses(&s, ALICE, call), [100, 200]);
    assert!(s.events_of(ALICE).any(|(_, e)| matches!(
        e,
        Ev::Ua(sip_dialog::DialogEvent::DialogState {
            state: sip_dialog::DialogState::Terminated(sip_dialog::TerminationReason::ExtraFork),
            ..
        })
    )));
    let to_tags: Vec<String> = s
        .sent(PROXY, "SIP/2.0 200", "INVITE")
        .map(|w| w.response().to().unwrap().tag().unwrap_or("").to_owned())
        .collect();
    assert_eq!(to_tags.len(), 2);
    assert_ne!(to_tags[0], to_tags[1]);
    // Carol's 100 arrived after Bob's 200, so her branch was cancelled (and answered 200
    // anyway: the CANCEL crossed her 2xx, which still went upstream).
    assert!(s.sent(PROXY, "CANCEL", "").all(|w| w.to == CAROL));
    // Both ACKs went through the proxy, each to its callee.
    let acks: Vec<_> = s.sent(PROXY, "ACK", "").map(|w| w.to).collect();
    assert!(acks.contains(&BOB) && acks.contains(&CAROL), "{acks:?}");
    assert!(
        s.sent(PROXY, "ACK", "")
            .all(|w| w.request().headers().count(HeaderName::Route) == 0)
    );
}
