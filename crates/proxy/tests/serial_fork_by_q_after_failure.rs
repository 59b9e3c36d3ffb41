//! Serial forking by q-value (RFC 3261 §16.6, §16.7 steps 4-5): the lower-q contact is tried
//! only after every higher-q branch failed; a 6xx stops the search.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sip_proxy::ForwardPlan;
use sip_testkit::addr;
use sip_transaction::Transport;

fn serial_world(bob_answers: &'static [u16]) -> sip_testkit::Scenario<Node> {
    let mut s = world();
    s.add_node("carol", addr(3), ua("carol", 3, |_| {}));
    let plan = ForwardPlan::by_q(
        vec![
            (500, target("carol", 3, Transport::Udp)),
            (1000, target("bob", 2, Transport::Udp)),
        ],
        true,
    );
    assert_eq!(plan.groups.len(), 2);
    s.on_event(PROXY, router(vec![("team", plan)]));
    s.on_event(BOB, answer_with(bob_answers, vec![]));
    s.on_event(CAROL, answer_with(&[180, 200], vec![]));
    s
}

#[test]
fn lower_q_is_tried_after_the_higher_one_fails() {
    let mut s = serial_world(&[486]);
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    // Bob first (q=1.0), Carol when his 486 arrives (at 15 ms).
    let invites: Vec<(u64, usize)> = s
        .sent(PROXY, "INVITE", "")
        .map(|w| (w.at_ms, w.to))
        .collect();
    assert_eq!(invites, [(5, BOB), (15, CAROL)]);
    // The 486 stays at the proxy; Alice hears Carol.
    assert_eq!(statuses(&s, ALICE, call), [100, 180, 200]);
    assert!(
        s.sent(PROXY, "ACK", "").any(|w| w.to == BOB),
        "the 486 was acknowledged"
    );
    assert_eq!(finished(&s)[0], ("INVITE".to_owned(), 200));
}

#[test]
fn a_2xx_from_the_first_group_ends_the_search() {
    let mut s = serial_world(&[200]);
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 200]);
    assert!(s.sent(PROXY, "INVITE", "").all(|w| w.to == BOB));
}

#[test]
fn a_6xx_ends_the_search_and_is_the_answer() {
    let mut s = serial_world(&[603]);
    let call = invite_via_proxy(&mut s, "team", Transport::Udp);
    s.run_until_ms(2_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 603]);
    assert!(s.sent(PROXY, "INVITE", "").all(|w| w.to == BOB));
    assert_eq!(finished(&s), [("INVITE".to_owned(), 603)]);
}
