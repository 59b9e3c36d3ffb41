//! A whole call (reliable 183, PRACK, 200, ACK, re-INVITE, BYE) over a network that loses,
//! duplicates and reorders datagrams, for many seeds: the retransmission machinery of both
//! layers gets every call set up and torn down.

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Fate, Net, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, RandomSource, SplitMix64, TerminationReason};
use sip_message::Method;

fn run(seed: u64) {
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(20));
    let mut rng = SplitMix64::new(seed);
    net.set_fate(move |_| match rng.next_u64() % 100 {
        0..=14 => Fate::Drop,
        15..=24 => Fate::Duplicate,
        25..=34 => Fate::Delay(Duration::from_millis(rng.next_u64() % 400)),
        _ => Fate::Deliver,
    });
    for node in [ALICE, BOB] {
        net.on_event(node, |ua, now, ev| {
            if let DialogEvent::Request { id, request, .. } = ev {
                if *request.method() == Method::Invite {
                    if request.to().is_ok_and(|t| t.tag().is_none()) {
                        ua.answer(now, *id, Answer::new(183).body(sdp(1)).reliable())
                            .expect("183");
                    }
                    ua.answer(now, *id, Answer::new(200).body(sdp(2)))
                        .expect("200");
                }
            }
        });
    }
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    // INVITE retransmissions run at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s: leave room for an
    // unlucky run of losses.
    net.run_until(35_000);
    let (a, b) = (net.dialog_of(ALICE), net.dialog_of(BOB));
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Confirmed),
        "seed {seed}"
    );
    net.with(BOB, |ua, now| ua.reinvite(now, b, Some(sdp(3))))
        .expect("reinvite");
    net.run_until(45_000);
    net.with(ALICE, |ua, now| ua.bye(now, a)).expect("bye");
    net.run_until(90_000);
    let end = |net: &Net, node| net.states(node).last().map(|(_, _, s)| *s);
    assert_eq!(
        end(&net, ALICE),
        Some(DialogState::Terminated(TerminationReason::LocalBye)),
        "seed {seed}"
    );
    assert_eq!(
        end(&net, BOB),
        Some(DialogState::Terminated(TerminationReason::RemoteBye)),
        "seed {seed}"
    );
    // Each application saw each request at most once, however often it crossed the wire.
    let requests = |net: &Net, node, m: Method| {
        net.events_of(node)
            .filter(|(_, e)| matches!(e, DialogEvent::Request { request, .. } if *request.method() == m))
            .count()
    };
    assert_eq!(requests(&net, BOB, Method::Invite), 1, "seed {seed}");
    assert!(requests(&net, ALICE, Method::Invite) <= 1, "seed {seed}");
    net.run_until(250_000);
    assert_eq!(net.ua(ALICE).dialog_count(), 0, "seed {seed}");
    assert_eq!(net.ua(BOB).dialog_count(), 0, "seed {seed}");
}

#[test]
fn calls_survive_loss_duplication_and_reordering() {
    for seed in 0..40 {
        run(seed);
    }
}

/// More seeds, on demand: `SEED_FROM=0 SEED_TO=5000 cargo test -p sip-dialog --test
/// lossy_network -- --ignored`.
#[test]
#[ignore]
fn many_seeds() {
    let from: u64 = std::env::var("SEED_FROM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let to: u64 = std::env::var("SEED_TO")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    for seed in from..to {
        println!("seed {seed}");
        run(seed);
    }
}

fn run_subscription(seed: u64) {
    use sip_dialog::{Body, NotifyState, SubscriptionStatus};
    use sip_message::header::Expires;
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(20));
    let mut rng = SplitMix64::new(seed);
    net.set_fate(move |_| match rng.next_u64() % 100 {
        0..=14 => Fate::Drop,
        15..=24 => Fate::Duplicate,
        25..=34 => Fate::Delay(Duration::from_millis(rng.next_u64() % 400)),
        _ => Fate::Deliver,
    });
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request {
            id,
            subscription: Some(sub),
            request,
            ..
        } = ev
        {
            let asked = request.headers().typed::<Expires>().map_or(3600, |e| e.0);
            ua.answer(now, *id, Answer::new(200)).expect("200");
            let state = if asked == 0 {
                NotifyState::Terminated { reason: None }
            } else {
                NotifyState::Active
            };
            ua.notify(now, *sub, state, Some(Body::new("text/plain", "x")))
                .expect("notify");
        }
    });
    let req = net.initial(ALICE, BOB);
    let sub = net
        .with(ALICE, |ua, now| ua.subscribe(now, req, "presence", 120))
        .expect("subscribe");
    net.run_until(200_000);
    // Refreshed at least once (at 88 s, 120 - 32), still alive.
    assert!(net.sent(ALICE, "SUBSCRIBE", "").count() >= 2, "seed {seed}");
    assert!(net.ua(ALICE).subscription(sub).is_some(), "seed {seed}");
    net.with(ALICE, |ua, now| ua.unsubscribe(now, sub))
        .expect("unsubscribe");
    net.run_until(300_000);
    assert!(net.ua(ALICE).subscription(sub).is_none(), "seed {seed}");
    assert!(
        net.events_of(ALICE).any(|(_, e)| matches!(
            e,
            DialogEvent::Subscription {
                state: SubscriptionStatus::Terminated(_),
                ..
            }
        )),
        "seed {seed}"
    );
    net.run_until(400_000);
    assert_eq!(net.ua(ALICE).dialog_count(), 0, "seed {seed}");
    assert_eq!(net.ua(BOB).dialog_count(), 0, "seed {seed}");
}

#[test]
fn subscriptions_survive_loss_duplication_and_reordering() {
    for seed in 0..40 {
        run_subscription(seed);
    }
}

/// More seeds, on demand, like [`many_seeds`].
#[test]
#[ignore]
fn many_subscription_seeds() {
    let to: u64 = std::env::var("SEED_TO")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    for seed in 0..to {
        println!("seed {seed}");
        run_subscription(seed);
    }
}
