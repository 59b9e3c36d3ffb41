//! Memory after the answer: a request the server answers itself gives its context up at
//! once, although its transaction lives on to absorb retransmissions; a forwarded request
//! keeps its context only until its transactions end.

mod common;

use common::*;
use sip_proxy::ForwardPlan;
use sip_transaction::Transport;

#[test]
fn locally_answered_request_frees_its_context_while_its_transaction_lives() {
    let mut s = world();
    s.on_event(PROXY, router(vec![]));
    let call = invite_via_proxy(&mut s, "nobody", Transport::Udp);
    s.run_until_ms(1_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 404]);
    // The INVITE server transaction waits for the ACK and absorbs retransmissions
    // (Timer H), without the request context.
    assert!(s.with(PROXY, |n, _| n.proxy().transactions().len()) > 0);
    assert_eq!(s.with(PROXY, |n, _| n.proxy().contexts()), 0);
}

#[test]
fn forwarded_request_keeps_its_context_until_its_transactions_end() {
    let mut s = world();
    let plan = ForwardPlan::single(target("bob", 2, Transport::Udp));
    s.on_event(PROXY, router(vec![("bob", plan)]));
    s.on_event(BOB, answer_with(&[486], vec![]));
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(1_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 486]);
    assert_eq!(s.with(PROXY, |n, _| n.proxy().contexts()), 1);
    // A retransmitted 486 from Bob's side after the answer is still absorbed.
    s.run_until_ms(40_000);
    assert_eq!(statuses(&s, ALICE, call), [100, 486]);
    assert_eq!(s.with(PROXY, |n, _| n.proxy().contexts()), 0);
}
