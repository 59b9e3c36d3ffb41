//! Timer C (RFC 3261 §16.6 step 11): a branch that rang and then stalled is cancelled when
//! Timer C runs out after its last provisional response; the caller gets the 487. A branch
//! that never sent a provisional is counted as 408.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use sip_message::Method;
use sip_proxy::ForwardPlan;
use sip_testkit::RequestSpec;
use sip_transaction::Transport;

#[test]
fn stalled_ringing_branch_is_cancelled() {
    let mut s = world_with(|_| {}, |c| c.timer_c = Duration::from_secs(5));
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    s.on_event(BOB, answer_with(&[180], vec![]));
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(20_000);
    // The 180 arrived at 15 ms and restarted Timer C: CANCEL at 5015 ms.
    let cancels: Vec<u64> = s.sent(PROXY, "CANCEL", "").map(|w| w.at_ms).collect();
    assert_eq!(cancels, [5_015]);
    assert_eq!(statuses(&s, ALICE, call), [100, 180, 487]);
}

#[test]
fn branch_without_provisional_is_408_when_timer_c_fires() {
    // Timer C shorter than Timer B, and Bob a bare transaction layer that sends nothing.
    let mut s = raw_world(|c| {
        c.timer_c = Duration::from_secs(3);
        c.send_100_trying = false;
    });
    s.world_mut().set_strict(false);
    s.network_mut().partition(PROXY, BOB);
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    send_to_proxy(
        &mut s,
        ALICE,
        RequestSpec::new(Method::Invite)
            .uri("sip:bob@example.com")
            .build(),
    );
    s.run_until_ms(10_000);
    assert_eq!(tl_statuses(&s, ALICE), [408]);
    let r = s.sent(PROXY, "SIP/2.0 408", "").next().unwrap();
    assert_eq!(r.at_ms, 5 + 3_000);
    // No CANCEL may go before a provisional (§9.1).
    assert_eq!(s.sent(PROXY, "CANCEL", "").count(), 0);
}

#[test]
fn cancelled_branch_that_never_answers_is_given_up_and_forgotten() {
    let mut s = world_with(|_| {}, |c| c.timer_c = Duration::from_secs(5));
    s.on_event(
        PROXY,
        router(vec![(
            "bob",
            ForwardPlan::single(target("bob", 2, Transport::Udp)),
        )]),
    );
    s.on_event(BOB, answer_with(&[180], vec![]));
    let call = invite_via_proxy(&mut s, "bob", Transport::Udp);
    s.run_until_ms(1_000);
    // Bob rang, then vanished: neither the CANCEL nor the INVITE will ever be answered.
    s.network_mut().partition(PROXY, BOB);
    s.run_until_ms(120_000);
    assert_eq!(
        s.sent(PROXY, "CANCEL", "").next().map(|w| w.at_ms),
        Some(5_015)
    );
    let got = statuses(&s, ALICE, call);
    assert_eq!(got.last().copied(), Some(408), "{got:?}");
    // Every transaction of the call is gone: none is left in Proceeding for ever.
    let proxy = s.engine_mut(PROXY).proxy();
    assert_eq!(proxy.pending(), 0);
    assert_eq!(proxy.transactions().len(), 0);
}
